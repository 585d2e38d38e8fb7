"""Socket.IO events that open, follow and steer a table's live connection."""

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_socketio import join_room

from workshop.contributions.state import PHONE, rehearsal_info, table_snapshot
from workshop.core import limits
from workshop.core.access import can_run_table, require
from workshop.core.database import run_in_unit_of_work
from workshop.core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from workshop.core.notify import (
    console_room,
    notifier,
    participant_room,
    phones_room,
    projector_room,
    table_room,
)
from workshop.core.sockets import refusal, socket_action
from workshop.extensions import db, socketio
from workshop.participants.devices import device_digest, read_device_token
from workshop.participants.models import Membership
from workshop.participants.operations import join_table
from workshop.tables import facilitation, operations, rehearsal
from workshop.tables.connections import (
    PHONE_VIEW,
    SCREEN_VIEWS,
    connected_console,
    connected_screen,
    connected_table,
    connection,
    remember_connection,
)
from workshop.tables.join_codes import normalise_join_code
from workshop.tables.models import Phase
from workshop.tables.presence import presence
from workshop.tables.simulator import run_simulator


@socketio.on("connect")
def on_connect(auth=None):
    """Every client opening a live connection: a phone, a projector, a console.

    auth: {"table": join code, "view": "phone" | "projector" | "console",
    "v": the table version last seen, if any (informative: a snapshot always follows)}. Phones are known by their
    device cookie, screens by their logged-in account. Refused connections
    get {"code", "message"} as the connect_error data.
    """
    auth = auth if isinstance(auth, dict) else {}
    view = auth.get("view")
    code = normalise_join_code(auth.get("table") if isinstance(auth.get("table"), str) else "")
    try:
        if view != PHONE_VIEW and view not in SCREEN_VIEWS:
            raise InvalidInput(_l("Unknown view."), code="view_invalid")
        # Who is connecting is checked before the code is looked up, so that a
        # connection without a device cookie or a login learns nothing about
        # which codes exist; and whoever sent too many unknown codes is refused
        # first. The limits storage (Redis) is never called inside the unit of
        # work: no greenlet may wait on the network while holding SQLite's lock.
        token = None
        if view == PHONE_VIEW:
            token = _device_token()
        else:
            require(current_user.is_authenticated)
        limits.check_join_misses()
        table_id, participant_id = run_in_unit_of_work(_open_connection, code, view, token)
    except DomainError as error:
        if error.code == "table_not_found":
            limits.count_join_miss()
        raise refusal(error) from None

    remember_connection(table_id, view, participant_id)
    # Join the rooms before reading the snapshot: whatever commits after the
    # read still reaches this client as a broadcast.
    join_room(table_room(table_id))
    if participant_id is None:
        join_room(console_room(table_id) if view == "console" else projector_room(table_id))
    else:
        join_room(phones_room(table_id))
        join_room(participant_room(participant_id))
        presence.arrive(table_id, request.sid, participant_id)
    notifier.mark_dirty([table_id])
    # Always a whole snapshot, whatever version the client says it saw: it may
    # have seen a later message yet missed an earlier one (delivery is at most
    # once), and a table's snapshot is small.
    snapshot = _snapshot()
    db.session.remove()
    socketio.emit("snapshot", snapshot, to=request.sid)


