"""Socket.IO events a participant's phone sends: needs and dots.

Each carries a client-generated "id": sending the same id again (after a
lost acknowledgement, or from the offline outbox) is the same action and gets
the same answer.
"""

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workshop.contributions import merging, moderation, operations
from workshop.core.errors import InvalidInput, NotAllowed
from workshop.core.sockets import client_action_id, integer_field, socket_action
from workshop.extensions import socketio
from workshop.tables.connections import connected_console, connected_participant, connected_table, connection


def done_before(kind):
    """For socket_action(answered=...): the answer this phone's action got if it
    was already done (the outbox sending it again), else None."""

    def answered(payload):
        try:
            participant_id = connection()["participant"]
            client_id = client_action_id(payload) if isinstance(payload, dict) else None
        except (NotAllowed, InvalidInput):
            return None  # the handler says what is wrong
        if participant_id is None or client_id is None:
            return None
        return operations.recorded_answer(participant_id, client_id, kind)

    return answered


@socketio.on("post_need")
@socket_action(limit="RATELIMIT_NEEDS", answered=done_before("post_need"))
def on_post_need(payload):
    """A phone posts a need. Payload: {"id": action id, "text": 1-280 characters}.
    Answers {"ok": true, "v", "need": {"id", "text", "at"}}."""
    return operations.post_need(
        connected_table(), connected_participant(), payload.get("text"), client_id=client_action_id(payload)
    )


@socketio.on("cast_dot")
@socket_action(limit="RATELIMIT_DOTS", answered=done_before("cast_dot"))
def on_cast_dot(payload):
    """A phone gives a dot to a need. Payload: {"id": action id, "need": need id}.
    Answers {"ok": true, "v", "need", "me": {"budget", "left", "dots", "needs"}}."""
    return operations.cast_dot(
        connected_table(), connected_participant(), integer_field(payload, "need"),
        client_id=client_action_id(payload),
    )


@socketio.on("withdraw_dot")
@socket_action(limit="RATELIMIT_DOTS", answered=done_before("withdraw_dot"))
def on_withdraw_dot(payload):
    """A phone takes a dot back from a need. Payload and answer as cast_dot."""
    return operations.withdraw_dot(
        connected_table(), connected_participant(), integer_field(payload, "need"),
        client_id=client_action_id(payload),
    )


@socketio.on("edit_need")
@socket_action(limit="RATELIMIT_NEEDS", answered=done_before("edit_need"))
def on_edit_need(payload):
    """A phone rewrites one of its own needs while the table collects.
    Payload: {"id": action id, "need": need id, "text": new text}. Answers {"ok": true, "v", "need"}."""
    return operations.edit_own_need(
        connected_table(), connected_participant(), integer_field(payload, "need"), payload.get("text"),
        client_id=client_action_id(payload),
    )


@socketio.on("delete_need")
@socket_action(limit="RATELIMIT_NEEDS", answered=done_before("delete_need"))
def on_delete_need(payload):
    """A phone deletes one of its own needs while the table collects.
    Payload: {"id": action id, "need": need id}. Answers {"ok": true, "v", "deleted"}."""
    return operations.delete_own_need(
        connected_table(), connected_participant(), integer_field(payload, "need"),
        client_id=client_action_id(payload),
    )


# -- the facilitator console ---------------------------------------------------

MODERATION = {
    "hide": lambda table, need, payload: moderation.hide_need(table, current_user, need),
    "unhide": lambda table, need, payload: moderation.unhide_need(table, current_user, need),
    "pin": lambda table, need, payload: moderation.pin_need(table, current_user, need, True),
    "unpin": lambda table, need, payload: moderation.pin_need(table, current_user, need, False),
    "correct": lambda table, need, payload: moderation.correct_need(table, current_user, need, payload.get("text")),
    "unmerge": lambda table, need, payload: merging.unmerge_need(table, current_user, need),
    "merge": lambda table, need, payload: merging.merge_needs(
        table, current_user, need, merging.table_need(table, integer_field(payload, "into"))
    ),
}


@socketio.on("moderate")
@socket_action()
def on_moderate(payload):
    """The console moderating a need. Payload: {"action": "hide" | "unhide" |
    "pin" | "unpin" | "correct" (with "text") | "merge" (with "into": the
    need it merges into) | "unmerge", "need": need id}. Answers {"ok": true, "v"};
    the table's clients get the new "needs" list."""
    action = payload.get("action")
    action = MODERATION.get(action) if isinstance(action, str) else None
    if action is None:
        raise InvalidInput(_l("Unknown moderation action."), code="action_invalid")
    table = connected_console()
    action(table, merging.table_need(table, integer_field(payload, "need")), payload)
    return {"v": table.version}
