"""The workbook as a spreadsheet program opens it: its figures agree with the
database and the plenary, its cells are typed, its texts stay texts."""

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from tests.conftest import login
from workshop.contributions.models import Dot, Need
from workshop.contributions.results import ranking
from workshop.core.database import unit_of_work
from workshop.events.models import Event, Organisation, OrganisationKind, Theme
from workshop.events.organisations import kind_name
from workshop.exports.spreadsheets import WIDTH_MAX, WIDTH_MIN, sheet_title
from workshop.extensions import db
from workshop.participants.models import Participant
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import WorkingTable

from .conftest import BUS, BUS_AGAIN, DOPOSCUOLA, FIXED, HOMEWORK, JOBS, SPAM, SUMMER, TYPO
from .test_csv_and_access import download, read_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MARCH_14 = date(2026, 3, 14)


def said(app, language, text):
    """What the workbook calls a thing, in the event's language (translated or not yet)."""
    with app.app_context(), force_locale(language):
        return gettext(text)


def open_workbook(response):
    assert response.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.data))


def rows_of(sheet):
    """The header and the rows of a table sheet."""
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), [list(row) for row in rows[1:]]


def facts_of(sheet):
    """The summary's label -> value pairs (first and second column)."""
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0] is not None}


def block_of(sheet, heading):
    """The little table under a heading of the summary, as its rows."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = [row[0] for row in rows].index(heading) + 2
    end = next((index for index in range(start, len(rows)) if rows[index][0] is None), len(rows))
    return rows[start:end]


def test_the_event_workbook_agrees_with_the_database_and_the_plenary(app, client, day, database):
    with app.app_context(), unit_of_work():
        db.session.get(Event, day.event.id).starts_on = MARCH_14
    login(client, day.organizer.email)
    response = download(client, f"/organize/events/{day.event.id}/export/xlsx")
    assert 'filename="tavoli-tavolo-di-co-progettazione-2026.xlsx"' in response.headers["Content-Disposition"]
    book = open_workbook(response)
    with app.app_context():
        event = db.session.get(Event, day.event.id)
        plenary = plenary_snapshot(event)
        group_organisations = {
            entry["id"]: sorted({name for name in db.session.scalars(
                select(Organisation.name).join(Need, Need.organisation_id == Organisation.id)
                .where(Need.id.in_([entry["id"], *entry["merged"]])))}, key=str.casefold)
            for theme in plenary["themes"] for entry in theme["ranking"]}
    it = lambda text: said(app, "it", text)  # noqa: E731
    summary, *themes, participation, needs = book.worksheets
    assert [sheet.title for sheet in themes] == ["Famiglie e minori", "Lavoro"]

    # One sheet per theme: the plenary's ranking, need by need.
    for sheet, shown in zip(themes, plenary["themes"], strict=True):
        header, rows = rows_of(sheet)
        assert header[:4] == [it("Rank"), it("Need"), it("Dots"), it("Share of its tables' dots")]
        assert [(row[0], row[1], row[2], row[3], row[7]) for row in rows] == [
            (entry["rank"], entry["text"], entry["dots"], entry["share"], entry["id"]) for entry in shown["ranking"]]
        assert [row[4] for row in rows] == [", ".join(table["name"] for table in entry["tables"])
                                            for entry in shown["ranking"]]
        assert [row[5] or "" for row in rows] == [", ".join(group_organisations[entry["id"]])
                                                  for entry in shown["ranking"]]
    families = rows_of(themes[0])[1]
    assert [row[1] for row in families] == [DOPOSCUOLA, BUS, FIXED, SUMMER]  # accents and emoji intact
    assert families[0][6] == HOMEWORK and families[1][6] == BUS_AGAIN  # what was merged into them
    assert SPAM not in {row[1] for sheet in themes for row in rows_of(sheet)[1]}  # hidden: no rank

    # The summary counts as the plenary dashboard and the database do.
    facts = facts_of(summary)
    counters = plenary["counters"]
    assert summary["A1"].value == "Tavolo di co-progettazione 2026"
    assert facts[it("Date")] == datetime(2026, 3, 14) and summary["B4"].number_format == "yyyy-mm-dd"
    assert (facts[it("Participants")], facts[it("Organisations")], facts[it("Needs in the rankings (after merges)")],
            facts[it("Dots used")]) == (counters["participants"], counters["organisations"], counters["needs"],
                                        counters["dots"]) == (6, 4, 5, 10)
    assert (facts[it("Needs posted")], facts[it("Needs hidden")], facts[it("Tables")]) == (
        database.scalar(select(func.count(Need.id))),
        database.scalar(select(func.count(Need.id)).where(Need.hidden)),
        len(day.tables))
    assert block_of(summary, it("Themes")) == [
        [theme["name"], len(theme["tables"]), len(theme["ranking"]), sum(entry["dots"] for entry in theme["ranking"])]
        for theme in plenary["themes"]]
    # Organisations by kind: every organisation here was chosen by a participant
    # or named on a need, and only the spam (not merged into) is hidden.
    by_kind = {row[0]: row[1:] for row in block_of(summary, it("Organisations by kind"))}
    with app.app_context(), force_locale("it"):
        assert list(by_kind) == [kind_name(kind) for kind in OrganisationKind]
        kinds = {kind_name(kind): kind for kind in OrganisationKind}
    for name, (organisations, participants, raised) in by_kind.items():
        kind = kinds[name]
        assert organisations == database.scalar(select(func.count(Organisation.id)).where(Organisation.kind == kind))
        assert participants == database.scalar(select(func.count(Participant.id)).join(
            Organisation, Organisation.id == Participant.organisation_id).where(Organisation.kind == kind))
        assert raised == database.scalar(select(func.count(Need.id)).join(
            Organisation, Organisation.id == Need.organisation_id).where(Organisation.kind == kind, ~Need.hidden))

    # Participation: each organisation present, and what it raised.
    header, rows = rows_of(participation)
    assert header[:2] == [it("Organisation"), it("Kind of organisation")]
    assert [row[:4] for row in rows] == [
        ["ARCI Lecco", "Associazione", 1, 1],
        ["Comune di Lecco", "Comune", 2, 1],
        ["Cooperativa L'Arcobaleno", "Cooperativa sociale", 1, 3],
        ["Società San Vincenzo", "Organizzazione di volontariato", 1, 1],
    ]
    assert [row[4].split("\n") for row in rows] == [[JOBS], [BUS_AGAIN], [BUS, FIXED, DOPOSCUOLA], [HOMEWORK]]

    # Needs: the CSV's columns, every need as posted, the hidden one flagged.
    csv_response = download(client, f"/organize/events/{day.event.id}/export/csv")
    csv_header = next(csv.reader(io.StringIO(csv_response.data.decode("utf-8")[1:]), delimiter=";"))
    header, rows = rows_of(needs)
    assert header == csv_header
    assert len(rows) == database.scalar(select(func.count(Need.id))) == 8
    lines = {row[3]: dict(zip(header, row, strict=True)) for row in rows}
    by_csv = {int(row["Id del bisogno"]): row for row in read_csv(csv_response)}
    assert set(lines) == set(by_csv)
    for need_id, line in lines.items():
        assert line["Bollini su questo bisogno"] == int(by_csv[need_id]["Bollini su questo bisogno"])
        rank = by_csv[need_id]["Posizione nel tema"]
        assert line["Posizione nel tema"] == (int(rank) if rank else None)
    spam = lines[day.needs.spam]
    assert (spam["Bisogno"], spam["Nascosto"], spam["Posizione al tavolo"]) == (SPAM, "sì", None)
    assert lines[day.needs.typo]["Testo originale"] == TYPO
    posted = database.all(select(Need).where(Need.id == day.needs.bus))[0].created_at
    assert isinstance(lines[day.needs.bus]["Pubblicato il (UTC)"], datetime)
    assert abs(lines[day.needs.bus]["Pubblicato il (UTC)"] - posted.replace(tzinfo=None)) < timedelta(seconds=1)


def test_every_sheet_is_laid_out_and_text_stays_text(app, client, day, database):
    login(client, day.organizer.email)
    data = download(client, f"/organize/events/{day.event.id}/export/xlsx").data
    book = openpyxl.load_workbook(io.BytesIO(data))
    colours = [colour.lstrip("#").upper() for colour in database.all(
        select(Theme.colour).where(Theme.event_id == day.event.id).order_by(Theme.position))]
    summary, *themes, participation, needs = book.worksheets
    for sheet in (*themes, participation, needs):
        last = openpyxl.utils.get_column_letter(sheet.max_column)
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        for letter in (openpyxl.utils.get_column_letter(number) for number in range(1, sheet.max_column + 1)):
            assert WIDTH_MIN <= sheet.column_dimensions[letter].width <= WIDTH_MAX, (sheet.title, letter)
    for sheet, colour in zip(themes, colours, strict=True):
        assert {cell.fill.fgColor.rgb[-6:] for cell in sheet[1]} == {colour}
        assert {cell.number_format for cell in sheet["D"][1:]} == {"0.0%"}
        assert all(isinstance(cell.value, int) and cell.data_type == "n" for cell in sheet["C"][1:])
    # The need column is as wide as its longest need.
    assert themes[0].column_dimensions["B"].width == min(WIDTH_MAX, len(DOPOSCUOLA) + 2)

    # A need that looks like a formula is kept as the words that were posted.
    spam = next(row for row in needs.iter_rows(min_row=2) if row[3].value == day.needs.spam)
    assert (spam[4].value, spam[4].data_type) == (SPAM, "s")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets and not any(re.search(rb"<f[ >]", archive.read(name)) for name in sheets)
    assert {cell.number_format for cell in needs["S"][1:]} == {"yyyy-mm-dd hh:mm:ss"}
    assert all(isinstance(cell.value, datetime) for cell in needs["S"][1:])
    assert not summary.freeze_panes and summary["A1"].font.bold


def test_a_table_workbook_holds_only_that_table(app, day, database):
    http = app.test_client()
    login(http, day.facilitator.email)
    book = open_workbook(download(http, f"/tables/{day.tables[0].id}/export/xlsx"))
    summary, *themes, participation, needs = book.worksheets
    assert [sheet.title for sheet in themes] == ["Famiglie e minori"]
    with app.app_context():
        table_ranking = ranking(db.session.get(WorkingTable, day.tables[0].id))
    assert [(row[0], row[1], row[2]) for row in rows_of(themes[0])[1]] == [
        (entry["rank"], entry["text"], entry["dots"]) for entry in table_ranking] == [
        (1, BUS, 3), (2, FIXED, 1), (2, DOPOSCUOLA, 1)]
    assert {row[4] for row in rows_of(themes[0])[1]} == {"Table 1.1"}
    assert {row[2] for row in rows_of(needs)[1]} == {"Table 1.1"} and len(rows_of(needs)[1]) == 5
    assert [row[0] for row in rows_of(participation)[1]] == ["Comune di Lecco", "Cooperativa L'Arcobaleno"]
    facts = facts_of(summary)
    it = lambda text: said(app, "it", text)  # noqa: E731
    live_dots = database.scalar(select(func.count(Dot.id)).where(
        Dot.table_id == day.tables[0].id, Dot.set_aside_by_id.is_(None)))
    assert (facts[it("Table")], facts[it("Tables")], facts[it("Participants")], facts[it("Dots used")]) == (
        "Table 1.1", 1, 2, live_dots)


def test_an_empty_english_event_gives_a_valid_workbook_with_zero_counts(app, client, world):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=0, title="Empty = nothing yet")
    with app.app_context(), unit_of_work():
        db.session.get(Event, event.id).language = "en"
    login(client, organizer.email)
    book = open_workbook(download(client, f"/organize/events/{event.id}/export/xlsx"))
    assert book.sheetnames == ["Summary", "Participation", "Needs"]
    summary = book["Summary"]
    assert (summary["A1"].value, summary["A1"].data_type) == ("Empty = nothing yet", "s")
    facts = facts_of(summary)
    assert [facts[label] for label in ("Participants", "Organisations", "Tables",
                                       "Needs in the rankings (after merges)", "Needs posted", "Needs hidden",
                                       "Dots used")] == [0] * 7
    assert block_of(summary, "Themes") == []
    assert all(row[1:] == [0, 0, 0] for row in block_of(summary, "Organisations by kind"))
    header, rows = rows_of(book["Needs"])
    assert header[:5] == ["Event", "Theme", "Table", "Need id", "Need"] and rows == []
    assert book["Needs"].auto_filter.ref == "A1:T1" and book["Needs"].freeze_panes == "A2"
    assert rows_of(book["Participation"])[1] == []


def test_sheet_titles_are_valid_for_excel_and_unique():
    taken = set()
    assert sheet_title("Casa: [affitti]/mutui?", taken) == "Casa- -affitti--mutui-"
    long = "Politiche giovanili e partecipazione dei ragazzi"
    assert sheet_title(long, taken) == long[:31]
    assert sheet_title(long.upper(), taken) == long.upper()[:27].rstrip() + " (2)"
    assert sheet_title("Needs", taken) == "Needs" and sheet_title("needs", taken) == "needs (2)"
    assert sheet_title("'quoted'", taken) == "quoted" and sheet_title("", taken) == "-"
    assert all(len(title) <= 31 for title in taken)
