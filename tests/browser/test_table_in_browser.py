"""A whole table in real browsers, from set-up to results, with no reload and no error.

The organizer sets up an event, a theme and a table through the forms on a
laptop; the projector and the facilitator console follow the table live; two
phones join with the code, post needs, vote, and see the ranking.
"""

import re

from playwright.sync_api import expect

from .conftest import ARTIFACTS, LAPTOP, PHONE, PROJECTOR

NEED_A = "A place where young people can meet in the evening"
NEED_B = "Safer crossings near the school <b>bold</b> & <script>x</script>"
JOIN_CODE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{6}$")


def dots_left(left, budget):
    return re.compile(rf"\b{left}\b\D+\b{budget}\b")


def need_item(page, text):
    """The settled (not pending) item of a need on a phone's list."""
    return page.locator("ul#needs li.need:not(.pending)").filter(
        has=page.locator(".need-text", has_text=text)
    )


def set_up_table(laptop, server, organizer):
    """Log in, create an event, a theme and a table; return (console url, projector url, code)."""
    laptop.goto(server.url + "/login")
    laptop.fill("#email", organizer.email)
    laptop.fill("#password", organizer.password)
    laptop.locator("main form button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/$"))

    event_form = laptop.locator("form.grid-form")
    event_form.locator("#title").fill("Neighbourhood assembly")
    event_form.locator("#starts_on").fill("2031-05-17")
    event_form.locator("#venue").fill("Town hall")
    event_form.locator("#language").select_option("en")
    expect(event_form.locator("#dots_per_participant")).to_have_value("3")
    expect(event_form.locator("#max_dots_per_need")).to_have_value("1")
    event_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))
    expect(laptop.locator("h1")).to_have_text("Neighbourhood assembly")

    theme_form = laptop.locator('form[action$="/themes"]')
    theme_form.locator("#name").fill("Public space")
    theme_form.locator("#colour").fill("#2a7f62")
    theme_form.locator("#description").fill("Squares, parks and streets.")
    theme_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))

    table_form = laptop.locator('form[action$="/tables"]')
    expect(table_form.locator("#table-theme_id option")).to_have_count(1)
    table_form.locator("#table-name").fill("Table 1")
    table_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+$"))

    laptop.locator("form[action$='/status'] button[value=live]").click()
    expect(laptop.locator("#status-heading")).to_contain_text("Live")

    row = laptop.locator("table.tables tbody tr")
    expect(row).to_have_count(1)
    code = row.locator("code.code").inner_text().strip()
    assert JOIN_CODE.match(code), code
    console_url = row.locator('a[href$="/console"]').get_attribute("href")
    projector_url = row.locator('a[href$="/projector"]').get_attribute("href")
    assert re.fullmatch(r"/tables/\d+/console", console_url), console_url
    assert re.fullmatch(r"/tables/\d+/projector", projector_url), projector_url
    return server.url + console_url, server.url + projector_url, code


def post_need(phone, text):
    phone.locator("#need-text").fill(text)
    phone.locator("#post-form button[type=submit]").tap()


def give_dot(phone, text):
    need_item(phone, text).locator("button.dot-button.primary").tap()


def take_back_dot(phone, text):
    need_item(phone, text).locator("button.dot-button:not(.primary)").tap()


