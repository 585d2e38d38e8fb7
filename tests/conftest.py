"""Fixtures and factories: build the state a test needs in one line.

The app under test is the real one (create_app with the testing config) on a
SQLite file made by the real migrations. Tests drive it through the paths
users take: the Flask test client for HTTP, Flask-SocketIO's test client for
the live connection (sharing the HTTP client's cookies, as a browser does).
"""

import re
import shutil
from types import SimpleNamespace

import flask_migrate
import pytest

from config import TestingConfig
from workshop import create_app
from workshop.accounts.models import Account, Role
from workshop.accounts.operations import create_account
from workshop.core.database import unit_of_work
from workshop.events.models import EventStatus
from workshop.events.operations import add_theme, create_event
from workshop.extensions import db, socketio
from workshop.tables.models import PHASE_ORDER
from workshop.tables.operations import create_table
from workshop.tables.presence import presence

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database file made once by the real migrations; each test gets a copy."""
    instance = tmp_path_factory.mktemp("template-instance")
    app = create_app(TestingConfig, instance_path=str(instance), SECRET_KEY="template")
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return instance / "tavoli.sqlite3"


@pytest.fixture
def app(tmp_path, migrated_database):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(migrated_database, instance / "tavoli.sqlite3")
    app = create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None)
    # Presence lives in the process, like a server's: connections an earlier
    # test left open must not count at this test's tables (same ids).
    presence.forget_everyone()
    # No app context stays open during a test: requests would reuse it, and
    # with it `g` (the logged-in user) and the database session.
    yield app
    with app.app_context():
        db.engine.dispose()


class Database:
    """Reads for assertions, each in its own short app context."""

    def __init__(self, app):
        self.app = app

    def scalar(self, statement):
        with self.app.app_context():
            return db.session.scalar(statement)

    def all(self, statement):
        with self.app.app_context():
            return db.session.scalars(statement).all()


@pytest.fixture
def database(app):
    return Database(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url):
    """The CSRF token of the form on url, as a browser would submit it."""
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, email, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


class World:
    """Factories for the state tests start from, built through the operations."""

    def __init__(self, app):
        self.app = app

    def account(self, email="organizer@example.org", role=Role.ORGANIZER, name="Anna"):
        with self.app.app_context(), unit_of_work():
            account = create_account(email, name, PASSWORD, role)
            return SimpleNamespace(id=account.id, email=account.email)

    def event(self, organizer=None, themes=1, tables_per_theme=1, dots=3, max_per_need=1, title="Tavoli 2026",
              status=EventStatus.LIVE):
        """A new event, live unless told otherwise; returns its id and its
        tables (id, join_code), in order."""
        organizer = organizer or self.account()
        with self.app.app_context(), unit_of_work():
            event = create_event(db.session.get(Account, organizer.id), title,
                                 dots_per_participant=dots, max_dots_per_need=max_per_need)
            event.status = status
            tables = []
            for number in range(themes):
                theme = add_theme(event, f"Theme {number + 1}")
                for table_number in range(tables_per_theme):
                    tables.append(create_table(theme, f"Table {number + 1}.{table_number + 1}"))
            refs = [SimpleNamespace(id=table.id, join_code=table.join_code) for table in tables]
            return SimpleNamespace(id=event.id, tables=refs)

    def table(self, **kwargs):
        """The first table of a new event."""
        return self.event(**kwargs).tables[0]

    def phone(self, table):
        """A new phone that opened the table's join link and is connected."""
        return Phone(self.app, table.join_code)

    def screen(self, table, account, view="projector"):
        """A logged-in projector or console connected to the table."""
        http = self.app.test_client()
        assert login(http, account.email).status_code == 302
        return Client(self.app, http, {"table": table.join_code, "view": view})


class Client:
    """One live Socket.IO connection, with helpers to read what it received."""

    def __init__(self, app, http, auth):
        self.http = http
        self.auth = auth
        self.sio = socketio.test_client(app, flask_test_client=http, auth=auth)
        self._buffer = []

    @property
    def connected(self):
        return self.sio.is_connected()

    def received(self, name=None):
        """The payloads received and not yet read, of one kind (or all). Events
        of other kinds stay in the buffer for a later call."""
        self._buffer.extend(self.sio.get_received())
        taken = [event for event in self._buffer if name is None or event["name"] == name]
        self._buffer = [event for event in self._buffer if not (name is None or event["name"] == name)]
        return [event["args"][0] for event in taken]

    def emit(self, name, payload):
        """Send an event and return its acknowledgement."""
        return self.sio.emit(name, payload, callback=True)


class Phone(Client):
    _counter = 0

    def __init__(self, app, code, http=None):
        http = http or app.test_client()
        assert http.get(f"/j/{code}").status_code == 200
        super().__init__(app, http, {"table": code, "view": "phone"})

    def another_tab(self, app):
        """A second connection from the same phone (same device cookie)."""
        return Phone(app, self.auth["table"], http=self.http)

    @classmethod
    def new_id(cls):
        cls._counter += 1
        return f"action-{cls._counter:06d}"

    def post(self, text, action_id=None):
        return self.emit("post_need", {"id": action_id or self.new_id(), "text": text})

    def dot(self, need_id, action_id=None):
        return self.emit("cast_dot", {"id": action_id or self.new_id(), "need": need_id})

    def take_back(self, need_id, action_id=None):
        return self.emit("withdraw_dot", {"id": action_id or self.new_id(), "need": need_id})


@pytest.fixture
def world(app):
    return World(app)


def set_phase(console, phase):
    """Step the console's table through the phases, one at a time, to `phase`."""
    order = [phase.value for phase in PHASE_ORDER]
    current = console.emit("sync", {})["snapshot"]["phase"]
    step = 1 if order.index(phase) > order.index(current) else -1
    ack = None
    while current != phase:
        target = order[order.index(current) + step]
        ack = console.emit("set_phase", {"from": current, "phase": target})
        assert ack["ok"], ack
        current = target
    return ack
