from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from workshop.events.models import EventStatus

LANGUAGE_CHOICES = [SelectChoice("it", "Italiano"), SelectChoice("en", "English")]


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Date"), validators=[Optional()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Language of the minutes"), choices=LANGUAGE_CHOICES, default="it")
    dots_per_participant = IntegerField(
        _l("Dots per participant"), default=3, validators=[InputRequired(), NumberRange(1, 50)]
    )
    max_dots_per_need = IntegerField(
        _l("Most dots one participant may give one need"), default=1, validators=[InputRequired(), NumberRange(1, 50)]
    )


class ThemeForm(FlaskForm):
    name = StringField(_l("Theme"), validators=[DataRequired(), Length(max=120)])
    colour = StringField(
        _l("Colour"), default="#1f5fa8",
        validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Pick a colour such as #1f5fa8."))],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])


class TableForm(FlaskForm):
    """Shown on the event page beside ThemeForm: used with prefix="table" so
    that field ids stay unique on the page."""

    theme_id = SelectField(_l("Theme"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Table name"), validators=[DataRequired(), Length(max=120)])
    dots_per_participant = IntegerField(
        _l("Dots per participant"), validators=[Optional(), NumberRange(1, 50)],
        description=_l("Leave empty to use the event's rule."),
    )
    max_dots_per_need = IntegerField(
        _l("Most dots per need"), validators=[Optional(), NumberRange(1, 50)],
        description=_l("Leave empty to use the event's rule."),
    )


STATUS_NAMES = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.LIVE: _l("Live"),
    EventStatus.CLOSED: _l("Closed"),
    EventStatus.ARCHIVED: _l("Archived"),
}


def status_name(status):
    return str(STATUS_NAMES[status])


class StatusForm(FlaskForm):
    """One button per allowed move: the value is the status to move to."""

    status = SelectField(choices=[SelectChoice(status.value, STATUS_NAMES[status]) for status in EventStatus])
