"""Shared by the security tests: the morning the export tests build (named
participants, organisations, merges, a facilitator) for the privacy tests; the
error log watcher and the figures of the run for the bad-input tests (inputs
tried per target, printed at the end of the session for the issue note).
"""

import logging
import sys

import pytest

from tests.conftest import login
from tests.exports.conftest import day  # noqa: F401 (a fixture, found here by pytest)


class ErrorRecords(logging.Handler):
    """Every record logged at ERROR or above, from any logger."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def take(self):
        """The records so far, as text with their traceback; forgets them."""
        taken, self.records = self.records, []
        return [f"{record.name}: {record.getMessage()}\n{record.exc_text or ''}" for record in taken]


@pytest.fixture
def error_log():
    """What was logged at ERROR or above during the test (the app logs every exception it catches)."""
    handler = ErrorRecords()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


def organizer_client(app, email="organizer@example.org"):
    """A browser logged in as the account with this email (World.account()'s default)."""
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def refused(ack, code):
    """Whether a Socket.IO acknowledgement is the refusal `code`, with a message."""
    return ack["ok"] is False and ack["error"]["code"] == code and bool(ack["error"]["message"])


def pytest_terminal_summary(terminalreporter):
    fuzzing = sys.modules.get("tests.security.test_bad_input")
    tried = fuzzing.TRIED if fuzzing else {}
    if not tried:
        return
    terminalreporter.section("bad inputs tried")
    terminalreporter.write_line(f"{sum(tried.values())} inputs over {len(tried)} targets")
    for target, count in sorted(tried.items()):
        terminalreporter.write_line(f"{count:5d}  {target}")
