"""The notifier: every live push to browsers goes out from here.

Operations record what changed while they run (`emit`, `tally_changed`); the
records wait on the database session and are sent only once the transaction
commits, and are dropped if it rolls back, so no browser ever sees a change
the database does not hold. Tallies (dot counts, presence) are coalesced: a
background task sends at most one per table per TALLY_INTERVAL_S, read fresh
from the database, and only for tables where something changed.

Rooms are named here and only here.
"""

import logging
import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

from workshop.extensions import db

log = logging.getLogger(__name__)

_PENDING = "tavoli_pending_broadcasts"
_PENDING_TALLIES = "tavoli_pending_tallies"


def table_room(table_id):
    """Every client of a table: phones, projector, console."""
    return f"table:{table_id}"


def screens_room(table_id):
    """The table's projector and facilitator console, which see live counts."""
    return f"table:{table_id}:screens"


def participant_room(participant_id):
    """Every tab of one participant, so their own state follows them."""
    return f"participant:{participant_id}"


class Notifier:
    def __init__(self):
        self.socketio = None
        self.app = None
        self._dirty = set()
        self._dirty_lock = threading.Lock()
        self._flusher_started = False
        self._tally_builder = None

    def init_app(self, app, socketio, tally_builder):
        """Bind to the app. tally_builder(table_id) -> (room, payload) or None."""
        self.app = app
        self.socketio = socketio
        self.interval = app.config["TALLY_INTERVAL_S"]
        self._tally_builder = tally_builder

    # -- recording, inside a transaction ---------------------------------

    def emit(self, session, event_name, payload, room):
        """Send event_name to room once the session's transaction commits."""
        session.info.setdefault(_PENDING, []).append((event_name, payload, room))

    def tally_changed(self, session, table_id):
        """The table's counts changed: include it in the next coalesced tally."""
        session.info.setdefault(_PENDING_TALLIES, set()).add(table_id)

    # -- sending, after commit ---------------------------------------------

    def _after_commit(self, session):
        broadcasts = session.info.pop(_PENDING, [])
        tallies = session.info.pop(_PENDING_TALLIES, set())
        for event_name, payload, room in broadcasts:
            self.send_now(event_name, payload, room)
        if tallies:
            self.mark_dirty(tallies)

    @staticmethod
    def _after_rollback(session):
        session.info.pop(_PENDING, None)
        session.info.pop(_PENDING_TALLIES, None)

    def send_now(self, event_name, payload, room):
        """Send outside any transaction (presence, direct answers). Never raises:
        a failed broadcast must not undo or hide a committed change, and every
        client resynchronises from the database when it reconnects."""
        if self.socketio is None:
            return
        try:
            self.socketio.emit(event_name, payload, to=room)
        except Exception:
            log.exception("broadcast of %s to %s failed", event_name, room)

    def mark_dirty(self, table_ids):
        with self._dirty_lock:
            self._dirty.update(table_ids)
        self._ensure_flusher()

    def _ensure_flusher(self):
        if self._flusher_started or self.socketio is None:
            return
        self._flusher_started = True
        self.socketio.start_background_task(self._flush_forever)

    def _flush_forever(self):
        while True:
            self.socketio.sleep(self.interval)
            self.flush_tallies()

    def flush_tallies(self):
        """Send one tally per dirty table, read fresh from the database."""
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        if not dirty:
            return
        messages = []
        with self.app.app_context():
            for table_id in sorted(dirty):
                try:
                    message = self._tally_builder(table_id)
                except Exception:
                    log.exception("building the tally of table %s failed", table_id)
                    continue
                if message is not None:
                    messages.append(message)
            db.session.remove()  # end the read before any send can yield
        for room, payload in messages:
            self.send_now("tally", payload, room)


notifier = Notifier()

event.listen(Session, "after_commit", notifier._after_commit)
event.listen(Session, "after_rollback", Notifier._after_rollback)
event.listen(Session, "after_soft_rollback", lambda session, previous: Notifier._after_rollback(session))
