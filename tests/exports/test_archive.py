"""The JSON archive: downloaded as users download it, imported back with the
command line, into the same instance and into an empty one, where the day
must rank exactly as it did."""

import copy
import json
import re
import shutil

import pytest
from sqlalchemy import func, select

from config import TestingConfig
from tests.conftest import World, login
from workshop import create_app
from workshop.accounts.models import Account
from workshop.contributions.models import ClientAction, Dot, Need
from workshop.contributions.moderation import hide_need, unhide_need
from workshop.contributions.results import live_dot_counts, ranking, theme_ranking
from workshop.core.database import unit_of_work
from workshop.events.models import Event, Organisation, Theme
from workshop.exports.archive import archive_of
from workshop.exports.minutes import table_minutes
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import FacilitationLog, WorkingTable
from workshop.tables.operations import NEED_DETAIL_KEYS

from .conftest import FIXED
from .test_csv_and_access import download

ROWS = (Event, Theme, WorkingTable, Organisation, Participant, Membership, Need, Dot, FacilitationLog)


@pytest.fixture
def archived_day(app, day):
    """The day, with the facilitator hiding the corrected housing need after
    the vote: its dot is set aside, pointing at his log entry."""
    with app.app_context(), unit_of_work():
        table = db.session.get(WorkingTable, day.tables[0].id)
        hide_need(table, db.session.get(Account, day.facilitator.id), db.session.get(Need, day.needs.typo))
    return day


@pytest.fixture
def empty_instance(tmp_path, migrated_database):
    """Makes a second instance of the app on its own empty database. Made on
    demand, once the day's phones are done: a new app takes over Socket.IO."""
    made = []

    def make():
        instance = tmp_path / f"empty-instance-{len(made)}"
        instance.mkdir()
        shutil.copy(migrated_database, instance / "tavoli.sqlite3")
        made.append(create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


def download_archive(http, url):
    response = download(http, url)
    assert response.mimetype == "application/json"
    return response.data, json.loads(response.data)


def import_file(app, tmp_path, content, email):
    path = tmp_path / "archive.json"
    path.write_bytes(content)
    return app.test_cli_runner().invoke(args=["import-archive", str(path), "--organizer", email])


def imported_event_id(result):
    assert result.exit_code == 0, result.output
    return int(re.search(r"Imported event (\d+)", result.output).group(1))


def row_counts(app):
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in ROWS}


