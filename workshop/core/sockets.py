"""The boundary for Socket.IO events: every handler answers with an acknowledgement.

An acknowledgement is {"ok": true, ...result} or {"ok": false, "error":
{"code", "message"}}; the message is in the client's language. Nothing a
client sends can make a handler fail without an answer, and a message that is
not even a valid Socket.IO packet is refused before any handler (CheckedPacket).
"""

import logging
import re
from functools import wraps

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_socketio import ConnectionRefusedError
from socketio import packet

from workshop.core.database import run_in_unit_of_work
from workshop.core.errors import DomainError, InvalidInput
from workshop.core.limits import rate_limit
from workshop.extensions import db

log = logging.getLogger(__name__)

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")  # \Z: "$" would let a final newline through


# What a client may send; CONNECT_ERROR only ever goes from server to client.
_CLIENT_PACKET_TYPES = (packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK, packet.BINARY_EVENT,
                        packet.BINARY_ACK)
_DECODING_ERRORS = (ValueError, TypeError, KeyError, IndexError, RecursionError)


class CheckedPacket(packet.Packet):
    """python-socketio's packet, refusing cleanly one that cannot be decoded.

    A client can send a packet whose JSON is broken, nested deeper than the
    parser allows, or holds an integer of more than 100 digits; or an event
    that is not a list starting with its name; or binary attachments that do
    not match their placeholders. python-socketio raises on each, and logs a
    stack trace for every such message. Here a broken packet becomes a
    disconnect of its namespace instead (the client broke the protocol and is
    dropped, with a one-line warning that logs nothing of the content), and
    broken attachments are dropped. Given to the server as its `serializer`.
    """

    def decode(self, encoded_packet):
        try:
            attachments = super().decode(encoded_packet)
            if self.packet_type not in _CLIENT_PACKET_TYPES:
                raise ValueError("not a packet type a client sends")
            if self.packet_type in (packet.EVENT, packet.BINARY_EVENT) and not (
                    isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
                raise ValueError("an event must be a list starting with its name")
            if self.packet_type in (packet.ACK, packet.BINARY_ACK) and not isinstance(self.data, list):
                raise ValueError("an acknowledgement must be a list")
            return attachments
        except _DECODING_ERRORS as error:
            _refuse_packet(error, encoded_packet)
            self.packet_type, self.data, self.id = packet.DISCONNECT, None, None
            return 0

    def add_attachment(self, attachment):
        try:
            return super().add_attachment(attachment)
        except _DECODING_ERRORS as error:
            _refuse_packet(error, attachment)
            # python-socketio then takes the packet for an acknowledgement
            # without an id, which it ignores.
            self.packet_type, self.data, self.id = packet.BINARY_ACK, None, None
            return True


def _refuse_packet(error, encoded):
    log.warning("refused a malformed Socket.IO packet of %d characters (%s)", len(encoded or ""),
                type(error).__name__)


def socket_action(write=True, limit=None, answered=None):
    """Decorate a handler(payload) -> dict. Write handlers run in one unit of
    work (retried once if they lost a uniqueness race); read handlers run on a
    plain session that is released before the answer is sent.

    limit names a rate-limit setting (e.g. "RATELIMIT_NEEDS"): every event
    counts against it for whoever sends it (all tabs of a phone together), and
    once it is used up the answer is a "rate_limited" error saying when to try again.

    answered(payload) -> the answer an action already done got, or None: a
    phone's outbox sends again what it did not see answered, and what was
    done must then be answered as done, before and beyond any limit.
    """

    def decorate(handler):
        @wraps(handler)
        def wrapper(payload=None, *_ignored):
            try:
                if answered is not None:
                    earlier = _earlier_answer(answered, payload)
                    if earlier is not None:
                        return {"ok": True, **earlier}
                if limit:
                    rate_limit(limit)
                if not isinstance(payload, dict):
                    raise InvalidInput(_l("The message must be an object."), code="payload_invalid")
                if write:
                    result = run_in_unit_of_work(handler, payload)
                else:
                    try:
                        result = handler(payload)
                    finally:
                        db.session.remove()
            except DomainError as error:
                return {"ok": False, "error": error.as_dict()}
            except Exception:
                log.exception("socket event failed", extra={"handler": handler.__name__})
                message = _("Something went wrong on the server. Try again in a moment.")
                return {"ok": False, "error": {"code": "server_error", "message": message}}
            return {"ok": True, **(result or {})}

        return wrapper

    return decorate


def _earlier_answer(answered, payload):
    """answered(payload), read in a session released before anything else happens."""
    try:
        return answered(payload)
    finally:
        db.session.remove()


def refusal(error):
    """The exception a connect handler raises to refuse a connection for a DomainError.

    The client's connect_error then carries the message and data = {"code",
    "message", ...}; python-socketio sends a second argument as `data`, and a
    single one only as the message's text.
    """
    return ConnectionRefusedError(str(error.message), error.as_dict())


def client_action_id(payload):
    """The client-generated id of an action: 8 to 64 letters, digits, - or _."""
    value = payload.get("id")
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise InvalidInput(_l("Every action needs an id of 8 to 64 letters or digits."), code="id_invalid")
    return value


def is_record_id(value):
    """Whether value can be the id of a stored row: a positive whole number that
    JavaScript holds exactly and every database can store (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53


def integer_field(payload, name, optional=False):
    """payload[name] as a record id; with optional, a missing or null field is None."""
    value = payload.get(name)
    if optional and value is None:
        return None
    if not is_record_id(value):
        raise InvalidInput(_l("The field %(name)s must be a positive whole number.", name=name), code=f"{name}_invalid")
    return value
