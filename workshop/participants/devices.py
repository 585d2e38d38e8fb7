"""The anonymous device token: a signed cookie that is a phone's only identity.

The cookie holds a random token signed with the app's secret key, so a forged
or altered cookie is refused. It never changes for the life of the cookie,
which is also what lets a load balancer keep one phone on one worker.
"""

from itsdangerous import BadSignature, Signer

from workshop.core.security import new_token, token_digest

_SALT = "tavoli-device"


def _signer(secret_key):
    return Signer(secret_key, salt=_SALT)


def read_device_token(secret_key, cookie_value):
    """The token inside a device cookie, or None if it is missing or forged."""
    if not cookie_value:
        return None
    try:
        return _signer(secret_key).unsign(cookie_value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def new_device_cookie(secret_key):
    """A fresh (token, cookie value) pair."""
    token = new_token()
    return token, _signer(secret_key).sign(token).decode()


def device_digest(secret_key, token):
    return token_digest(secret_key, "device:" + token)
