"""Structured logs, and the app's own access log.

Every line is one record: `key=value` pairs (LOG_FORMAT=text, the default)
or one JSON object (LOG_FORMAT=json). A record's fields are its message plus
whatever the call passes in `extra`:

    log.info("organisation added", extra={"organisation": 5, "account": 3})
    -> time=2026-11-25T09:12:03.412Z level=info logger=workshop.events.organisations
       msg="organisation added" organisation=5 account=3

What is never logged: IP addresses, user agents, cookies, device tokens,
participants' names, and request paths (a path can carry a one-time token:
/invite/<token>, /setup/<token>). The access log names the route's pattern
(`/invite/<token>`), never the path that was asked for. The servers' own access
logs (eventlet, gevent, Werkzeug), which print the client's address and the
whole request line, are off (workshop/serve.py).
"""

import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import g, request

ACCESS_LOGGER = "workshop.access"

# The attributes every LogRecord has; anything else on a record came in `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def record_fields(record):
    """The record as ordered fields: time, level, logger, msg, the extras, then any error."""
    fields = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and key not in fields:
            fields[key] = value
    if record.exc_info and record.exc_info[0] is not None:
        fields["error"] = record.exc_info[0].__name__
        fields["traceback"] = logging.Formatter().formatException(record.exc_info)
    return fields


def _logfmt_value(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text and not any(char in text for char in ' "=\\') and text.isprintable():
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    escaped = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in escaped)
    return f'"{escaped}"'


class KeyValueFormatter(logging.Formatter):
    """One line of key=value pairs (logfmt); values with spaces or quotes are quoted."""

    def format(self, record):
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in record_fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record):
        return json.dumps(record_fields(record), ensure_ascii=False, default=str)


FORMATTERS = {"text": KeyValueFormatter, "json": JsonFormatter}


def configure_logging(log_format="text", level=logging.INFO):
    """Send every log record to standard error, one structured line each.

    Replaces the handler an earlier call installed (tests build many apps),
    and leaves other handlers alone.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "tavoli", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.tavoli = True
    handler.setFormatter(FORMATTERS.get(log_format, KeyValueFormatter)())
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def route_of_request():
    """The pattern of the route that answered ("/invite/<token>"), or "-" when
    none did: never the path itself, which may carry a token."""
    rule = request.url_rule
    return rule.rule if rule is not None else "-"


def register_access_log(app):
    """Log one line per HTTP request: method, route pattern, status, duration."""
    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def _start_clock():
        g.tavoli_request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("tavoli_request_started")
        access.info("request", extra={
            "method": request.method, "route": route_of_request(), "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
        })
        return response
