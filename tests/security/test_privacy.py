"""Privacy: what Tavoli keeps about people, and that deleting it leaves no trace.

The day of tests/exports/conftest.py is built through the real paths (phones
over Socket.IO, consoles, the plenary), with named participants, plus an
invited facilitator and a phone with a unicode name. Then the searches are
exhaustive: every column of every table of the database (JSON decoded), the
database's files on disk (main file and write-ahead log), every log line the
app wrote, and every export format of the event and of each table.
"""

import contextlib
import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from config import TestingConfig
from tests.conftest import csrf_token, login
from tests.exports.test_archive import outcome
from workshop import create_app
from workshop.accounts.models import FacilitatorInvite, Role
from workshop.core.database import unit_of_work
from workshop.core.logs import JsonFormatter, KeyValueFormatter
from workshop.core.models import utcnow
from workshop.events.models import Event, EventStatus, Organisation
from workshop.exports.formats import FORMATS
from workshop.extensions import db
from workshop.participants import views as participant_views
from workshop.participants.models import Participant
from workshop.tables.models import FacilitationLog, WorkingTable
from workshop.tables.presence import presence

EN = {"Accept-Language": "en"}
# Every HTTP request of these tests comes from this address and browser: they
# must never be stored or logged.
PROBE_ADDRESS = "203.0.113.77"
PROBE_AGENT = "PrivacyProbe/7.3 (Tavoli test; Android 14)"
NAMES = ["Anna", "Carla Bianchi", "Franco"]  # given on the day's phones
UNICODE_NAME = "Zoë Ørsted-Ünal ☕"
INVITE_EMAIL = "ottavia.invitata@example.org"
INVITE_NAME = "Ottavia Invitata"


@pytest.fixture
def app(tmp_path, migrated_database):
    """The app as in tests/conftest.py, with the access log on and every HTTP
    client speaking from PROBE_ADDRESS with PROBE_AGENT."""
    from flask.testing import FlaskClient

    class Probe(FlaskClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.environ_base.update(REMOTE_ADDR=PROBE_ADDRESS, HTTP_USER_AGENT=PROBE_AGENT)

    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(migrated_database, instance / "tavoli.sqlite3")
    app = create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None, SERVER_ACCESS_LOG=True)
    app.test_client_class = Probe
    presence.forget_everyone()
    yield app
    with app.app_context():
        db.engine.dispose()


class CapturedLogs:
    """Every record logged while a test runs, formatted as the app writes it
    (both formats), so that a search sees exactly what an operator would."""

    def __init__(self):
        import logging

        self.lines = []
        captured = self

        class Handler(logging.Handler):
            def emit(self, record):
                captured.lines.append(KeyValueFormatter().format(record))
                captured.lines.append(JsonFormatter().format(record))

        self.handler = Handler(level=logging.DEBUG)

    @property
    def text(self):
        return "\n".join(self.lines)


@pytest.fixture
def logs(app):
    import logging

    captured = CapturedLogs()
    root = logging.getLogger()
    root.addHandler(captured.handler)
    yield captured
    root.removeHandler(captured.handler)


@pytest.fixture
def issued_devices(monkeypatch):
    """Every device token and signed cookie the app hands out during the test."""
    issued = []
    original = participant_views.new_device_cookie

    def recording(secret_key):
        token, cookie = original(secret_key)
        issued.append((token, cookie))
        return token, cookie

    monkeypatch.setattr(participant_views, "new_device_cookie", recording)
    return issued


# -- searching -----------------------------------------------------------------


def _database_path(app):
    return Path(app.instance_path) / "tavoli.sqlite3"


