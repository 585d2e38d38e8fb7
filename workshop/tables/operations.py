"""Creating working tables and moving them through their phases."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workshop.core.errors import WrongPhase
from workshop.core.notify import notifier, table_room
from workshop.core.validation import bounded_int, required_text
from workshop.extensions import db
from workshop.tables.join_codes import new_join_code
from workshop.tables.models import FacilitationLog, WorkingTable


def create_table(theme, name, dots_per_participant=None, max_dots_per_need=None, facilitators=()):
    """A new table of theme, with a fresh join code and the event's voting rules
    unless others are given."""
    event = theme.event
    table = WorkingTable(
        theme=theme,
        join_code=_unused_join_code(),
        name=required_text(name, 120, "name_required", _l("Give the table a name.")),
        dots_per_participant=bounded_int(
            event.dots_per_participant if dots_per_participant is None else dots_per_participant,
            1, 50, "dots_per_participant_invalid",
        ),
        max_dots_per_need=bounded_int(
            event.max_dots_per_need if max_dots_per_need is None else max_dots_per_need,
            1, 50, "max_dots_per_need_invalid",
        ),
        facilitators=list(facilitators),
    )
    db.session.add(table)
    db.session.flush()
    return table


def _unused_join_code():
    for _ in range(20):
        code = new_join_code()
        if db.session.scalar(select(WorkingTable.id).where(WorkingTable.join_code == code)) is None:
            return code
    raise IntegrityError("no free join code found", None, None)


def bump_version(table):
    """Count one more change to what the table shows; returns the new version.

    Incremented in the database, not from a value read earlier, so concurrent
    changes each get their own number.
    """
    table.version = WorkingTable.version + 1
    db.session.flush()
    return table.version


def change_phase(table, actor, phase, expected=None):
    """Move the table one phase forward or back, log who did it, and tell everyone.

    With `expected`, refuse unless the table is still in that phase: two
    consoles pressing "next" at once move the table one step, not two.
    """
    previous = table.phase
    if expected is not None and expected is not previous:
        raise WrongPhase(_l("Another facilitator has just changed the phase. Check the current one."),
                         code="phase_changed")
    table.move_to(phase)
    table.clear_timer()
    log_action(table.event, actor, "phase", table=table, **{"from": previous.value, "to": phase.value})
    version = bump_version(table)
    notifier.emit(db.session, "phase", {"v": version, "phase": table.phase.value, "timer": None},
                  table_room(table.id))
    notifier.tally_changed(db.session, table.id)
    return table


def find_table_by_code(code):
    return db.session.scalar(select(WorkingTable).where(WorkingTable.join_code == code))


def log_action(event, actor, action, table=None, need=None, **detail):
    """Record a facilitator's or organizer's action; returns the log entry."""
    entry = FacilitationLog(
        event_id=event.id,
        table_id=table.id if table is not None else None,
        account_id=actor.id if actor is not None else None,
        action=action,
        need_id=need.id if need is not None else None,
        detail=detail,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
