"""A whole event in real browsers, through the UI only, as a new organizer would run it.

The organizer sets up five themes and ten tables, imports forty organisations
and invites two facilitators, who accept on their own laptops and see their
table. The event goes live; two tables run in parallel with two phones each,
the plenary dashboard follows both themes live, and the organizer merges a need
raised at both "Work" tables, then splits it again. No live page reloads, and
no page logs an error.
"""

import re

import openpyxl
import pypdf
from playwright.sync_api import expect

from .conftest import LAPTOP, PHONE
from .test_table_in_browser import give_dot, need_item, post_need

EVENT_URL = re.compile(r"/organize/events/\d+$")
THEMES = [
    ("Families and services for minors", "#e07a5f"),
    ("Poverty and emerging fragility", "#8d5a97"),
    ("Youth policy", "#3d9970"),
    ("Work", "#1f5fa8"),
    ("Housing policy", "#c0392b"),
]
ORGANISATIONS = """\
Cooperativa Sociale Il Sentiero;cooperativa sociale
Cooperativa Sociale La Grande Casa;cooperativa sociale
Cooperativa Sociale Arcobaleno;cooperativa sociale
Cooperativa Sociale L'Arca;cooperativa sociale
Cooperativa Sociale Solidarietà e Lavoro;cooperativa sociale
Cooperativa Sociale Città Aperta;cooperativa sociale
Cooperativa Sociale Il Melograno;cooperativa sociale
Cooperativa Sociale Sò Stare;cooperativa sociale
Comune di Lecco;comune
Comune di Valmadrera;comune
Comune di Calolziocorte;comune
Comune di Mandello del Lario;comune
Comune di Oggiono;comune
Comune di Galbiate;comune
Comune di Malgrate;comune
Comune di Olginate;comune
Associazione Genitori Insieme;associazione
Associazione Famiglie per l'Accoglienza;associazione
Associazione Giovani Città Futura;associazione
Associazione Inquilini e Abitanti;associazione
Associazione Nuove Povertà;associazione
Associazione Libera Età;associazione
Associazione Donne Insieme;associazione
Associazione Culturale Perché No;associazione
Caritas Decanale;volontariato
Banco di Solidarietà Lecchese;volontariato
Volontari dell'Emporio Solidale;volontariato
Gruppo Volontari San Vincenzo;volontariato
Croce Rossa Comitato di Lecco;volontariato
Auser Volontariato Lecco;volontariato
Centro d'Ascolto Beato Serafino;volontariato
Società di San Vincenzo de' Paoli;volontariato
Impresa Sociale Lavoro e Dignità;impresa sociale
Impresa Sociale Casa Comune;impresa sociale
Impresa Sociale Ri-Uso Più;impresa sociale
Impresa Sociale Officina Giovani;impresa sociale
Impresa Sociale Abitare Solidale;impresa sociale
Fondazione Comunitaria del Lecchese;altro
Consultorio Familiare Decanale;altro
Sindacato Pensionati Unità di Zona;altro
"""
WORK_1 = "Job placement for young people leaving foster care"
WORK_2 = "Part-time jobs compatible with caring for children"
WORK_AGAIN = "Help young people leaving foster care to find a job"
HOUSING_1 = "Emergency housing for evicted families"
HOUSING_2 = "Social rents for single parents"
FACILITATORS = [("giulia.rossi@example.org", "Giulia Rossi"), ("marco.brambilla@example.org", "Marco Brambillà")]


def log_in(laptop, server, organizer):
    laptop.goto(server.url + "/login")
    laptop.fill("#email", organizer.email)
    laptop.fill("#password", organizer.password)
    laptop.locator("main form button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/$"))


