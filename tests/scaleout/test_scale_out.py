"""Scale-out on real engines: two worker processes on PostgreSQL, joined by Redis, behind nginx.

One set-up for the module: a PostgreSQL cluster and a Redis server of the
test's own on loopback, `flask db upgrade` run once, two workers (`python
wsgi.py`, eventlet) sharing the database, the message queue and the secret
key, nginx serving the shipped site (deploy/nginx/tavoli.conf) in front of
them, and a third worker under gevent on the same database and queue.
Everything is stopped again at the end, also on failure.
"""

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import flask_migrate
import psycopg2
import pytest
import redis
import requests
import socketio
from alembic.script import ScriptDirectory
from sqlalchemy import text

from config import TestingConfig
from tests.scaleout.engines import Nginx, Postgres, Redis, scaled_out
from tests.servers import ROOT, AppServer, organizer_session
from tests.test_real_server import LiveClient, create_table
from workshop import create_app
from workshop.extensions import db

SECRET_KEY = "scale-out-test-secret-key"


@dataclass
class Hall:
    postgres: Postgres
    redis: Redis
    a: AppServer  # eventlet, behind nginx
    b: AppServer  # eventlet, behind nginx
    gevent: AppServer  # the same app under gevent, on the same database and queue
    nginx: Nginx
    env: dict

    def database(self):
        return psycopg2.connect(self.postgres.url("tavoli"))

    def scalar(self, sql, *params):
        with self.database() as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


@pytest.fixture(scope="module")
def hall():
    settings = {"SECRET_KEY": SECRET_KEY, "SERVER_ACCESS_LOG": "1"}
    with scaled_out(["eventlet", "eventlet", "gevent"], behind_nginx=2, settings=settings) as started:
        yield Hall(started.postgres, started.redis, *started.workers, started.nginx, started.env)


def join(server, code):
    """A phone's browser session: it opened the join link and holds a device cookie."""
    session = requests.Session()
    assert session.get(f"{server.url}/j/{code}", timeout=10).status_code == 200
    assert session.cookies.get("tavoli_device")
    return session


def action_id():
    return uuid.uuid4().hex


def move_to(console, *phases):
    current = console.sio.call("sync", {}, timeout=10)["snapshot"]["phase"]
    for phase in phases:
        ack = console.sio.call("set_phase", {"from": current, "phase": phase}, timeout=10)
        assert ack["ok"], ack
        current = phase


def disconnect(*clients):
    for client in clients:
        client.sio.disconnect()


def test_migrations_run_on_postgresql(hall):
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert hall.scalar("SELECT version_num FROM alembic_version") == head
    assert hall.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                       "('account', 'event', 'working_table', 'participant', 'need', 'dot', 'table_membership')") == 7

    # Every migration also runs down and up again on PostgreSQL (on a database of its own).
    hall.postgres.create_database("tavoli_migrations")
    app = create_app(TestingConfig, instance_path=str(ROOT / "instance"), SECRET_KEY=SECRET_KEY,
                     SQLALCHEMY_DATABASE_URI=hall.postgres.url("tavoli_migrations"))
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert db.session.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0
        db.session.remove()
        flask_migrate.upgrade()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        db.session.remove()
        db.engine.dispose()


def test_a_phone_on_one_worker_and_a_projector_on_the_other_see_each_other_live(hall):
    organizer = organizer_session(hall.a)
    _table_id, code = create_table(hall.a, organizer)
    projector = LiveClient(hall.b, organizer, {"table": code, "view": "projector"})
    console = LiveClient(hall.b, organizer, {"table": code, "view": "console"})
    phone_a = LiveClient(hall.a, join(hall.a, code), {"table": code, "view": "phone"})
    phone_b = LiveClient(hall.b, join(hall.b, code), {"table": code, "view": "phone"})
    try:
        ack = phone_a.sio.call("post_need", {"id": action_id(), "text": "Un asilo nel quartiere"}, timeout=10)
        assert ack["ok"], ack
        # Worker A's post reaches the projector and a phone on worker B...
        assert projector.wait_for("need_added")["need"]["text"] == "Un asilo nel quartiere"
        assert phone_b.wait_for("need_added")["need"]["id"] == ack["need"]["id"]
        # ...and B's post reaches the phone on A.
        ack_b = phone_b.sio.call("post_need", {"id": action_id(), "text": "Piste ciclabili"}, timeout=10)
        assert ack_b["ok"], ack_b
        assert phone_a.wait_for("need_added", lambda data: data["need"]["text"] == "Piste ciclabili")

        # The console on B opens the vote; the phone on A follows, and its dot shows on B's projector.
        move_to(console, "review", "vote")
        phone_a.wait_for("phase", lambda data: data["phase"] == "vote")
        dot = phone_a.sio.call("cast_dot", {"id": action_id(), "need": ack_b["need"]["id"]}, timeout=10)
        assert dot["ok"], dot
        projector.wait_for("tally", lambda data: data["counters"]["dots"] == 1 and data["counters"]["needs"] == 2)
    finally:
        disconnect(projector, console, phone_a, phone_b)


