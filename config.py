"""Settings for Tavoli, one class per environment.

Every setting is read here and nowhere else; each can be overridden by an
environment variable of the same name. The defaults are the embedded set-up:
SQLite in the instance folder, one eventlet process, bound to every interface
so that phones on the hall network can reach it.
"""

import os


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _env_int(name, default):
    return int(_env(name, default))


def _env_float(name, default):
    return float(_env(name, default))


def _env_bool(name, default):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    # Where phones reach the app. When unset, the QR code uses the address the
    # organizer browsed to, or else this machine's LAN address: never localhost.
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL")
    HOST = _env("HOST", "0.0.0.0")
    PORT = _env_int("PORT", 5000)

    # None means: read instance/secret_key, creating it on first run.
    SECRET_KEY = _env("SECRET_KEY")
    # None means: SQLite in the instance folder (see workshop/core/database.py).
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    # "FULL": every commit is on disk before it is acknowledged, and survives a
    # power cut (measured: about 4 ms more per write). "NORMAL": faster, but a
    # power cut may take back the last commits (a crash of the server may not).
    SQLITE_SYNCHRONOUS = _env("SQLITE_SYNCHRONOUS", "FULL").upper()

    # "eventlet" is the product's default; "gevent" and "threading" also work.
    SOCKETIO_ASYNC_MODE = _env("SOCKETIO_ASYNC_MODE", "eventlet")
    # A Redis URL joins several worker processes (scale-out); None = one process.
    SOCKETIO_MESSAGE_QUEUE = _env("SOCKETIO_MESSAGE_QUEUE")
    # Comma-separated extra origins allowed to open a Socket.IO connection;
    # the app's own origin is always allowed.
    SOCKETIO_CORS_ORIGINS = _env("SOCKETIO_CORS_ORIGINS")
    # Largest Socket.IO message accepted, in bytes (a need is at most 280 characters).
    SOCKETIO_MAX_MESSAGE_BYTES = _env_int("SOCKETIO_MAX_MESSAGE_BYTES", 16 * 1024)
    # Largest HTTP request body accepted, in bytes.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024)
    # Tallies are coalesced: at most one broadcast per table per interval.
    TALLY_INTERVAL_S = _env_float("TALLY_INTERVAL_S", 0.1)

    # Rehearsal mode: how long a "minute" of the simulator's pace lasts (tests
    # shorten it), and when a running simulator stops by itself.
    REHEARSAL_MINUTE_S = _env_float("REHEARSAL_MINUTE_S", 60.0)
    REHEARSAL_MAX_S = _env_float("REHEARSAL_MAX_S", 2 * 3600.0)
    REHEARSAL_MAX_ACTIONS = _env_int("REHEARSAL_MAX_ACTIONS", 1000)

    # eventlet's own defaults (1,024 connections, a backlog of 50) make part of
    # a QR-scan burst hang in the handshake.
    SERVER_MAX_CONNECTIONS = _env_int("SERVER_MAX_CONNECTIONS", 10000)
    SERVER_BACKLOG = _env_int("SERVER_BACKLOG", 2048)
    # One structured line per HTTP request (method, route pattern, status,
    # time), never the client's address or the path asked for. The servers'
    # own access logs, which print both, stay off (workshop/serve.py).
    SERVER_ACCESS_LOG = _env_bool("SERVER_ACCESS_LOG", False)
    # Log lines as key=value pairs ("text") or as JSON objects ("json").
    LOG_FORMAT = _env("LOG_FORMAT", "text")

    BABEL_DEFAULT_LOCALE = _env("DEFAULT_LOCALE", "it")
    LANGUAGES = ("it", "en")

    # Hall networks usually serve plain HTTP on the LAN, where Secure cookies
    # would never be sent back; behind HTTPS turn this on (it is derived from
    # PUBLIC_BASE_URL when that is an https:// address).
    COOKIE_SECURE = _env_bool("COOKIE_SECURE", (PUBLIC_BASE_URL or "").startswith("https://"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    DEVICE_COOKIE_NAME = "tavoli_device"
    DEVICE_COOKIE_DAYS = _env_int("DEVICE_COOKIE_DAYS", 30)
    # One-time links (first organizer set-up) stop working after this many hours.
    SETUP_LINK_HOURS = _env_int("SETUP_LINK_HOURS", 24)
    # Links inviting a facilitator into an event stop working after this many hours.
    INVITE_VALID_HOURS = _env_int("INVITE_VALID_HOURS", 72)

    # Rate limits (see docs/security.md), each in the `limits` notation:
    # "N per minute", several separated by ";". They are keyed on who acts
    # (a phone's device cookie, an account, the email typed at login), never
    # on the address: a whole hall shares one NAT address. Where the counts
    # are kept: memory:// (one process), or a Redis URL shared by workers.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STRATEGY = "sliding-window-counter"
    RATELIMIT_KEY_PREFIX = "tavoli"
    # A storage that cannot be reached lets everything through (and is logged):
    # a meeting must not stop because the limits cannot be counted.
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that stops answering costs an action at most a second, not a hang.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Opening a table's page (/j/<code>, the join form) per phone; phones
    # without a device cookie yet (a hall scanning the QR code at once) share
    # one, larger, allowance; unknown codes (typos, or someone guessing) per phone.
    RATELIMIT_JOIN = _env("RATELIMIT_JOIN", "60 per minute")
    # Sized for a hall of thousands scanning at once (`make bench` joins 5,000
    # phones in under 30 seconds); the hourly cap bounds how many device
    # cookies a script can collect in a day (docs/security.md).
    RATELIMIT_JOIN_NEW_DEVICES = _env("RATELIMIT_JOIN_NEW_DEVICES", "10000 per minute; 30000 per hour")
    RATELIMIT_JOIN_MISSES = _env("RATELIMIT_JOIN_MISSES", "10 per 10 minutes; 20 per day")
    # Unknown codes from everyone together, beyond what a hall mistypes: past
    # it, a phone that sent 3 unknown codes that day is refused as well.
    RATELIMIT_JOIN_MISSES_ALL = _env("RATELIMIT_JOIN_MISSES_ALL", "300 per 10 minutes")
    # Per participant (every tab of a phone together): needs posted, edited or
    # deleted; dots given or taken back; profile changes. A participant posts
    # perhaps 10 needs in a 20-minute collection.
    RATELIMIT_NEEDS = _env("RATELIMIT_NEEDS", "15 per minute; 100 per hour")
    RATELIMIT_DOTS = _env("RATELIMIT_DOTS", "60 per minute; 600 per hour")
    RATELIMIT_PROFILE = _env("RATELIMIT_PROFILE", "10 per minute; 60 per hour")
    # Failed logins per email address typed, and every login attempt together
    # (each costs a password hash, which holds the whole eventlet process).
    RATELIMIT_LOGIN = _env("RATELIMIT_LOGIN", "10 per 10 minutes")
    RATELIMIT_LOGIN_ALL = _env("RATELIMIT_LOGIN_ALL", "120 per minute")
    # Participants' names and device digests, and facilitator invitations, are
    # deleted this many days after their event was closed (the needs, dots and
    # results stay, anonymous): `flask purge-personal-data`, and at every start.
    DATA_RETENTION_DAYS = _env_int("DATA_RETENTION_DAYS", 180)

    WTF_CSRF_TIME_LIMIT = None  # a form left open through a long meeting must still submit
    # Every browser in use takes brotli; gzip for the rest. (zstd, Flask-Compress's
    # first choice, saves little here and is not in every phone's browser.)
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
    SQLALCHEMY_TRACK_MODIFICATIONS = False


class DevelopmentConfig(Config):
    DEBUG = True


class ProductionConfig(Config):
    pass


class TestingConfig(Config):
    TESTING = True
    # The in-process Socket.IO test client needs real threads; the tests that
    # start a real server process run it with the production async mode.
    SOCKETIO_ASYNC_MODE = "threading"
    TALLY_INTERVAL_S = 0.02
    # A rehearsal a test starts and leaves running ends within a minute.
    REHEARSAL_MAX_S = 60.0
    SERVER_ACCESS_LOG = False
    # In-process tests need no protection from power cuts; the real-server tests run with the default.
    SQLITE_SYNCHRONOUS = "NORMAL"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_for(name=None):
    """The config class for TAVOLI_ENV (production unless told otherwise)."""
    return CONFIGS[name or _env("TAVOLI_ENV", "production")]
