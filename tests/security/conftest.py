"""The morning the export tests build (tests/exports/conftest.py) serves the
privacy tests too: named participants, organisations, merges, a facilitator."""

from tests.exports.conftest import day  # noqa: F401 (a fixture, found here by pytest)
