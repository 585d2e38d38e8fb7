"""The boundary for Socket.IO events: every handler answers with an acknowledgement.

An acknowledgement is {"ok": true, ...result} or {"ok": false, "error":
{"code", "message"}}; the message is in the client's language. Nothing a
client sends can make a handler fail without an answer.
"""

import logging
import re
from functools import wraps

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_socketio import ConnectionRefusedError

from workshop.core.database import run_in_unit_of_work
from workshop.core.errors import DomainError, InvalidInput
from workshop.core.limits import rate_limit
from workshop.extensions import db

log = logging.getLogger(__name__)

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


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


def integer_field(payload, name):
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise InvalidInput(_l("The field %(name)s must be a positive whole number.", name=name), code=f"{name}_invalid")
    return value
