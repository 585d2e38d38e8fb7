"""A rehearsing table: an organizer's console and projector, and helpers to
drive the simulator (its real loop through the console, or one step at a time)."""

import random
import shutil
import time
from types import SimpleNamespace

import pytest

from config import TestingConfig
from tests.conftest import World
from workshop import create_app
from workshop.accounts.models import Account
from workshop.core.database import unit_of_work
from workshop.extensions import db
from workshop.tables.models import WorkingTable
from workshop.tables.presence import presence
from workshop.tables.rehearsal import rehearsal_step, start_rehearsal

# A rehearsal "minute" of 0.3 s: the fast pace acts every 5 ms, the slow one every 50 ms.
FAST_MINUTE_S = 0.3


def make_app(tmp_path, migrated_database, **settings):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(migrated_database, instance / "tavoli.sqlite3")
    presence.forget_everyone()
    return create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None,
                      REHEARSAL_MINUTE_S=FAST_MINUTE_S, **settings)


@pytest.fixture
def app(tmp_path, migrated_database):
    app = make_app(tmp_path, migrated_database)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(app):
    return World(app)


def rehearsing_table(world, **rules):
    """A table with its organizer's console and projector connected (English texts)."""
    organizer = world.account()
    table = world.table(organizer=organizer, **rules)
    console = world.screen(table, organizer, view="console")
    projector = world.screen(table, organizer)
    return SimpleNamespace(organizer=organizer, table=table, console=console, projector=projector)


def start_without_loop(app, at, participants=3, pace="slow"):
    """Start a rehearsal by the operation alone (no loop): the test runs each step."""
    with app.app_context(), unit_of_work():
        start_rehearsal(db.session.get(WorkingTable, at.table.id), db.session.get(Account, at.organizer.id),
                        participants, pace)


def steps(app, table_id, count, seed=1):
    """Run `count` simulator steps (each in its own unit of work, as the loop
    does); what each did (None: nothing)."""
    rng = random.Random(seed)
    done = []
    for _ in range(count):
        with app.app_context():
            with unit_of_work():
                done.append(rehearsal_step(db.session.get(WorkingTable, table_id), rng))
            db.session.remove()
    return done


def wait_until(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("the condition did not come true in time")
