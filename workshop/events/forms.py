from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from workshop.events.models import COLOUR_PATTERN, EventStatus

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
        validators=[DataRequired(), Regexp(COLOUR_PATTERN, message=_l("Pick a colour such as #1f5fa8."))],
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
    results_hidden = BooleanField(_l("Results hidden until revealed"))


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


RULES_HELP = _l("Changing these rules does not change the tables already created: edit each table for that.")


class EventSettingsForm(EventForm):
    """The event's details and the voting rules its new tables start with."""

    dots_per_participant = IntegerField(
        _l("Dots per participant"), validators=[InputRequired(), NumberRange(1, 50)], description=RULES_HELP,
    )
    max_dots_per_need = IntegerField(
        _l("Most dots one participant may give one need"), validators=[InputRequired(), NumberRange(1, 50)],
        description=RULES_HELP,
    )
    results_hidden = BooleanField(
        _l("Results hidden until revealed"),
        description=_l("Phones and the projector see the ranking only once the facilitator reveals it."),
    )
    allow_table_change = BooleanField(
        _l("Participants may change table"),
        description=_l("Their needs and dots stay at the table where they made them."),
    )


class TableSettingsForm(FlaskForm):
    """One table's name, theme, rules and facilitators."""

    name = StringField(_l("Table name"), validators=[DataRequired(), Length(max=120)])
    theme_id = SelectField(_l("Theme"), coerce=int, validators=[DataRequired()])
    dots_per_participant = IntegerField(_l("Dots per participant"), validators=[InputRequired(), NumberRange(1, 50)])
    max_dots_per_need = IntegerField(_l("Most dots per need"), validators=[InputRequired(), NumberRange(1, 50)])
    results_hidden = BooleanField(_l("Results hidden until revealed"))
    facilitators = SelectMultipleField(
        _l("Facilitators"), coerce=int,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
        description=_l("Invite facilitators on the event page first."),
    )


class InviteForm(FlaskForm):
    """Used with prefix="invite" on the event page."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class ExistingFacilitatorForm(FlaskForm):
    """Used with prefix="existing" on the event page."""

    email = EmailField(_l("Email of a facilitator who already has an account"),
                       validators=[DataRequired(), Length(max=254)])


class DuplicateForm(FlaskForm):
    title = StringField(_l("Title of the new event"), validators=[Optional(), Length(max=200)],
                        description=_l("Leave empty to add \"(copy)\" to this event's title."))


class ButtonForm(FlaskForm):
    """No fields but the CSRF token: for forms that are a single button."""


class DeletePersonalDataForm(FlaskForm):
    """Used with prefix="personal" on the event page: deleting needs a ticked box."""

    confirm = BooleanField(
        _l("I understand: the names, the phones' codes and the invitations of this event are deleted for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class DeleteEventForm(FlaskForm):
    """Used with prefix="delete" on the event page: deleting needs the event's title typed out."""

    title = StringField(_l("Type the event's title to confirm"), validators=[DataRequired(), Length(max=200)])

    def __init__(self, *args, expected_title, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_title = expected_title

    def validate_title(self, field):
        if " ".join((field.data or "").split()) != " ".join(self.expected_title.split()):
            raise ValidationError(_l("This is not the event's title."))


class RemoveDemoForm(FlaskForm):
    """Used with prefix="demo" on a demo event's page: removing needs a ticked box."""

    confirm = BooleanField(
        _l("I understand: both demo events (Italian and English) are deleted, with everything in them."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