def outcome(app, event_id):
    """What the event came to, told by texts and names (ids differ between
    instances): each table's and theme's ranking, the plenary dashboard and
    its counters, and what became of every need."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        table_ids = [table.id for table in event.tables]
        needs = db.session.scalars(select(Need).where(Need.table_id.in_(table_ids)).order_by(Need.id)).all()
        text = {need.id: need.text for need in needs}
        live = live_dot_counts(table_ids)
        plenary = plenary_snapshot(event)

        def texts(ids):
            return [text[need_id] for need_id in ids]

        return {
            "tables": {table.name: [(entry["text"], entry["dots"], entry["rank"], entry["pinned"],
                                     texts(entry["merged"])) for entry in ranking(table)]
                       for table in event.tables},
            "themes": {theme.name: [(entry["text"], entry["dots"], entry["rank"], entry["share"],
                                     [table["name"] for table in entry["tables"]], texts(entry["merged"]))
                                    for entry in theme_ranking(theme)]
                       for theme in event.themes},
            "plenary": [
                (theme["name"],
                 [(entry["text"], entry["dots"], entry["rank"], entry["table"]["name"],
                   [merged["text"] for merged in entry["theme_merged"]]) for entry in theme["ranking"]],
                 [(table["name"], table["phase"]) for table in theme["tables"]])
                for theme in plenary["themes"]
            ],
            "counters": plenary["counters"],
            "needs": [(need.text, need.original_text, need.hidden, need.pinned, text.get(need.merged_into_id),
                       text.get(need.theme_merged_into_id), live.get(need.id, 0)) for need in needs],
        }


def canonical(archive):
    """The archive without its export time and with every ref replaced by its
    record's position: two archives of the same day then compare equal,
    whatever ids their instances gave."""
    data = copy.deepcopy(archive)
    del data["exported_at"]
    tables = [table for theme in data["themes"] for table in theme["tables"]]
    kinds = {"theme": data["themes"], "table": tables, "organisation": data["organisations"],
             "participant": data["participants"], "need": data["needs"], "log": data["log"]}
    position = {kind: {record["ref"]: index for index, record in enumerate(records)} for kind, records in kinds.items()}

    def at(kind, ref):
        return None if ref is None else position[kind][ref]

    for kind, records in kinds.items():
        for record in records:
            record["ref"] = at(kind, record["ref"])
    for participant in data["participants"]:
        participant["organisation"] = at("organisation", participant["organisation"])
        for joined in participant["joined"]:
            joined["table"] = at("table", joined["table"])
    for need in data["needs"]:
        for key, kind in (("table", "table"), ("participant", "participant"), ("organisation", "organisation"),
                          ("merged_into", "need"), ("theme_merged_into", "need")):
            need[key] = at(kind, need[key])
    for dot in data["dots"]:
        dot["need"], dot["participant"] = at("need", dot["need"]), at("participant", dot["participant"])
        dot["set_aside_by"] = at("log", dot["set_aside_by"])
    for entry in data["log"]:
        entry["table"], entry["need"] = at("table", entry["table"]), at("need", entry["need"])
        for key in NEED_DETAIL_KEYS.get(entry["action"], ()):
            entry["detail"][key] = at("need", entry["detail"][key])
    for kind, sections in (("theme", data["results"]["themes"]), ("table", data["results"]["tables"])):
        for section in sections:
            section[kind] = at(kind, section[kind])
            for entry in section["ranking"]:
                entry["need"], entry["merged"] = at("need", entry["need"]), [at("need", m) for m in entry["merged"]]
                if "tables" in entry:
                    entry["tables"] = [at("table", table) for table in entry["tables"]]
    return data


def keys_in(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


def test_the_downloaded_archive_holds_the_whole_day_as_the_database_does(app, client, archived_day, database):
    day = archived_day
    login(client, day.organizer.email)
    content, archive = download_archive(client, f"/organize/events/{day.event.id}/export/json")
    assert (archive["format"], archive["version"], archive["scope"]) == ("tavoli-archive", 1, "event")
    assert archive["event"]["title"] == "Tavolo di co-progettazione 2026"
    assert [theme["name"] for theme in archive["themes"]] == ["Famiglie e minori", "Lavoro"]
    assert [table["facilitators"] for table in archive["themes"][0]["tables"]] == [
        [{"name": "Marco Rossi", "email": "marco@example.org"}], []]

    def count(model, *where):
        return database.scalar(select(func.count()).select_from(model).where(*where))

    assert len(archive["needs"]) == count(Need) == 8
    assert len(archive["dots"]) == count(Dot) == 10
    live = count(Dot, Dot.set_aside_by_id.is_(None))
    assert sum(dot["set_aside_by"] is None for dot in archive["dots"]) == live == 9
    assert len(archive["participants"]) == count(Participant) == 6
    assert len(archive["log"]) == count(FacilitationLog) == 14
    assert len(archive["organisations"]) == count(Organisation) == 4
    assert {(participant["ref"], joined["table"], joined["dots_used"])
            for participant in archive["participants"] for joined in participant["joined"]} == {
        (membership.participant_id, membership.table_id, membership.dots_used)
        for membership in database.all(select(Membership))}
    assert [(need["ref"], need["table"], need["participant"], need["organisation"], need["text"],
             need["original_text"], need["hidden"], need["pinned"], need["merged_into"], need["theme_merged_into"])
            for need in archive["needs"]] == [
        (need.id, need.table_id, need.participant_id, need.organisation_id, need.text, need.original_text,
         need.hidden, need.pinned, need.merged_into_id, need.theme_merged_into_id)
        for need in database.all(select(Need).order_by(Need.id))]

    # The hidden need's dot points at the facilitator's hide; the merges keep their targets.
    hide = next(entry for entry in archive["log"] if entry["action"] == "hide" and entry["need"] == day.needs.typo)
    assert hide["account"] == {"name": "Marco Rossi", "email": "marco@example.org"}
    assert [dot["set_aside_by"] for dot in archive["dots"] if dot["need"] == day.needs.typo] == [hide["ref"]]
    merge = next(entry for entry in archive["log"] if entry["action"] == "theme_merge")
    assert (merge["need"], merge["detail"], merge["table"]) == (day.needs.homework, {"into": day.needs.doposcuola},
                                                                None)

    with app.app_context():
        event = db.session.get(Event, day.event.id)
        tables = [[(entry["id"], entry["dots"], entry["rank"]) for entry in ranking(table)] for table in event.tables]
        themes = [[(entry["id"], entry["dots"], entry["rank"], entry["share"]) for entry in theme["ranking"]]
                  for theme in plenary_snapshot(event)["themes"]]
    assert [[(entry["need"], entry["dots"], entry["rank"]) for entry in table["ranking"]]
            for table in archive["results"]["tables"]] == tables
    assert [[(entry["need"], entry["dots"], entry["rank"], entry["share"]) for entry in theme["ranking"]]
            for theme in archive["results"]["themes"]] == themes
    assert [entry["text"] for entry in archive["results"]["tables"][0]["ranking"]] == [
        "Più corse serali dei bus verso le frazioni 🚌", "Doposcuola gratuito per i ragazzi dell'età media"]

    # Nothing that identifies a phone or opens an account.
    assert not keys_in(archive) & {"device_digest", "password_hash", "client_id", "token_digest", "last_seen_at"}
    assert {key for participant in archive["participants"] for key in participant} == {
        "ref", "display_name", "organisation", "joined", "created_at"}
    assert sorted(filter(None, (participant["display_name"] for participant in archive["participants"]))) == [
        "Anna", "Carla Bianchi", "Franco"]
    secrets = database.all(select(Participant.device_digest)) + database.all(select(Account.password_hash))
    secrets += database.all(select(ClientAction.client_id))
    assert len(secrets) > 10 and not [secret for secret in secrets if secret.encode() in content]
    assert "🚌".encode() in content  # UTF-8 as it is, not \u escapes


def test_the_day_imported_into_an_empty_instance_ranks_the_same(app, client, archived_day, tmp_path,
                                                                  empty_instance):
    day = archived_day
    login(client, day.organizer.email)
    content, archive = download_archive(client, f"/organize/events/{day.event.id}/export/json")
    before = outcome(app, day.event.id)

    other = empty_instance()
    World(other).account(day.organizer.email, name="Giulia Organizer")
    result = import_file(other, tmp_path, content, day.organizer.email)
    new_event = imported_event_id(result)
    assert "Imported event" in result.output and "Tavolo di co-progettazione 2026" in result.output
    # Marco has no account here: the event and his table are recreated without him, and the command says so.
    assert "invite them to the event again" in result.output and "Marco Rossi <marco@example.org>" in result.output
    assert "join code" not in result.output  # the printed QR codes still work

    assert outcome(other, new_event) == before
    with other.app_context():
        again = archive_of(db.session.get(Event, new_event))
    expected = canonical(archive)
    expected["themes"][0]["tables"][0]["facilitators"] = expected["event"]["facilitators"] = []
    # Everything else, down to who hid what (Marco, on record without an account) and when.
    assert canonical(again) == expected


def test_an_import_into_the_same_instance_is_a_second_event_that_works(app, client, runner, archived_day,
                                                                        tmp_path):
    day = archived_day
    login(client, day.organizer.email)
    content, archive = download_archive(client, f"/organize/events/{day.event.id}/export/json")
    result = import_file(app, tmp_path, content, day.organizer.email)
    new_event = imported_event_id(result)
    assert new_event != day.event.id
    assert result.output.count("is taken here") == 4 and "invite" not in result.output
    assert outcome(app, new_event) == outcome(app, day.event.id)

    with app.app_context():
        event = db.session.get(Event, new_event)
        again = archive_of(event)
        assert [account.email for account in event.tables[0].facilitators] == ["marco@example.org"]
    codes = [table["join_code"] for theme in archive["themes"] for table in theme["tables"]]
    new_codes = [table["join_code"] for theme in again["themes"] for table in theme["tables"]]
    assert not set(codes) & set(new_codes)
    for copy_of in (archive, again):
        for theme in copy_of["themes"]:
            for table in theme["tables"]:
                table["join_code"] = None
    assert canonical(again) == canonical(archive)

    # The recreated log knows which dot the hide set aside: showing the need gives it back.
    with app.app_context(), unit_of_work():
        event = db.session.get(Event, new_event)
        table = event.tables[0]
        typo = db.session.scalar(select(Need).where(Need.table_id == table.id, Need.text == FIXED))
        unhide_need(table, db.session.get(Account, day.facilitator.id), typo)
    tables = outcome(app, new_event)["tables"]
    assert (FIXED, 1, 2, False, []) in tables["Table 1.1"]
    assert outcome(app, day.event.id)["tables"]["Table 1.1"] != tables["Table 1.1"]  # the original is untouched


def test_the_archive_of_one_table_holds_only_that_table_and_imports_as_an_event(app, client, archived_day,
                                                                                 tmp_path):
    day = archived_day
    login(client, day.organizer.email)
    content, archive = download_archive(client, f"/tables/{day.tables[1].id}/export/json")
    assert archive["scope"] == "table"
    assert [(theme["name"], [table["name"] for table in theme["tables"]]) for theme in archive["themes"]] == [
        ("Famiglie e minori", ["Table 1.2"])]
    assert {need["table"] for need in archive["needs"]} == {day.tables[1].id}
    assert [need["ref"] for need in archive["needs"]] == [day.needs.homework, day.needs.summer]
    # Merged at the plenary into a need of table one, which is not in this archive.
    assert [need["theme_merged_into"] for need in archive["needs"]] == [None, None]
    assert [(entry["action"], entry["need"], entry["detail"]) for entry in archive["log"]
            if entry["table"] is None] == [("theme_merge", day.needs.homework, {"into": None})]
    assert {entry["table"] for entry in archive["log"]} == {day.tables[1].id, None}
    assert sorted(participant["display_name"] or "" for participant in archive["participants"]) == [
        "", "Carla Bianchi"]
    assert [organisation["name"] for organisation in archive["organisations"]] == ["Società San Vincenzo"]
    assert len(archive["dots"]) == 4

    with app.app_context():
        minutes = table_minutes(db.session.get(WorkingTable, day.tables[1].id))
    table_ranking = [(entry.text, entry.dots, entry.rank) for entry in minutes.tables[0].ranking]
    assert [(entry["text"], entry["dots"], entry["rank"]) for entry in archive["results"]["tables"][0]["ranking"]] \
        == table_ranking
    theme_alone = [(entry.text, entry.dots, entry.rank, entry.share) for entry in minutes.themes[0].ranking]
    assert [(entry["text"], entry["dots"], entry["rank"], entry["share"])
            for entry in archive["results"]["themes"][0]["ranking"]] == theme_alone

    imported = outcome(app, imported_event_id(import_file(app, tmp_path, content, day.organizer.email)))
    assert [(text, dots, rank) for text, dots, rank, _pinned, _merged in imported["tables"]["Table 1.2"]] \
        == table_ranking
    assert [entry[:4] for entry in imported["themes"]["Famiglie e minori"]] == theme_alone
    assert imported["counters"]["participants"] == 2


def test_an_event_without_themes_round_trips_with_nothing_in_it(app, client, world, tmp_path):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=0)
    login(client, organizer.email)
    content, archive = download_archive(client, f"/organize/events/{event.id}/export/json")
    assert [len(archive[key]) for key in ("themes", "organisations", "participants", "needs", "dots", "log")] == [
        0, 0, 0, 0, 0, 0]
    assert archive["results"] == {"themes": [], "tables": []}
    new_event = imported_event_id(import_file(app, tmp_path, content, organizer.email))
    with app.app_context():
        again = archive_of(db.session.get(Event, new_event))
    assert canonical(again) == canonical(archive)


def test_bad_archives_are_refused_with_what_is_wrong_and_change_nothing(app, world, tmp_path):
    organizer = world.account()
    table = world.table(organizer=organizer)
    phone = world.phone(table)
    assert phone.post("Una biblioteca aperta la sera")["ok"]
    with app.app_context():
        good = archive_of(db.session.scalar(select(Event)))
    # The command line speaks the default language: read it in English here.
    app.config["BABEL_DEFAULT_LOCALE"] = "en"

    def changed(change):
        archive = copy.deepcopy(good)
        change(archive)
        return json.dumps(archive).encode()

    def tamper_results(archive):
        # Written only once the rest is in: the new organisation must go too.
        archive["organisations"].append({"ref": 7, "name": "Nuova APS", "kind": "association", "taking_part": True})
        archive["results"]["tables"][0]["ranking"][0]["dots"] = 5

    cases = [
        (b"{\"format\": \"tavoli-archive\",", "is not a Tavoli archive: it is not JSON"),
        (changed(lambda archive: archive.update(format="tavoli-minutes")), "This file is not a Tavoli archive."),
        (changed(lambda archive: archive.update(version=99)), "version 99 of the format, newer than this Tavoli"),
        (changed(lambda archive: archive["needs"][0].update(table=999)),
         "“needs[0].table” names 999, which is not in the archive"),
        (changed(lambda archive: archive["needs"][0].pop("text")), "“needs[0].text” is missing"),
        (changed(lambda archive: archive["participants"][0]["joined"][0].update(dots_used=2)),
         "used 2 dots at table"),
        (changed(lambda archive: archive["event"].update(status="paused")), "“event.status” should be one of: draft"),
        (changed(tamper_results), "results differ from what its needs and dots add up to"),
    ]
    before = row_counts(app)
    for content, message in cases:
        result = import_file(app, tmp_path, content, organizer.email)
        assert result.exit_code == 1 and message in result.output, (message, result.output)
        assert row_counts(app) == before, message
    unknown = import_file(app, tmp_path, json.dumps(good).encode(), "nobody@example.org")
    assert unknown.exit_code == 1 and "no organizer with the email nobody@example.org" in unknown.output
    assert row_counts(app) == before
    assert "Nothing was imported." in import_file(app, tmp_path, cases[3][0], organizer.email).output
