"""A phone the server turns away is told why, instead of reconnecting for ever."""

from playwright.sync_api import expect

from .conftest import LAPTOP, PHONE
from .test_table_in_browser import set_up_table


def test_a_phone_arriving_before_the_event_opens_is_told_so(pages, app_server, organizer):
    laptop = pages.page(pages.context(**LAPTOP), "laptop")
    _console_url, _projector_url, code = set_up_table(laptop, app_server, organizer)
    laptop.locator("form[action$='/status'] button[value=draft]").click()
    expect(laptop.locator("#status-heading")).to_contain_text("Draft")

    phone = pages.page(pages.context(**PHONE), "phone")
    phone.goto(f"{app_server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "refused")
    expect(phone.locator("#notice")).to_have_text(
        "This event has not started yet. Try again when the organizers open it."
    )
    # The refusal is final: the page stops trying (socket.io would retry a network failure).
    phone.wait_for_timeout(3000)
    expect(phone.locator("#status")).to_have_attribute("data-status", "refused")
    # Closing the refused connection may cut short a long-poll in flight, which the server
    # then answers 400 ("Invalid session"): that is the transport, not the page.
    assert [error for error in pages.errors if "/socket.io/" not in error[1]] == []
