"""What a facilitator does to a table besides moving its phase: the phase
timer and the reveal of hidden results.

The server keeps the time. Clients get the seconds left at the moment the
message was built and count down from their own clock, so a phone with a
wrong clock still shows the right time left.
"""

from flask_babel import lazy_gettext as _l

from workshop.contributions.state import table_changed
from workshop.core.errors import InvalidInput
from workshop.core.models import utcnow
from workshop.core.notify import notifier, table_room
from workshop.core.validation import bounded_int
from workshop.extensions import db
from workshop.tables.operations import bump_version, log_action

TIMER_MAX_S = 4 * 3600


def _seconds(value, code):
    return bounded_int(value, 1, TIMER_MAX_S, code)


def _announce_timer(table, actor, action, **detail):
    log_action(table.event, actor, action, table=table, **detail)
    version = bump_version(table)
    notifier.emit(db.session, "timer", {"v": version, "timer": table.timer_state()}, table_room(table.id))


def start_timer(table, actor, seconds):
    """Set the phase timer to `seconds` and start it."""
    table.timer_duration_s = _seconds(seconds, "timer_seconds_invalid")
    table.timer_banked_s = 0
    table.timer_started_at = utcnow()
    _announce_timer(table, actor, "timer_start", seconds=table.timer_duration_s)
    return table


def pause_timer(table, actor):
    """Stop the clock, keeping the time left."""
    if table.timer_started_at is None:
        raise InvalidInput(_l("The timer is not running."), code="timer_not_running")
    now = utcnow()
    table.timer_banked_s = int(round(table.timer_duration_s - table.timer_remaining(now)))
    table.timer_started_at = None
    _announce_timer(table, actor, "timer_pause")
    return table


def resume_timer(table, actor):
    if not table.timer_duration_s:
        raise InvalidInput(_l("Set a time first."), code="timer_not_set")
    if table.timer_started_at is not None:
        raise InvalidInput(_l("The timer is already running."), code="timer_running")
    table.timer_started_at = utcnow()
    _announce_timer(table, actor, "timer_resume")
    return table


def extend_timer(table, actor, seconds):
    """Give the phase more time (also after the time ran out)."""
    if not table.timer_duration_s:
        raise InvalidInput(_l("Set a time first."), code="timer_not_set")
    extra = _seconds(seconds, "timer_seconds_invalid")
    table.timer_duration_s = min(table.timer_duration_s + extra, TIMER_MAX_S * 2)
    _announce_timer(table, actor, "timer_extend", seconds=extra)
    return table


def reveal_results(table, actor, revealed=True):
    """Show (or hide again) a table's results on phones and the projector,
    for tables whose results stay hidden until revealed."""
    if not table.results_hidden:
        raise InvalidInput(_l("This table shows its results without a reveal."), code="results_not_hidden")
    table.results_revealed = bool(revealed)
    log_action(table.event, actor, "reveal" if revealed else "unreveal", table=table)
    bump_version(table)
    table_changed(table)
    notifier.tally_changed(db.session, table.id)
    return table
