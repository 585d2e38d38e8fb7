"""The rehearsal simulator's loop: one background task per rehearsing table
and process, pacing workshop/tables/rehearsal.rehearsal_step.

Each tick re-reads the table in its own unit of work, so the database always
decides: the loop ends when the facilitator stops or clears the rehearsal
(rehearsal_pace is None), when the event is closed, or when it has run
REHEARSAL_MAX_S or done REHEARSAL_MAX_ACTIONS actions (it then stops the
rehearsal itself, so the console shows it stopped). Broadcasts go after each
commit through the notifier, as for a phone's action.

The loop lives in the memory of the server process that started it, so a
restart of the server (or of a worker) ends it; the new process then stops
the rehearsals the database still says run (stop_rehearsals_left_running, at
start), so the console says "stopped" and Start begins a new loop. It is not
restarted by itself because no one process owns a table when several workers
share the load, and two loops must not play the same table.
"""

import logging
import random
import threading
import time

from workshop.core.database import unit_of_work
from workshop.core.errors import DomainError
from workshop.extensions import db, socketio
from workshop.tables.models import WorkingTable
from workshop.tables.rehearsal import rehearsal_step, stop_rehearsal

log = logging.getLogger(__name__)

_running_lock = threading.Lock()


def _running(app):
    """The ids of the tables this app runs a loop for (one app per server process)."""
    return app.extensions.setdefault("tavoli_rehearsal_loops", set())


def run_simulator(app, table_id):
    """Start the loop for the table unless this process already runs one
    (a second Start only changed the pace, which the loop reads at its next
    tick). Call after the commit that set the pace. Whether a loop started."""
    with _running_lock:
        if table_id in _running(app):
            return False
        _running(app).add(table_id)
    socketio.start_background_task(_loop, app, table_id)
    return True


def simulator_running(app, table_id):
    """Whether this process runs a loop for the table."""
    with _running_lock:
        return table_id in _running(app)


def _loop(app, table_id):
    rng = random.Random(table_id)  # the same table plays the same rehearsal
    started, actions, failed = time.monotonic(), 0, False
    minute = app.config["REHEARSAL_MINUTE_S"]
    try:
        with app.app_context():
            pace = _pace_now(table_id)
            db.session.remove()
        while pace is not None:
            socketio.sleep(minute / pace)
            over = (time.monotonic() - started >= app.config["REHEARSAL_MAX_S"]
                    or actions >= app.config["REHEARSAL_MAX_ACTIONS"])
            with app.app_context():
                pace, done, failed = _tick(table_id, rng, over)
            actions += bool(done)
    finally:
        with _running_lock:
            _running(app).discard(table_id)
    if not failed:
        # A Start committed after this loop read "stopped" but before it left
        # the set found it still running and started none: start one for it.
        with app.app_context():
            pace = _pace_now(table_id)
            db.session.remove()
        if pace is not None:
            run_simulator(app, table_id)


def _tick(table_id, rng, over):
    """One step in its own unit of work: (the pace to go on at, or None to
    stop; what was done, or None; whether it failed unexpectedly)."""
    try:
        with unit_of_work():
            table = db.session.get(WorkingTable, table_id)
            if table is None or table.rehearsal_pace is None:
                return None, None, False
            if table.event.is_read_only or over:
                stop_rehearsal(table, None, reason="event_closed" if table.event.is_read_only else "limit")
                return None, None, False
            pace = table.rehearsal_pace
            return pace, rehearsal_step(table, rng), False
    except DomainError as error:
        # A refusal a person could meet too (another dot took the last room
        # under the cap meanwhile): nothing done, try again at the next tick.
        log.info("rehearsal step refused", extra={"table": table_id, "code": error.code})
        return _pace_now(table_id), None, False
    except Exception:
        # An unexpected failure ends the simulator; the facilitator may start it again.
        log.exception("rehearsal step failed", extra={"table": table_id})
        return None, None, True
    finally:
        db.session.remove()


def _pace_now(table_id):
    table = db.session.get(WorkingTable, table_id)
    return table.rehearsal_pace if table is not None else None
