"""Every export of the demo renders with its data, and says it is a demo."""

import csv
import html
import io
import json

import openpyxl
from pypdf import PdfReader

from tests.conftest import login
from tests.exports.test_csv_and_access import download
from tests.exports.test_decidim import read_proposals
from workshop.events.models import Event
from workshop.exports.minutes import event_minutes
from workshop.extensions import db


def read_csv(response):
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    header = text[1:].splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","  # as a spreadsheet in the language expects
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


def flat(text):
    return " ".join(text.split())


def test_every_export_of_the_demo_holds_its_morning_and_says_demo(app, demo, client):
    login(client, demo.organizer.email)
    for event_id in (demo.it, demo.en):
        with app.app_context():
            event = db.session.get(Event, event_id)
            title = event.title
            minutes = event_minutes(event)
            top = [theme.ranking[0].text for theme in minutes.themes]
        base = f"/organize/events/{event_id}/export"

        rows = read_csv(download(client, f"{base}/csv"))
        assert len(rows) == minutes.counts.needs_posted >= 60
        assert {row[next(iter(row))] for row in rows} == {title}  # the Event column: "Demo – ..."
        assert title.startswith("Demo")

        book = openpyxl.load_workbook(io.BytesIO(download(client, f"{base}/xlsx").data))
        assert len(book.sheetnames) == 1 + 5 + 2  # summary, one per theme, participation, needs
        assert book.properties.title == title
        cells = {str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value}
        assert all(text in cells for text in top)

        pdf = PdfReader(io.BytesIO(download(client, f"{base}/pdf").data))
        cover = flat(pdf.pages[0].extract_text())
        assert title in cover
        text = flat(" ".join(page.extract_text() for page in pdf.pages))
        assert all(flat(need)[:40] in text for need in top)

        report = html.unescape(download(client, f"{base}/report").get_data(as_text=True))
        assert title in report and all(need in report for need in top)

        archive = json.loads(download(client, f"{base}/json").data)
        assert archive["event"]["title"] == title
        assert len(archive["needs"]) == minutes.counts.needs_posted

        proposals = read_proposals(download(client, f"{base}/decidim"))
        assert len(proposals) == minutes.counts.needs
        assert any(top[0] in value for proposal in proposals for value in proposal.values())


def test_the_report_cover_says_the_data_is_invented(app, demo, client):
    login(client, demo.organizer.email)
    english = flat(html.unescape(download(client, f"/organize/events/{demo.en}/export/report").get_data(as_text=True)))
    assert "Demo data: invented to try Tavoli, not the record of a real meeting." in english
    pdf = PdfReader(io.BytesIO(download(client, f"/organize/events/{demo.en}/export/pdf").data))
    assert "Demo data: invented to try Tavoli" in flat(pdf.pages[0].extract_text())