def create_event(laptop):
    """Create the event with five themes and two tables per theme; return the event page's url."""
    event_form = laptop.locator("form.grid-form")
    event_form.locator("#title").fill("Tavolo delle politiche sociali")
    event_form.locator("#starts_on").fill("2031-10-04")
    event_form.locator("#venue").fill("Palazzo Falck, Lecco")
    event_form.locator("#language").select_option("en")
    event_form.locator("button[type=submit]").click()
    laptop.wait_for_url(EVENT_URL)
    expect(laptop.locator("h1")).to_have_text("Tavolo delle politiche sociali")
    expect(laptop.locator("#status-heading")).to_have_text("Status: Draft")
    event_url = laptop.url

    for name, colour in THEMES:
        theme_form = laptop.locator('form[action$="/themes"]')
        theme_form.locator("#name").fill(name)
        theme_form.locator("#colour").fill(colour)
        theme_form.locator("button[type=submit]").click()
        laptop.wait_for_url(EVENT_URL)
    themes = laptop.locator("section.card.theme")
    expect(themes.locator("h3")).to_have_text([name for name, _colour in THEMES])
    for (name, colour), number in zip(THEMES, range(len(THEMES)), strict=True):
        expect(themes.nth(number)).to_have_attribute("data-colour", colour)
        assert themes.nth(number).evaluate("s => s.style.getPropertyValue('--theme')") == colour, name

    for name, _colour in THEMES:
        for number in (1, 2):
            table_form = laptop.locator('form[action$="/tables"]')
            table_form.locator("#table-theme_id").select_option(label=name)
            table_form.locator("#table-name").fill(f"{name} {number}")
            table_form.locator("button[type=submit]").click()
            laptop.wait_for_url(EVENT_URL)
    for name, _colour in THEMES:
        expect(theme_section(laptop, name).locator("table.tables tbody tr td:first-child")).to_have_text(
            [f"{name} 1", f"{name} 2"])
    expect(laptop.locator("table.tables tbody tr")).to_have_count(10)
    return event_url


def theme_section(page, name):
    return page.locator("section.card.theme").filter(has=page.locator("h3", has_text=re.compile(f"^{name}$")))


def table_row(laptop, table_name):
    return laptop.locator("table.tables tbody tr").filter(
        has=laptop.locator("td:first-child", has_text=re.compile(f"^{table_name}$")))


def import_organisations(laptop):
    laptop.locator("a.button", has_text="Organisations taking part (0)").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+/organisations$"))
    expect(laptop.locator("h1")).to_have_text("Organisations taking part")
    import_form = laptop.locator('form[action$="/organisations/import"]')
    import_form.locator("#import-text").fill(ORGANISATIONS)
    import_form.locator("button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/organize/events/\d+/organisations$"))
    expect(laptop.get_by_text("40 newly marked as taking part.")).to_be_visible()
    chosen = laptop.locator("input[name=organisations]:checked")
    expect(chosen).to_have_count(40)
    for name in ("Impresa Sociale Lavoro e Dignità", "Società di San Vincenzo de' Paoli", "Comune di Lecco"):
        label = laptop.locator("label", has_text=re.compile(f"^{re.escape(name)}$"))
        expect(label).to_have_count(1)
        expect(laptop.locator("#" + label.get_attribute("for"))).to_be_checked()
    laptop.locator("main a", has_text="Tavolo delle politiche sociali").first.click()
    laptop.wait_for_url(EVENT_URL)
    expect(laptop.locator("a.button", has_text="Organisations taking part (40)")).to_be_visible()


def invite(laptop, email, name):
    """Make an invitation on the event page; return the link, shown once."""
    invite_form = laptop.locator('form[action$="/invites"]')
    invite_form.locator("#invite-email").fill(email)
    invite_form.locator("#invite-name").fill(name)
    invite_form.locator("button[type=submit]").click()
    link_box = laptop.locator("#facilitators .invite-link")
    expect(link_box).to_contain_text("It is shown only now, works once")
    link = laptop.locator("input.invite-url")
    expect(link).to_have_count(1)
    expect(link).to_have_value(re.compile(r"^http://.+/invite/\S+$"))
    return link.input_value()


