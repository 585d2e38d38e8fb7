"""Rate limits are shared by every worker process when they are kept in Redis,
and a limits storage that cannot be reached stops nothing.

Two real server processes (`python wsgi.py`) serve one database and one Redis,
as two workers behind a load balancer do; a phone's requests alternate
between them and its allowance is counted once.
"""

import logging
import shutil
import subprocess
import time

import pytest
import redis
import requests

from config import TestingConfig
from tests.conftest import World
from tests.servers import AppServer, free_port, organizer_session
from tests.test_real_server import LiveClient, create_table
from workshop import create_app
from workshop.extensions import db

LOW_LIMITS = {"RATELIMIT_JOIN_MISSES": "4 per minute", "RATELIMIT_NEEDS": "3 per minute"}


@pytest.fixture
def redis_url():
    """A Redis server of the test's own, on a free port, stopped afterwards."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/ensure-system.sh test installs it)")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_workers_count_one_phones_allowance_together(redis_url):
    env = {"RATELIMIT_STORAGE_URI": redis_url, "SOCKETIO_MESSAGE_QUEUE": redis_url, **LOW_LIMITS}
    # The second worker serves the same instance folder: database and secret key.
    with AppServer(env=env) as first, \
            AppServer(organizer=None, env={**env, "TAVOLI_INSTANCE": str(first.instance)}) as second:
        _table_id, code = create_table(first, organizer_session(first))

        guesser = requests.Session()
        assert guesser.get(f"{first.url}/j/{code}", timeout=10).status_code == 200
        for worker, unknown in ((first, "ZZZZZA"), (second, "ZZZZZB"), (first, "ZZZZZC"), (second, "ZZZZZD")):
            assert guesser.get(f"{worker.url}/j/{unknown}", timeout=10).status_code == 404
        # Two unknown codes on each worker: four in all, the limit.
        for worker in (first, second):
            refused = guesser.get(f"{worker.url}/j/{code}", timeout=10, headers={"Accept-Language": "en"})
            assert refused.status_code == 429 and "Try again in" in refused.text

        poster = requests.Session()
        assert poster.get(f"{second.url}/j/{code}", timeout=10).status_code == 200
        phones = [LiveClient(worker, poster, {"table": code, "view": "phone"}) for worker in (first, second)]
        try:
            acks = [phones[n % 2].sio.call("post_need", {"id": f"shared-limit-{n:04d}", "text": f"Bisogno {n}"},
                                           timeout=10) for n in range(4)]
        finally:
            for phone in phones:
                phone.sio.disconnect()
        assert [ack["ok"] for ack in acks] == [True, True, True, False]
        assert acks[3]["error"]["code"] == "rate_limited"


class Recorded(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_a_limits_storage_that_cannot_be_reached_stops_nothing(tmp_path, migrated_database):
    recorded = Recorded()
    logging.getLogger("workshop.core.limits").addHandler(recorded)
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(migrated_database, instance / "tavoli.sqlite3")
    app = create_app(TestingConfig, instance_path=str(instance),
                     RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0", RATELIMIT_NEEDS="1 per minute")
    try:
        world = World(app)
        table = world.table()
        assert app.test_client().get(f"/j/{table.join_code}").status_code == 200
        phone = world.phone(table)
        started = time.monotonic()
        assert all(phone.post(f"Bisogno {n}")["ok"] for n in range(3))  # the limit cannot be counted
        assert time.monotonic() - started < 5
        assert any("could not be counted" in message for message in recorded.messages)
    finally:
        logging.getLogger("workshop.core.limits").removeHandler(recorded)
        with app.app_context():
            db.engine.dispose()
