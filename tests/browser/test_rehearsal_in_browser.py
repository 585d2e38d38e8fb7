"""A facilitator rehearses a table in a real browser, on the real server:
simulated participants fill the projector, every screen says it is a
rehearsal, a server restart stops the simulator until Start is pressed again,
and ending the rehearsal takes everything simulated away."""

import re

import pytest
from playwright.sync_api import expect

from tests.servers import AppServer

from .conftest import LAPTOP, PHONE, PROJECTOR
from .test_table_in_browser import post_need, set_up_table

BANNER = "Rehearsal: simulated participants"
REAL = "A bench in the square"


@pytest.fixture(scope="module")
def app_server():
    # A rehearsal "minute" of 3 s: the fast pace acts every 50 ms.
    server = AppServer(env={"REHEARSAL_MINUTE_S": "3"})
    server.start()
    yield server
    server.stop()


def test_a_facilitator_rehearses_the_table_and_clears_it(app_server, organizer, pages):
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    console_url, projector_url, code = set_up_table(laptop, app_server, organizer)
    console = pages.page(office, "console")
    console.goto(console_url)
    projector = pages.page(office, "projector")
    projector.set_viewport_size(PROJECTOR)
    projector.goto(projector_url)
    phone = pages.page(pages.context(**PHONE), "phone")
    phone.goto(f"{app_server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    post_need(phone, REAL)
    for page in (console, projector, phone):
        expect(page.locator("#rehearsal-banner")).to_be_hidden()
    expect(console.locator("#rehearsal-state")).to_have_text("No rehearsal at this table.")

    console.fill("#rehearsal-participants", "4")
    console.select_option("#rehearsal-pace", "fast")
    console.get_by_role("button", name="Start rehearsal").click()
    for page in (console, projector, phone):
        expect(page.locator("#rehearsal-banner")).to_have_text(BANNER)
        expect(page.locator("#rehearsal-banner")).to_be_visible()
    expect(console.locator("#rehearsal-state")).to_have_text("The rehearsal is running: 60 actions a minute.")
    expect(projector.locator("#count-simulated")).to_have_text("4")
    expect(console.locator("#count-joined")).to_have_text("1")  # the one real phone
    simulated_on_wall = projector.locator("ul#needs li.need", has=projector.locator(".tag.simulated"))
    expect(simulated_on_wall).to_have_count(8)  # four simulated participants, two needs each
    expect(projector.locator("ul#needs li.need", has_text=REAL).locator(".tag.simulated")).to_have_count(0)
    expect(phone.locator("#needs .tag.simulated").first).to_have_text("simulated")
    expect(console.locator("ul#needs .tag.simulated")).to_have_count(8)

    # A restart of the server stops the simulator; Start again resumes it.
    console.locator("#phase-next").click()
    expect(projector.locator("#table")).to_have_attribute("data-phase", "review")
    app_server.restart()
    expect(console.locator("#status")).to_have_attribute("data-status", "online", timeout=20_000)
    console.locator("#phase-next").click()
    expect(projector.locator("#table")).to_have_attribute("data-phase", "vote")
    projector.wait_for_timeout(500)  # ten ticks of the fast pace: no dot comes
    expect(projector.locator("#count-dots")).to_have_text("0")
    # The console says so: the restart stopped the rehearsal (its simulated participants stay).
    expect(console.locator("#rehearsal-state")).to_have_text(
        "The rehearsal is stopped. Simulated participants at the table: 4.")
    console.get_by_role("button", name="Start rehearsal").click()
    expect(projector.locator("#count-dots")).to_have_text("12")  # four simulated participants, three dots each
    expect(projector.locator("#ranking .tag.simulated").first).to_be_visible()

    console.get_by_role("button", name="Stop").click()
    expect(console.locator("#rehearsal-state")).to_have_text(
        "The rehearsal is stopped. Simulated participants at the table: 4.")
    expect(phone.locator("#rehearsal-banner")).to_be_visible()

    console.get_by_role("button", name="End rehearsal and remove simulated participants").click()
    for page in (console, projector, phone):
        expect(page.locator("#rehearsal-banner")).to_be_hidden()
    expect(projector.locator("#count-simulated-box")).to_be_hidden()
    expect(projector.locator("#count-dots")).to_have_text("0")
    expect(console.locator("ul#needs li.need")).to_have_count(1)
    expect(console.locator("#rehearsal-state")).to_have_text("No rehearsal at this table.")
    expect(console.get_by_role("button", name=re.compile("^End rehearsal"))).to_be_hidden()
    # Only the reconnection attempts while the server was down may have failed.
    assert [error for error in pages.errors if "ERR_CONNECTION_REFUSED" not in error[1]] == []