def test_a_whole_table_from_set_up_to_results(app_server, organizer, pages):
    # 1. The organizer sets the table up on a laptop.
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    console_url, projector_url, code = set_up_table(laptop, app_server, organizer)

    # 2. The projector (full HD) and the facilitator console, logged in.
    projector = pages.page(office, "projector")
    projector.set_viewport_size(PROJECTOR)
    projector.goto(projector_url)
    expect(projector.locator("#status")).to_have_attribute("data-status", "online")
    expect(projector.locator(".join-code")).to_have_text(code)
    expect(projector.locator("img.qr")).to_be_visible()
    qr = office.request.get(app_server.url + projector.locator("img.qr").get_attribute("src"))
    assert qr.ok and qr.headers["content-type"].startswith("image/svg+xml")
    assert projector.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    expect(projector.locator("#table")).to_have_attribute("data-phase", "collect")

    console = pages.page(office, "console")
    console.goto(console_url)
    expect(console.locator("#status")).to_have_attribute("data-status", "online")
    expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", "collect")

    # 3. Two phones join with the code.
    phone_a = pages.page(pages.context(**PHONE), "phone-a")
    phone_b = pages.page(pages.context(**PHONE), "phone-b")
    for phone in (phone_a, phone_b):
        phone.goto(f"{app_server.url}/j/{code}")
        expect(phone.locator("#status")).to_have_attribute("data-status", "online")
        expect(phone.locator("#table")).to_have_attribute("data-phase", "collect")
        expect(phone.locator("#post-form")).to_be_visible()
    expect(projector.locator("#count-online")).to_have_text("2")
    expect(console.locator("#count-online")).to_have_text("2")

    # 4. Each phone posts a need; everyone sees both, as text, without a reload.
    post_need(phone_a, NEED_A)
    expect(need_item(phone_a, NEED_A)).to_have_count(1)
    post_need(phone_b, NEED_B)
    for phone in (phone_a, phone_b):
        needs = phone.locator("ul#needs li.need")
        expect(needs).to_have_count(2)
        expect(phone.locator("ul#needs li.need.pending")).to_have_count(0)
        expect(needs.locator(".need-text")).to_have_text([NEED_B, NEED_A])  # newest first
        assert needs.first.locator(".need-text").text_content() == NEED_B
        expect(phone.locator("ul#needs b, ul#needs script")).to_have_count(0)
    # Each phone tags its own need, and only that one.
    expect(need_item(phone_a, NEED_A).locator(".tag")).to_have_count(1)
    expect(need_item(phone_a, NEED_B).locator(".tag")).to_have_count(0)
    expect(need_item(phone_b, NEED_B).locator(".tag")).to_have_count(1)
    expect(need_item(phone_b, NEED_A).locator(".tag")).to_have_count(0)

    wall = projector.locator("ul#needs li.need")
    expect(wall).to_have_count(2)
    expect(wall).to_have_text([NEED_B, NEED_A])
    assert wall.first.text_content() == NEED_B
    expect(projector.locator("ul#needs b, ul#needs script")).to_have_count(0)
    expect(projector.locator("#count-needs")).to_have_text("2")
    expect(console.locator("#count-needs")).to_have_text("2")

    # 5. The facilitator reviews the needs, then opens the vote.
    expect(console.locator("#phase-next")).to_have_attribute("data-phase", "review")
    console.locator("#phase-next").click()
    expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", "review")
    expect(console.locator("#phase-next")).to_have_attribute("data-phase", "vote")
    console.locator("#phase-next").click()
    expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", "vote")
    for phone in (phone_a, phone_b):
        expect(phone.locator("#table")).to_have_attribute("data-phase", "vote")
        expect(phone.locator("#post-form")).to_be_hidden()
        expect(phone.locator("#dots-left")).to_have_text(dots_left(3, 3))
        expect(phone.locator("ul#needs li.need button.dot-button")).to_have_count(4)
    expect(projector.locator("#table")).to_have_attribute("data-phase", "vote")
    expect(projector.locator("ol#ranking")).to_be_visible()
    expect(projector.locator("ul#needs")).to_be_hidden()
    expect(projector.locator("ol#ranking li.ranked")).to_have_count(2)

    # 6. Dots: A gives one to each need (at most one per need), B one to need B.
    give_dot(phone_a, NEED_A)
    expect(phone_a.locator("#dots-left")).to_have_text(dots_left(2, 3))
    expect(need_item(phone_a, NEED_A).locator("button.dot-button.primary")).to_be_disabled()
    expect(need_item(phone_a, NEED_A).locator("button.dot-button:not(.primary)")).to_be_enabled()
    give_dot(phone_a, NEED_B)
    expect(phone_a.locator("#dots-left")).to_have_text(dots_left(1, 3))
    expect(need_item(phone_a, NEED_B).locator("button.dot-button.primary")).to_be_disabled()
    give_dot(phone_b, NEED_B)
    expect(phone_b.locator("#dots-left")).to_have_text(dots_left(2, 3))

    expect(projector.locator("#count-dots")).to_have_text("3")
    ranked = projector.locator("ol#ranking li.ranked")
    expect(ranked.locator(".need-text")).to_have_text([NEED_B, NEED_A])
    expect(ranked.first.locator(".rank")).to_have_text(re.compile(r"^1\b"))
    expect(ranked.first.locator(".dots")).to_have_text(re.compile(r"\b2\b"))
    expect(ranked.nth(1).locator(".dots")).to_have_text(re.compile(r"\b1\b"))
    expect(projector.locator("ol#ranking b, ol#ranking script")).to_have_count(0)
    expect(console.locator("#count-dots")).to_have_text("3")
    ARTIFACTS.mkdir(exist_ok=True)
    phone_a.screenshot(path=str(ARTIFACTS / "phone-vote.png"), full_page=True)

    take_back_dot(phone_a, NEED_A)
    expect(phone_a.locator("#dots-left")).to_have_text(dots_left(2, 3))
    expect(need_item(phone_a, NEED_A).locator("button.dot-button.primary")).to_be_enabled()
    expect(need_item(phone_a, NEED_A).locator("button.dot-button:not(.primary)")).to_be_disabled()
    expect(projector.locator("#count-dots")).to_have_text("2")
    expect(ranked.first.locator(".need-text")).to_have_text(NEED_B)
    expect(ranked.nth(1).locator(".dots")).to_have_text(re.compile(r"\b0\b"))

    # 7. The facilitator shows the results.
    expect(console.locator("#phase-next")).to_have_attribute("data-phase", "results")
    console.locator("#phase-next").click()
    expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", "results")
    for phone in (phone_a, phone_b):
        expect(phone.locator("#table")).to_have_attribute("data-phase", "results")
        expect(phone.locator("#results-section")).to_be_visible()
        expect(phone.locator("#needs-section")).to_be_hidden()
        ranking = phone.locator("#results-section ol#ranking li.ranked")
        expect(ranking).to_have_count(2)
        expect(ranking.locator(".need-text")).to_have_text([NEED_B, NEED_A])
        assert ranking.first.locator(".need-text").text_content() == NEED_B
        expect(ranking.first.locator(".dots")).to_have_text(re.compile(r"\b2\b"))
        expect(phone.locator("#results-section b, #results-section script")).to_have_count(0)
    expect(projector.locator("#table")).to_have_attribute("data-phase", "results")
    expect(ranked.first.locator(".need-text")).to_have_text(NEED_B)
    expect(projector.locator("#count-dots")).to_have_text("2")
    projector.screenshot(path=str(ARTIFACTS / "projector-results.png"))

    # 8. Nothing was reloaded, and no page reported an error.
    for name in ("projector", "console", "phone-a", "phone-b"):
        assert pages.navigations(name) == 1, f"{name} navigated {pages.navigations(name)} times"
    pages.assert_no_errors()

