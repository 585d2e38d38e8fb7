"""Creating working tables and moving them through their phases."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from workshop.contributions.models import Dot, Need
from workshop.contributions.state import table_changed
from workshop.core.errors import InvalidInput, WrongPhase
from workshop.core.notify import notifier, table_room
from workshop.core.validation import bounded_int, required_text
from workshop.extensions import db
from workshop.participants.models import Membership
from workshop.tables.join_codes import new_join_code
from workshop.tables.models import FacilitationLog, WorkingTable


def create_table(theme, name, dots_per_participant=None, max_dots_per_need=None, facilitators=()):
    """A new table of theme, with a fresh join code and the event's voting rules
    unless others are given."""
    event = theme.event
    table = WorkingTable(
        theme=theme,
        join_code=unused_join_code(),
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


def unused_join_code():
    """A join code no table has yet."""
    for _ in range(20):
        code = new_join_code()
        if db.session.scalar(select(WorkingTable.id).where(WorkingTable.join_code == code)) is None:
            return code
    # Only reachable if the code space were nearly full (about 10^9 codes).
    raise InvalidInput(_l("No free join code could be found. Try again."), code="join_code_exhausted")


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


# The detail keys that hold a need's id, by action: whoever copies or moves log
# entries (the JSON archive) must translate these along with need_id. Keep it
# in step with the calls to log_action.
NEED_DETAIL_KEYS = {
    "merge": ("into",),
    "unmerge": ("from",),
    "theme_merge": ("into",),
    "theme_unmerge": ("from",),
}


def log_action(event, actor, action, table=None, need=None, **detail):
    """Record a facilitator's or organizer's action; returns the log entry.

    A detail naming another need holds its id, under a key listed in NEED_DETAIL_KEYS.
    """
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


def add_table(theme, name, dots_per_participant=None, max_dots_per_need=None, results_hidden=None, facilitators=()):
    """create_table, with results hidden until revealed when asked (by default
    as the event says)."""
    table = create_table(theme, name, dots_per_participant, max_dots_per_need, facilitators)
    table.results_hidden = theme.event.results_hidden if results_hidden is None else bool(results_hidden)
    db.session.flush()
    return table


def update_table(table, actor, name, theme, dots_per_participant, max_dots_per_need, results_hidden, facilitators):
    """Change a table's name, theme, voting rules and facilitators.

    The rules change freely until the first dot; after that the budget may not
    drop below the dots any participant has already spent there (rules_locked).
    The theme must be of the same event; the facilitators among the event's.
    """
    event = table.event
    if theme.event_id != event.id:
        raise InvalidInput(code="theme_invalid")
    if theme.id != table.theme_id and _merged_at_plenary(table):
        raise InvalidInput(
            _l("Needs of this table are merged at the plenary with another table's: split them there "
               "before moving the table to another theme."),
            code="table_merged_at_plenary",
        )
    facilitators = list(facilitators)
    if any(account not in event.facilitators for account in facilitators):
        raise InvalidInput(_l("Choose the table's facilitators among the event's."), code="facilitator_invalid")
    dots = bounded_int(dots_per_participant, 1, 50, "dots_per_participant_invalid")
    most = bounded_int(max_dots_per_need, 1, 50, "max_dots_per_need_invalid")
    if db.session.scalar(select(Dot.id).where(Dot.table_id == table.id).limit(1)) is not None:
        spent = db.session.scalar(select(func.max(Membership.dots_used)).where(Membership.table_id == table.id)) or 0
        if dots < spent:
            raise InvalidInput(
                _l("Someone at this table has already used %(n)d dots: the budget cannot be lower than that.",
                   n=spent),
                code="rules_locked",
            )
    before = {"dots": table.dots_per_participant, "most": table.max_dots_per_need, "hidden": table.results_hidden}
    shown_before = (table.name, table.theme_id)
    table.name = required_text(name, 120, "name_required", _l("Give the table a name."))
    table.theme = theme
    table.dots_per_participant = dots
    table.max_dots_per_need = most
    table.results_hidden = bool(results_hidden)
    table.facilitators = facilitators
    after = {"dots": dots, "most": most, "hidden": table.results_hidden}
    db.session.flush()
    if after != before:
        log_action(event, actor, "rules", table=table, **{"from": before, "to": after})
    if after != before or (table.name, table.theme_id) != shown_before:
        # Phones, projector and console show the name, theme and rules: they
        # get them now, and each participant their budget.
        bump_version(table)
        table_changed(table, members=after["dots"] != before["dots"])
        notifier.tally_changed(db.session, table.id)
    return table


def _merged_at_plenary(table):
    """Whether a need of this table is merged with one of another table at the plenary (either way)."""
    own = select(Need.id).where(Need.table_id == table.id)
    return db.session.scalar(
        select(Need.id).where(or_(
            and_(Need.table_id == table.id, Need.theme_merged_into_id.is_not(None)),
            Need.theme_merged_into_id.in_(own),
        )).limit(1)
    ) is not None