def test_the_projector_counts_the_phones_online_on_every_worker(hall):
    organizer = organizer_session(hall.a)
    _table_id, code = create_table(hall.a, organizer)
    projector = LiveClient(hall.b, organizer, {"table": code, "view": "projector"})
    first = join(hall.a, code)
    phones = []
    try:
        phones.append(LiveClient(hall.a, first, {"table": code, "view": "phone"}))
        for server in (hall.b, hall.a):
            phones.append(LiveClient(server, join(server, code), {"table": code, "view": "phone"}))
        # A second tab of the first phone, on the other worker, is still one participant.
        phones.append(LiveClient(hall.b, first, {"table": code, "view": "phone"}))
        projector.wait_for("tally", lambda data: data["counters"]["online"] == 3)
        projector.events.clear()
        phones.pop(1).sio.disconnect()  # the phone on worker B leaves; worker B sends the count
        projector.wait_for("tally", lambda data: data["counters"]["online"] == 2)
    finally:
        disconnect(projector, *phones)


def workers_holding_phones(hall, table_id):
    """How many workers hold a live connection to the table: each keeps its own
    presence hash in Redis (workshop/tables/presence.py)."""
    client = redis.Redis.from_url(hall.redis.url)
    try:
        return sum(1 for key in client.scan_iter(match=f"tavoli:presence:{table_id}:*") if client.hlen(key))
    finally:
        client.close()


def test_nginx_serves_static_files_and_spreads_one_nat_address_over_both_workers(hall):
    organizer = organizer_session(hall.a)
    table_id, code = create_table(hall.a, organizer)
    static = requests.get(f"{hall.nginx.url}/static/vendor/socket.io/socket.io.min.js", timeout=10)
    assert static.status_code == 200 and static.headers["Server"].startswith("nginx")
    assert static.headers["Cache-Control"] == "no-cache"
    assert "/static/" not in hall.a.log_tail(100000) + hall.b.log_tail(100000)

    # Every phone comes from 127.0.0.1, as a hall comes from one NAT address. Socket.IO starts on
    # long-polling (several requests that must reach the same worker) and upgrades to a websocket.
    phones = []
    try:
        for _ in range(30):
            phone = LiveClient(hall.nginx, join(hall.nginx, code), {"table": code, "view": "phone"},
                               transports=("polling", "websocket"))
            phones.append(phone)
            assert phone.wait_for("snapshot")["phase"] == "collect"
            assert phone.sio.transport() == "websocket"
            if len(phones) >= 8 and workers_holding_phones(hall, table_id) == 2:
                break
        assert workers_holding_phones(hall, table_id) == 2, (
            f"{len(phones)} phones behind one address all went to one worker")

        ack = phones[0].sio.call("post_need", {"id": action_id(), "text": "Più panchine"}, timeout=10)
        assert ack["ok"], ack
        for phone in phones:
            phone.wait_for("need_added", lambda data: data["need"]["id"] == ack["need"]["id"])
    finally:
        disconnect(*phones)


def test_concurrent_dots_through_both_workers_never_exceed_the_budget(hall):
    organizer = organizer_session(hall.a)
    table_id, code = create_table(hall.a, organizer)  # 3 dots each, at most 1 per need
    console = LiveClient(hall.a, organizer, {"table": code, "view": "console"})
    author = LiveClient(hall.a, join(hall.a, code), {"table": code, "view": "phone"})
    needs = []
    voters = []
    try:
        for number in range(6):
            ack = author.sio.call("post_need", {"id": action_id(), "text": f"Bisogno {number}"}, timeout=10)
            needs.append(ack["need"]["id"])
        move_to(console, "review", "vote")
        # Three participants, each with a tab on worker A and one on worker B, spend a dot on every
        # need from both tabs at once: 36 attempts for 9 dots.
        for _ in range(3):
            session = join(hall.a, code)
            voters.append([LiveClient(server, session, {"table": code, "view": "phone"})
                           for server in (hall.a, hall.b)])
        attempts = [(tab, need) for tabs in voters for tab in tabs for need in needs]
        start = threading.Barrier(len(attempts))

        def attempt(tab_and_need):
            tab, need = tab_and_need
            start.wait(timeout=20)
            return tab.sio.call("cast_dot", {"id": action_id(), "need": need}, timeout=30)

        with ThreadPoolExecutor(len(attempts)) as pool:
            answers = list(pool.map(attempt, attempts))
        accepted = [answer for answer in answers if answer["ok"]]
        refused = {answer["error"]["code"] for answer in answers if not answer["ok"]}
        assert len(accepted) == 9, answers
        assert refused <= {"budget_exceeded", "need_cap_reached"}, answers
        assert hall.scalar("SELECT count(*) FROM dot WHERE table_id = %s", int(table_id)) == 9
        assert hall.scalar("SELECT max(dots_used) FROM table_membership WHERE table_id = %s", int(table_id)) == 3
        assert hall.scalar("SELECT max(n) FROM (SELECT count(*) AS n FROM dot WHERE table_id = %s "
                           "GROUP BY participant_id, need_id) AS per_need", int(table_id)) == 1
    finally:
        disconnect(console, author, *itertools.chain(*voters))


