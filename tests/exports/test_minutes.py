"""The minutes every export renders, compared with the plenary and the tables' own rankings."""

from workshop.events.models import Event
from workshop.exports.minutes import event_minutes, table_minutes
from workshop.extensions import db
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import WorkingTable

from .conftest import BUS, DOPOSCUOLA, FIXED, JOBS, SUMMER


def test_the_minutes_rank_as_the_plenary_and_count_as_the_dashboard(app, day):
    with app.app_context():
        event = db.session.get(Event, day.event.id)
        minutes = event_minutes(event)
        plenary = plenary_snapshot(event)
    assert [(entry.text, entry.dots, entry.rank) for entry in minutes.themes[0].ranking] == [
        (DOPOSCUOLA, 4, 1), (BUS, 3, 2), (FIXED, 1, 3), (SUMMER, 1, 3)]
    assert [(entry.text, entry.dots, entry.rank) for entry in minutes.themes[1].ranking] == [(JOBS, 1, 1)]
    for theme, shown in zip(minutes.themes, plenary["themes"], strict=True):
        assert [(entry.id, entry.dots, entry.rank) for entry in theme.ranking] == [
            (entry["id"], entry["dots"], entry["rank"]) for entry in shown["ranking"]]
    counters = plenary["counters"]
    assert (minutes.counts.participants, minutes.counts.organisations, minutes.counts.needs,
            minutes.counts.dots) == (counters["participants"], counters["organisations"], counters["needs"],
                                     counters["dots"]) == (6, 4, 5, 10)
    assert (minutes.counts.needs_posted, minutes.counts.needs_hidden, minutes.counts.tables) == (8, 1, 4)
    merged = minutes.themes[0].ranking[0]
    assert merged.tables == ["Table 1.1", "Table 1.2"]
    assert merged.organisations == ["Cooperativa L'Arcobaleno", "Società San Vincenzo"]
    assert merged.share == round(4 / 9, 4)


def test_need_lines_say_what_became_of_every_need(app, day):
    with app.app_context():
        lines = {line.id: line for line in event_minutes(db.session.get(Event, day.event.id)).needs}
    needs = day.needs
    assert (lines[needs.bus_again].merged_into, lines[needs.bus_again].table_rank, lines[needs.bus_again].dots) == (
        needs.bus, None, 0)
    assert (lines[needs.bus].table_dots, lines[needs.bus].table_rank, lines[needs.bus].theme_rank) == (3, 1, 2)
    assert (lines[needs.typo].text, lines[needs.typo].original) == (FIXED, "Case popolari per giovani famigle")
    assert lines[needs.spam].hidden and lines[needs.spam].table_rank is None
    homework = lines[needs.homework]
    assert (homework.theme_merged_into, homework.table_rank, homework.theme_rank, homework.dots) == (
        needs.doposcuola, 1, None, 3)
    assert (lines[needs.bus].author, lines[needs.bus_again].author) == ("Anna", None)


def test_the_minutes_of_one_table_keep_to_that_table(app, day):
    with app.app_context():
        minutes = table_minutes(db.session.get(WorkingTable, day.tables[1].id))
    assert minutes.table.name == "Table 1.2"
    assert [(entry.text, entry.dots) for entry in minutes.themes[0].ranking] == [
        ("Aiuto compiti pomeridiano", 3), (SUMMER, 1)]
    assert (minutes.counts.participants, minutes.counts.organisations, minutes.counts.dots) == (2, 1, 4)
    assert [presence.name for presence in minutes.participation] == ["Società San Vincenzo"]
