"""The report of the day, as the PDF an organizer sends on and the page they print:
both say what the plenary said, in the event's language, with the accents intact."""

import io
import logging
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser

from flask_babel import force_locale, format_percent
from pypdf import PdfReader

from tests.conftest import login
from workshop.contributions.results import ranking
from workshop.core.database import unit_of_work
from workshop.events.models import Event
from workshop.events.organisations import kind_name
from workshop.exports.minutes import event_minutes
from workshop.extensions import db
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import WorkingTable

from .conftest import BUS, DOPOSCUOLA, FIXED, HOMEWORK, JOBS, SPAM, SUMMER


def flat(text):
    return " ".join(text.split())


def printable(text):
    """The text as the PDF shows it: DejaVu Sans has no emoji, so the PDF leaves them out."""
    return flat("".join(char for char in text if ord(char) <= 0xFFFF))


@contextmanager
def fpdf_warnings():
    """What fpdf2 logs at WARNING or above while the block runs."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("fpdf")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def pdf_of(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.data))
    return reader, [flat(page.extract_text()) for page in reader.pages]


class Page(HTMLParser):
    """The report page as data: its text, figures, tables' rows, bars, and what a strict CSP refuses."""

    def __init__(self, markup):
        super().__init__()
        self.text, self.figures, self.tables, self.bars, self.refused = [], [], [], [], []
        self.lang, self._cell, self._figure = None, None, None
        self.feed(markup)
        self.text = flat(" ".join(self.text))

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes or tag == "style" or (tag == "script" and "src" not in attributes):
            self.refused.append(tag)
        if tag == "html":
            self.lang = attributes["lang"]
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("dt", "dd"):
            self._figure = []
        elif tag == "rect" and attributes.get("class") == "bar":
            self.bars.append((float(attributes["width"]), attributes["fill"]))

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(flat(" ".join(self._cell)))
            self._cell = None
        elif tag in ("dt", "dd"):
            self.figures.append(flat(" ".join(self._figure)))
            self._figure = None

    def handle_data(self, data):
        self.text.append(data)
        for collecting in (self._cell, self._figure):
            if collecting is not None:
                collecting.append(data)

    def pairs(self):
        """The cover's figures as (label, value)."""
        return list(zip(self.figures[::2], self.figures[1::2], strict=True))


