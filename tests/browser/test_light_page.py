"""The participant's page is light on hall Wi-Fi: its first load (HTML, CSS,
scripts, the Socket.IO client, the first live messages) is at most 60 KB on
the wire, nothing is fetched from another origin, and a reload costs little.
The figures are written to test-artifacts/phone-page-bytes.json.
"""

import json

from playwright.sync_api import expect

from .conftest import ARTIFACTS, LAPTOP, PHONE
from .test_table_in_browser import set_up_table

BUDGET_BYTES = 60 * 1024
RELOAD_BUDGET_BYTES = 12 * 1024

TRANSFERRED = """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
    .map(entry => ({url: entry.name, transferred: entry.transferSize, decoded: entry.decodedBodySize}))"""


def loaded(phone):
    """What the page fetched, once it is live."""
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    return phone.evaluate(TRANSFERRED)


def test_the_phone_page_loads_in_under_60_kb_from_its_own_origin(app_server, organizer, pages):
    laptop = pages.page(pages.context(**LAPTOP), "laptop")
    _console, _projector, code = set_up_table(laptop, app_server, organizer)
    phone = pages.page(pages.context(**PHONE), "phone")
    requested = []
    phone.on("request", lambda request: requested.append(request.url))

    phone.goto(f"{app_server.url}/j/{code}")
    first = loaded(phone)
    first_bytes = sum(entry["transferred"] for entry in first)
    decoded_bytes = sum(entry["decoded"] for entry in first)
    phone.reload()
    again = loaded(phone)
    reload_bytes = sum(entry["transferred"] for entry in again)

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "phone-page-bytes.json").write_text(json.dumps({
        "first_load_transferred": first_bytes, "first_load_decoded": decoded_bytes,
        "reload_transferred": reload_bytes, "requests": len(first), "entries": first,
    }, indent=2), encoding="utf-8")
    assert all(url.startswith(app_server.url + "/") for url in requested), requested
    assert first_bytes <= BUDGET_BYTES, first_bytes
    # Compression is what keeps it light: the page and its scripts are far larger unpacked.
    assert decoded_bytes > 2 * first_bytes, (decoded_bytes, first_bytes)
    assert reload_bytes <= RELOAD_BUDGET_BYTES, reload_bytes