class PlenaryClient:
    """An organizer's plenary dashboard, recording its snapshots."""

    def __init__(self, server, session, event_id):
        self.snapshots = []
        self.arrived = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("plenary", self._record, namespace="/plenary")
        cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
        self.sio.connect(server.url, headers={"Cookie": cookie}, namespaces=["/plenary"], transports=["websocket"],
                         auth={"event": event_id, "view": "plenary"}, wait_timeout=10)

    def _record(self, snapshot):
        self.snapshots.append(snapshot)
        self.arrived.set()


def test_stopping_redis_loses_no_acknowledged_action(hall):
    organizer = organizer_session(hall.a)
    table_id, code = create_table(hall.a, organizer)
    event_id = hall.scalar("SELECT theme.event_id FROM working_table JOIN theme ON theme.id = working_table.theme_id "
                           "WHERE working_table.id = %s", int(table_id))
    phone_a = LiveClient(hall.a, join(hall.a, code), {"table": code, "view": "phone"})
    phone_b = LiveClient(hall.b, join(hall.b, code), {"table": code, "view": "phone"})
    screens = []
    acknowledged = []
    try:
        hall.redis.stop()
        for number in range(5):
            for name, phone in (("A", phone_a), ("B", phone_b)):
                text = f"Scritto su {name} senza Redis {number}"
                ack = phone.sio.call("post_need", {"id": action_id(), "text": text}, timeout=10)
                if ack["ok"]:
                    acknowledged.append(text)

        # Every acknowledged post is in the database...
        assert len(acknowledged) == 10
        with hall.database() as connection, connection.cursor() as cursor:
            cursor.execute("SELECT text FROM need WHERE table_id = %s", (int(table_id),))
            assert sorted(text for (text,) in cursor.fetchall()) == sorted(acknowledged)
        # ...and on any screen that connects, even while Redis is still down.
        projector = LiveClient(hall.b, organizer, {"table": code, "view": "projector"})
        screens.append(projector)
        assert sorted(need["text"] for need in projector.wait_for("snapshot")["needs"]) == sorted(acknowledged)
        dashboard = PlenaryClient(hall.a, organizer, event_id)
        screens.append(dashboard)
        assert dashboard.arrived.wait(10), "the plenary dashboard got no snapshot"
        assert dashboard.snapshots[0]["counters"]["needs"] == 10

        # Once the workers are back on Redis, live news crosses between them again.
        hall.redis.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ack = phone_a.sio.call("post_need", {"id": action_id(), "text": "Di nuovo in diretta"}, timeout=10)
            assert ack["ok"], ack
            if any(name == "need_added" for name, _data in projector.events):
                break
            time.sleep(1)
        projector.wait_for("need_added", timeout=1)
    finally:
        if hall.redis.process is None:
            hall.redis.start()
        disconnect(phone_a, phone_b, *screens)


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_a_slow_query_does_not_stall_other_clients(hall, async_mode):
    """A request waiting on the database (here: for a row another transaction
    holds locked) leaves the worker free to serve everyone else."""
    worker = hall.gevent if async_mode == "gevent" else hall.a
    assert f"async_mode={async_mode}" in worker.log_tail(100000)
    organizer = organizer_session(worker)
    slow_table, slow_code = create_table(worker, organizer)
    _other_table, other_code = create_table(worker, organizer)
    slow_phone = LiveClient(worker, join(worker, slow_code), {"table": slow_code, "view": "phone"})
    other_phone = LiveClient(worker, join(worker, other_code), {"table": other_code, "view": "phone"})
    blocker = hall.database()
    slow = ThreadPoolExecutor(1)
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT id FROM working_table WHERE id = %s FOR UPDATE", (int(slow_table),))
        began = time.monotonic()
        slow_ack = slow.submit(slow_phone.sio.call, "post_need",
                               {"id": action_id(), "text": "In attesa del database"}, timeout=30)
        time.sleep(0.5)  # the post is now waiting for the lock, inside the database driver

        for _ in range(5):
            asked = time.monotonic()
            assert requests.get(worker.url + "/healthz", timeout=5).status_code == 200
            assert time.monotonic() - asked < 1
        asked = time.monotonic()
        ack = other_phone.sio.call("post_need", {"id": action_id(), "text": "Senza attese"}, timeout=5)
        assert ack["ok"] and time.monotonic() - asked < 1, ack
        assert not slow_ack.done()

        time.sleep(max(0, 3 - (time.monotonic() - began)))
        blocker.commit()  # the lock goes, the slow post goes through
        assert slow_ack.result(timeout=10)["ok"]
        assert time.monotonic() - began >= 3
    finally:
        blocker.close()
        slow.shutdown(wait=False)
        disconnect(slow_phone, other_phone)
