"""Accessibility, checked by axe-core inside the real browser on every kind of
page and in every phase of a table: no serious or critical violation of
WCAG 2.1 A/AA, and the projector keeps AAA contrast (7:1) for the back of the
hall. Phones are thumb-sized and usable at 200 % text, and show no string of
the other language. The counts of every page (whatever their impact) are written
to test-artifacts/axe-counts.json for the issue notes.
"""

import json
from pathlib import Path

from babel.messages.pofile import read_po
from playwright.sync_api import expect

from .conftest import ARTIFACTS, LAPTOP, PHONE, PROJECTOR
from .test_table_in_browser import dots_left, give_dot, need_item, post_need, set_up_table

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
NEED = "Longer opening hours for the youth centre"


def axe_violations(page, tags=WCAG_TAGS):
    """axe-core's violations on the page as it stands: [(rule, impact, nodes, first target)]."""
    # A CSP of script-src 'self' refuses an injected <script>; evaluating the
    # library's source as an expression is not a script element, so it runs.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags)
    return [(rule["id"], rule["impact"], len(rule["nodes"]), rule["nodes"][0]["target"])
            for rule in result["violations"]]


class Audit:
    """Runs axe on pages and keeps what it found, page by page."""

    def __init__(self):
        self.found = {}

    def check(self, name, page):
        violations = axe_violations(page)
        self.found[name] = violations
        return [violation for violation in violations if violation[1] in BLOCKING]

    def save(self):
        ARTIFACTS.mkdir(exist_ok=True)
        counts = {name: {"violations": len(found), "by_impact": _by_impact(found)}
                  for name, found in self.found.items()}
        (ARTIFACTS / "axe-counts.json").write_text(json.dumps(counts, indent=2), encoding="utf-8")


SMALL_TARGETS = """() => [...document.querySelectorAll("button, a[href], input, select, textarea, summary")]
    .filter(element => element.offsetParent !== null && element.type !== "hidden")
    .map(element => [element.outerHTML.slice(0, 80), element.getBoundingClientRect()])
    .filter(([, box]) => box.width < 44 || box.height < 44)
    .map(([html, box]) => [html, Math.round(box.width), Math.round(box.height)])"""

OVERFLOW = """() => [...document.querySelectorAll("body *")]
    .filter(element => element.offsetParent !== null
            && element.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .map(element => element.outerHTML.slice(0, 80))"""


def foreign_phrases(language):
    """Interface phrases (two words or more) of the other language, as the
    page would show them if a string had been left untranslated."""
    catalog_path = Path(__file__).parents[2] / "workshop" / "translations" / "it" / "LC_MESSAGES" / "messages.po"
    with catalog_path.open("rb") as file:
        catalog = read_po(file)
    phrases = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or message.id == message.string:
            continue
        phrase = message.id if language == "it" else message.string
        if len(phrase.split()) >= 2 and "%(" not in phrase:
            phrases.add(phrase)
    return phrases


def untranslated(page, phrases):
    text = " ".join(page.inner_text("body").split())
    return sorted(phrase for phrase in phrases if phrase in text)


def enlarge_text(page, percent):
    """What a phone's large-text setting does: the root font size grows."""
    page.evaluate("(percent) => { document.documentElement.style.fontSize = percent + '%'; }", percent)


def _by_impact(found):
    impacts = {}
    for _rule, impact, nodes, _target in found:
        impacts[impact] = impacts.get(impact, 0) + nodes
    return impacts