def test_the_event_pdf_says_what_the_plenary_said(app, client, day):
    with app.app_context(), unit_of_work():
        event = db.session.get(Event, day.event.id)
        event.starts_on, event.venue = date(2026, 3, 14), "Sala civica di Lecco"
    login(client, day.organizer.email)
    with fpdf_warnings() as warnings:
        reader, pages = pdf_of(client.get(f"/organize/events/{day.event.id}/export/pdf"))
    assert warnings == []  # the emoji are left out quietly
    assert reader.metadata.title == "Tavolo di co-progettazione 2026"
    text = " ".join(pages)
    # Labels are the event's language's (tested on an English event below); here, the data.
    assert "Tavolo di co-progettazione 2026 14 marzo 2026 · Sala civica di Lecco" in pages[0]
    assert "Più corse serali" in text and "Società San Vincenzo" in text and "dell'età media" in text
    assert "HYPERLINK" not in text  # the hidden need
    assert "🚌" not in text and "Più corse serali dei bus verso le frazioni 3" in text

    with app.app_context(), force_locale("it"):
        event = db.session.get(Event, day.event.id)
        plenary = plenary_snapshot(event)
        minutes = event_minutes(event)
        kinds = [(kind_name(kind.kind), kind.organisations, kind.participants, kind.needs)
                 for kind in minutes.by_kind]
        shares = {entry["id"]: format_percent(entry["share"]) for theme in plenary["themes"]
                  for entry in theme["ranking"]}

    # Each theme starts a page: its chart (rank, text, dots), then its table
    # (rank, text, dots, share, tables, organisations), as ranked at the plenary.
    for number, theme in enumerate(plenary["themes"], start=1):
        page = pages[number]
        assert theme["name"] in page
        position = 0
        for entry in theme["ranking"]:
            bar = f"{entry['rank']}. {printable(entry['text'])} {entry['dots']}"
            assert page.find(bar, position) > position, bar
            position = page.find(bar, position)
        for entry in theme["ranking"]:
            row = (f"{entry['rank']} {printable(entry['text'])} {entry['dots']} {shares[entry['id']]} "
                   + ", ".join(table["name"] for table in entry["tables"]))
            assert row in page, row
    assert ("1 " + DOPOSCUOLA + " 4 44% Table 1.1, Table 1.2 Cooperativa L'Arcobaleno, Società San Vincenzo"
            in pages[1])
    assert "2 Più corse serali dei bus verso le frazioni 3 60% Table 1.1 Comune di Lecco, Cooperativa L'Arcobaleno" \
        in pages[1]
    assert HOMEWORK not in pages[1]  # merged into the after-school need at the plenary, counted with it
    assert f"1 {JOBS} 1 100% Table 2.1 ARCI Lecco" in pages[2]

    # Participation by kind (municipality, volunteers, association, social enterprise, cooperative, other:
    # organisations, participants, visible needs raised), the organisations, and the tables.
    closing = " ".join(pages[3:])
    assert [counts for _kind, *counts in kinds] == [[1, 2, 1], [1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 3], [0, 0, 0]]
    for kind, organisations, participants, needs in kinds:
        assert f"{kind} {organisations} {participants} {needs}" in closing
    assert f"Società San Vincenzo {kinds[1][0]} 1 • Aiuto compiti pomeridiano" in closing
    assert "Table 1.1 Famiglie e minori Marco Rossi 2 3 5" in closing
    assert "Table 2.2 Lavoro – 1 0 0" in closing
    assert all("Tavolo di co-progettazione 2026" in page for page in pages)  # running header and footer


def test_the_printable_page_carries_the_same_figures_as_the_pdf(app, client, day):
    login(client, day.organizer.email)
    response = client.get(f"/organize/events/{day.event.id}/export/report")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith("inline;")
    page = Page(response.data.decode("utf-8"))
    assert page.refused == []  # no inline style or script: the page keeps to the CSP
    assert page.lang == "it"
    _, pdf_pages = pdf_of(client.get(f"/organize/events/{day.event.id}/export/pdf"))
    pdf = " ".join(pdf_pages)

    with app.app_context():
        plenary = plenary_snapshot(db.session.get(Event, day.event.id))
    counters = plenary["counters"]
    figures = page.pairs()
    assert [value for _label, value in figures] == [
        str(counters["participants"]), str(counters["organisations"]), "4", str(counters["needs"]),
        str(counters["dots"])]
    assert " ".join(f"{value} {label}" for label, value in figures) in pdf_pages[0]

    # The page's tables, in order: each theme's ranking, the kinds of organisation, the organisations, the tables.
    rankings, (by_kind, _organisations, tables) = [table[1:] for table in page.tables[:2]], page.tables[2:]
    for theme, rows in zip(plenary["themes"], rankings, strict=True):
        assert [(int(row[0]), row[1], int(row[2])) for row in rows] == [
            (entry["rank"], entry["text"], entry["dots"]) for entry in theme["ranking"]]
        for row in rows:  # the same cells, in the same order, in the PDF
            assert printable(" ".join(row)) in pdf, row
    assert [row[1] for row in rankings[0]] == [DOPOSCUOLA, BUS, FIXED, SUMMER]  # emoji kept on the page
    # The bars: the theme's top need fills the track, the others in proportion, each labelled with its dots.
    assert page.bars[:4] == [(580.0, "#1f5fa8"), (435.0, "#1f5fa8"), (145.0, "#1f5fa8"), (145.0, "#1f5fa8")]
    for row in by_kind + tables:
        assert printable(" ".join(row)) in pdf, row
    assert "Marco Rossi" in page.text and SPAM not in page.text and "HYPERLINK" not in page.text