def accept_invite(pages, link, name, page_name):
    """A facilitator on their own laptop opens the link and makes an account; return the page."""
    page = pages.page(pages.context(**LAPTOP), page_name)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Join as a facilitator")
    expect(page.locator("main")).to_contain_text("Tavolo delle politiche sociali")
    page.fill("#name", name)
    page.fill("#password", "a long facilitator password")
    page.fill("#confirm", "a long facilitator password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/facilitate/$"))
    expect(page.locator("h1")).to_have_text("My tables")
    expect(page.locator("main .lead")).to_contain_text("No tables have been given to you yet")
    return page


def assign(laptop, table_name, facilitator):
    table_row(laptop, table_name).locator("a.button", has_text="Edit").click()
    expect(laptop.locator("h1")).to_have_text("Edit the table")
    laptop.get_by_label(facilitator, exact=True).check()
    laptop.locator("form.settings-form button[type=submit]").click()
    laptop.wait_for_url(EVENT_URL)
    expect(table_row(laptop, table_name).locator("td").nth(4)).to_have_text(facilitator)


def join_by_typing(pages, server, code, name):
    phone = pages.page(pages.context(**PHONE), name)
    phone.goto(server.url + "/")
    expect(phone.locator("h1")).to_have_text("Join your table")
    phone.locator("#code").fill(code.lower())
    phone.locator("form.join-form button[type=submit]").tap()
    phone.wait_for_url(re.compile(f"/j/{code}$"))
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    expect(phone.locator("#table")).to_have_attribute("data-phase", "collect")
    return phone


