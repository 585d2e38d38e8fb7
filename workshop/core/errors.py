"""Domain errors: one type per kind of refusal, each with a stable code.

Operations raise these; the two boundaries map them once: HTTP handlers to a
status and a page or JSON body (workshop/core/web.py), Socket.IO handlers to
an error acknowledgement (workshop/core/sockets.py). Messages are translated
lazily, so they come out in the language of whoever asked.
"""

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _l("The request could not be completed.")

    def __init__(self, message=None, *, code=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(str(self.code))

    def as_dict(self):
        return {"code": self.code, "message": str(self.message)}


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400
    default_message = _l("Some of the data sent is not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _l("That does not exist (any more).")


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403
    default_message = _l("You are not allowed to do that.")


class NotJoined(DomainError):
    code = "not_joined"
    status = 403
    default_message = _l("Join the table first: scan its QR code or type its join code.")


class WrongPhase(DomainError):
    code = "wrong_phase"
    status = 409
    default_message = _l("That is not possible in the table's current phase.")


class BudgetExceeded(DomainError):
    code = "budget_exceeded"
    status = 409
    default_message = _l("You have no dots left. Take one back from another need to move it.")


class NeedCapReached(DomainError):
    code = "need_cap_reached"
    status = 409
    default_message = _l("You have already given this need as many dots as allowed.")


class NoDotToWithdraw(DomainError):
    code = "no_dot"
    status = 409
    default_message = _l("You have no dot on this need to take back.")


class ActionIdReused(DomainError):
    code = "action_id_reused"
    status = 409
    default_message = _l("This action id was already used for a different action.")


class LinkInvalid(DomainError):
    code = "link_invalid"
    status = 404
    default_message = _l("This link is not valid any more. Ask for a new one.")


class RateLimited(DomainError):
    """Too many actions of one kind in a short time; retry_after says when to try again (seconds)."""

    code = "rate_limited"
    status = 429
    default_message = _l("Too many attempts in a short time. Wait a moment and try again.")

    def __init__(self, retry_after, message=None):
        self.retry_after = retry_after
        super().__init__(message)

    def as_dict(self):
        return {**super().as_dict(), "retry_after": self.retry_after}