def database_cells(app):
    """(table, column, text) for every non-null value of every table, read
    straight from the file; JSON values are also given decoded (SQLAlchemy
    stores "ë" as "\\u00eb")."""
    connection = sqlite3.connect(f"file:{_database_path(app)}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells = []
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [description[0] for description in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    cells.append((table, column, text))
                    if text[:1] in "{[":
                        with contextlib.suppress(ValueError):
                            cells.append((table, column, json.dumps(json.loads(text), ensure_ascii=False)))
        return tables, cells
    finally:
        connection.close()


def database_files(app):
    """The raw bytes of the database's files: a deleted value must not linger
    in free pages or in the write-ahead log either."""
    path = _database_path(app)
    return {candidate.name: candidate.read_bytes()
            for candidate in (path, path.with_name(path.name + "-wal")) if candidate.exists()}


def export_texts(http, event_id, table_ids):
    """The text of every export format, of the event and of each table."""
    urls = [f"/organize/events/{event_id}/export/{name}" for name in FORMATS]
    urls += [f"/tables/{table_id}/export/{name}" for table_id in table_ids for name in FORMATS]
    texts = {}
    for url in urls:
        response = http.get(url)
        assert response.status_code == 200, (url, response.status_code)
        texts[url] = _readable(url.rsplit("/", 1)[1], response.data)
    return texts


def _readable(name, content):
    if name == "pdf":
        return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True,
                              check=True).stdout.decode("utf-8")
    if name == "xlsx":
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            return "\n".join(workbook.read(member).decode("utf-8") for member in workbook.namelist()
                             if member.endswith(".xml"))
    text = content.decode("utf-8-sig")
    if name in ("json", "decidim"):
        text += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    return text


def traces(needles, app, logs, exports):
    """Where any of the needles still shows: [(needle, place)]."""
    found = []
    _tables, cells = database_cells(app)
    files = database_files(app)
    for needle in needles:
        folded = needle.casefold()
        found += [(needle, f"database {table}.{column}") for table, column, text in cells
                  if folded in text.casefold()]
        found += [(needle, f"file {name}") for name, content in files.items() if needle.encode() in content]
        found += [(needle, "logs") for line in logs.lines if folded in line.casefold()][:1]
        found += [(needle, f"export {url}") for url, text in exports.items() if folded in text.casefold()]
    return found


# -- building the day ----------------------------------------------------------


def organizer_client(app, day):
    http = app.test_client()
    assert login(http, day.organizer.email).status_code == 302
    return http


def invite(http, event_id):
    """An invitation by the event page's form; returns the link's token."""
    url = f"/organize/events/{event_id}"
    response = http.post(url + "/invites", data={"invite-email": INVITE_EMAIL, "invite-name": INVITE_NAME,
                                                 "csrf_token": csrf_token(http, url)}, headers=EN)
    return re.search(r'value="https?://[^"/]+/invite/([A-Za-z0-9_-]+)"', response.get_data(as_text=True)).group(1)


def set_status(http, event_id, status):
    url = f"/organize/events/{event_id}"
    return http.post(url + "/status", data={"status": status, "csrf_token": csrf_token(http, url)}, headers=EN)


def delete_personal_data(http, event_id, confirm=True):
    url = f"/organize/events/{event_id}"
    data = {"csrf_token": csrf_token(http, url)}
    if confirm:
        data["personal-confirm"] = "y"
    return http.post(url + "/personal-data/delete", data=data, headers=EN)


def delete_event(http, event_id, title):
    url = f"/organize/events/{event_id}"
    return http.post(url + "/delete", data={"delete-title": title, "csrf_token": csrf_token(http, url)}, headers=EN)


def csv_rows_without(text, column_values):
    """The CSV's rows with the column holding any of column_values left out."""
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    author = next(index for index in range(len(rows[0]))
                  if any(row[index] in column_values for row in rows[1:] if index < len(row)))
    return [row[:author] + row[author + 1:] for row in rows], author


@pytest.fixture
def named_day(issued_devices, app, day, world):
    """The day, one more phone with a unicode name, an invitation; then the
    event is closed. Returns what to search for and the organizer's client."""
    http = organizer_client(app, day)
    invite_token = invite(http, day.event.id)
    extra = world.phone(day.tables[0])
    assert extra.emit("set_profile", {"name": UNICODE_NAME, "organisation": None})["ok"]
    assert set_status(http, day.event.id, "closed").status_code == 302
    with app.app_context():
        digests = db.session.scalars(select(Participant.device_digest).where(
            Participant.event_id == day.event.id, Participant.device_digest.is_not(None))).all()
    assert len(digests) == 7 == len(issued_devices)  # six phones of the day and one more
    day.http = http
    day.invite_token = invite_token
    day.digests = digests
    day.tokens = [token for token, _cookie in issued_devices] + [cookie for _token, cookie in issued_devices]
    day.extra_phone = extra
    return day


# -- the tests -----------------------------------------------------------------


def test_no_address_user_agent_or_device_token_is_ever_stored_logged_or_exported(app, named_day, logs):
    exports = export_texts(named_day.http, named_day.event.id, [table.id for table in named_day.tables])
    assert logs.lines, "the access log wrote what the requests did"
    assert traces([PROBE_ADDRESS, PROBE_AGENT, named_day.invite_token, *named_day.tokens], app, logs, exports) == []
    # The device digests are in the database only, never in logs or exports.
    leaks = [place for _needle, place in traces(named_day.digests, app, logs, exports)
             if not place.startswith(("database participant.device_digest", "file"))]
    assert leaks == []


def test_deleting_personal_data_leaves_no_trace_and_keeps_the_results(app, named_day, logs, database):
    day, http = named_day, named_day.http
    table_ids = [table.id for table in day.tables]
    people = [*NAMES, UNICODE_NAME, INVITE_EMAIL, INVITE_NAME]
    secrets = [*day.digests, *day.tokens, day.invite_token, PROBE_ADDRESS, PROBE_AGENT]
    before = export_texts(http, day.event.id, table_ids)
    figures_before = outcome(app, day.event.id)
    archive_before = json.loads(http.get(f"/organize/events/{day.event.id}/export/json").data)
    # The search can fail: before the deletion it finds every name, digest and the invitation.
    found = {needle for needle, _place in traces(people + day.digests, app, logs, before)}
    assert found == set(people + day.digests)
    card = http.get(f"/organize/events/{day.event.id}", headers=EN).get_data(as_text=True)
    assert "Personal data" in card and "Participants' names: 4" in card

    refused = delete_personal_data(http, day.event.id, confirm=False)
    assert refused.status_code == 400 and "Tick the box to confirm." in refused.get_data(as_text=True)
    assert database.scalar(select(Participant.display_name).where(Participant.display_name == "Anna")) == "Anna"

    response = delete_personal_data(http, day.event.id)
    assert response.status_code == 302
    page = http.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert re.search(r"Personal data deleted \(names: 4, phones(&#39;|')? codes: 7, invitations: 1\)", page)

    after = export_texts(http, day.event.id, table_ids)
    assert traces(people + secrets, app, logs, after) == []
    # The same figures, minus the names.
    assert outcome(app, day.event.id) == figures_before
    csv_url = f"/organize/events/{day.event.id}/export/csv"
    rows_before, author = csv_rows_without(before[csv_url].lstrip("\ufeff"), NAMES)
    rows_after = [row[:author] + row[author + 1:] for row in csv.reader(io.StringIO(
        after[csv_url].lstrip("\ufeff")), delimiter=";")]
    assert rows_after == rows_before
    archive_after = json.loads(http.get(f"/organize/events/{day.event.id}/export/json").data)
    assert archive_after["results"] == archive_before["results"]
    assert archive_after["needs"] == archive_before["needs"]
    assert archive_after["dots"] == archive_before["dots"]
    assert len(archive_after["participants"]) == len(archive_before["participants"]) == 7
    # The log says it happened, with counts and no one's name.
    entry = database.all(select(FacilitationLog).where(FacilitationLog.action == "personal_data_deleted"))
    assert [(e.detail, e.account_id) for e in entry] == [(
        {"reason": "organizer", "names": 4, "devices": 7, "client_actions": 18, "invitations": 1,  # 8 posts, 10 dots
         "archived_accounts": 0}, day.organizer.id)]
    assert any("personal data deleted" in line and "names=4" in line for line in logs.lines)

    # A phone of the day is now a stranger: the closed event turns it away.
    comeback = day.extra_phone.another_tab(app)
    assert not comeback.connected
    # And the event cannot be opened again (its phones would come back with new dots).
    refused = set_status(http, day.event.id, "live")
    assert refused.status_code == 303
    assert database.scalar(select(Event.status).where(Event.id == day.event.id)).value == "closed"
    # Deleting again finds nothing and logs nothing more.
    assert delete_personal_data(http, day.event.id).status_code == 302
    assert len(database.all(select(FacilitationLog).where(FacilitationLog.action == "personal_data_deleted"))) == 1


def test_personal_data_of_a_live_event_cannot_be_deleted(app, world, client, database):
    organizer = world.account()
    event = world.event(organizer=organizer)
    phone = world.phone(event.tables[0])
    assert phone.emit("set_profile", {"name": "Lia", "organisation": None})["ok"]
    login(client, organizer.email)
    response = delete_personal_data(client, event.id)
    assert response.status_code == 400
    assert "Close the event first" in response.get_data(as_text=True)
    assert database.scalar(select(Participant.display_name)) == "Lia"
    assert delete_event(client, event.id, "Tavoli 2026").status_code == 400
    assert database.scalar(select(Event.id)) == event.id


def test_only_the_event_s_organizers_may_delete_its_data(app, world, database):
    owner = world.account("owner@example.org")
    other = world.account("other@example.org")
    facilitator = world.account("facilitator@example.org", role=Role.FACILITATOR)
    event = world.event(organizer=owner, status=EventStatus.CLOSED)
    for account in (other, facilitator):
        http = app.test_client()
        login(http, account.email)
        token = csrf_token(http, "/facilitate/")
        assert http.post(f"/organize/events/{event.id}/personal-data/delete",
                         data={"personal-confirm": "y", "csrf_token": token}).status_code == 403
        assert http.post(f"/organize/events/{event.id}/delete",
                         data={"delete-title": "Tavoli 2026", "csrf_token": token}).status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(f"/organize/events/{event.id}/delete").status_code in (302, 400)
    assert database.scalar(select(Event.id)) == event.id


def _rows_of(app):
    """{table: rows} of the whole database."""
    connection = sqlite3.connect(f"file:{_database_path(app)}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: connection.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}
    finally:
        connection.close()


def test_deleting_an_event_removes_all_of_it_and_keeps_the_registry(app, named_day, logs, world, database):
    day, http = named_day, named_day.http
    other = world.event(organizer=day.organizer, title="Another meeting")
    other_phone = world.phone(other.tables[0])
    assert other_phone.post("Un bisogno di un altro evento")["ok"]
    before = _rows_of(app)
    with app.app_context():
        event = db.session.get(Event, day.event.id)
        texts = [event.title, *(theme.name for theme in event.themes)]
        join_codes = [table.join_code for table in event.tables]
    texts += [*NAMES, UNICODE_NAME, INVITE_EMAIL, "Più corse serali dei bus", "Aiuto compiti pomeridiano"]

    wrong = delete_event(http, day.event.id, "Tavolo di co-progettazione")
    assert wrong.status_code == 400 and "This is not the event's title." in wrong.get_data(as_text=True)
    assert database.scalar(select(Event.id).where(Event.id == day.event.id)) == day.event.id

    response = delete_event(http, day.event.id, " Tavolo di co-progettazione   2026 ")
    assert response.status_code == 302 and response.headers["Location"] == "/organize/"
    assert http.get(f"/organize/events/{day.event.id}").status_code == 404

    after = _rows_of(app)
    exports = export_texts(http, other.id, [other.tables[0].id])
    assert traces(texts + day.digests, app, logs, exports) == []
    assert not set(database.all(select(WorkingTable.join_code))) & set(join_codes)
    # What is left: the other event whole, the registry, the accounts; nothing else.
    kept = {"organisation", "account", "alembic_version", "setup_link"}
    for table, rows in after.items():
        if table in kept:
            assert rows == before[table], table
    with app.app_context():
        assert db.session.scalar(select(Event.id)) == other.id
        assert len(db.session.scalars(select(Organisation)).all()) == 4
        remaining_participants = db.session.scalars(select(Participant.event_id)).all()
    assert set(remaining_participants) == {other.id}
    assert after["need"] == [row for row in before["need"] if row[1] == other.tables[0].id]
    for table in ("theme", "working_table", "table_membership", "dot", "facilitation_log", "facilitator_invite",
                  "client_action", "event_organizer", "event_facilitator", "event_organisation",
                  "table_facilitator"):
        assert len(after[table]) <= len(before[table]), table
    assert after["facilitator_invite"] == [] and after["dot"] == [] and after["event_organisation"] == []
    assert any("event deleted" in line for line in logs.lines)


def _close_days_ago(app, event_id, days):
    """Pretend the event was closed `days` ago (its status log entries move back)."""
    with app.app_context(), unit_of_work():
        db.session.execute(update(FacilitationLog).where(FacilitationLog.event_id == event_id,
                                                         FacilitationLog.action == "status")
                           .values(at=utcnow() - timedelta(days=days)))


def test_the_retention_period_deletes_old_events_personal_data_once(app, world, runner, database):
    organizer = world.account()
    http = app.test_client()
    login(http, organizer.email)
    old, recent, open_event = (world.event(organizer=organizer, title=title) for title in ("Old", "Recent", "Open"))
    for event, name in ((old, "Olga"), (recent, "Renata"), (open_event, "Ofelia")):
        phone = world.phone(event.tables[0])
        assert phone.emit("set_profile", {"name": name, "organisation": None})["ok"]
    for event in (old, recent):
        assert set_status(http, event.id, "closed").status_code == 302
    _close_days_ago(app, old.id, 181)
    _close_days_ago(app, recent.id, 10)
    assert app.config["DATA_RETENTION_DAYS"] == 180

    result = runner.invoke(args=["purge-personal-data"])
    assert result.exit_code == 0, result.output
    assert re.search(rf"Event {old.id} \(closed since \d{{4}}-\d\d-\d\d\): deleted 1 names, 1 device digests",
                     result.output), result.output
    assert database.all(select(Participant.display_name).order_by(Participant.id)) == [None, "Renata", "Ofelia"]
    assert database.scalar(select(Participant.device_digest).where(Participant.event_id == old.id)) is None

    again = runner.invoke(args=["purge-personal-data"])
    assert again.exit_code == 0 and again.output.startswith("Nothing to delete"), again.output
    shorter = runner.invoke(args=["purge-personal-data", "--days", "7"])
    assert f"Event {recent.id} " in shorter.output and f"Event {open_event.id} " not in shorter.output
    assert database.all(select(Participant.display_name).order_by(Participant.id)) == [None, None, "Ofelia"]
    assert [entry.detail["reason"] for entry in database.all(
        select(FacilitationLog).where(FacilitationLog.action == "personal_data_deleted"))] == ["retention"] * 2


def test_the_server_applies_the_retention_period_at_start(app, world, capsys):
    from workshop.serve import announce

    organizer = world.account()
    event = world.event(organizer=organizer, status=EventStatus.CLOSED)
    with app.app_context(), unit_of_work():
        db.session.add(Participant(event_id=event.id, device_digest="d" * 64, display_name="Nadia"))
    _close_days_ago(app, event.id, 400)
    with app.app_context(), unit_of_work():
        # No status entry at all: the event counts as closed since it was created.
        db.session.execute(update(Event).values(created_at=utcnow() - timedelta(days=400)))
    announce(app)
    printed = capsys.readouterr().out
    assert f"Event {event.id} " in printed and "deleted 1 names" in printed
    with app.app_context():
        assert db.session.scalar(select(Participant.display_name)) is None


def test_names_of_people_in_an_imported_archive_are_deleted_too(app, named_day, runner, tmp_path, logs):
    day, http = named_day, named_day.http
    archive = json.loads(http.get(f"/organize/events/{day.event.id}/export/json").data)
    for entry in archive["log"]:
        if entry["account"] is not None:  # written by someone with no account in the instance it goes to
            entry["account"] = {"name": "Nemo Sconosciuto", "email": "nemo.sconosciuto@example.org"}
    path = tmp_path / "archive.json"
    path.write_text(json.dumps(archive, ensure_ascii=False))
    result = runner.invoke(args=["import-archive", str(path), "--organizer", day.organizer.email])
    assert result.exit_code == 0, result.output
    imported = int(re.search(r"Imported event (\d+)", result.output).group(1))
    assert any("nemo.sconosciuto" in text for _t, _c, text in database_cells(app)[1])
    assert delete_personal_data(http, imported).status_code == 302
    assert delete_personal_data(http, day.event.id).status_code == 302
    exports = export_texts(http, imported, [])
    assert traces(["Nemo Sconosciuto", "nemo.sconosciuto@example.org", *NAMES, UNICODE_NAME], app, logs,
                  exports) == []


def test_a_failed_statement_does_not_put_its_values_in_the_error(app, world):
    from sqlalchemy.exc import IntegrityError

    event = world.event()
    with app.app_context(), unit_of_work():
        db.session.add(Participant(event_id=event.id, device_digest="a1b2" * 16, display_name="Secreta"))
    with pytest.raises(IntegrityError) as failure, app.app_context(), unit_of_work():
        db.session.add(Participant(event_id=event.id, device_digest="a1b2" * 16, display_name="Secreta"))
    assert "a1b2" not in str(failure.value) and "Secreta" not in str(failure.value)


def test_logs_are_structured_and_name_routes_not_paths(app, logs, monkeypatch):
    from workshop.accounts import views as account_views

    def broken(*args, **kwargs):
        raise RuntimeError("the invitation store is down")

    monkeypatch.setattr(account_views, "find_invite", broken)
    http = app.test_client()
    token = "Zx" * 21
    assert http.get(f"/invite/{token}", headers=EN).status_code == 500
    assert http.get("/j/NOPE42?utm=mail", headers=EN).status_code == 404
    text = logs.text
    assert token not in text and "NOPE42" not in text and "utm" not in text
    lines = [json.loads(line) for line in logs.lines if line.startswith("{")]
    assert {"level": "error", "msg": "unhandled error", "route": "/invite/<token>", "error": "RuntimeError"}.items() \
        <= next(line for line in lines if line["msg"] == "unhandled error").items()
    access = [line for line in lines if line["logger"] == "workshop.access"]
    assert [(line["method"], line["route"], line["status"]) for line in access] == [
        ("GET", "/invite/<token>", 500), ("GET", "/j/<code>", 404)]
    assert all(set(line) >= {"time", "level", "logger", "msg"} for line in lines)
    keyvalue = [line for line in logs.lines if line.startswith("time=")]
    assert any('route=/invite/<token> status=500' in line for line in keyvalue)
    assert all(PROBE_ADDRESS not in line and "PrivacyProbe" not in line for line in logs.lines)


def test_the_join_and_phone_pages_say_what_is_kept(app, world, client):
    table = world.table()
    for url in ("/", f"/j/{table.join_code}"):
        english = client.get(url, headers=EN).get_data(as_text=True)
        assert 'id="privacy"' in english
        assert "Privacy: what is kept about you" in english
        assert "never records your IP address" in english
        assert "at the latest 180 days after the event is closed" in english
        assert "for 30 days" in english
        italian = client.get(url, headers={"Accept-Language": "it"}).get_data(as_text=True)
        assert 'id="privacy"' in italian and '<html lang="it">' in italian


def test_invitations_of_the_event_are_gone_after_the_deletion(app, named_day, database):
    assert database.scalar(select(FacilitatorInvite.email)) == INVITE_EMAIL
    assert delete_personal_data(named_day.http, named_day.event.id).status_code == 302
    assert database.all(select(FacilitatorInvite)) == []
    assert named_day.http.get(f"/invite/{named_day.invite_token}").status_code == 404


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_the_real_server_logs_no_address_agent_token_or_name(async_mode):
    """`python wsgi.py` with its access log on: the servers' own access logs
    (address, request line) stay off; the app's lines are JSON without them."""
    import requests

    from tests.servers import AppServer, organizer_session
    from tests.test_real_server import LiveClient, create_table

    headers = {"User-Agent": PROBE_AGENT}
    env = {"SOCKETIO_ASYNC_MODE": async_mode, "SERVER_ACCESS_LOG": "1", "LOG_FORMAT": "json"}
    with AppServer(env=env) as server:
        token = "Tk" * 21  # a one-time link's token in the path (unknown here: 404, logged all the same)
        assert requests.get(f"{server.url}/setup/{token}", headers=headers, timeout=10).status_code == 404
        assert requests.get(server.url + "/j/NOPE42", headers=headers, timeout=10).status_code == 404
        organizer = organizer_session(server)
        _table_id, code = create_table(server, organizer)
        phone_session = requests.Session()
        phone_session.headers.update(headers)
        assert phone_session.get(f"{server.url}/j/{code}", timeout=10).status_code == 200
        phone = LiveClient(server, phone_session, {"table": code, "view": "phone"})
        try:
            phone.wait_for("snapshot")
            assert phone.sio.call("set_profile", {"name": UNICODE_NAME, "organisation": None}, timeout=10)["ok"]
            assert phone.sio.call("post_need", {"id": "privacy-real-0001", "text": "Un bisogno"}, timeout=10)["ok"]
        finally:
            phone.sio.disconnect()
        cookie = phone_session.cookies.get("tavoli_device")
        database = sqlite3.connect(server.instance / "tavoli.sqlite3")
        try:
            stored = "\n".join(str(value) for (table,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")
                for row in database.execute(f'SELECT * FROM "{table}"') for value in row)
        finally:
            database.close()
        log = server.log_path.read_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    routes = [(record["method"], record["route"], record["status"]) for record in records
              if record["logger"] == "workshop.access"]
    assert ("GET", "/setup/<token>", 404) in routes and ("GET", "/j/<code>", 404) in routes
    assert ("GET", "/j/<code>", 200) in routes
    for secret in (token, cookie, cookie.split(".")[0], PROBE_AGENT, "PrivacyProbe", UNICODE_NAME, "NOPE42"):
        assert secret not in log
    assert UNICODE_NAME in stored  # the name is in the database (until deleted), never in the log
    assert "PrivacyProbe" not in stored and "127.0.0.1" not in stored and cookie.split(".")[0] not in stored
    # The only lines that are not JSON are the start-up banner, which names the server's own address.
    assert all(line.startswith("{") or "127.0.0.1" not in line or f"127.0.0.1:{server.port}" in line
               for line in log.splitlines())
    assert not any("127.0.0.1" in json.dumps(record) for record in records if record.get("msg") != "serving")
