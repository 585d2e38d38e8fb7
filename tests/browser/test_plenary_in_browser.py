"""The plenary in real browsers: two tables of one theme ranked together, live, and merged."""

import re

from playwright.sync_api import expect

from .conftest import LAPTOP, PHONE, PROJECTOR
from .test_table_in_browser import give_dot, need_item, post_need

NEED_A = "Buses after nine in the evening"
NEED_B = "Night buses <b>to</b> the hills & <script>x</script>"


def set_up_theme_with_two_tables(laptop, server, organizer):
    """Log in, create a live event with one theme of two tables; return (event url, [(console url, code)])."""
    laptop.goto(server.url + "/login")
    laptop.fill("#email", organizer.email)
    laptop.fill("#password", organizer.password)
    laptop.locator("main form button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/$"))
    event_form = laptop.locator("form.grid-form")
    event_form.locator("#title").fill("Plenary assembly")
    event_form.locator("#language").select_option("en")
    event_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))
    event_url = laptop.url
    theme_form = laptop.locator('form[action$="/themes"]')
    theme_form.locator("#name").fill("Mobility")
    theme_form.locator("#colour").fill("#2a7f62")
    theme_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))
    for name in ("North table", "South table"):
        table_form = laptop.locator('form[action$="/tables"]')
        table_form.locator("#table-name").fill(name)
        table_form.locator("button[type=submit]").click()
        laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))
    laptop.locator("form[action$='/status'] button[value=live]").click()
    expect(laptop.locator("#status-heading")).to_contain_text("Live")
    rows = laptop.locator("table.tables tbody tr")
    expect(rows).to_have_count(2)
    tables = []
    for number in range(2):
        row = rows.nth(number)
        tables.append((server.url + row.locator('a[href$="/console"]').get_attribute("href"),
                       row.locator("code.code").inner_text().strip()))
    return event_url, tables


def test_the_dashboard_ranks_two_tables_live_and_merges_across_them(app_server, organizer, pages):
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    event_url, tables = set_up_theme_with_two_tables(laptop, app_server, organizer)

    dashboard = pages.page(office, "dashboard")
    dashboard.goto(event_url + "/plenary")
    expect(dashboard.locator("#status")).to_have_attribute("data-status", "online")
    theme = dashboard.locator("section.plenary-theme")
    expect(theme).to_have_count(1)
    expect(theme.locator(".theme-name")).to_have_text("Mobility")
    expect(theme.locator(".no-needs")).to_be_visible()

    # One phone at each table posts a need and, once the vote opens, dots it.
    phones = []
    for (console_url, code), text, name in zip(tables, (NEED_A, NEED_B), ("phone-north", "phone-south"),
                                               strict=True):
        phone = pages.page(pages.context(**PHONE), name)
        phone.goto(f"{app_server.url}/j/{code}")
        expect(phone.locator("#status")).to_have_attribute("data-status", "online")
        post_need(phone, text)
        expect(need_item(phone, text)).to_have_count(1)
        console = pages.page(office, "console-" + name)
        console.goto(console_url)
        for phase in ("review", "vote"):
            console.locator("#phase-next").click()
            expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", phase)
        phones.append(phone)
    entries = theme.locator("li.plenary-entry")
    expect(entries).to_have_count(2)
    give_dot(phones[0], NEED_A)
    give_dot(phones[1], NEED_B)

    # Both rankings appear on the dashboard, live, as text.
    expect(dashboard.locator("#count-dots")).to_have_text("2")
    expect(dashboard.locator("#count-participants")).to_have_text("2")
    expect(dashboard.locator("#count-needs")).to_have_text("2")
    expect(entries.locator(".need-text")).to_have_text([NEED_A, NEED_B])
    expect(entries.locator(".dots")).to_have_text([re.compile(r"\b1\b"), re.compile(r"\b1\b")])
    expect(entries.first.locator(".raised")).to_contain_text("North table")
    expect(entries.nth(1).locator(".raised")).to_contain_text("South table")
    expect(dashboard.locator("#themes b, #themes script")).to_have_count(0)

    # The organizer merges the south need into the north one.
    south = entries.filter(has=dashboard.locator(".need-text", has_text="Night buses"))
    north_id = entries.first.get_attribute("data-need")
    south.locator("select.merge-target").select_option(north_id)
    south.locator("button.merge-button").click()
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".dots")).to_have_text(re.compile(r"\b2\b"))
    expect(entries.first.locator(".raised")).to_contain_text("2")
    expect(entries.first.locator(".merged-need")).to_contain_text(NEED_B)
    expect(dashboard.locator("#count-needs")).to_have_text("1")

    # And splits it off again.
    entries.first.locator("button.unmerge-button").click()
    expect(entries).to_have_count(2)
    expect(dashboard.locator("#count-dots")).to_have_text("2")
    assert pages.navigations("dashboard") == 1

    # The event projector shows the theme at full HD and at 1024x768.
    screen = pages.page(office, "screen")
    screen.set_viewport_size(PROJECTOR)
    screen.goto(event_url + "/plenary/screen?every=5")
    expect(screen.locator("#status")).to_have_attribute("data-status", "online")
    expect(screen.locator("#theme-name")).to_have_text("Mobility")
    expect(screen.locator("#ranking li.ranked")).to_have_count(2)
    expect(screen.locator("#count-dots")).to_have_text("2")
    screen.set_viewport_size({"width": 1024, "height": 768})
    expect(screen.locator("#ranking li.ranked").first).to_be_in_viewport()
    pages.assert_no_errors()


def test_the_event_projector_rotates_through_the_themes(app_server, organizer, pages):
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    event_url, _tables = set_up_theme_with_two_tables(laptop, app_server, organizer)
    theme_form = laptop.locator('form[action$="/themes"]')
    theme_form.locator("#name").fill("Housing")
    theme_form.locator("#colour").fill("#8a2be2")
    theme_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))

    screen = pages.page(office, "screen")
    screen.set_viewport_size(PROJECTOR)
    screen.goto(event_url + "/plenary/screen?every=2")
    expect(screen.locator("#status")).to_have_attribute("data-status", "online")
    expect(screen.locator("#theme-name")).to_have_text("Mobility")
    expect(screen.locator("#theme-name")).to_have_text("Housing", timeout=5000)
    expect(screen.locator("#theme-progress")).to_have_text(re.compile(r"2\D+2"))
    expect(screen.locator("#theme-name")).to_have_text("Mobility", timeout=5000)
    assert pages.navigations("screen") == 1
    pages.assert_no_errors()
