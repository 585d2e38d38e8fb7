"""Faults, with nothing lost (issue 6, item 5).

The chaos run starts the real server (`python wsgi.py`, eventlet, a SQLite
file), opens a live event with three tables, and lets simulated phones (some
with two tabs) post needs and then give and take back dots, each through the
outbox the phone page keeps (tests/security/chaos_client.py). Meanwhile a
share of the connections is dropped again and again, by a reset or by
vanishing without a word, another writer takes SQLite's write lock now and
then, and the server process is killed once mid-vote and started again. At
the end the database must hold exactly what the phones were told: every
acknowledged action present with the answer the phone got, no need lost or
doubled, no dot over a budget or a cap, nothing stored for a refused action,
and no user ever answered "database is locked".

Another test kills the server right after an action is committed and retries
it on a new connection; the last ones show that the notifier outlives a
failed broadcast.
"""

import collections
import json
import random
import re
import shutil
import sqlite3
import threading
import time
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from tests import servers
from tests.contributions.test_live_table import start_table, wait_for
from tests.security.chaos_client import Chaos, Lost, SocketIOConnection, Tab
from tests.servers import ROOT, AppServer, organizer_session
from workshop.contributions.models import Need
from workshop.core.notify import notifier
from workshop.extensions import socketio
from workshop.participants.devices import device_digest, read_device_token

TABLES = 3
PHONES_PER_TABLE = 16
SECOND_TABS = 8  # phones with a second tab open, sharing the device cookie
POSTS = 6  # per tab, while the tables collect
DOT_ACTIONS = 12  # per tab, during the vote: ~70% dots given, ~30% taken back
BUDGET, CAP = 3, 2
DROP_EVERY_S, DROP_SHARE, VANISH_SHARE = 0.5, 0.1, 0.25
REFUSALS = {"post_need": set(), "cast_dot": {"budget_exceeded", "need_cap_reached"}, "withdraw_dot": {"no_dot"}}
ARTIFACTS = ROOT / "test-artifacts" / "chaos"
# The run plays a meeting's collection and vote in well under a minute, with
# each phone's outbox resending what its dropped connections left unanswered:
# far faster than people act. The limits are raised to match (they have their
# own tests); a phone that still hit one would fail the run.
SPED_UP_LIMITS = {"RATELIMIT_NEEDS": "600 per minute", "RATELIMIT_DOTS": "1200 per minute"}


# An error logged in any of the log formats (workshop/core/logs.py), or a traceback printed by anything.
ERROR_LINE = re.compile(r'level=(error|critical)\b|"level": "(error|critical)"| (ERROR|CRITICAL) |Traceback')


def open_event(server, session):
    """A live event with one theme and TABLES tables; returns their join codes."""
    tables = servers.open_event(server, session, TABLES, title="Assemblea del caos", dots=BUDGET, max_per_need=CAP,
                                theme="Quartiere")
    return [code for _table_id, code in tables]


class SecondWriter(threading.Thread):
    """Another writer on the server's database file, as a second process (a
    command-line import, another worker) would be: it takes SQLite's write lock
    now and then and holds it for a while, so the server's writers must wait."""

    def __init__(self, database_path, seed):
        super().__init__(name="second-writer", daemon=True)
        self.database_path = database_path
        self.random = random.Random(seed)
        self.stopped = False
        self.writes = 0
        self.errors = []

    def run(self):
        connection = sqlite3.connect(self.database_path, timeout=15, isolation_level=None)
        try:
            while not self.stopped:
                time.sleep(self.random.uniform(0.2, 0.6))
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    connection.execute("UPDATE event SET venue = venue")
                    time.sleep(self.random.uniform(0.02, 0.1))
                    connection.execute("COMMIT")
                    self.writes += 1
                except sqlite3.OperationalError as error:
                    self.errors.append(repr(error))
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
        finally:
            connection.close()


def cookie_header(session):
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


