"""Creating events and their themes."""

from flask_babel import lazy_gettext as _l

from workshop.contributions.state import table_changed
from workshop.core.errors import InvalidInput
from workshop.core.notify import notifier
from workshop.core.validation import bounded_int, optional_text, required_text
from workshop.events.models import COLOUR_PATTERN, EVENT_LANGUAGES, Event, EventStatus, Theme
from workshop.events.privacy import personal_data_deleted_at
from workshop.extensions import db
from workshop.tables.operations import bump_version, create_table, log_action


def create_event(organizer, title, starts_on=None, venue=None, language="it",
                 dots_per_participant=3, max_dots_per_need=1):
    """A new event, organised by `organizer`."""
    if language not in EVENT_LANGUAGES:
        raise InvalidInput(code="language_invalid")
    event = Event(
        title=required_text(title, 200, "title_required", _l("Give the event a title.")),
        starts_on=starts_on,
        venue=optional_text(venue, 200, "venue_invalid"),
        language=language,
        dots_per_participant=bounded_int(dots_per_participant, 1, 50, "dots_per_participant_invalid"),
        max_dots_per_need=bounded_int(max_dots_per_need, 1, 50, "max_dots_per_need_invalid"),
    )
    event.organizers.append(organizer)
    db.session.add(event)
    db.session.flush()
    return event


def add_theme(event, name, colour="#1f5fa8", description=""):
    """A new theme, placed after the event's existing ones."""
    if not isinstance(colour, str) or not COLOUR_PATTERN.match(colour):
        raise InvalidInput(_l("Pick a colour such as #1f5fa8."), code="colour_invalid")
    theme = Theme(
        event=event,
        name=required_text(name, 120, "name_required", _l("Give the theme a name.")),
        colour=colour.lower(),
        description=optional_text(description, 2000, "description_invalid", multiline=True) or "",
        position=len(event.themes),
    )
    db.session.add(theme)
    db.session.flush()
    return theme


def change_event_status(event, actor, status):
    """Move the event one status forward or back (draft, live, closed, archived)."""
    if not isinstance(status, EventStatus):
        try:
            status = EventStatus(status)
        except ValueError:
            raise InvalidInput(_l("Unknown event status."), code="status_invalid") from None
    before = event.status
    if status is EventStatus.LIVE and personal_data_deleted_at(event) is not None:
        # Its phones are no longer recognised: they would come back as new
        # participants, with a new budget of dots.
        raise InvalidInput(_l("This event's personal data was deleted: it cannot be opened again. "
                              "Duplicate it to hold another meeting."), code="event_anonymised")
    event.move_to(status)
    db.session.flush()
    if event.status is not before:
        log_action(event, actor, "status", **{"from": before.value, "to": event.status.value})
        # Phones and projectors learn at once that posting and voting opened or closed.
        for table in event.tables:
            bump_version(table)
            table_changed(table)
            notifier.tally_changed(db.session, table.id)
    return event


def update_event(event, actor, title, starts_on=None, venue=None, language="it", dots_per_participant=3,
                 max_dots_per_need=1, results_hidden=False, allow_table_change=False):
    """Change the event's details and the voting rules new tables start with.

    Tables already created keep their own rules: each is changed on its own page.
    """
    if language not in EVENT_LANGUAGES:
        raise InvalidInput(code="language_invalid")
    event.title = required_text(title, 200, "title_required", _l("Give the event a title."))
    event.starts_on = starts_on
    event.venue = optional_text(venue, 200, "venue_invalid")
    event.language = language
    event.dots_per_participant = bounded_int(dots_per_participant, 1, 50, "dots_per_participant_invalid")
    event.max_dots_per_need = bounded_int(max_dots_per_need, 1, 50, "max_dots_per_need_invalid")
    event.results_hidden = bool(results_hidden)
    event.allow_table_change = bool(allow_table_change)
    db.session.flush()
    return event


def update_theme(theme, actor, name, colour, description=""):
    """Rename a theme, or change its colour or description."""
    if not isinstance(colour, str) or not COLOUR_PATTERN.match(colour):
        raise InvalidInput(_l("Pick a colour such as #1f5fa8."), code="colour_invalid")
    theme.name = required_text(name, 120, "name_required", _l("Give the theme a name."))
    theme.colour = colour.lower()
    theme.description = optional_text(description, 2000, "description_invalid", multiline=True) or ""
    db.session.flush()
    return theme


def move_theme(theme, actor, offset):
    """Swap the theme with its neighbour before (offset -1) or after (offset 1);
    at either end it stays where it is."""
    if offset not in (-1, 1):
        raise InvalidInput(code="move_invalid")
    themes = list(theme.event.themes)
    index = themes.index(theme)
    target = index + offset
    if 0 <= target < len(themes):
        themes[index], themes[target] = themes[target], themes[index]
    # Renumber all of them: positions of older events may have gaps or repeats.
    for position, each in enumerate(themes):
        each.position = position
    db.session.flush()
    db.session.expire(theme.event, ["themes"])
    return theme


def duplicate_event(event, actor, title=None):
    """A new draft event set up like `event`, to prepare the next meeting.

    Copies the rules, the themes, the tables (names, rules, facilitators, with
    new join codes), the organisations, the organizers and the facilitators;
    no needs, dots or participants.
    """

    if title is None or not title.strip():
        title = str(_l("%(title)s (copy)", title=event.title))[:200]
    copy = Event(
        title=required_text(title, 200, "title_required", _l("Give the event a title.")),
        starts_on=event.starts_on,
        venue=event.venue,
        language=event.language,
        status=EventStatus.DRAFT,
        dots_per_participant=event.dots_per_participant,
        max_dots_per_need=event.max_dots_per_need,
        results_hidden=event.results_hidden,
        allow_table_change=event.allow_table_change,
    )
    copy.organizers = list(event.organizers)
    if actor not in copy.organizers:
        copy.organizers.append(actor)
    copy.facilitators = list(event.facilitators)
    copy.organisations = list(event.organisations)
    db.session.add(copy)
    for theme in event.themes:
        new_theme = Theme(event=copy, name=theme.name, colour=theme.colour, description=theme.description,
                          position=theme.position)
        db.session.add(new_theme)
        db.session.flush()
        for table in theme.tables:
            new_table = create_table(new_theme, table.name, table.dots_per_participant, table.max_dots_per_need,
                                     table.facilitators)
            new_table.results_hidden = table.results_hidden
    db.session.flush()
    return copy