def test_a_facilitator_gets_the_summary_of_their_table_only(app, day):
    http = app.test_client()
    login(http, day.facilitator.email)
    table = day.tables[0]
    _, pages = pdf_of(http.get(f"/tables/{table.id}/export/pdf"))
    text = " ".join(pages)
    assert "Table 1.1 Tavolo di co-progettazione 2026" in pages[0] and "Marco Rossi" in pages[0]
    with app.app_context():
        own = ranking(db.session.get(WorkingTable, table.id))
    assert [(entry["rank"], entry["dots"]) for entry in own] == [(1, 3), (2, 1), (2, 1)]
    for entry in own:
        assert f"{entry['rank']}. {printable(entry['text'])} {entry['dots']}" in pages[1]
    for elsewhere in ("Table 1.2", "Table 2.1", "Table 2.2", HOMEWORK, SUMMER[:10], JOBS, "Lavoro",
                      "Società San Vincenzo", "ARCI Lecco", "HYPERLINK"):
        assert elsewhere not in text, elsewhere
    page = Page(http.get(f"/tables/{table.id}/export/report").data.decode("utf-8"))
    assert "Table 1.2" not in page.text and "Table 1.1" in page.text and "Marco Rossi" in page.text
    assert http.get(f"/tables/{day.tables[1].id}/export/pdf").status_code == 403


def test_an_english_event_gets_an_english_report(app, client, world):
    organizer = world.account()
    event = world.event(organizer=organizer, title="Town forum on housing")
    with app.app_context(), unit_of_work():
        stored = db.session.get(Event, event.id)
        stored.language, stored.starts_on, stored.venue = "en", date(2026, 3, 14), "Town hall"
    assert world.phone(event.tables[0]).post("Cheaper rents for students")["ok"]
    login(client, organizer.email)
    _, pages = pdf_of(client.get(f"/organize/events/{event.id}/export/pdf"))
    text = " ".join(pages)
    assert pages[0].startswith("REPORT OF THE DAY Town forum on housing March 14, 2026 · Town hall")
    for label in ("1 Participants", "0 Organisations", "1 Tables", "1 Needs ranked", "0 Dots given",
                  "How to read this report", "Dots per need", "1. Cheaper rents for students 0",
                  "Rank Need Dots Share Tables Organisations", "Participation by kind of organisation",
                  "Social cooperative 0 0 0", "No organisation was named.", "Tables and facilitators",
                  "Table Theme Facilitators Participants Needs Dots"):
        assert label in text, label
    for number, page in enumerate(pages, start=1):
        assert "Tavoli - Town forum on housing - generated " in page
        assert page.endswith(f"Page {number} of {len(pages)}")
    page = Page(client.get(f"/organize/events/{event.id}/export/report").data.decode("utf-8"))
    assert page.lang == "en" and "Report of the day" in page.text and "Download the PDF" in page.text


def test_an_empty_event_gives_a_valid_report_with_zero_counts(app, client, world, runner, tmp_path):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=0)
    login(client, organizer.email)
    _, pages = pdf_of(client.get(f"/organize/events/{event.id}/export/pdf"))
    assert len(pages) == 2  # the cover, then participation and tables
    page = Page(client.get(f"/organize/events/{event.id}/export/report").data.decode("utf-8"))
    assert {value for _label, value in page.pairs()} == {"0"}
    assert " ".join(f"{value} {label}" for label, value in page.pairs()) in pages[0]
    assert page.bars == []

    # `flask export` writes the same report to files: a page that carries its
    # stylesheet (no server to fetch it from) and a PDF.
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    for name, target in (("report", html), ("pdf", pdf)):
        result = runner.invoke(args=["export", str(event.id), "--format", name, "--output", str(target)])
        assert result.exit_code == 0, result.output
    saved = html.read_text(encoding="utf-8")
    assert "<style>" in saved and "/static/" not in saved and "@page" in saved
    assert len(PdfReader(pdf).pages) == 2
