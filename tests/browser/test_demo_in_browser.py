"""A new organizer's first minutes: an empty dashboard says what to do, one button loads the demo, and the
demo's event page, projector, phone page and plenary are alive and marked as a demo."""

import re

from playwright.sync_api import expect

from .conftest import LAPTOP, PHONE, PROJECTOR
from .test_whole_event_in_browser import log_in


def test_a_new_organizer_loads_the_demo_and_finds_a_whole_morning(app_server, organizer, pages):
    laptop = pages.page(pages.context(**LAPTOP), "laptop")
    log_in(laptop, app_server, organizer)
    expect(laptop.get_by_role("heading", name="Your next step")).to_be_visible()
    # Building the morning takes a few seconds: longer than a click's usual wait for its page.
    with laptop.expect_navigation(url=re.compile(r"/organize/events/\d+$"), timeout=120_000):
        laptop.get_by_role("button", name="Load the demo event").click(no_wait_after=True)
    expect(laptop.locator("h1 .demo-badge")).to_have_text(re.compile("demo", re.I))
    expect(laptop.locator(".demo-banner")).to_contain_text("This is the demo event")
    expect(laptop.locator("section.theme")).to_have_count(5)

    # The first table (in results) on the wall: its ranking, and the badge.
    projector_url = laptop.get_by_role("link", name="Projector", exact=True).first.get_attribute("href")
    wall = pages.page(laptop.context, "projector")  # the organizer's own laptop, on the wall
    wall.set_viewport_size(PROJECTOR)
    wall.goto(app_server.url + projector_url)
    expect(wall.locator(".wall-theme .demo-badge")).to_be_visible()
    expect(wall.locator("#ranking li").first).to_be_visible()
    join_code = wall.locator(".join-code").inner_text().strip()

    phone = pages.page(pages.context(**PHONE), "phone")
    phone.goto(f"{app_server.url}/j/{join_code}")
    expect(phone.locator(".phone-bar .demo-badge")).to_be_visible()

    laptop.get_by_role("link", name="Plenary dashboard").click()
    expect(laptop.locator(".plenary-theme")).to_have_count(5)
    expect(laptop.locator("h1 .demo-badge")).to_be_visible()
    pages.assert_no_errors()
