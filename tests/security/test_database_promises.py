"""How the database keeps its promises (issue 6, item 4).

- The dot budget is enforced by a conditional update in the same transaction
  as the dot: 50 parallel dots of one participant with a budget of 5 are
  accepted exactly 5 times, round after round (bench/dot_race.py runs 1,000).
- Every client action id is unique in the database; the same action sent
  three times makes one row and gets the same acknowledgement, for every
  phone action; a lost acknowledgement (a crash after the commit) followed by
  a retry on a new connection makes no duplicate.
- Acknowledgements and broadcasts go out only after the commit, never from
  inside a transaction; counters are atomic increments.
- SQLite runs in WAL mode with a busy timeout; write units take the write
  lock when they begin (BEGIN IMMEDIATE), reads never do.

The races run the real operations from many threads, each in its own app
context (so its own session and SQLite connection) on a file database, as
the server runs them.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from config import TestingConfig
from tests.conftest import Phone, set_phase
from tests.contributions.test_live_table import start_table
from tests.security.races import DotRace
from tests.servers import ROOT
from workshop import create_app
from workshop.contributions.models import ClientAction, Dot, Need
from workshop.core import sockets as socket_boundary
from workshop.core.database import unit_of_work
from workshop.extensions import db, socketio
from workshop.participants.models import Membership, Participant
from workshop.tables.models import WorkingTable

# Each round is 50 transactions (about 1 s here); bench/dot_race.py runs 1,000.
DOT_RACE_ROUNDS = 20


def database_file(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def other_connection(app):
    """A connection of another process's kind: plain sqlite3, no waiting for locks."""
    return sqlite3.connect(database_file(app), timeout=0, isolation_level=None)


def write_lock_is_free(app):
    """Whether another writer could begin right now (nobody holds SQLite's write lock)."""
    connection = other_connection(app)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        connection.close()


# -- SQLite's set-up -------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(app):
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"] > 0
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()


SYNCHRONOUS = {"FULL": 2, "NORMAL": 1}


