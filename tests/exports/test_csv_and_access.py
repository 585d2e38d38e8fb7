"""The CSV as a spreadsheet program reads it, and who may download the minutes."""

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from workshop.accounts.models import Role
from workshop.contributions.models import Dot, Need

from .conftest import BUS, FIXED, SPAM, SUMMER


def download(http, url):
    response = http.get(url)
    assert response.status_code == 200, response.status_code
    return response


def read_csv(response):
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the accents right only with the mark
    dialect = csv.Sniffer().sniff(text[1:2000], delimiters=";,")
    return list(csv.DictReader(io.StringIO(text[1:]), dialect=dialect))


def test_the_event_csv_has_every_need_and_agrees_with_the_database(app, client, day, database):
    login(client, day.organizer.email)
    response = download(client, f"/organize/events/{day.event.id}/export/csv")
    assert response.mimetype == "text/csv"
    assert 'filename="tavoli-tavolo-di-co-progettazione-2026.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)  # an Italian event: ";" and Italian headers
    assert len(rows) == database.scalar(select(func.count(Need.id))) == 8
    by_id = {int(row["Id del bisogno"]): row for row in rows}
    assert sum(int(row["Bollini su questo bisogno"]) for row in rows) == database.scalar(
        select(func.count(Dot.id)).where(Dot.set_aside_by_id.is_(None)))
    bus = by_id[day.needs.bus]
    assert (bus["Bisogno"], bus["Tema"], bus["Tavolo"], bus["Organizzazione"], bus["Pubblicato da"]) == (
        BUS, "Famiglie e minori", "Table 1.1", "Cooperativa L'Arcobaleno", "Anna")
    assert (bus["Bollini al tavolo"], bus["Posizione al tavolo"], bus["Posizione nel tema"]) == ("3", "1", "2")
    assert bus["Tipo di organizzazione"] == "Cooperativa sociale"
    merged = by_id[day.needs.bus_again]
    assert (merged["Unito a (tavolo)"], merged["Posizione al tavolo"]) == (str(day.needs.bus), "")
    corrected = by_id[day.needs.typo]
    assert (corrected["Bisogno"], corrected["Testo originale"]) == (FIXED, "Case popolari per giovani famigle")
    spam = by_id[day.needs.spam]
    assert spam["Nascosto"] == "sì" and spam["Bisogno"] == "'" + SPAM  # kept a text, not a formula
    assert by_id[day.needs.summer]["Bisogno"] == SUMMER  # the emoji survives
    assert by_id[day.needs.summer]["Pubblicato da"] == ""  # anonymous
    homework = by_id[day.needs.homework]
    assert (homework["Unito a (plenaria)"], homework["Posizione nel tema"]) == (str(day.needs.doposcuola), "")


def test_a_table_csv_holds_only_that_table(app, day):
    http = app.test_client()
    login(http, day.facilitator.email)
    rows = read_csv(download(http, f"/tables/{day.tables[0].id}/export/csv"))
    assert {row["Tavolo"] for row in rows} == {"Table 1.1"}
    assert len(rows) == 5


@pytest.mark.parametrize("who", ["participant", "facilitator of another table", "organizer of another event",
                                 "nobody"])
def test_only_organizers_and_the_tables_facilitators_download(app, world, day, who):
    http = app.test_client()
    if who == "participant":
        assert http.get(f"/j/{day.tables[0].join_code}").status_code == 200
    elif who == "facilitator of another table":
        login(http, day.facilitator.email)
    elif who == "organizer of another event":
        other = world.account("other@example.org", role=Role.ORGANIZER)
        world.event(organizer=other)
        login(http, other.email)
    urls = [f"/organize/events/{day.event.id}/export/csv", f"/tables/{day.tables[1].id}/export/csv"]
    if who != "facilitator of another table":
        urls.append(f"/tables/{day.tables[0].id}/export/csv")
    for url in urls:
        response = http.get(url)
        assert response.status_code == 403, (url, response.status_code)
        assert b"Table 1.1" not in response.data


def test_unknown_formats_and_events_are_404(app, client, day):
    login(client, day.organizer.email)
    assert client.get(f"/organize/events/{day.event.id}/export/doc").status_code == 404
    assert client.get("/organize/events/999/export/csv").status_code == 404
    assert client.get("/tables/999/export/csv").status_code == 404


def test_an_empty_event_exports_a_header_only_csv(app, client, world):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=0)
    login(client, organizer.email)
    rows = read_csv(download(client, f"/organize/events/{event.id}/export/csv"))
    assert rows == []


def test_the_command_line_writes_the_same_file(app, runner, day, tmp_path, client):
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["export", str(day.event.id), "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    login(client, day.organizer.email)
    assert target.read_bytes() == download(client, f"/organize/events/{day.event.id}/export/csv").data
    missing = runner.invoke(args=["export", "999"])
    assert missing.exit_code != 0 and "no event 999" in missing.output


def test_the_event_page_and_the_console_offer_every_format(app, client, day):
    from workshop.exports.formats import FORMATS

    login(client, day.organizer.email)
    page = client.get(f"/organize/events/{day.event.id}").data.decode()
    http = app.test_client()
    login(http, day.facilitator.email)
    console = http.get(f"/tables/{day.tables[0].id}/console").data.decode()
    for name in FORMATS:
        assert f'href="/organize/events/{day.event.id}/export/{name}"' in page
        assert f'href="/tables/{day.tables[0].id}/export/{name}"' in console
