"""Creating events and their themes."""

import re

from flask_babel import lazy_gettext as _l

from workshop.core.errors import InvalidInput
from workshop.core.validation import bounded_int, required_text
from workshop.events.models import Event, EventStatus, Theme
from workshop.extensions import db

COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
LANGUAGES = ("it", "en")


def create_event(organizer, title, starts_on=None, venue=None, language="it",
                 dots_per_participant=3, max_dots_per_need=1):
    """A new event, organised by `organizer`."""
    if language not in LANGUAGES:
        raise InvalidInput(code="language_invalid")
    event = Event(
        title=required_text(title, 200, "title_required", _l("Give the event a title.")),
        starts_on=starts_on,
        venue=(venue or "").strip()[:200] or None,
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
    if not COLOUR_PATTERN.match(colour or ""):
        raise InvalidInput(_l("Pick a colour such as #1f5fa8."), code="colour_invalid")
    theme = Theme(
        event=event,
        name=required_text(name, 120, "name_required", _l("Give the theme a name.")),
        colour=colour.lower(),
        description=(description or "").strip()[:2000],
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
    event.move_to(status)
    db.session.flush()
    return event