def test_commits_reach_the_disk_before_they_are_acknowledged_unless_told_otherwise(tmp_path):
    env = {name: value for name, value in os.environ.items() if name != "SQLITE_SYNCHRONOUS"}
    default = subprocess.run([sys.executable, "-c", "import config; print(config.config_for().SQLITE_SYNCHRONOUS)"],
                             env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert default == "FULL"
    for level in ("FULL", "NORMAL"):
        instance = tmp_path / level
        app = create_app(TestingConfig, instance_path=str(instance), SQLITE_SYNCHRONOUS=level)
        with app.app_context():
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == SYNCHRONOUS[level]
            db.session.remove()
            db.engine.dispose()
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        create_app(TestingConfig, instance_path=str(tmp_path / "off"), SQLITE_SYNCHRONOUS="OFF")


def test_a_write_unit_holds_the_write_lock_from_its_first_statement_and_a_read_never_takes_it(app):
    with app.app_context():
        db.session.execute(select(WorkingTable.id)).all()
        assert write_lock_is_free(app), "a read-only transaction must not block writers"
        db.session.remove()

        with unit_of_work():
            # Only a read so far: with a deferred BEGIN the lock would come
            # later, at the first write, and could then fail instead of waiting.
            db.session.execute(select(WorkingTable.id)).all()
            assert not write_lock_is_free(app)
        assert write_lock_is_free(app)
        db.session.remove()


# -- the dot budget under a race -------------------------------------------------


def test_fifty_parallel_dots_with_a_budget_of_five_are_accepted_exactly_five_times_every_round(app):
    with DotRace(app, threads=50, budget=5) as race:
        for number in range(DOT_RACE_ROUNDS):
            result = race.round()
            assert result.accepted == 5, (number, result.answers)
            # Only the budget stops them (the cap per need is 50), and no
            # writer ever sees "database is locked" or any other failure.
            assert result.refusals == {"budget_exceeded"}, (number, result.refusals)
            assert result.dots == result.dots_used == result.actions == 5, (number, result)


def test_the_budget_counter_cannot_go_below_zero_in_the_database_itself(world, app):
    table = world.table(dots=2)
    phone = world.phone(table)
    with app.app_context():
        with pytest.raises(IntegrityError), unit_of_work():
            db.session.execute(text("UPDATE table_membership SET dots_used = -1"))
        db.session.remove()
    assert phone.emit("sync", {})["snapshot"]["me"]["left"] == 2


def test_each_post_gets_its_own_table_version_from_an_atomic_increment(world, app, database):
    table, _projector, _console = start_table(world)
    start = database.scalar(select(WorkingTable.version))
    phones = [world.phone(table) for _ in range(20)]
    acks, begin = [None] * len(phones), threading.Barrier(len(phones))

    def post(index):
        begin.wait()
        acks[index] = phones[index].post(f"Need from phone {index}")

    run_in_threads(post, len(phones))
    assert all(ack["ok"] for ack in acks), acks
    assert sorted(ack["v"] for ack in acks) == list(range(start + 1, start + 1 + len(phones)))
    assert database.scalar(select(WorkingTable.version)) == start + len(phones)


def run_in_threads(target, count):
    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- every action is idempotent --------------------------------------------------


def ready(world, kind):
    """A table, a phone and the payload of one `kind` action that can succeed."""
    table, _projector, console = start_table(world, dots=3, max_per_need=2)
    phone = world.phone(table)
    need = phone.post("Spazi studio aperti la sera")["need"]["id"]
    if kind in ("cast_dot", "withdraw_dot"):
        set_phase(console, "vote")
    if kind == "withdraw_dot":
        assert phone.dot(need)["ok"] and phone.dot(need)["ok"]
    payloads = {
        "post_need": {"text": "Una mensa popolare"},
        "edit_need": {"need": need, "text": "Spazi studio aperti fino a mezzanotte"},
        "delete_need": {"need": need},
        "cast_dot": {"need": need},
        "withdraw_dot": {"need": need},
    }
    return table, phone, {"id": f"three-times-{kind}", **payloads[kind]}


def effect(database):
    """What an action can change, as stored."""
    return {
        "needs": sorted((need.id, need.text) for need in database.all(select(Need))),
        "dots": database.scalar(select(func.count(Dot.id))),
        "dots_used": database.scalar(select(Membership.dots_used)),
        "version": database.scalar(select(WorkingTable.version)),
    }


PHONE_ACTIONS = ["post_need", "edit_need", "delete_need", "cast_dot", "withdraw_dot"]


@pytest.mark.parametrize("kind", PHONE_ACTIONS)
def test_an_action_sent_three_times_with_the_same_id_makes_one_change_and_the_same_answer(world, app, database,
                                                                                          kind):
    _table, phone, payload = ready(world, kind)
    before = effect(database)

    first = phone.emit(kind, payload)
    assert first["ok"], first
    after_first = effect(database)
    assert after_first != before
    again = phone.emit(kind, payload)
    # The third time from another connection of the same phone, as after a reconnect.
    from_new_connection = phone.another_tab(app).emit(kind, payload)

    assert again == from_new_connection == first
    assert effect(database) == after_first
    assert database.scalar(select(func.count(ClientAction.id)).where(ClientAction.client_id == payload["id"])) == 1


LIMIT_OF = {"post_need": "RATELIMIT_NEEDS", "edit_need": "RATELIMIT_NEEDS", "delete_need": "RATELIMIT_NEEDS",
            "cast_dot": "RATELIMIT_DOTS", "withdraw_dot": "RATELIMIT_DOTS"}


@pytest.mark.parametrize("kind", PHONE_ACTIONS)
def test_a_resent_action_gets_its_first_answer_past_the_rate_limit_and_uses_none_of_it(world, app, database, kind):
    """A phone back online sends its whole outbox again, maybe several times:
    what was already done must be answered as done, not refused as too many
    (the page would drop it, and put a posted need's text back to be posted
    twice), and must not use up the allowance for what the participant does next."""
    _table, phone, payload = ready(world, kind)
    app.config[LIMIT_OF[kind]] = "3 per minute"
    first = phone.emit(kind, payload)
    assert first["ok"], first
    tab = phone.another_tab(app)
    for sender in [phone, tab] * 4:
        assert sender.emit(kind, payload) == first

    def something_new(n):
        if LIMIT_OF[kind] == "RATELIMIT_NEEDS":
            return phone.post(f"Something new {n}")
        return phone.dot(payload["need"])

    # Two of the three actions a minute are left, whatever the answer to them.
    answers = [something_new(n) for n in range(3)]
    assert [answer.get("error", {}).get("code") == "rate_limited" for answer in answers] == [False, False, True]
    assert database.scalar(select(func.count(ClientAction.id)).where(ClientAction.client_id == payload["id"])) == 1


@pytest.mark.parametrize("kind", ["post_need", "cast_dot", "withdraw_dot", "delete_need"])
def test_the_same_action_from_three_tabs_at_the_same_moment_is_made_once(world, app, database, kind):
    _table, phone, payload = ready(world, kind)
    tabs = [phone, phone.another_tab(app), phone.another_tab(app)]
    before = effect(database)
    acks, begin = [None] * 3, threading.Barrier(3)

    def send(index):
        begin.wait()
        acks[index] = tabs[index].emit(kind, payload)

    run_in_threads(send, 3)
    assert acks[0]["ok"] and acks[0] == acks[1] == acks[2], acks
    after = effect(database)
    assert after["version"] == before["version"] + 1
    assert database.scalar(select(func.count(ClientAction.id)).where(ClientAction.client_id == payload["id"])) == 1


def test_a_client_action_id_is_unique_per_participant_in_the_database_itself(world, app, database):
    world.phone(world.table())
    participant = database.scalar(select(Participant.id))
    row = {"participant_id": participant, "client_id": "duplicate-id", "kind": "post_need", "result": {}}
    with app.app_context():
        with pytest.raises(IntegrityError), unit_of_work():
            db.session.execute(insert(ClientAction), [row, row])
        db.session.remove()


def test_two_requests_that_both_miss_the_earlier_action_make_one_need_and_answer_the_same(world, app, database,
                                                                                        monkeypatch):
    """On PostgreSQL two requests with the same id can both find no earlier
    action (SQLite's BEGIN IMMEDIATE queues them): the unique constraint stops
    the second and the unit of work, run again, answers with the first's answer."""
    table = world.table()
    phone = world.phone(table)
    first = phone.post("Più panchine al parco", action_id="raced-action-id")
    real_scalar = Session.scalar
    misses = []

    def miss_the_earlier_action_once(session, statement, *args, **kwargs):
        if not misses and "client_action" in str(statement):
            misses.append(statement)
            return None
        return real_scalar(session, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "scalar", miss_the_earlier_action_once)
    second = phone.post("Più panchine al parco", action_id="raced-action-id")

    assert misses, "the earlier action was never looked up"
    assert second == first
    assert [need.text for need in database.all(select(Need))] == ["Più panchine al parco"]
    assert database.scalar(select(func.count(ClientAction.id))) == 1


# -- acknowledgements and broadcasts after the commit ---------------------------


def test_an_action_whose_commit_fails_is_not_acknowledged_not_broadcast_and_can_be_retried(world, database,
                                                                                          monkeypatch):
    table, projector, _console = start_table(world)
    phone = world.phone(table)
    projector.received()
    real_commit = Session.commit

    def fail_once(session):
        monkeypatch.setattr(Session, "commit", real_commit)
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(Session, "commit", fail_once)
    refused = phone.post("Corsi di italiano", action_id="commit-fails-once")

    assert refused["ok"] is False and refused["error"]["code"] == "server_error"
    assert database.all(select(Need)) == [] and database.all(select(ClientAction)) == []
    assert projector.received("need_added") == []

    retried = phone.post("Corsi di italiano", action_id="commit-fails-once")
    assert retried["ok"], retried
    assert [need["need"]["id"] for need in projector.received("need_added")] == [retried["need"]["id"]]


def test_every_broadcast_goes_out_after_the_commit_with_no_write_transaction_open(world, app, monkeypatch):
    table, _projector, console = start_table(world)
    phone, other = world.phone(table), world.phone(table)
    seen = []
    real_emit = socketio.emit

    def checked_emit(event, payload, *args, **kwargs):
        connection = other_connection(app)
        try:
            version = connection.execute("SELECT version FROM working_table WHERE id = ?", (table.id,)).fetchone()[0]
            needs = {row[0] for row in connection.execute("SELECT id FROM need")}
        finally:
            connection.close()
        seen.append((event, payload, version, needs, write_lock_is_free(app), threading.get_ident()))
        return real_emit(event, payload, *args, **kwargs)

    def settle():
        time.sleep(0.3)  # coalesced tallies go out from the notifier's own task
        sent = list(seen)
        seen.clear()
        return sent

    monkeypatch.setattr(socketio, "emit", checked_emit)
    settle()
    # What actions broadcast, sent from the thread that ran the action (the
    # notifier's task only reads, so it cannot hold the write lock meanwhile;
    # what the task sends meanwhile may overlap the next action's transaction).
    need = phone.post("Biblioteca aperta la domenica")["need"]["id"]
    set_phase(console, "vote")
    phone.dot(need)
    actions = [entry[:-1] for entry in settle() if entry[-1] == threading.get_ident()]
    # A tally with nothing else going on: the other phone leaves.
    other.sio.disconnect()
    tallies = [entry[:-1] for entry in settle()]

    assert {event for event, *_ in actions} >= {"need_added", "me", "phase"}, actions
    assert "tally" in {event for event, *_ in tallies}, tallies
    for event, payload, stored_version, stored_needs, lock_free in actions + tallies:
        assert lock_free, f"{event} was sent while a write transaction was open"
        if isinstance(payload, dict) and "v" in payload:
            assert stored_version >= payload["v"], f"{event} announced version {payload['v']} before its commit"
        if event == "need_added":
            assert payload["need"]["id"] in stored_needs


@pytest.mark.parametrize("kind", ["post_need", "cast_dot"])
def test_a_crash_between_commit_and_acknowledgement_then_a_retry_makes_no_duplicate(world, app, database,
                                                                                   monkeypatch, kind):
    table, _projector, console = start_table(world)
    phone = world.phone(table)
    need = phone.post("Un consultorio di quartiere")["need"]["id"]
    if kind == "cast_dot":
        set_phase(console, "vote")
    payload = {"id": f"crash-before-ack-{kind}", "text": "Orti condivisi", "need": need}
    real_unit = socket_boundary.run_in_unit_of_work
    committed = []

    def commit_then_crash(work, *args):
        committed.append(real_unit(work, *args))
        raise ConnectionResetError("the server went away before acknowledging")

    monkeypatch.setattr(socket_boundary, "run_in_unit_of_work", commit_then_crash)
    lost = phone.emit(kind, payload)
    monkeypatch.setattr(socket_boundary, "run_in_unit_of_work", real_unit)
    assert committed and lost["ok"] is False  # committed, but the phone never heard so
    stored = effect(database)

    # The phone reconnects (a new connection, same device) and sends its outbox again.
    retried = Phone(app, table.join_code, http=phone.http).emit(kind, payload)

    assert retried == {"ok": True, **committed[0]}
    assert effect(database) == stored
    assert database.scalar(select(func.count(ClientAction.id)).where(ClientAction.client_id == payload["id"])) == 1
    if kind == "cast_dot":
        assert stored["dots"] == stored["dots_used"] == 1
    else:
        assert len(stored["needs"]) == 2
