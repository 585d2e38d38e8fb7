"""The notifier: every live push to browsers goes out from here.

Operations record what changed while they run (`emit`, `tally_changed`); the
records wait on the database session and are sent only once the transaction
commits, and are dropped if it rolls back, so no browser ever sees a change
the database does not hold. Tallies (dot counts, rankings, presence, the
plenary's totals) are coalesced: a background task wakes every
TALLY_INTERVAL_S and, for the tables where something changed, asks each
registered tally builder for its messages, read fresh from the database.

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


def console_room(table_id):
    """The table's facilitator consoles, which see everything, hidden results included."""
    return f"table:{table_id}:console"


def projector_room(table_id):
    """The table's projector views, which see live counts and the ranking once it shows."""
    return f"table:{table_id}:projector"


def phones_room(table_id):
    """The table's phones, which see the ranking only once results are shown."""
    return f"table:{table_id}:phones"


def event_room(event_id, audience):
    """The plenary of an event (in PLENARY_NAMESPACE), one room per audience:
    "plenary" for the organizers' dashboards, "screen" for the event projectors."""
    return f"event:{event_id}:{audience}"


# Plenary clients connect on their own namespace: Socket.IO allows one
# connect handler per namespace, and the default one opens table connections.
PLENARY_NAMESPACE = "/plenary"


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
        self._tally_builders = ()

    def init_app(self, app, socketio, tally_builders):
        """Bind to the app. Each tally builder takes the set of changed table
        ids and returns a list of (event name, room, payload[, namespace]) to
        send; the namespace defaults to "/"."""
        self.app = app
        self.socketio = socketio
        self.interval = app.config["TALLY_INTERVAL_S"]
        self._tally_builders = tuple(tally_builders)
        # With workers joined by a message queue, a room's clients may sit on
        # another worker, which this one cannot see.
        self._rooms_seen_whole = not app.config["SOCKETIO_MESSAGE_QUEUE"]

    def may_have_listeners(self, room, namespace="/"):
        """Whether a message to room could reach anyone, so tally builders
        skip what nobody would receive (a plenary snapshot is the dearest
        message there is). Exact in one process; with several workers it
        cannot know and answers yes."""
        if self.socketio is None or not self._rooms_seen_whole:
            return True
        return next(self.socketio.server.manager.get_participants(namespace, room), None) is not None

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

    def send_now(self, event_name, payload, room, namespace="/"):
        """Send outside any transaction (presence, direct answers). Never raises:
        a failed broadcast must not undo or hide a committed change, and every
        client resynchronises from the database when it reconnects."""
        if self.socketio is None:
            return
        try:
            self.socketio.emit(event_name, payload, to=room, namespace=namespace)
        except Exception:
            log.exception("broadcast failed", extra={"event_name": event_name, "room": room})

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
            try:
                self.flush_tallies()
            except Exception:  # the loop must outlive any one bad flush
                log.exception("flushing tallies failed")

    def flush_tallies(self):
        """Send the coalesced messages for every table changed since the last flush."""
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        if not dirty:
            return
        messages = []
        with self.app.app_context():
            for builder in self._tally_builders:
                try:
                    messages.extend(builder(frozenset(dirty)))
                except Exception:
                    log.exception("tally builder failed",
                                  extra={"builder": builder.__name__, "tables": ",".join(map(str, sorted(dirty)))})
                    db.session.rollback()
            db.session.remove()  # end the read before any send can yield
        for event_name, room, payload, *namespace in messages:
            self.send_now(event_name, payload, room, *namespace)


notifier = Notifier()

event.listen(Session, "after_commit", notifier._after_commit)
event.listen(Session, "after_rollback", Notifier._after_rollback)
event.listen(Session, "after_soft_rollback", lambda session, previous: Notifier._after_rollback(session))