class Console:
    """A facilitator console, asked one thing at a time; it reconnects and asks
    again when the connection is gone (the server restarts)."""

    def __init__(self, server, cookie, code):
        self.server, self.cookie, self.code = server, cookie, code
        self.connection = None

    def call(self, event, payload, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.connection is None:
                    self.connection = SocketIOConnection(self.server.url, self.cookie,
                                                         {"table": self.code, "view": "console"})
                ack_id = self.connection.emit(event, payload)
                while time.monotonic() < deadline:
                    for kind, key, data in self.connection.poll(0.2):
                        if kind == "ack" and key == ack_id:
                            return data
            except (Lost, OSError):
                self.connection = None
                time.sleep(0.2)
        raise AssertionError(f"the console got no answer to {event} within {timeout}s")

    def move_to(self, phase):
        for _ in range(5):
            current = self.call("sync", {})["snapshot"]["phase"]
            if current == phase:
                return
            order = ["collect", "review", "vote", "results", "closed"]
            step = order[order.index(current) + (1 if order.index(phase) > order.index(current) else -1)]
            self.call("set_phase", {"from": current, "phase": step})
        raise AssertionError(f"the table did not reach {phase}")


def wait_until(condition, timeout, what, tabs=()):
    """Wait for condition(); with tabs, fail at once if one got an error answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        failures = [(tab.name, error) for tab in tabs for error in tab.stats.server_errors + tab.stats.crashes]
        assert not failures, f"waiting for {what}: {failures[:5]}"
        time.sleep(0.1)
    stuck = {tab.name: (tab.pending(), tab.connected, tab.stats) for tab in tabs if tab.pending() or not tab.connected}
    raise AssertionError(f"{what} did not happen within {timeout}s; tabs waiting: {stuck}")


def stored(database_path):
    """The rows the comparison needs, read straight from the server's database file."""
    connection = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True)
    try:
        query = connection.execute
        return {
            "actions": {row[1]: {"participant": row[0], "kind": row[2], "result": json.loads(row[3]),
                                 "at": datetime.fromisoformat(row[4]).replace(tzinfo=UTC)}
                        for row in query("SELECT participant_id, client_id, kind, result, created_at "
                                         "FROM client_action")},
            "needs": sorted(query("SELECT id, table_id, participant_id, text FROM need").fetchall()),
            "dots": query("SELECT participant_id, need_id, count(*) FROM dot WHERE set_aside_by_id IS NULL "
                          "GROUP BY participant_id, need_id").fetchall(),
            "memberships": query("SELECT participant_id, table_id, dots_used FROM table_membership").fetchall(),
            "tables": dict(query("SELECT join_code, id FROM working_table").fetchall()),
            "participants": dict(query("SELECT device_digest, id FROM participant").fetchall()),
        }
    finally:
        connection.close()


