"""The pictures of the guides, taken from the real app so they stay true.

For each language, a small realistic event is run in real browsers through the
UI: the organizer sets it up and opens it, runs a table from its console with
the projector on a 1920x1080 screen, three phones post needs (one of them
offline for a moment), the table is reviewed (a merge, a correction), votes and
shows its results; a second table of the theme feeds the plenary. Each step a
guide shows is saved as static/guides/<name>.<language>.png, reduced in size,
and the set of pictures the guides of that language name must be exactly the
set this test made: a guide cannot point at a missing or an old picture.

Run it after changing a page the guides show, and commit the pictures:
    .venv/bin/python -m pytest -q -p no:logging tests/browser/test_guide_screenshots.py
"""

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.servers import AppServer, Organizer
from workshop.help.guides import GUIDES, GUIDES_DIR, image_names

from .conftest import LAPTOP, PHONE, PROJECTOR
from .test_facilitation_in_browser import console_need
from .test_table_in_browser import give_dot, need_item, post_need
from .test_whole_event_in_browser import log_in

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ROOT / "static" / "guides"
MAX_BYTES = 150_000
EVENT_URL = re.compile(r"/organize/events/\d+$")
HALL_ADDRESS = "http://192.168.1.10:5000"

# What the people in the pictures write, in each language.
STORY = {
    "it": {
        "locale": "it-IT",
        "title": "Tavolo delle politiche sociali 2031",
        "venue": "Sala consiliare",
        "themes": [("Lavoro", "#1f5fa8", "Inserimento lavorativo, conciliazione, formazione."),
                   ("Politiche abitative", "#c0392b", "Casa, affitti, emergenza abitativa.")],
        "tables": [("Lavoro", "Lavoro 1"), ("Lavoro", "Lavoro 2"), ("Politiche abitative", "Casa 1")],
        "needs": [
            "Accompagnare al lavoro i ragazzi che escono dalle comunità",
            "Orari di lavoro compatibili con la cura dei figli",
            "Aiutare i ragazzi in uscita dalle comunità a trovare lavoro",
            "Corsi di italiano per chi cerca lavoro",
            "Un punto unico di informazione sui tirocini",
        ],
        "correction": "Corsi di italiano serali per chi cerca lavoro",
        "offline": "Trasporti pubblici per le zone industriali",
        "other_table": "Tirocini per i giovani che escono dalle comunità",
    },
    "en": {
        "locale": "en-GB",
        "title": "Social policy round table 2031",
        "venue": "Council chamber",
        "themes": [("Work", "#1f5fa8", "Job placement, work and care, training."),
                   ("Housing policy", "#c0392b", "Homes, rents, housing emergencies.")],
        "tables": [("Work", "Work 1"), ("Work", "Work 2"), ("Housing policy", "Housing 1")],
        "needs": [
            "Job placement for young people leaving foster care",
            "Working hours compatible with caring for children",
            "Help young people leaving care to find a job",
            "Language classes for job seekers",
            "One place to learn about traineeships",
        ],
        "correction": "Evening language classes for job seekers",
        "offline": "Buses to the industrial estates",
        "other_table": "Traineeships for young people leaving care",
    },
}


@pytest.fixture(scope="module")
def app_server():
    """The real server, with the address of a laptop on a hall's network in its join links and QR codes."""
    # A rehearsal "minute" of 3 s, so the simulated participants fill a table within a few seconds.
    server = AppServer(env={"PUBLIC_BASE_URL": HALL_ADDRESS, "REHEARSAL_MINUTE_S": "3"})
    server.start()
    yield server
    server.stop()


def save(screenshot_png, name, language, width, made):
    """Reduce a screenshot to width pixels and a palette of colours, and keep it as name.language.png."""
    image = Image.open(io.BytesIO(screenshot_png)).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    assert buffer.tell() < MAX_BYTES, f"{name}.{language}.png is {buffer.tell()} bytes"
    PICTURES.mkdir(parents=True, exist_ok=True)
    (PICTURES / f"{name}.{language}.png").write_bytes(buffer.getvalue())
    made.add(f"{name}.{language}.png")


