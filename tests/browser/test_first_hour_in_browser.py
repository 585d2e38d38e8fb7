"""The first hour with the app, as a new organizer lives it, guided only by the in-app Help: read the guide,
load the demo, rehearse a table with simulated participants, show its projector, look at the plenary and
download the PDF minutes, which leave the rehearsal out."""

import csv
import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

from tests.servers import AppServer

from .conftest import LAPTOP, PHONE, PROJECTOR
from .test_whole_event_in_browser import log_in

BANNER = "Rehearsal: simulated participants"
# The demo's table that is still collecting needs when the demo is loaded, in the Italian event and its
# English twin, and one of its needs (workshop/demo/content.py); the CSV's separator in each language.
COLLECTING_TABLE = {"Formazione e imprese": ("Un elenco condiviso delle imprese disposte ad accogliere tirocini.", ";"),
                    "Training and businesses": ("A shared list of businesses willing to host traineeships.", ",")}


@pytest.fixture(scope="module")
def app_server():
    # A rehearsal "minute" of 3 s: the fast pace acts every 50 ms.
    server = AppServer(env={"REHEARSAL_MINUTE_S": "3"})
    server.start()
    yield server
    server.stop()


def normalised(text):
    return " ".join(text.split())


def test_a_new_organizer_follows_the_guide_from_the_demo_to_the_minutes(app_server, organizer, pages):
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    log_in(laptop, app_server, organizer)

    # 1. Help, from the header: the organizers' guide says how to try the app on the demo.
    laptop.get_by_role("navigation", name="Main").get_by_role("link", name="Help").click()
    laptop.get_by_role("link", name="Guide for organizers").click()
    demo_section = laptop.get_by_role("heading", name=re.compile("demo event"))
    expect(demo_section).to_be_visible()
    expect(laptop.locator("main")).to_contain_text("Load the demo event")
    expect(laptop.locator("main")).to_contain_text("Rehearsal")

    # 2. As the guide says: My events, Load the demo event.
    laptop.get_by_role("navigation", name="Main").get_by_role("link", name="My events").click()
    with laptop.expect_navigation(url=re.compile(r"/organize/events/\d+$"), timeout=120_000):
        laptop.get_by_role("button", name="Load the demo event").click(no_wait_after=True)
    event_url = laptop.url
    expect(laptop.locator(".demo-banner")).to_contain_text("This is the demo event")

    # 3. The table still collecting: its console, and its projector on the wall.
    row = laptop.locator("tr", has_text="Collecting needs")
    expect(row).to_have_count(1)
    table_name = row.locator("td").first.inner_text().strip()
    demo_need, separator = COLLECTING_TABLE[table_name]
    console_url = row.get_by_role("link", name="Console").get_attribute("href")
    console = pages.page(office, "console")
    console.goto(app_server.url + console_url)
    projector_url = console.get_by_role("link", name="Open projector view").get_attribute("href")
    wall = pages.page(office, "projector")
    wall.set_viewport_size(PROJECTOR)
    wall.goto(app_server.url + projector_url)
    # The demo's needs at this table, once the wall has drawn its snapshot.
    expect(wall.locator("#status")).to_have_attribute("data-status", "online")
    expect(wall.locator("ul#needs li.need").first).to_be_visible()
    needs_before = wall.locator("ul#needs li.need").count()
    join_code = wall.locator(".join-code").inner_text().strip()
    phone = pages.page(pages.context(**PHONE), "phone")
    phone.goto(f"{app_server.url}/j/{join_code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")

    # 4. Rehearse, as the facilitators' guide says: simulated participants fill the wall, marked.
    console.fill("#rehearsal-participants", "4")
    console.select_option("#rehearsal-pace", "fast")
    console.get_by_role("button", name="Start rehearsal").click()
    for page in (console, wall, phone):
        expect(page.locator("#rehearsal-banner")).to_have_text(BANNER)
    simulated = wall.locator("ul#needs li.need", has=wall.locator(".tag.simulated"))
    expect(simulated).to_have_count(8)  # four simulated participants, two needs each
    expect(wall.locator("ul#needs li.need")).to_have_count(needs_before + 8)
    simulated_texts = [normalised(text) for text in simulated.locator(".need-text").all_inner_texts()]
    assert all(simulated_texts)
    console.get_by_role("button", name="Stop").click()
    expect(console.locator("#rehearsal-state")).to_contain_text("stopped")

    # 5. The plenary: every theme, and nothing of the rehearsal.
    laptop.goto(event_url)
    laptop.get_by_role("link", name="Plenary dashboard").click()
    expect(laptop.locator(".plenary-theme")).to_have_count(5)
    plenary_text = normalised(laptop.locator("main").inner_text())
    assert not [text for text in simulated_texts if text in plenary_text]

    # 6. The minutes: the PDF and the CSV, downloaded from the event page, leave the rehearsal out.
    laptop.goto(event_url)
    with laptop.expect_download() as download:
        laptop.locator("#exports a", has_text="Report (PDF)").click()
    report = normalised(" ".join(page.extract_text() for page in pypdf.PdfReader(download.value.path()).pages))
    assert "Demo" in report and table_name in report
    assert not [text for text in simulated_texts if text in report]
    with laptop.expect_download() as download:
        laptop.locator("#exports a", has_text="CSV, one row per need").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(io.StringIO(file.read()), delimiter=separator))
    posted = {normalised(cell) for row in rows[1:] for cell in row}
    assert demo_need in posted
    assert not posted & set(simulated_texts)

    # 7. Ending the rehearsal takes the simulated needs off the wall; the demo's own stay.
    console.get_by_role("button", name="End rehearsal and remove simulated participants").click()
    expect(wall.locator("#rehearsal-banner")).to_be_hidden()
    expect(wall.locator("ul#needs li.need")).to_have_count(needs_before)
    pages.assert_no_errors()