def test_chaos_phones_drops_and_a_crash_lose_nothing(request):
    started = time.monotonic()
    server = AppServer(env={"SOCKETIO_ASYNC_MODE": "eventlet", **SPED_UP_LIMITS}, keep_instance=True)
    server.start()
    tabs, chaos, second_writer = [], None, None
    try:
        organizer = organizer_session(server)
        codes = open_event(server, organizer)
        consoles = [Console(server, cookie_header(organizer), code) for code in codes]
        devices = {}
        for number in range(TABLES * PHONES_PER_TABLE):
            phone = requests.Session()
            code = codes[number % TABLES]
            assert phone.get(f"{server.url}/j/{code}", timeout=10).status_code == 200
            devices[f"p{number:02d}"] = (code, cookie_header(phone), phone.cookies["tavoli_device"])
        for number, (device, (code, cookie, _device_cookie)) in enumerate(devices.items()):
            for tab in range(2 if number < SECOND_TABS else 1):
                tabs.append(Tab(f"{device}t{tab}", server.url, cookie, code,
                                {"collect": POSTS, "vote": DOT_ACTIONS}, seed=number * 10 + tab))
        for tab in tabs:
            tab.start()
        wait_until(lambda: all(tab.connected for tab in tabs), 30, "every tab connecting", tabs)
        chaos = Chaos(tabs, DROP_EVERY_S, DROP_SHARE, VANISH_SHARE, seed=6)
        chaos.start()
        chaos.running.set()
        second_writer = SecondWriter(server.instance / "tavoli.sqlite3", seed=7)
        second_writer.start()

        stages = {"set-up and connecting (s)": time.monotonic() - started}
        for tab in tabs:
            tab.stage = "collect"
        wait_until(lambda: all(tab.finished_stage("collect") for tab in tabs), 90, "every need acknowledged", tabs)
        stages["collecting (s)"] = time.monotonic() - started - sum(stages.values())
        for console in consoles:
            console.move_to("vote")
        for tab in tabs:
            tab.stage = "vote"
        planned = len(tabs) * DOT_ACTIONS
        wait_until(lambda: sum(tab.made("vote") for tab in tabs) >= planned // 2, 60, "half the vote")
        restart_at = datetime.now(UTC)
        down = time.monotonic()
        server.restart(crash=True)
        stages["restart, until the server answers (s)"] = time.monotonic() - down
        wait_until(lambda: all(tab.finished_stage("vote") for tab in tabs), 120, "every dot acknowledged", tabs)

        chaos.running.clear()
        second_writer.stopped = True
        second_writer.join(timeout=5)
        assert second_writer.errors == []
        stages["voting, restart included (s)"] = time.monotonic() - started - sum(stages.values())
        wait_until(lambda: all(tab.connected for tab in tabs), 30, "every tab back online", tabs)
        for tab in tabs:
            tab.ask_for_snapshot()
        wait_until(lambda: all(tab.final_snapshot for tab in tabs), 30, "every tab's final snapshot", tabs)
        counters = {console.code: console.call("sync", {})["snapshot"]["counters"] for console in consoles}
        database = stored(server.instance / "tavoli.sqlite3")
        log = server.log_path.read_text(errors="replace")

        secret = (server.instance / "secret_key").read_text().strip()
        participant_of = {device: database["participants"][device_digest(secret, read_device_token(secret, value))]
                          for device, (_code, _cookie, value) in devices.items()}
        figures = compare(tabs, devices, participant_of, database, counters, log, restart_at)
        figures["writes of a second writer holding the lock 20-100 ms"] = second_writer.writes
        figures.update({stage: round(seconds, 1) for stage, seconds in stages.items()})
        figures["run time (s)"] = round(time.monotonic() - started, 1)
        print("\nchaos run:", json.dumps(figures, indent=1))
        request.node.user_properties.append(("chaos", figures))
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        server.save_log(ARTIFACTS / "server.log")
        for name in ("tavoli.sqlite3", "tavoli.sqlite3-wal"):
            if (server.instance / name).exists():
                shutil.copyfile(server.instance / name, ARTIFACTS / name)
        raise
    finally:
        if chaos is not None:
            chaos.stopped = True
        if second_writer is not None:
            second_writer.stopped = True
        for tab in tabs:
            tab.stop = True
        for tab in tabs:
            tab.join(timeout=5)
        server.keep_instance = False
        server.stop()


def compare(tabs, devices, participant_of, database, counters, log, restart_at):
    """Check the database against what the phones were told; returns the figures.
    participant_of: each device's participant id, found by its device cookie."""
    actions = database["actions"]
    tables = database["tables"]
    made = [action for tab in tabs for action in tab.settled if action.event != "sync"]

    # Every action was answered in the end, and never with a failure.
    assert all(tab.pending() == 0 for tab in tabs)
    assert [error for tab in tabs for error in tab.stats.server_errors] == []
    assert [refusal for tab in tabs for refusal in tab.stats.refused] == []
    assert [crash for tab in tabs for crash in tab.stats.crashes] == []
    assert "database is locked" not in log
    # No handler failed (workshop.core.sockets logs each), nothing else went wrong.
    assert not [line for line in log.splitlines() if ERROR_LINE.search(line)], log[-5000:]

    # Every answer to a repeated action was the first answer.
    for action in made:
        assert all(answer == action.answers[0] for answer in action.answers), (action.id, action.answers)

    # Needs: exactly those acknowledged, once each.
    posted = sorted((action.answer["need"]["id"], tables[devices[action.id[:3]][0]],
                     participant_of[action.id[:3]], action.payload["text"])
                    for action in made if action.event == "post_need")
    assert database["needs"] == posted
    assert len({text for *_, text in database["needs"]}) == len(posted)

    # Dots: what the acknowledgements add up to, within every budget and cap.
    expected = collections.Counter()
    for action in made:
        if action.event in ("cast_dot", "withdraw_dot") and action.answer["ok"]:
            key = (participant_of[action.id[:3]], action.answer["need"])
            expected[key] += 1 if action.event == "cast_dot" else -1
    live = {(participant, need): count for participant, need, count in database["dots"]}
    assert live == {key: count for key, count in expected.items() if count}
    assert all(count <= CAP for count in live.values())
    spent = collections.Counter()
    for (participant, _need), count in live.items():
        spent[participant] += count
    for participant, _table, dots_used in database["memberships"]:
        assert dots_used == spent[participant] <= BUDGET, (participant, dots_used, spent[participant])

    # Every acknowledged action is stored, as acknowledged; no refused one is.
    for action in made:
        row = actions.get(action.id)
        if action.answer["ok"]:
            assert row is not None, f"acknowledged action {action.id} is not in the database"
            assert row["kind"] == action.event and {"ok": True, **row["result"]} == action.answer, action.id
            assert row["participant"] == participant_of[action.id[:3]]
        else:
            assert action.answer["error"]["code"] in REFUSALS[action.event], (action.id, action.answer)
            assert row is None, f"refused action {action.id} was stored"
    assert len(actions) == sum(1 for action in made if action.answer["ok"]), "actions nobody made are stored"

    # What each tab and each console finally shows agrees with the database.
    for tab in tabs:
        participant = participant_of[tab.name[:3]]
        me = tab.final_snapshot["me"]
        assert me["left"] == BUDGET - spent[participant], (tab.name, me)
        assert me["dots"] == {str(need): count for (who, need), count in live.items() if who == participant}
    table_of_need = {need: table for need, table, *_ in database["needs"]}
    for code, counter in counters.items():
        assert counter["needs"] == sum(1 for table in table_of_need.values() if table == tables[code])
        assert counter["dots"] == sum(count for (_p, need), count in live.items()
                                      if table_of_need[need] == tables[code])

    # The figures of the run.
    def committed_before_a_resend_on_a_new_connection(action, since=None):
        """Committed, the answer lost with its connection, and answered from the
        record when the outbox sent it again on a later connection."""
        first_connection = action.sends[0][1]
        later = [at for at, connection in action.sends if connection != first_connection]
        committed = actions[action.id]["at"]
        return bool(later) and committed < later[0] and (since is None or committed < since < later[0])

    acknowledged = [action for action in made if action.answer["ok"]]
    answered_from_record = sum(committed_before_a_resend_on_a_new_connection(action) for action in acknowledged)
    across_the_crash = sum(committed_before_a_resend_on_a_new_connection(action, restart_at) for action in acknowledged)
    stats = [tab.stats for tab in tabs]
    return {
        "phones": len(devices), "tabs": len(tabs), "tables": len(tables),
        "actions": len(made), "acknowledged ok": len(acknowledged),
        "refused (budget, cap, no dot)": sum(1 for action in made if not action.answer["ok"]),
        "sends (resends included)": sum(len(action.sends) for action in made),
        "committed, answer lost with the connection, answered from the record on a new one": answered_from_record,
        "of which committed before the crash and answered after the restart": across_the_crash,
        "connections dropped (reset)": sum(s.resets for s in stats),
        "connections dropped (vanished)": sum(s.vanished for s in stats),
        "connections lost to the restart or otherwise": sum(s.lost for s in stats),
        "failed reconnection attempts": dict(sum((s.connect_failures for s in stats), collections.Counter())),
        "connections opened": sum(s.connects for s in stats),
        "restarts (SIGKILL)": 1,
        "restart at": restart_at.isoformat(timespec="seconds"),
        "needs stored": len(database["needs"]), "live dots stored": sum(live.values()),
        "needs lost": 0, "needs doubled": 0, "dots over budget": 0, "acknowledged actions missing": 0,
    }


def wait_for_row(database_path, query, parameters, timeout=10):
    """Poll the server's database (read-only) until the query finds a row."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True)
        try:
            row = connection.execute(query, parameters).fetchone()
        finally:
            connection.close()
        if row is not None:
            return row
        time.sleep(0.02)
    raise AssertionError(f"no row for {query} {parameters} within {timeout}s")


def test_a_server_killed_after_the_commit_then_a_retry_on_a_new_connection_makes_no_duplicate():
    """The acknowledgement never reaches the phone: the server is killed once the
    action is committed. The phone sends it again, same id, on a new
    connection to the restarted server, and gets the answer of the first."""
    with AppServer(env={"SOCKETIO_ASYNC_MODE": "eventlet"}) as server:
        organizer = organizer_session(server)
        code = open_event(server, organizer)[0]
        phone = requests.Session()
        assert phone.get(f"{server.url}/j/{code}", timeout=10).status_code == 200
        auth = {"table": code, "view": "phone"}
        database = server.instance / "tavoli.sqlite3"

        def commit_then_crash_then_retry(event, payload):
            unanswered = SocketIOConnection(server.url, cookie_header(phone), auth)
            unanswered.emit(event, payload)  # its answer is never read
            participant, result = wait_for_row(
                database, "SELECT participant_id, result FROM client_action WHERE client_id = ?", (payload["id"],))
            server.restart(crash=True)
            unanswered.reset()
            retry = SocketIOConnection(server.url, cookie_header(phone), auth)
            ack_id = retry.emit(event, payload)
            answers = []
            wait_until(lambda: answers.extend(a for kind, key, a in retry.poll(0.1) if kind == "ack" and key == ack_id)
                       or answers, 20, f"the answer to the retried {event}")
            retry.close()
            assert answers == [{"ok": True, **json.loads(result)}]
            return participant

        post = {"id": "crash-after-commit-post", "text": "Un bus notturno"}
        participant = commit_then_crash_then_retry("post_need", post)
        Console(server, cookie_header(organizer), code).move_to("vote")
        (need,) = stored(database)["needs"]
        assert need[2:] == (participant, "Un bus notturno")
        commit_then_crash_then_retry("cast_dot", {"id": "crash-after-commit-dot", "need": need[0]})

        after = stored(database)
        assert len(after["needs"]) == 1
        assert set(after["actions"]) == {"crash-after-commit-post", "crash-after-commit-dot"}
        assert after["dots"] == [(participant, need[0], 1)]
        assert [dots_used for who, _table, dots_used in after["memberships"] if who == participant] == [1]


# -- the notifier outlives a failed broadcast -------------------------------------


def test_a_failed_broadcast_does_not_stop_later_ones(world, monkeypatch):
    table, projector, _console = start_table(world)
    anna, bruno = world.phone(table), world.phone(table)
    for client in (anna, bruno, projector):
        client.received()
    real_emit = socketio.emit
    failures = []

    def fail_the_first_need_added(event, payload, *args, **kwargs):
        if event == "need_added" and not failures:
            failures.append(payload)
            raise ConnectionError("the message queue is down")
        return real_emit(event, payload, *args, **kwargs)

    monkeypatch.setattr(socketio, "emit", fail_the_first_need_added)
    first = anna.post("Una piazza senza auto")
    second = anna.post("Un doposcuola gratuito")

    assert first["ok"] and second["ok"]  # the change is stored and acknowledged all the same
    assert failures and failures[0]["need"]["id"] == first["need"]["id"]
    for client in (bruno, projector):
        assert [message["need"]["id"] for message in client.received("need_added")] == [second["need"]["id"]]
    # The coalesced counts keep coming too, and include the need whose broadcast failed.
    wait_for(projector, "tally", lambda tally: tally["counters"]["needs"] == 2)
    # A phone that missed it gets it with its next snapshot.
    assert {need["text"] for need in bruno.emit("sync", {})["snapshot"]["needs"]} == {
        "Una piazza senza auto", "Un doposcuola gratuito"}


def test_a_failed_tally_does_not_stop_the_coalesced_counts(world, database, monkeypatch):
    table, projector, _console = start_table(world)
    anna = world.phone(table)
    projector.received()
    real_emit = socketio.emit
    failed = []

    def fail_one_tally(event, payload, *args, **kwargs):
        if event == "tally" and not failed:
            failed.append(payload)
            raise ConnectionError("the message queue is down")
        return real_emit(event, payload, *args, **kwargs)

    monkeypatch.setattr(socketio, "emit", fail_one_tally)
    anna.post("Illuminazione nel sottopasso")
    wait_until(lambda: failed, 3, "a tally to be attempted")
    anna.post("Una fontanella al parco")

    wait_for(projector, "tally", lambda tally: tally["counters"]["needs"] == 2)
    assert database.scalar(select(func.count(Need.id))) == 2


def test_a_failing_tally_builder_does_not_stop_the_others_or_the_next_flush(world, monkeypatch):
    table, projector, _console = start_table(world)
    anna = world.phone(table)
    time.sleep(0.2)  # the tallies of the connections went out
    projector.received()
    real_builders = notifier._tally_builders
    calls = []

    def broken_builder(table_ids):
        calls.append(table_ids)
        if len(calls) == 1:
            raise RuntimeError("a builder bug")
        return []

    monkeypatch.setattr(notifier, "_tally_builders", (broken_builder, *real_builders))
    anna.post("Un mercato contadino")
    # The same flush still sends what the other builders build.
    wait_for(projector, "tally", lambda tally: tally["counters"]["needs"] == 1)
    anna.post("Un orto didattico")
    wait_for(projector, "tally", lambda tally: tally["counters"]["needs"] == 2)
    assert len(calls) >= 2