def _device_token():
    token = read_device_token(current_app.config["SECRET_KEY"],
                              request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"]))
    if token is None:
        raise NotAllowed(_l("Open the table's join link first."), code="no_device")
    return token


def _open_connection(code, view, token):
    table = operations.find_table_by_code(code) if code else None
    if table is None:
        raise NotFound(_l("There is no table with this code."), code="table_not_found")
    if view == PHONE_VIEW:
        participant, _membership = join_table(table, device_digest(current_app.config["SECRET_KEY"], token))
        return table.id, participant.id
    require(can_run_table(current_user, table))
    return table.id, None


def _snapshot():
    live = connection()
    if live["participant"] is None:
        # A screen whose account has lost the table since it connected reads nothing more.
        return table_snapshot(connected_screen(), live["view"])
    table = connected_table()
    membership = db.session.get(Membership, (live["participant"], table.id))
    return table_snapshot(table, PHONE, membership)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    table_id = presence.leave(request.sid)
    if table_id is not None:
        notifier.mark_dirty([table_id])


@socketio.on("sync")
@socket_action(write=False)
def on_sync(payload):
    """Any client asking for a fresh snapshot (after a gap, or on demand).
    Payload: {}. Answers {"ok": true, "snapshot": {...}}."""
    return {"snapshot": _snapshot()}


@socketio.on("set_phase")
@socket_action()
def on_set_phase(payload):
    """The facilitator console moving the table one phase forward or back.
    Payload: {"from": the phase the console shows, "phase": the phase to move
    to}; refused with "phase_changed" if the table is no longer in "from"
    (another console moved it first)."""
    table = connected_console()
    phase = _phase_field(payload, "phase")
    expected = _phase_field(payload, "from") if "from" in payload else None
    operations.change_phase(table, current_user, phase, expected=expected)
    return {"phase": table.phase.value, "v": table.version}


def _phase_field(payload, name):
    try:
        return Phase(payload.get(name))
    except ValueError:
        raise InvalidInput(_l("Unknown phase."), code="phase_invalid") from None


@socketio.on("timer")
@socket_action()
def on_timer(payload):
    """The console driving the phase timer. Payload: {"action": "start", "seconds": n}
    | {"action": "pause"} | {"action": "resume"} | {"action": "extend", "seconds": n}.
    Everyone at the table then gets a "timer" message."""
    table = connected_console()
    action = payload.get("action")
    if action == "start":
        facilitation.start_timer(table, current_user, payload.get("seconds"))
    elif action == "pause":
        facilitation.pause_timer(table, current_user)
    elif action == "resume":
        facilitation.resume_timer(table, current_user)
    elif action == "extend":
        facilitation.extend_timer(table, current_user, payload.get("seconds"))
    else:
        raise InvalidInput(_l("Unknown timer action."), code="timer_action_invalid")
    return {"v": table.version, "timer": table.timer_state()}


@socketio.on("reveal")
@socket_action()
def on_reveal(payload):
    """The console revealing (or hiding again) results kept hidden until revealed.
    Payload: {"revealed": true | false}."""
    revealed = payload.get("revealed", True)
    if not isinstance(revealed, bool):
        raise InvalidInput(_l("Say whether to reveal: true or false."), code="revealed_invalid")
    table = connected_console()
    facilitation.reveal_results(table, current_user, revealed)
    return {"v": table.version, "revealed": table.results_revealed}


@socketio.on("rehearsal")
@socket_action(write=False)
def on_rehearsal(payload):
    """The console rehearsing the table with simulated participants. Payload:
    {"action": "start", "participants": 3..20, "pace": "slow" | "normal" | "fast"}
    (a second start changes the number and the pace) | {"action": "pace", "pace": ...}
    | {"action": "stop"} | {"action": "clear"} (end the rehearsal and remove the
    simulated participants with all they did). Answers {"v", "rehearsal":
    {"running", "pace", "simulated"}}; everyone at the table gets a "table" message."""
    answer = run_in_unit_of_work(_rehearse, payload)
    if answer["rehearsal"]["running"]:
        # After the commit: the loop's first read must see the pace just set.
        run_simulator(current_app._get_current_object(), connection()["table"])
    return answer


def _rehearse(payload):
    table = connected_console()
    action = payload.get("action")
    if action == "start":
        rehearsal.start_rehearsal(table, current_user, payload.get("participants"), payload.get("pace"))
    elif action == "pace":
        rehearsal.change_pace(table, current_user, payload.get("pace"))
    elif action == "stop":
        rehearsal.stop_rehearsal(table, current_user)
    elif action == "clear":
        rehearsal.clear_rehearsal(table, current_user)
    else:
        raise InvalidInput(_l("Unknown rehearsal action."), code="rehearsal_action_invalid")
    return {"v": table.version, "rehearsal": rehearsal_info(table)}
