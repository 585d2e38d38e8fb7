"""Socket.IO events a participant's phone sends: needs and dots.

Each carries a client-generated "id": sending the same id again (after a
lost acknowledgement, or from the offline outbox) is the same action and gets
the same answer.
"""

from flask_babel import lazy_gettext as _l

from workshop.contributions import operations
from workshop.core.errors import InvalidInput
from workshop.core.sockets import client_action_id, integer_field, socket_action
from workshop.extensions import socketio
from workshop.tables.connections import connected_participant, connected_table


@socketio.on("post_need")
@socket_action()
def on_post_need(payload):
    """A phone posts a need. Payload: {"id": action id, "text": 1-280 characters}.
    Answers {"ok": true, "v", "need": {"id", "text", "at"}}."""
    if not isinstance(payload.get("text"), str):
        raise InvalidInput(_l("Write the need as text."), code="text_invalid")
    return operations.post_need(
        connected_table(), connected_participant(), payload["text"], client_id=client_action_id(payload)
    )


@socketio.on("cast_dot")
@socket_action()
def on_cast_dot(payload):
    """A phone gives a dot to a need. Payload: {"id": action id, "need": need id}.
    Answers {"ok": true, "v", "need", "me": {"budget", "left", "dots", "needs"}}."""
    return operations.cast_dot(
        connected_table(), connected_participant(), integer_field(payload, "need"),
        client_id=client_action_id(payload),
    )


@socketio.on("withdraw_dot")
@socket_action()
def on_withdraw_dot(payload):
    """A phone takes a dot back from a need. Payload and answer as cast_dot."""
    return operations.withdraw_dot(
        connected_table(), connected_participant(), integer_field(payload, "need"),
        client_id=client_action_id(payload),
    )