def join_by_link(pages, server, code, name):
    phone = pages.page(pages.context(**PHONE), name)
    phone.goto(f"{server.url}/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "online")
    expect(phone.locator("#table")).to_have_attribute("data-phase", "collect")
    return phone


def to_vote(console):
    for phase in ("review", "vote"):
        console.locator("#phase-next").click()
        expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", phase)


def dots(n):
    return re.compile(rf"^{n} dots?$")


def test_a_whole_event_from_set_up_to_a_merged_plenary(app_server, organizer, pages):
    # 1. The organizer sets the event up on a laptop, in English.
    office = pages.context(**LAPTOP)
    laptop = pages.page(office, "laptop")
    log_in(laptop, app_server, organizer)
    event_url = create_event(laptop)

    # 2. Forty organisations, pasted into the import form.
    import_organisations(laptop)

    # 3. Two facilitators, invited and accepting on their own laptops.
    links = []
    for email, name in FACILITATORS:
        links.append(invite(laptop, email, name))
    assert links[0] != links[1]
    expect(laptop.locator("ul.pending-invites li")).to_have_count(2)
    facilitator_pages = [
        accept_invite(pages, link, name, f"facilitator-{number}")
        for number, (link, (_email, name)) in enumerate(zip(links, FACILITATORS, strict=True), start=1)
    ]
    laptop.goto(event_url)
    expect(laptop.locator("ul.facilitators li")).to_have_text(
        [re.compile(f"^{name} {email}$") for email, name in FACILITATORS])
    expect(laptop.locator("ul.pending-invites")).to_have_count(0)
    assign(laptop, "Work 1", FACILITATORS[0][1])
    assign(laptop, "Housing policy 1", FACILITATORS[1][1])

    consoles = {}
    for page, table_name, theme in zip(facilitator_pages, ("Work 1", "Housing policy 1"), ("Work", "Housing policy"),
                                       strict=True):
        page.reload()
        rows = page.locator("table.my-tables tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.locator("td").nth(1)).to_have_text(theme)
        expect(rows.locator("td").nth(2)).to_have_text(table_name)

    # 4. The event goes live.
    laptop.locator("form[action$='/status'] button[value=live]").click()
    expect(laptop.locator("#status-heading")).to_have_text("Status: Live")
    codes = {name: table_row(laptop, name).locator("code.code").inner_text().strip()
             for name in ("Work 1", "Work 2", "Housing policy 1")}

    # The plenary dashboard, opened from the event page before anyone joins.
    dashboard = pages.page(office, "dashboard")
    dashboard.goto(app_server.url + laptop.locator("a.button", has_text="Plenary dashboard").get_attribute("href"))
    expect(dashboard.locator("#status")).to_have_attribute("data-status", "online")
    sections = dashboard.locator("section.plenary-theme")
    expect(sections.locator(".theme-name")).to_have_text([name for name, _colour in THEMES])
    for (name, colour), number in zip(THEMES, range(len(THEMES)), strict=True):
        assert sections.nth(number).evaluate("s => s.style.getPropertyValue('--theme')") == colour, name
    expect(sections.locator(".no-needs")).to_have_count(5)

    # 5. Each facilitator opens their console from "My tables" in a window of its own.
    for page, key in zip(facilitator_pages, ("work", "housing"), strict=True):
        href = page.locator("table.my-tables tbody tr a.button", has_text="Console").get_attribute("href")
        console = pages.page(page.context, f"console-{key}")
        console.goto(app_server.url + href)
        expect(console.locator("#status")).to_have_attribute("data-status", "online")
        expect(console.locator("#phase-steps li.current")).to_have_attribute("data-phase", "collect")
        consoles[key] = console

    # Two phones at each table: at "Work 1" they type the code, at "Housing policy 1" they follow the link.
    work_phones = [join_by_typing(pages, app_server, codes["Work 1"], f"phone-work-{n}") for n in (1, 2)]
    housing_phones = [join_by_link(pages, app_server, codes["Housing policy 1"], f"phone-housing-{n}") for n in (1, 2)]
    expect(consoles["work"].locator("#count-online")).to_have_text("2")
    expect(consoles["housing"].locator("#count-online")).to_have_text("2")

    for phones, texts in ((work_phones, (WORK_1, WORK_2)), (housing_phones, (HOUSING_1, HOUSING_2))):
        for phone, text in zip(phones, texts, strict=True):
            post_need(phone, text)
            expect(need_item(phone, text)).to_have_count(1)
        for phone in phones:
            expect(phone.locator("ul#needs li.need:not(.pending) .need-text")).to_have_text(list(reversed(texts)))
    expect(consoles["work"].locator("#count-needs")).to_have_text("2")
    expect(consoles["housing"].locator("#count-needs")).to_have_text("2")

    for console in consoles.values():
        to_vote(console)
    for phone in work_phones + housing_phones:
        expect(phone.locator("#table")).to_have_attribute("data-phase", "vote")
        expect(phone.locator("#post-form")).to_be_hidden()
    give_dot(work_phones[0], WORK_1)
    give_dot(work_phones[1], WORK_1)
    give_dot(work_phones[1], WORK_2)
    give_dot(housing_phones[0], HOUSING_1)
    give_dot(housing_phones[1], HOUSING_1)
    expect(consoles["work"].locator("#count-dots")).to_have_text("3")
    expect(consoles["housing"].locator("#count-dots")).to_have_text("2")

    # 6. The dashboard ranks both themes live, with the dots given.
    work = sections.filter(has=dashboard.locator(".theme-name", has_text=re.compile("^Work$")))
    housing = sections.filter(has=dashboard.locator(".theme-name", has_text=re.compile("^Housing policy$")))
    work_entries = work.locator("li.plenary-entry")
    housing_entries = housing.locator("li.plenary-entry")
    expect(work_entries.locator(".need-text")).to_have_text([WORK_1, WORK_2])
    expect(work_entries.locator(".dots")).to_have_text([dots(2), dots(1)])
    expect(work_entries.locator(".raised")).to_have_text(["Raised at 1 table: Work 1"] * 2)
    expect(housing_entries.locator(".need-text")).to_have_text([HOUSING_1, HOUSING_2])
    expect(housing_entries.locator(".dots")).to_have_text([dots(2), dots(0)])
    expect(housing.locator(".theme-tables")).to_contain_text("Housing policy 1: Voting")
    expect(sections.locator(".no-needs")).to_have_count(3)
    expect(dashboard.locator("#count-dots")).to_have_text("5")
    expect(dashboard.locator("#count-needs")).to_have_text("4")
    expect(dashboard.locator("#count-participants")).to_have_text("4")

    # The organizer runs the other "Work" table; a phone there raises the same need and dots it.
    console_work_2 = pages.page(office, "console-work-2")
    console_work_2.goto(app_server.url + table_row(laptop, "Work 2").locator("a.button", has_text="Console")
                        .get_attribute("href"))
    expect(console_work_2.locator("#status")).to_have_attribute("data-status", "online")
    phone_work_2 = join_by_link(pages, app_server, codes["Work 2"], "phone-work-table-2")
    post_need(phone_work_2, WORK_AGAIN)
    expect(need_item(phone_work_2, WORK_AGAIN)).to_have_count(1)
    to_vote(console_work_2)
    expect(phone_work_2.locator("#table")).to_have_attribute("data-phase", "vote")
    give_dot(phone_work_2, WORK_AGAIN)
    expect(work_entries.locator(".need-text")).to_have_text([WORK_1, WORK_2, WORK_AGAIN])
    expect(work_entries.locator(".dots")).to_have_text([dots(2), dots(1), dots(1)])
    expect(dashboard.locator("#count-dots")).to_have_text("6")

    # The organizer merges it into the first table's need: the dots add up, from two tables.
    again = work_entries.filter(has=dashboard.locator(".need-text", has_text=WORK_AGAIN))
    target = work_entries.filter(has=dashboard.locator(".need-text", has_text=WORK_1)).get_attribute("data-need")
    again.locator("select.merge-target").select_option(target)
    again.locator("button.merge-button").click()
    expect(work_entries).to_have_count(2)
    merged = work_entries.first
    expect(merged.locator(".need-text")).to_have_text(WORK_1)
    expect(merged.locator(".dots")).to_have_text(dots(3))
    expect(merged.locator(".raised")).to_have_text("Raised at 2 tables: Work 1, Work 2")
    expect(merged.locator(".merged-need")).to_contain_text(f"Merged here from Work 2: {WORK_AGAIN}")
    expect(dashboard.locator("#count-needs")).to_have_text("4")
    expect(housing_entries.locator(".dots")).to_have_text([dots(2), dots(0)])

    # Unmerge restores the three separate needs.
    merged.locator("button.unmerge-button").click()
    expect(work_entries.locator(".need-text")).to_have_text([WORK_1, WORK_2, WORK_AGAIN])
    expect(work_entries.locator(".dots")).to_have_text([dots(2), dots(1), dots(1)])
    expect(work_entries.locator(".merged-need")).to_have_count(0)
    expect(dashboard.locator("#count-needs")).to_have_text("5")
    expect(dashboard.locator("#count-dots")).to_have_text("6")

    # 7. The minutes: the workbook downloaded from the event page says what the dashboard says.
    laptop.goto(event_url)
    with laptop.expect_download() as download:
        laptop.locator("#exports a", has_text="Workbook (XLSX)").click()
    assert download.value.suggested_filename == "tavoli-tavolo-delle-politiche-sociali.xlsx"
    with open(download.value.path(), "rb") as file:
        book = openpyxl.load_workbook(file)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0] is not None}
    assert (summary["Dots used"], summary["Needs in the rankings (after merges)"]) == (6, 5)
    work_sheet = [row[:3] for row in book["Work"].iter_rows(min_row=2, values_only=True)]
    assert work_sheet == [(1, WORK_1, 2), (2, WORK_2, 1), (2, WORK_AGAIN, 1)]
    with laptop.expect_download() as download:
        laptop.locator("#exports a", has_text="Report (PDF)").click()
    report = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(download.value.path()).pages)
    assert "Tavolo delle politiche sociali" in report and "Marco Brambillà" in report
    assert f"1 {WORK_1} 2" in report

    # 8. No live page reloaded (phones that typed the code loaded the home page first), no page logged an error.
    for name in ("dashboard", "console-work", "console-housing", "console-work-2", "phone-housing-1",
                 "phone-housing-2", "phone-work-table-2"):
        assert pages.navigations(name) == 1, f"{name} navigated {pages.navigations(name)} times"
    for name in ("phone-work-1", "phone-work-2"):
        assert pages.navigations(name) == 2, f"{name} navigated {pages.navigations(name)} times"
    pages.assert_no_errors()