def test_every_page_in_every_phase_passes_axe(app_server, organizer, pages):
    audit = Audit()
    blocking = {}

    def check(name, page):
        found = audit.check(name, page)
        if found:
            blocking[name] = found

    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    console_url, projector_url, code = set_up_table(laptop, app_server, organizer)
    event_url = laptop.url
    check("event page", laptop)
    for name, path in (("organizer dashboard", "/organize/"), ("organisation registry", "/organize/organisations/")):
        laptop.goto(app_server.url + path)
        check(name, laptop)
    for name, link in (("edit event", "a[href$='/edit']"), ("edit table", "table.tables a.button")):
        laptop.goto(event_url)
        laptop.locator(link).first.click()
        expect(laptop.locator("h1")).to_contain_text("Edit")
        check(name, laptop)
    laptop.goto(event_url + "/organisations")
    check("organisations taking part", laptop)
    laptop.goto(event_url + "/plenary")
    check("plenary dashboard", laptop)
    laptop.goto(event_url + "/export/report")
    check("printable report", laptop)
    for name, path in (("table cards", event_url + "/cards"), ("help", app_server.url + "/help/"),
                       ("organizers' guide", app_server.url + "/help/organizers"),
                       ("facilitators' guide", app_server.url + "/help/facilitators")):
        laptop.goto(path)
        check(name, laptop)

    console = pages.page(office, "console")
    console.goto(console_url)
    projector = pages.page(office, "projector")
    projector.set_viewport_size(PROJECTOR)
    projector.goto(projector_url)
    home = pages.page(pages.context(**PHONE), "home")
    home.goto(app_server.url + "/")
    check("join page", home)
    phone = pages.page(pages.context(**PHONE), "phone")
    phone.goto(f"{app_server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    italian = pages.page(pages.context(**{**PHONE, "locale": "it-IT"}), "telefono")
    italian.goto(f"{app_server.url}/j/{code}")
    expect(italian.locator("html")).to_have_attribute("lang", "it")

    english_phrases, italian_phrases = foreign_phrases("it"), foreign_phrases("en")
    post_need(phone, NEED)
    expect(need_item(phone, NEED)).to_have_count(1)
    for phase in ("collect", "review", "vote", "results"):
        if phase != "collect":
            console.locator("#phase-next").click()
        for page in (phone, italian, projector):
            expect(page.locator("#table")).to_have_attribute("data-phase", phase)
        expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", phase)
        if phase == "vote":
            give_dot(phone, NEED)
            expect(projector.locator("#ranking li")).to_have_count(1)
        for name, page in (("phone", phone), ("phone (it)", italian), ("projector", projector),
                           ("console", console)):
            check(f"{name}, {phase}", page)
        assert untranslated(italian, english_phrases) == [], phase
        assert untranslated(phone, italian_phrases) == [], phase
        # A thumb can hit every control, and at 200 % text nothing needs sideways scrolling.
        assert phone.evaluate(SMALL_TARGETS) == [], phase
        enlarge_text(italian, 200)
        assert italian.evaluate(OVERFLOW) == [], phase
        assert italian.evaluate(SMALL_TARGETS) == [], phase
        enlarge_text(italian, 100)
        # Read from the back of the hall: the projector keeps AAA contrast (7:1 for body text).
        assert axe_violations(projector, ["wcag2aaa"]) == [], phase
    laptop.goto(event_url + "/plenary/screen")
    expect(laptop.locator("h1, h2").first).to_be_visible()
    check("plenary projector", laptop)

    audit.save()
    assert not blocking, json.dumps(blocking, indent=1)
    assert len(audit.found) == 30

    # The checks can fail: a string left in English on the Italian page is caught,
    left_over = "Your organisation" if "Your organisation" in english_phrases else sorted(english_phrases)[0]
    italian.evaluate("(text) => document.body.append(Object.assign(document.createElement('p'), {textContent: text}))",
                     left_over)
    assert untranslated(italian, english_phrases) == [left_over]
    # and so are grey text the projector could not show from the back, and an image without a
    # text alternative, are caught.
    projector.evaluate("""() => {
        const text = document.createElement("p");
        text.textContent = "Grey on white: 4.5 to 1";
        Object.assign(text.style, {color: "#767676", background: "#ffffff"});
        document.body.append(text);
    }""")
    assert "color-contrast-enhanced" in {rule for rule, *_ in axe_violations(projector, ["wcag2aaa"])}
    laptop.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"/static/favicon.svg\">')")
    assert ("image-alt", "critical") in {(rule, impact) for rule, impact, *_ in axe_violations(laptop)}


def tab_to(page, selector, presses=40):
    """Press Tab until the element matching selector has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_participant_can_post_and_vote_by_keyboard_alone(app_server, organizer, pages):
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    console_url, _projector, code = set_up_table(laptop, app_server, organizer)
    console = pages.page(office, "console")
    console.goto(console_url)
    phone = pages.page(pages.context(**{**LAPTOP, "viewport": {"width": 800, "height": 900}}), "keyboard")
    phone.goto(f"{app_server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")

    tab_to(phone, "#need-text")
    phone.keyboard.type(NEED)
    tab_to(phone, "#post-form button[type=submit]")
    phone.keyboard.press("Enter")
    expect(need_item(phone, NEED)).to_have_count(1)

    for _ in ("review", "vote"):
        console.locator("#phase-next").click()
    expect(phone.locator("#table")).to_have_attribute("data-phase", "vote")
    expect(phone.locator("#dots-left")).to_have_text(dots_left(3, 3))
    tab_to(phone, "ul#needs button.dot-button.primary")
    phone.keyboard.press("Enter")
    expect(phone.locator("#dots-left")).to_have_text(dots_left(2, 3))
    expect(need_item(phone, NEED).locator("button.dot-button:not(.primary)")).to_be_visible()