def set_up_event(laptop, server, organizer, story, language, made):
    log_in(laptop, server, organizer)
    # A new organizer's first page: the next step, and the demo.
    first_steps = laptop.locator("section.first-steps")
    expect(first_steps).to_be_visible()
    save(first_steps.screenshot(), "dashboard-empty", language, 1000, made)
    form = laptop.locator("form.grid-form")
    form.locator("#title").fill(story["title"])
    form.locator("#starts_on").fill("2031-10-04")
    form.locator("#venue").fill(story["venue"])
    form.locator("#language").select_option(language)
    form.locator("button[type=submit]").click()
    laptop.wait_for_url(EVENT_URL)
    for name, colour, description in story["themes"]:
        theme_form = laptop.locator('form[action$="/themes"]')
        theme_form.locator("#name").fill(name)
        theme_form.locator("#colour").fill(colour)
        theme_form.locator("#description").fill(description)
        theme_form.locator("button[type=submit]").click()
        laptop.wait_for_url(EVENT_URL)
    for theme, table in story["tables"]:
        table_form = laptop.locator('form[action$="/tables"]')
        table_form.locator("#table-theme_id").select_option(label=theme)
        table_form.locator("#table-name").fill(table)
        table_form.locator("button[type=submit]").click()
        laptop.wait_for_url(EVENT_URL)
    laptop.locator("form[action$='/status'] button[value=live]").click()
    expect(laptop.locator("form[action$='/status'] button[value=closed]")).to_be_visible()
    expect(laptop.locator("table.tables tbody tr")).to_have_count(len(story["tables"]))


def table_links(laptop, table_name):
    row = laptop.locator("table.tables tbody tr").filter(
        has=laptop.locator("td:first-child", has_text=re.compile(f"^{re.escape(table_name)}$")))
    return (row.locator("code.code").inner_text().strip(), row.locator('a[href$="/console"]').get_attribute("href"),
            row.locator('a[href$="/projector"]').get_attribute("href"))


