"""Rate limits, keyed on who acts and never on the network address.

A whole hall reaches the app through one NAT address, so a limit per address
would stop everyone at once. A phone is known by its device cookie, an
account by its login, login attempts by the email typed. The keys kept in
the limits storage are keyed hashes made for this purpose only, so they
cannot be matched with the device digests in the database.

HTTP routes are limited with Flask-Limiter's decorators, with the key and
limit functions below. Socket.IO events are not HTTP requests: their handlers
call rate_limit() (through socket_action(limit=...)), which counts in the same
storage with the same strategy: memory for one process, or the Redis named by
RATELIMIT_STORAGE_URI, shared by every worker. Every limit is a setting
(config.py), in the `limits` notation ("15 per minute; 100 per hour").
"""

import logging
import math
import time
from contextlib import suppress
from datetime import timedelta

from flask import current_app, request
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from limits import parse_many

from workshop.core.errors import RateLimited
from workshop.core.security import token_digest
from workshop.extensions import limiter

log = logging.getLogger(__name__)

# The one key shared by every request that carries no device cookie and no
# login: phones opening a join link for the first time (and anyone who drops
# their cookies).
NO_DEVICE = "no-device"
# The key of limits counted for the whole server.
EVERYONE = "everyone"
# Unknown codes a phone may send while the server is being guessed at (see check_join_misses).
MISSES_WHILE_GUESSED = 3


def _hashed(kind, value):
    digest = token_digest(current_app.config["SECRET_KEY"], f"limits:{kind}:{value}")
    return f"{kind}:{digest[:32]}"


def device_key():
    """The limits key of the phone behind this request (its signed device cookie), or None."""
    from workshop.participants.devices import read_device_token  # the cookie's format belongs to participants

    config = current_app.config
    token = read_device_token(config["SECRET_KEY"], request.cookies.get(config["DEVICE_COOKIE_NAME"]))
    return _hashed("device", token) if token else None


def actor_key():
    """Who acts: the phone (its device cookie), else the logged-in account, else NO_DEVICE."""
    key = device_key()
    if key:
        return key
    if current_user.is_authenticated:
        return _hashed("account", current_user.id)
    return NO_DEVICE


def email_key(email):
    """The key of the login attempts made for one email address (as normalised)."""
    return _hashed("login", email)


def join_limit():
    """How often one phone may open join links; phones with no device cookie share one larger allowance."""
    setting = "RATELIMIT_JOIN_NEW_DEVICES" if actor_key() == NO_DEVICE else "RATELIMIT_JOIN"
    return current_app.config[setting]


def rate_limit(setting, key=None):
    """Count one action against the limits in config[setting], for key (who acts, by default).

    Raises RateLimited, saying when to try again, once they are used up; the
    refused action is not counted. If the storage cannot be reached the
    action goes through and the failure is logged.
    """
    _apply(setting, key or actor_key(), count=True)


def check_rate_limit(setting, key):
    """Raise RateLimited if the limits in config[setting] are used up for key, without counting anything."""
    _apply(setting, key, count=False)


def _apply(setting, key, count):
    if not limiter.enabled:
        return
    try:
        strategy = limiter.limiter
        allowed = strategy.hit if count else strategy.test
        for item in parse_many(current_app.config[setting]):
            if not allowed(item, *_identifiers(key, setting)):
                raise _refusal(strategy, item, key, setting)
    except RateLimited:
        raise
    except Exception:
        log.warning("rate limit %s could not be %s; the action goes through", setting,
                    "counted" if count else "checked", exc_info=True)


def check_join_misses():
    """Refuse a join lookup, before looking the code up, from a phone or account that has
    sent too many unknown codes: it then learns nothing, whatever code it sends.

    While the whole server receives more unknown codes than a hall could
    mistype (RATELIMIT_JOIN_MISSES_ALL), a phone that sent MISSES_WHILE_GUESSED
    of them in the longest window of RATELIMIT_JOIN_MISSES is refused too:
    someone collecting device cookies to guess with then gets that many
    guesses per cookie and day.
    """
    key = actor_key()
    if key == NO_DEVICE:
        return
    check_rate_limit("RATELIMIT_JOIN_MISSES", key)
    try:
        strategy = limiter.limiter if limiter.enabled else None
        guessed = strategy and _used_up(strategy, "RATELIMIT_JOIN_MISSES_ALL", EVERYONE)
        if not guessed:
            return
        # Counted over the longest window (a day by default), so that a cookie
        # kept aside does not earn new guesses every few minutes.
        item = max(parse_many(current_app.config["RATELIMIT_JOIN_MISSES"]), key=lambda item: item.get_expiry())
        misses = item.amount - strategy.get_window_stats(item, *_identifiers(key, "RATELIMIT_JOIN_MISSES")).remaining
    except Exception:
        log.warning("join misses could not be checked; the lookup goes through", exc_info=True)
        return
    if misses >= MISSES_WHILE_GUESSED:
        # Try again once the server's window has passed.
        raise _refusal(strategy, guessed, EVERYONE, "RATELIMIT_JOIN_MISSES_ALL")


def count_join_miss():
    """Count a join code that matched no table, for the whole server and for whoever sent it.

    Requests with no device cookie count only for the whole server: they
    share one key, and a stranger's typos must not lock out every phone
    arriving for the first time (their lookups all count against
    RATELIMIT_JOIN_NEW_DEVICES).
    """
    # Already at a limit: the next lookup is refused, this one was answered.
    with suppress(RateLimited):
        rate_limit("RATELIMIT_JOIN_MISSES_ALL", EVERYONE)
    key = actor_key()
    if key != NO_DEVICE:
        with suppress(RateLimited):
            rate_limit("RATELIMIT_JOIN_MISSES", key)


def _used_up(strategy, setting, key):
    """The first of the limits in config[setting] used up for key, or None."""
    return next((item for item in parse_many(current_app.config[setting])
                 if not strategy.test(item, *_identifiers(key, setting))), None)


def _identifiers(key, setting):
    return current_app.config["RATELIMIT_KEY_PREFIX"], key, setting.removeprefix("RATELIMIT_").lower()


def _refusal(strategy, item, key, setting):
    reset_at = strategy.get_window_stats(item, *_identifiers(key, setting)).reset_time
    seconds = retry_after_seconds(reset_at)
    log.info("rate limit %s reached (%s)", setting, item)
    return RateLimited(seconds, try_again_message(seconds))


def retry_after_seconds(reset_at):
    """Whole seconds from now until reset_at (a Unix time), at least 1."""
    return max(1, math.ceil(reset_at - time.time()))


def try_again_message(seconds):
    return _l("Too many attempts in a short time. Try again %(when)s.",
              when=format_timedelta(timedelta(seconds=seconds), add_direction=True))
