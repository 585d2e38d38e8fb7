"""A facilitator runs a table in a real browser: timer, own edits, review with
merge, hide, correct and pin, then a vote where the merged need's dots add up.
"""

import re

from playwright.sync_api import expect

from .conftest import LAPTOP, PHONE, PROJECTOR
from .test_table_in_browser import give_dot, need_item, post_need, set_up_table

BUS = "More evening buses to the outer districts"
BUS_AGAIN = "Buses in the evening for the suburbs"
TYPO = "Afordable housing for young famlies"
FIXED = "Affordable housing for young families"
SPAM = "Buy cheap watches"
# Neither shares a word with another need: has_text matches substrings.
STUDY = "Study rooms"
STUDY_FIXED = "Study rooms open at night"


def console_need(console, text):
    return console.locator("ul#needs > li.need").filter(has=console.locator(":scope > .need-text", has_text=text))


def test_a_facilitator_runs_review_timer_and_merges(app_server, organizer, pages):
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    console_url, projector_url, code = set_up_table(laptop, app_server, organizer)
    console = pages.page(office, "console")
    console.goto(console_url)
    projector = pages.page(office, "projector")
    projector.set_viewport_size(PROJECTOR)
    projector.goto(projector_url)
    anna = pages.page(pages.context(**PHONE), "anna")
    bruno = pages.page(pages.context(**PHONE), "bruno")
    for phone in (anna, bruno):
        phone.goto(f"{app_server.url}/j/{code}")
        expect(phone.locator("#status")).to_have_attribute("data-status", "online")

    # The facilitator gives the collection ten minutes: phones and projector count down.
    console.fill("#timer-minutes", "10")
    console.locator("#timer-form button[type=submit]").click()
    expect(anna.locator("#timer")).to_have_text(re.compile(r"\b(10:00|9:5\d)\b"))
    expect(projector.locator("#timer")).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    console.locator("#timer-pause").click()
    expect(console.locator("#timer-resume")).to_be_visible()

    # Needs arrive; Anna fixes her own, Bruno deletes his spam.
    post_need(anna, BUS)
    post_need(anna, STUDY)
    post_need(bruno, BUS_AGAIN)
    post_need(bruno, SPAM)
    post_need(bruno, TYPO)
    expect(need_item(anna, STUDY)).to_have_count(1)
    need_item(anna, STUDY).locator("button", has_text="Edit").click()
    anna.locator("form.edit-form textarea").fill(STUDY_FIXED)
    anna.locator("form.edit-form button[type=submit]").click()
    expect(need_item(bruno, STUDY_FIXED)).to_have_count(1)
    bruno.on("dialog", lambda dialog: dialog.accept())
    need_item(bruno, SPAM).locator("button", has_text="Delete").click()
    expect(need_item(anna, SPAM)).to_have_count(0)
    expect(projector.locator("ul#needs li.need")).to_have_count(4)

    # Review: merge the two bus needs, correct the typo, hide one, pin one.
    console.locator("#phase-next").click()
    expect(anna.locator("#table")).to_have_attribute("data-phase", "review")
    expect(anna.locator("#post-form")).to_be_hidden()
    expect(console.locator("#timer")).to_have_text(re.compile("No timer"))  # a new phase starts without one

    duplicate = console_need(console, BUS_AGAIN)
    duplicate.locator("select.merge-select").select_option(label=BUS)
    duplicate.locator("button", has_text=re.compile("^Merge$")).click()
    expect(console_need(console, BUS).locator(".merged-needs li")).to_have_count(1)
    for phone in (anna, bruno):
        expect(need_item(phone, BUS_AGAIN)).to_have_count(0)
        expect(need_item(phone, BUS)).to_have_count(1)

    console_need(console, TYPO).locator("button", has_text="Correct").click()
    console.locator("ul#needs form.edit-form textarea").fill(FIXED)
    console.locator("ul#needs form.edit-form button[type=submit]").click()
    expect(need_item(bruno, FIXED)).to_have_count(1)
    expect(console_need(console, FIXED).locator(".muted", has_text=TYPO)).to_have_count(1)

    console_need(console, STUDY_FIXED).locator("button", has_text="Hide").click()
    expect(projector.locator("ul#needs li.need")).to_have_count(2)
    expect(need_item(anna, STUDY_FIXED)).to_have_count(0)

    console_need(console, FIXED).locator("button", has_text=re.compile("^Pin$")).click()
    expect(projector.locator("ul#needs li.need").first).to_contain_text(FIXED)
    expect(projector.locator("ul#needs li.need.pinned")).to_have_count(1)

    # Vote: both give a dot to the bus need; the merged group shows 2.
    console.locator("#phase-next").click()
    expect(bruno.locator("#table")).to_have_attribute("data-phase", "vote")
    give_dot(anna, BUS)
    give_dot(bruno, BUS)
    ranked = projector.locator("ol#ranking li.ranked")
    expect(ranked.first.locator(".need-text")).to_have_text(BUS)
    expect(ranked.first.locator(".dots")).to_have_text(re.compile(r"\b2\b"))
    expect(console.locator("#ranking li.ranked").first.locator(".dots")).to_have_text(re.compile(r"\b2\b"))

    # Unmerge during the vote: the duplicate comes back to phones.
    console_need(console, BUS).locator(".merged-needs button", has_text="Unmerge").click()
    expect(need_item(anna, BUS_AGAIN)).to_have_count(1)

    for name in ("console", "projector", "anna", "bruno"):
        assert pages.navigations(name) == 1, name
    pages.assert_no_errors()
