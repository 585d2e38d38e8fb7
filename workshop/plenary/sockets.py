"""Socket.IO events of the plenary namespace: the dashboard and the event projector.

Only the event's organizers connect here. Each client gets a `plenary`
snapshot when it connects and then the coalesced `plenary` updates the
notifier sends to the event's room (workshop/plenary/state.py).
"""

from flask import request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_socketio import join_room

from workshop.contributions import merging
from workshop.contributions.models import Need
from workshop.core.access import can_manage_event, require
from workshop.core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from workshop.core.notify import PLENARY_NAMESPACE, event_room
from workshop.core.sockets import integer_field, is_record_id, refusal, socket_action
from workshop.events.models import Event
from workshop.extensions import db, socketio
from workshop.plenary.state import DASHBOARD, SCREEN, plenary_snapshot

_KEY = "tavoli_plenary"


@socketio.on("connect", namespace=PLENARY_NAMESPACE)
def on_connect(auth=None):
    """The plenary dashboard or the event projector opening its connection.

    auth: {"event": event id, "view": "plenary" (the dashboard) or "screen"
    (the event projector)}; the account is the logged-in organizer. Refused
    connections get {"code", "message"} as connect_error data.
    """
    auth = auth if isinstance(auth, dict) else {}
    try:
        view = auth.get("view")
        if view not in (DASHBOARD, SCREEN):
            raise InvalidInput(_l("Unknown view."), code="view_invalid")
        event = _managed_event(auth.get("event"))
        # Join before reading: whatever commits after the read still arrives.
        join_room(event_room(event.id, view), namespace=PLENARY_NAMESPACE)
        session[_KEY] = (event.id, view)
        snapshot = plenary_snapshot(event, view)
    except DomainError as error:
        raise refusal(error) from None
    finally:
        db.session.remove()
    socketio.emit("plenary", snapshot, to=request.sid, namespace=PLENARY_NAMESPACE)


def _managed_event(event_id):
    if not is_record_id(event_id):
        raise NotFound(_l("There is no such event."), code="event_not_found")
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_l("There is no such event."), code="event_not_found")
    require(can_manage_event(current_user, event))
    return event


def connected_event(dashboard_only=False):
    """The event this connection follows and its view, the organizer checked
    again (access may have changed). With dashboard_only, refuse the event projector."""
    event_id, view = session.get(_KEY) or (None, None)
    if event_id is None or (dashboard_only and view != DASHBOARD):
        raise NotAllowed()
    return _managed_event(event_id), view


@socketio.on("sync", namespace=PLENARY_NAMESPACE)
@socket_action(write=False)
def on_sync(payload):
    """A plenary client asking for a fresh snapshot (after a gap, or on demand).
    Payload: {}. Answers {"ok": true, "snapshot": {...}}."""
    event, view = connected_event()
    return {"snapshot": plenary_snapshot(event, view)}


def _need(payload, name):
    need = db.session.get(Need, integer_field(payload, name))
    if need is None:
        raise NotFound(_l("That need does not exist (any more)."), code="need_not_found")
    return need


@socketio.on("merge", namespace=PLENARY_NAMESPACE)
@socket_action()
def on_merge(payload):
    """The dashboard merging a need into the same need raised at another table
    of its theme. Payload: {"source": need id, "target": need id}. The new
    ranking arrives with the next coalesced `plenary` update."""
    event, _view = connected_event(dashboard_only=True)
    merging.merge_across_tables(event, current_user, _need(payload, "source"), _need(payload, "target"))
    return {}


@socketio.on("unmerge", namespace=PLENARY_NAMESPACE)
@socket_action()
def on_unmerge(payload):
    """The dashboard splitting a need merged at the plenary off again.
    Payload: {"need": the merged need's id}."""
    event, _view = connected_event(dashboard_only=True)
    merging.unmerge_across_tables(event, current_user, _need(payload, "need"))
    return {}