def join(pages, server, code, name, locale):
    phone = pages.page(pages.context(**{**PHONE, "locale": locale}), name)
    phone.goto(f"{server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    return phone


def next_phase(console, phones, phase):
    console.locator("#phase-next").click()
    expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", phase)
    for phone in phones:
        expect(phone.locator("#table")).to_have_attribute("data-phase", phase)


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_guides_pictures_are_taken_from_the_app(app_server, organizer, pages, language):
    story = STORY[language]
    needs = story["needs"]
    made = set()
    office = pages.context(**{**LAPTOP, "locale": story["locale"]})
    laptop = pages.page(office, "laptop")
    # An organizer of their own for each language, so that each starts from an empty dashboard.
    newcomer = Organizer(email=f"organizer-{language}@example.org", name=organizer.name,
                         password=organizer.password)
    app_server.create_organizer(newcomer)
    set_up_event(laptop, app_server, newcomer, story, language, made)
    event_url = laptop.url
    code, console_url, projector_url = table_links(laptop, story["tables"][0][1])
    other_code, other_console_url, _ = table_links(laptop, story["tables"][1][1])

    # The table's console and, on the wall, its projector.
    console = pages.page(office, "console")
    console.goto(app_server.url + console_url)
    expect(console.locator("#status")).to_have_attribute("data-status", "online")
    wall = pages.context(**{**LAPTOP, "locale": story["locale"], "viewport": PROJECTOR})
    wall.add_cookies(office.cookies())
    projector = pages.page(wall, "projector")
    projector.goto(app_server.url + projector_url)
    expect(projector.locator("#status")).to_have_attribute("data-status", "online")

    # Before anyone arrives: a rehearsal at the housing table fills it with simulated participants, and is
    # ended again (the pictures below are of real people only).
    rehearsal_code, rehearsal_console_url, rehearsal_projector_url = table_links(laptop, story["tables"][2][1])
    rehearsal_console = pages.page(office, "rehearsal-console")
    rehearsal_console.goto(app_server.url + rehearsal_console_url)
    rehearsal_wall = pages.page(wall, "rehearsal-projector")
    rehearsal_wall.goto(app_server.url + rehearsal_projector_url)
    rehearsal_console.fill("#rehearsal-participants", "4")
    rehearsal_console.select_option("#rehearsal-pace", "fast")
    rehearsal_console.locator("#rehearsal-start").click()
    expect(rehearsal_wall.locator("ul#needs li.need .tag.simulated")).to_have_count(8)
    expect(rehearsal_wall.locator("#rehearsal-banner")).to_be_visible()
    save(rehearsal_wall.screenshot(), "projector-rehearsal", language, 960, made)
    rehearsal_console.locator("#rehearsal").scroll_into_view_if_needed()
    save(rehearsal_console.locator("#rehearsal").screenshot(), "console-rehearsal", language, 1000, made)
    rehearsal_console.locator("#rehearsal button", has_text=re.compile("^(End|Termina)")).click()
    expect(rehearsal_wall.locator("ul#needs li.need")).to_have_count(0)

    # Three phones join and post; the facilitator gives the collection ten minutes.
    phones = [join(pages, app_server, code, f"phone-{number}", story["locale"]) for number in (1, 2, 3)]
    console.fill("#timer-minutes", "10")
    console.locator("#timer-form button[type=submit]").click()
    for phone, text in zip(phones + phones[:2], needs, strict=True):
        post_need(phone, text)
        expect(need_item(phone, text)).to_have_count(1)
    expect(projector.locator("ul#needs li.need")).to_have_count(len(needs))
    expect(console.locator("#count-needs")).to_have_text(str(len(needs)))
    save(console.screenshot(), "console-collect", language, 1000, made)
    save(projector.screenshot(), "projector-collect", language, 960, made)
    save(phones[0].screenshot(), "phone-collect", language, 360, made)

    # The Wi-Fi drops for one phone: what it posts waits on it, and goes when the network is back.
    phones[2].context.set_offline(True)
    expect(phones[2].locator("#status")).to_have_attribute("data-status", "offline")
    post_need(phones[2], story["offline"])
    expect(phones[2].locator("ul#needs li.need.pending")).to_have_count(1)
    save(phones[2].screenshot(), "phone-offline", language, 360, made)
    phones[2].context.set_offline(False)
    expect(phones[2].locator("#status")).to_have_attribute("data-status", "online", timeout=20_000)
    expect(need_item(phones[0], story["offline"])).to_have_count(1, timeout=20_000)

    # Another table of the same theme, run by the organizer too, raises a need of its own.
    other_console = pages.page(office, "other-console")
    other_console.goto(app_server.url + other_console_url)
    other_phone = join(pages, app_server, other_code, "other-phone", story["locale"])
    post_need(other_phone, story["other_table"])
    expect(need_item(other_phone, story["other_table"])).to_have_count(1)

    # Review: the two needs about young people leaving care become one; a correction.
    next_phase(console, phones, "review")
    duplicate = console_need(console, needs[2])
    duplicate.locator("select.merge-select").select_option(label=needs[0])
    duplicate.locator("button", has_text=re.compile("^(Merge|Unisci)$")).click()
    expect(console_need(console, needs[0]).locator(".merged-needs li")).to_have_count(1)
    console_need(console, needs[3]).locator("button", has_text=re.compile("^(Correct|Correggi)$")).click()
    console.locator("ul#needs form.edit-form textarea").fill(story["correction"])
    console.locator("ul#needs form.edit-form button[type=submit]").click()
    expect(need_item(phones[0], story["correction"])).to_have_count(1)
    review = console.locator("section[aria-labelledby=list-heading]")
    review.scroll_into_view_if_needed()
    save(review.screenshot(), "console-review", language, 1000, made)

    # Vote: dots from every phone.
    next_phase(console, phones, "vote")
    for phone, texts in zip(phones, ([needs[0], needs[1]], [needs[0], story["correction"]], [needs[0]]),
                            strict=True):
        for text in texts:
            give_dot(phone, text)
    expect(console.locator("#count-dots")).to_have_text("5")
    expect(phones[1].locator("#dots-left")).to_have_text(re.compile(r"\b1\b.*\b3\b"))
    save(phones[1].screenshot(), "phone-vote", language, 360, made)

    # Results on the wall.
    next_phase(console, phones, "results")
    expect(projector.locator("ol#ranking li.ranked").first.locator(".need-text")).to_have_text(needs[0])
    save(projector.screenshot(), "projector-results", language, 960, made)

    # The plenary: the dashboard, and the event projector on the theme of the two tables.
    laptop.goto(event_url)
    dashboard = pages.page(office, "dashboard")
    dashboard.goto(app_server.url + laptop.locator("a.button[href$='/plenary']").get_attribute("href"))
    expect(dashboard.locator("#status")).to_have_attribute("data-status", "online")
    expect(dashboard.locator("li.plenary-entry").first.locator(".need-text")).to_have_text(needs[0])
    save(dashboard.screenshot(), "plenary-dashboard", language, 1000, made)
    screen = pages.page(wall, "plenary-screen")
    theme_id = re.search(r"theme-(\d+)", laptop.locator("section.card.theme").first.get_attribute("id")).group(1)
    screen.goto(app_server.url + laptop.locator("a.button[href$='/plenary/screen']").get_attribute("href")
                + f"?theme={theme_id}")
    expect(screen.locator("ol#ranking li").first).to_contain_text(needs[0])
    save(screen.screenshot(), "plenary-screen", language, 960, made)

    # The organizer's pages: the event, its minutes, the table card.
    save(laptop.screenshot(), "event-page", language, 1000, made)
    save(laptop.locator("#exports").screenshot(), "event-minutes", language, 1000, made)
    card = pages.page(office, "card")
    card.goto(app_server.url + console.locator("a.button[href$='/card']").get_attribute("href"))
    expect(card.locator(".table-card-code")).to_have_text(code)
    expect(card.locator(".table-card-steps")).to_contain_text(HALL_ADDRESS)
    expect(card.locator("img.table-card-qr")).to_have_js_property("complete", True)
    save(card.locator("article.table-card").screenshot(), "table-card", language, 800, made)

    named = set()
    for guide in GUIDES:
        named |= image_names((GUIDES_DIR / f"{guide}.{language}.md").read_text(encoding="utf-8"))
    assert named == made, f"named by the guides only: {named - made}; taken but not named: {made - named}"
    pages.assert_no_errors()
