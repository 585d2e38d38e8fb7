"""Bad hall Wi-Fi: what a phone sends while offline arrives once it is back, exactly once."""

import re
import sqlite3

from playwright.sync_api import expect

from .conftest import LAPTOP, PHONE
from .test_table_in_browser import set_up_table

FIRST, SECOND = "Sportello casa aperto il sabato", "Più educatori di strada"


def stored(server, sql):
    """Ask the server's own database, as the minutes will."""
    with sqlite3.connect(server.instance / "tavoli.sqlite3") as connection:
        return connection.execute(sql).fetchall()


def eventually_stored(page, server, sql, expected, seconds=10):
    for _ in range(seconds * 10):
        if stored(server, sql) == expected:
            return
        page.wait_for_timeout(100)
    assert stored(server, sql) == expected


def errors_besides_being_offline(pages):
    """Chromium logs every request it cannot make while offline; those are the point here."""
    return [error for error in pages.errors if "ERR_INTERNET_DISCONNECTED" not in error[1]]


def test_posts_and_dots_made_offline_reach_the_server_exactly_once(pages, app_server, organizer):
    laptop = pages.page(pages.context(**LAPTOP), "laptop")
    console_url, _projector_url, code = set_up_table(laptop, app_server, organizer)
    console = pages.page(laptop.context, "console")
    console.goto(console_url)

    phone_context = pages.context(**PHONE)
    phone = pages.page(phone_context, "phone")
    phone.goto(f"{app_server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")

    phone_context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-status", "offline")
    for text in (FIRST, SECOND):
        phone.fill("#need-text", text)
        phone.locator("#post-form button[type=submit]").click()
    expect(phone.locator("ul#needs li.need.pending")).to_have_count(2)  # kept on the phone
    assert stored(app_server, "SELECT count(*) FROM need") == [(0,)]

    # Every status the phone shows from now on, however briefly.
    phone.evaluate("""() => {
        const status = document.getElementById("status");
        window.statusesSeen = [];
        new MutationObserver(() => window.statusesSeen.push(status.dataset.status))
            .observe(status, {attributes: true, attributeFilter: ["data-status"]});
    }""")
    phone_context.set_offline(False)
    expect(phone.locator("#status")).to_have_attribute("data-status", "online", timeout=20_000)
    expect(phone.locator("ul#needs li.need.pending")).to_have_count(0, timeout=20_000)
    # Connected but still sending: it says so before it says all is well.
    seen = phone.evaluate("() => window.statusesSeen")
    assert "behind" in seen and seen.index("behind") < len(seen) - 1 and seen[-1] == "online", seen
    expect(phone.locator("ul#needs li.need .need-text")).to_have_count(2)
    eventually_stored(phone, app_server, "SELECT text FROM need ORDER BY text", sorted([(FIRST,), (SECOND,)]))

    console.locator("#phase-next").click()
    expect(phone.locator("#table")).to_have_attribute("data-phase", "review")
    console.locator("#phase-next").click()
    expect(phone.locator("#table")).to_have_attribute("data-phase", "vote")
    phone_context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-status", "offline")
    first_need = phone.locator("ul#needs li.need").filter(has_text=FIRST)
    first_need.locator("button.dot-button.primary").click()
    expect(phone.locator("#dots-left")).to_have_text(re.compile(r"\b2\b.*\b3\b"))  # shown at once
    assert stored(app_server, "SELECT count(*) FROM dot") == [(0,)]

    phone_context.set_offline(False)
    expect(phone.locator("#status")).to_have_attribute("data-status", "online", timeout=20_000)
    eventually_stored(phone, app_server, "SELECT count(*) FROM dot", [(1,)])

    # A reload keeps the phone's identity, its needs and its dot.
    phone.reload()
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    expect(phone.locator("ul#needs li.need .tag")).to_have_count(2)
    expect(phone.locator("#dots-left")).to_have_text(re.compile(r"\b2\b.*\b3\b"))
    assert stored(app_server, "SELECT count(*) FROM participant") == [(1,)]
    assert stored(app_server, "SELECT count(*) FROM need") == [(2,)]

    # Offline again, the dot moves from the first need to the second: both steps arrive, once each.
    phone_context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-status", "offline")
    first_need.locator("button.dot-button:not(.primary)").click()
    second_need = phone.locator("ul#needs li.need").filter(has_text=SECOND)
    second_need.locator("button.dot-button.primary").click()
    expect(phone.locator("#dots-left")).to_have_text(re.compile(r"\b2\b.*\b3\b"))
    phone_context.set_offline(False)
    expect(phone.locator("#status")).to_have_attribute("data-status", "online", timeout=20_000)
    dots_by_need = "SELECT need.text, count(dot.id) FROM dot JOIN need ON need.id = dot.need_id GROUP BY need.text"
    eventually_stored(phone, app_server, dots_by_need, [(SECOND, 1)])
    assert errors_besides_being_offline(pages) == []
