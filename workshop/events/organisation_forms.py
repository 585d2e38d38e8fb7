"""Forms of the organisation registry and of an event's participating organisations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from workshop.events.models import OrganisationKind
from workshop.events.organisations import KIND_NAMES, NAME_MAX_LENGTH


def kind_choices():
    return [SelectChoice(kind.value, KIND_NAMES[kind]) for kind in OrganisationKind]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)])
    kind = SelectField(_l("Kind"), choices=kind_choices(), default=OrganisationKind.OTHER.value)


class ImportForm(FlaskForm):
    """Used with prefix="import", beside OrganisationForm on the same page."""

    text = TextAreaField(
        _l("Paste a list"), validators=[Optional()],
        description=_l("One organisation per line: the name, then optionally ; or , and its kind "
                       "(for example: Caritas Ambrosiana; volontariato)."),
    )
    file = FileField(
        _l("Or choose a CSV file"),
        description=_l("A column with the name and, optionally, one with the kind. A header row is allowed."),
    )


class ParticipationForm(FlaskForm):
    """The checkboxes are drawn by the template, grouped by kind."""

    organisations = SelectMultipleField(_l("Organisations taking part"), coerce=int, validators=[Optional()])
