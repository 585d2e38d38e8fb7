"""Bad input over both doors: whatever a client sends, it gets a clear answer and nothing breaks.

Hypothesis sends malformed, oversized, wrong-typed, missing-field and
unicode-hostile payloads (lone surrogates, NUL and other controls, bidi
overrides, zero-width and combining characters, 100,000-character strings,
deeply nested objects, lists where objects belong, huge integers, floats,
booleans where numbers belong) to:

- every Socket.IO event of both namespaces, and the `auth` of every
  namespace's connect, read from the handlers registered on the server, so
  an event added later is covered at once;
- every HTTP route, read from app.url_map: form posts, JSON bodies, multipart
  and raw bodies to every POST route; hostile path segments and query
  strings to every GET route.

Each goes in as the role that may use its target (the phone at the table, the
facilitator's console, the organizer, with a valid CSRF token), so that it
reaches validation, and sometimes as another role. After each one:

- the answer is clear: an acknowledgement {"ok": true, ...} or {"ok": false,
  "error": {"code", "message"}} and never "server_error"; over HTTP a status
  below 500, and a 4xx page (or JSON body) that says what is wrong;
- the app logged nothing at ERROR level (no exception, handled or not);
- stored data did not change, unless the input was accepted; then every text
  it stored is normalised (NFC, no control or format characters, no lone
  surrogates) and fits its column.

The app is built once per module and its database restored after every
accepted example, so every example starts from the same state. Examples are
derandomized: the same inputs on every run.
"""

import contextlib
import io
import itertools
import json
import logging
import re
import shutil
import sqlite3
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import quote_from_bytes

import pytest
import requests
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, String, select

from config import TestingConfig
from tests.conftest import Client, Phone, World, csrf_token, login
from tests.security.conftest import ErrorRecords
from tests.servers import AppServer
from tests.test_real_server import create_table
from workshop import create_app
from workshop.accounts.models import Account, FacilitatorInvite, Role
from workshop.accounts.operations import invite_facilitator, issue_setup_link
from workshop.core.database import unit_of_work
from workshop.events.models import Event
from workshop.events.organisations import add_organisation
from workshop.extensions import db, socketio
from workshop.tables.models import WorkingTable
from workshop.tables.presence import presence

# -- what the app registers: every event and every route ----------------------

UNLIMITED = {setting: "100000 per minute" for setting in (
    "RATELIMIT_NEEDS", "RATELIMIT_DOTS", "RATELIMIT_PROFILE", "RATELIMIT_JOIN", "RATELIMIT_JOIN_NEW_DEVICES",
    "RATELIMIT_JOIN_MISSES", "RATELIMIT_JOIN_MISSES_ALL", "RATELIMIT_LOGIN", "RATELIMIT_LOGIN_ALL")}


def _registered():
    """(namespace, event) of every Socket.IO handler, the namespaces, and every
    URL rule, from an app built the way the server builds it."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(TestingConfig, instance_path=instance, SECRET_KEY="enumerate",
                         SQLALCHEMY_DATABASE_URI="sqlite://")
        handlers = socketio.server.handlers
        events = sorted((namespace, name) for namespace, names in handlers.items() for name in names
                        if name not in ("connect", "disconnect"))
        namespaces = sorted(namespace for namespace, names in handlers.items() if "connect" in names)
        rules = [SimpleNamespace(endpoint=rule.endpoint, rule=rule.rule, methods=rule.methods)
                 for rule in app.url_map.iter_rules()]
        return events, namespaces, rules


SOCKET_EVENTS, NAMESPACES, URL_RULES = _registered()
POST_ENDPOINTS = sorted({rule.endpoint for rule in URL_RULES if "POST" in rule.methods})
GET_ENDPOINTS = sorted({rule.endpoint for rule in URL_RULES if "GET" in rule.methods})
RULES = {rule.endpoint: rule.rule for rule in URL_RULES}

# Bounded so that the whole file runs in about a minute.
SOCKET_EXAMPLES, CONNECT_EXAMPLES, POST_EXAMPLES, GET_EXAMPLES = 45, 40, 30, 12
# A form of no fields whose every accepted example builds the whole demo event (seconds each).
FEWER_POST_EXAMPLES = {"events.load_demo": 8}
SETTINGS = dict(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
TRIED = {}  # target -> examples sent, reported at the end of the module


# -- hostile values --------------------------------------------------------------

HOSTILE_CHARACTERS = [
    "\x00", "\x07", "\x08", "\x1b", "\x7f", "\x85", "\x1c", "\t", "\n", "\r", "\u2028", "\u2029",  # controls
    "\ud800", "\udfff", "\udc80",  # lone surrogates
    "\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2069", "\u200e", "\u200f", "\u061c",  # bidi
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e",  # zero-width, invisible
    "\u0301", "\u0308", "\u20dd", "\u0345", "\u0489",  # combining marks
    "\uffff", "\ufffe", "\ufdd0", "\U0010ffff", "\ue000", "\U000e0001",  # noncharacters, private use, tags
    "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1ee\U0001f1f9",  # emoji
    "\u00df", "\ufb03", "\u0130", "\u0958", "e\u0301", "\u212b", "\ufdfa",  # expand under casefold or NFC
    "\u00a0", "\u3000", "\u2003", " ", "<script>", "'", '"', "%", "\\", "=", "+", "-", "@", "{", "&", "#",
]
NEAR_VALID_WORDS = [
    "", " ", "collect", "review", "vote", "results", "closed", "start", "pause", "resume", "extend",
    "hide", "unhide", "pin", "unpin", "correct", "merge", "unmerge", "phone", "projector", "console",
    "plenary", "screen", "live", "draft", "archived", "true", "false", "null", "1", "-1", "0", "1e3",
    "NaN", "Infinity", "9" * 120, "9" * 5000, "#1f5fa8", "it", "en", "y", "on", "up", "down", "association",
    "csv", "pdf",
]


def _repeat(character, times):
    return character * times


hostile_text = st.one_of(
    st.lists(st.sampled_from(HOSTILE_CHARACTERS), max_size=30).map("".join),
    st.lists(st.one_of(st.sampled_from(HOSTILE_CHARACTERS), st.characters()), max_size=30).map("".join),
    st.builds(_repeat, st.sampled_from(HOSTILE_CHARACTERS + ["x", "\u00e9"]),
              st.sampled_from([61, 121, 201, 255, 281, 2001, 4097, 100_000])),
    st.sampled_from(NEAR_VALID_WORDS),
)
hostile_int = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2, 50, 51, 14_400, 14_401, 2**31, 2**53 - 1, 2**53, 2**63 - 1, 2**63, 2**64,
                     10**30, -(10**30), 10**99]),
)  # longer integers break the Socket.IO packet itself: see test_malformed_socket_packets_*


def _nested(depth, as_object):
    value = "deep"
    for _ in range(depth):
        value = {"a": value} if as_object else [value]
    return value


scalar = st.one_of(st.none(), st.booleans(), hostile_int, st.floats(), hostile_text)
anything = st.one_of(
    scalar,
    st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
                 max_leaves=8),
    st.builds(_nested, st.integers(20, 600), st.booleans()),
    st.lists(st.just("item"), min_size=1000, max_size=1000),
)
socket_anything = st.one_of(anything, st.binary(max_size=40))  # a client may send binary attachments
FIELD_NAMES = ["id", "text", "need", "into", "action", "seconds", "phase", "from", "revealed", "name", "participants",
               "pace", "organisation", "source", "target", "v", "table", "view", "event", "__proto__", "constructor"]
_action_ids = itertools.count()


def fresh_action_id():
    return f"bad-input-{next(_action_ids):08d}"


@st.composite
def corrupted(draw, template, other=anything, extra_keys=FIELD_NAMES):
    """A payload made from a valid template: each field kept valid, replaced
    by a hostile value, or left out; sometimes extra fields; sometimes not an
    object at all."""
    shape = draw(st.sampled_from(["corrupted"] * 7 + ["not an object", "random object"]))
    if shape == "not an object":
        return draw(other.filter(lambda value: not isinstance(value, dict)))
    if shape == "random object":
        return draw(st.dictionaries(st.sampled_from(extra_keys) | hostile_text, other, max_size=5))
    payload = {}
    for name, valid in template.items():
        how = draw(st.sampled_from(["valid", "valid", "hostile", "missing"]))
        if how == "valid":
            payload[name] = draw(valid)
        elif how == "hostile":
            payload[name] = draw(other)
    for name, value in draw(st.dictionaries(st.sampled_from(extra_keys), other, max_size=2)).items():
        payload.setdefault(name, value)
    return payload


# -- the stage: one event with everything an input can name --------------------


TEXT_OK_IN = {("theme", "description")}  # multi-line texts: newlines are kept there
NOT_STORED = ("Cc", "Cf", "Cs", "Zl", "Zp")  # controls, format characters, lone surrogates, separators


class Store:
    """The SQLite file behind the app: every row of every table, and a way
    back to the starting point."""

    def __init__(self, app, path):
        self.path = str(path)
        with app.app_context():
            self.columns = {table.name: {column.name: column.type for column in table.columns}
                            for table in db.metadata.sorted_tables}
        self.baseline = None

    def _connect(self):
        connection = sqlite3.connect(self.path, timeout=30)
        connection.text_factory = bytes  # read texts as stored, to find invalid UTF-8 too
        return connection

    def rows(self):
        with contextlib.closing(self._connect()) as connection:
            names = [row[0].decode() for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            snapshot = {}
            for name in names:
                cursor = connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
                columns = [description[0] for description in cursor.description]
                snapshot[name] = [tuple(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            return snapshot

    def keep_baseline(self):
        self.baseline = sqlite3.connect(":memory:")
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as source:
            source.backup(self.baseline)
        self.baseline_rows = self.rows()
        # SQLite bumps data_version on this connection whenever another one
        # commits: rows are compared only after something was committed.
        self.watcher = sqlite3.connect(self.path, timeout=30)
        self.version = self._data_version()

    def _data_version(self):
        return self.watcher.execute("PRAGMA data_version").fetchone()[0]

    def committed_since_baseline(self):
        return self._data_version() != self.version

    def restore(self):
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as target:
            self.baseline.backup(target)
        self.version = self._data_version()
        assert self.rows() == self.baseline_rows

    def close(self):
        self.watcher.close()
        self.baseline.close()

    def changed_rows(self, before, after):
        for table, rows in after.items():
            earlier = set(before.get(table, []))
            for row in rows:
                if row not in earlier:
                    yield table, row

    def check_stored_texts(self, before, after):
        """Every text an accepted input wrote is valid UTF-8, normalised and fits its column."""
        for table, row in self.changed_rows(before, after):
            for column, value in row:
                kind = self.columns.get(table, {}).get(column)
                if not isinstance(value, bytes) or isinstance(kind, JSON):
                    continue
                text = value.decode("utf-8")  # raises on anything that is not UTF-8
                where = f"{table}.{column} = {text[:80]!r}"
                assert unicodedata.is_normalized("NFC", text), where
                allowed = "\n" if (table, column) in TEXT_OK_IN else ""
                bad = [c for c in text if c not in allowed and unicodedata.category(c) in NOT_STORED]
                assert not bad, f"{where} keeps {bad!r}"
                assert text == text.strip(), where
                if isinstance(kind, String) and kind.length:
                    assert len(text) <= kind.length, f"{where}: {len(text)} characters in a column of {kind.length}"


class Stage:
    """One live event (2 themes x 2 tables), its people and their connections.

    Table A collects needs, table B votes (results hidden until revealed);
    phone A and phone B are at them, a facilitator runs both from consoles,
    the organizer watches the projector of A and the plenary.
    """

    def __init__(self, app, database_path):
        self.app = app
        self.store = Store(app, database_path)
        self.errors = ErrorRecords()

    def english_http(self):
        http = self.app.test_client()
        http.set_cookie("tavoli_lang", "en")
        return http

    def build(self):
        app = self.app
        world = World(app)
        self.organizer = world.account("organizer@example.org", Role.ORGANIZER, "Olga")
        self.facilitator = world.account("facilitator@example.org", Role.FACILITATOR, "Fabio")
        self.event_title = "Assemblea di quartiere"
        event = world.event(self.organizer, themes=2, tables_per_theme=2, dots=5, max_per_need=2,
                            title=self.event_title)
        self.event_id = event.id
        self.table_a, self.table_b = event.tables[0], event.tables[1]
        with app.app_context(), unit_of_work():
            row = db.session.get(Event, event.id)
            organizer = db.session.get(Account, self.organizer.id)
            facilitator = db.session.get(Account, self.facilitator.id)
            row.facilitators.append(facilitator)
            row.allow_table_change = True
            table_a, table_b = (db.session.get(WorkingTable, table.id) for table in (self.table_a, self.table_b))
            table_a.facilitators.append(facilitator)
            table_b.facilitators.append(facilitator)
            table_b.results_hidden = True
            organisation = add_organisation(organizer, "Arci Lecco", "association")
            row.organisations.append(organisation)
            self.organisation_id = organisation.id
            self.theme_ids = [theme.id for theme in row.themes]
            self.invite_token = invite_facilitator(app.config["SECRET_KEY"], row, organizer, "nina@example.org",
                                                   "Nina", 72)
            db.session.flush()
            self.invite_id = db.session.scalar(select(FacilitatorInvite.id).where(FacilitatorInvite.event_id == row.id))

        self.phone_a = Phone(app, self.table_a.join_code, http=self.english_http())
        self.phone_b = Phone(app, self.table_b.join_code, http=self.english_http())
        facilitator_http = self.english_http()
        assert login(facilitator_http, self.facilitator.email).status_code == 302
        self.console_a = Client(app, facilitator_http, {"table": self.table_a.join_code, "view": "console"})
        self.console_b = Client(app, facilitator_http, {"table": self.table_b.join_code, "view": "console"})
        organizer_http = self.english_http()
        assert login(organizer_http, self.organizer.email).status_code == 302
        self.projector_a = Client(app, organizer_http, {"table": self.table_a.join_code, "view": "projector"})
        self.dashboard = self.plenary_client(organizer_http, "plenary")
        self.screen = self.plenary_client(organizer_http, "screen")

        self.needs_a = [self.phone_a.post(text)["need"]["id"] for text in ("Orari dei servizi", "Trasporti")]
        self.needs_b = [self.phone_b.post(text)["need"]["id"] for text in ("Casa", "Lavoro")]
        for phase in ("review", "vote"):
            current = self.console_b.emit("sync", {})["snapshot"]["phase"]
            assert self.console_b.emit("set_phase", {"from": current, "phase": phase})["ok"]
        assert self.phone_b.dot(self.needs_b[0], action_id="used-action-id")["ok"]

        self.clients = {
            "/": {"phone A": self.phone_a, "phone B": self.phone_b, "console A": self.console_a,
                  "console B": self.console_b, "projector A": self.projector_a},
            "/plenary": {"dashboard": self.dashboard, "screen": self.screen},
        }
        self.http_roles = {
            "anonymous": self._http_role(None, "/login"),
            "organizer": self._http_role(self.organizer.email, "/organize/"),
            "facilitator": self._http_role(self.facilitator.email, "/facilitate/"),
            "phone": self._phone_role(),
        }
        logging.getLogger().addHandler(self.errors)
        self.store.keep_baseline()
        self.errors.take()

    def plenary_client(self, http, view):
        client = Client.__new__(Client)
        client.http, client.auth, client._buffer = http, {"event": self.event_id, "view": view}, []
        client.sio = socketio.test_client(self.app, flask_test_client=http, namespace="/plenary", auth=client.auth)
        assert client.sio.is_connected("/plenary")
        return client

    def _http_role(self, email, page):
        http = self.english_http()
        if email:
            assert login(http, email).status_code == 302
        token = csrf_token(http, page)
        return SimpleNamespace(cookies=self._cookies(http), csrf=token)

    def _phone_role(self):
        return SimpleNamespace(cookies=self._cookies(self.phone_a.http), csrf="")

    @staticmethod
    def _cookies(http):
        names = ("session", "tavoli_lang", "tavoli_device")
        return {name: http.get_cookie(name).value for name in names if http.get_cookie(name) is not None}

    def http(self, role):
        """A new browser with the role's cookies (the role's session never changes between examples)."""
        http = self.app.test_client()
        for name, value in self.http_roles[role].cookies.items():
            http.set_cookie(name, value)
        return http

    def close(self):
        logging.getLogger().removeHandler(self.errors)
        for clients in self.clients.values():
            for client in clients.values():
                with contextlib.suppress(Exception):
                    client.sio.disconnect(namespace="/plenary" if client in (self.dashboard, self.screen) else None)
        self.store.close()
        with self.app.app_context():
            db.engine.dispose()

    # -- one example -----------------------------------------------------------

    def begin(self):
        """Start an example from the baseline, whatever a failed example before it left behind."""
        self.errors.take()
        if self.store.committed_since_baseline():
            self.store.restore()

    def settle(self, target, accepted):
        """Check what an example left behind; back to the baseline if it changed anything."""
        TRIED[target] = TRIED.get(target, 0) + 1
        errors = self.errors.take()
        assert not errors, f"{target}: the app logged errors:\n" + "\n".join(errors)
        if not self.store.committed_since_baseline():
            return
        before, after = self.store.baseline_rows, self.store.rows()
        if after == before:
            self.store.restore()
            return
        if not accepted:
            changed = sorted({table for table, _row in self.store.changed_rows(before, after)}
                             | {table for table, _row in self.store.changed_rows(after, before)})
            self.store.restore()
            pytest.fail(f"{target}: a refused input changed stored data in {changed}")
        try:
            self.store.check_stored_texts(before, after)
        finally:
            self.store.restore()


def _build_stage(tmp_path_factory, migrated_database, builder):
    instance = tmp_path_factory.mktemp("bad-input")
    shutil.copy(migrated_database, instance / "tavoli.sqlite3")
    # Thousands of inputs from a few phones and accounts: the rate limits (tested on
    # their own) are raised so that every input reaches the validation it is aimed at.
    app = create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None, **UNLIMITED)
    presence.forget_everyone()
    stage = Stage(app, instance / "tavoli.sqlite3")
    builder(stage)
    return stage


@pytest.fixture(scope="module")
def stage(tmp_path_factory, migrated_database):
    stage = _build_stage(tmp_path_factory, migrated_database, Stage.build)
    yield stage
    stage.close()


# -- Socket.IO: every event ------------------------------------------------------


def socket_templates(stage):
    """For each event: who may send it, and a valid payload (field -> strategy of valid values)."""
    action_id = st.one_of(st.builds(fresh_action_id), st.just("used-action-id"))
    need_a = st.sampled_from(stage.needs_a + stage.needs_b + [999_999])
    need_b = st.sampled_from(stage.needs_b + stage.needs_a)
    text = st.sampled_from(["Orari dei servizi serali", "Piazza  pulita ", "Caf\u0065\u0301 sociale"])
    phases = st.sampled_from(["collect", "review", "vote", "results", "closed"])
    return {
        ("/", "post_need"): ("phone A", {"id": action_id, "text": text}),
        ("/", "edit_need"): ("phone A", {"id": action_id, "need": need_a, "text": text}),
        ("/", "delete_need"): ("phone A", {"id": action_id, "need": need_a}),
        ("/", "cast_dot"): ("phone B", {"id": action_id, "need": need_b}),
        ("/", "withdraw_dot"): ("phone B", {"id": action_id, "need": need_b}),
        ("/", "get_profile"): ("phone A", {}),
        ("/", "set_profile"): ("phone A", {"name": text, "organisation": st.sampled_from([stage.organisation_id,
                                                                                          None, 424242])}),
        ("/", "sync"): ("console A", {}),
        ("/", "set_phase"): ("console A", {"from": phases, "phase": phases}),
        ("/", "timer"): ("console A", {"action": st.sampled_from(["start", "pause", "resume", "extend"]),
                                       "seconds": st.integers(1, 14_400)}),
        ("/", "reveal"): ("console B", {"revealed": st.booleans()}),
        ("/", "moderate"): ("console A", {
            "action": st.sampled_from(["hide", "unhide", "pin", "unpin", "correct", "merge", "unmerge"]),
            "need": need_a, "text": text, "into": need_a}),
        ("/", "rehearsal"): ("console A", {"action": st.sampled_from(["start", "pace", "stop", "clear"]),
                                           "participants": st.integers(3, 20),
                                           "pace": st.sampled_from(["slow", "normal", "fast"])}),
        ("/plenary", "sync"): ("dashboard", {}),
        ("/plenary", "merge"): ("dashboard", {"source": need_a, "target": need_b}),
        ("/plenary", "unmerge"): ("dashboard", {"need": need_a}),
    }


def check_acknowledgement(ack, where):
    assert isinstance(ack, dict), f"{where}: no acknowledgement, got {ack!r}"
    assert ack.get("ok") in (True, False), f"{where}: {ack!r}"
    if ack["ok"] is False:
        error = ack.get("error")
        assert isinstance(error, dict) and set(error) == {"code", "message"}, f"{where}: {ack!r}"
        assert isinstance(error["code"], str) and error["code"], f"{where}: {ack!r}"
        assert error["code"] != "server_error", f"{where}: {ack!r}"
        assert isinstance(error["message"], str) and error["message"].strip(), f"{where}: {ack!r}"


def test_every_event_and_route_has_a_valid_example_here(stage):
    """A new event or POST route needs its row here, so that the bad input sent to it reaches validation."""
    assert set(SOCKET_EVENTS) <= set(socket_templates(stage)), set(SOCKET_EVENTS) - set(socket_templates(stage))
    assert set(POST_ENDPOINTS) <= set(http_targets(stage)), set(POST_ENDPOINTS) - set(http_targets(stage))
    assert set(GET_ENDPOINTS) <= set(http_targets(stage)), set(GET_ENDPOINTS) - set(http_targets(stage))
    assert set(NAMESPACES) <= set(CONNECT_TEMPLATES), set(NAMESPACES) - set(CONNECT_TEMPLATES)


@pytest.mark.parametrize(("namespace", "event"), SOCKET_EVENTS, ids=[f"{ns}{name}" for ns, name in SOCKET_EVENTS])
def test_a_socket_event_answers_bad_input_with_a_clear_error(stage, namespace, event):
    sender, template = socket_templates(stage).get((namespace, event), (None, {}))
    clients = stage.clients[namespace]
    # Mostly the client that may send the event (so the input reaches
    # validation), sometimes any other client of the namespace.
    senders = st.sampled_from([sender] * 3 + sorted(clients)) if sender else st.sampled_from(sorted(clients))
    arguments = st.one_of(
        corrupted(template, other=socket_anything).map(lambda payload: [payload]),
        st.just([]),  # no payload at all
        st.tuples(corrupted(template, other=socket_anything), socket_anything).map(list),  # one argument too many
    )

    @settings(max_examples=SOCKET_EXAMPLES, **SETTINGS)
    @given(who=senders, args=arguments)
    def send(who, args):
        stage.begin()
        ack = clients[who].sio.emit(event, *args, callback=True, namespace=namespace)
        where = f"{event} from {who} with {repr(args)[:300]}"
        check_acknowledgement(ack, where)
        stage.settle(f"socket {namespace} {event}", ack["ok"])

    send()


CONNECT_TEMPLATES = {
    "/": {"table": st.sampled_from(["TABLE_A", "TABLE_B", "ZZZZZZ"]),
          "view": st.sampled_from(["phone", "projector", "console"]), "v": st.integers(0, 10)},
    "/plenary": {"event": st.sampled_from(["EVENT", 999_999]), "view": st.sampled_from(["plenary", "screen"])},
}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_connection_with_bad_auth_is_refused_cleanly(stage, namespace):
    def concrete(value):
        names = {"TABLE_A": stage.table_a.join_code, "TABLE_B": stage.table_b.join_code, "EVENT": stage.event_id}
        return names.get(value, value) if isinstance(value, str | int) and not isinstance(value, bool) else value

    template = {name: valid.map(concrete) for name, valid in CONNECT_TEMPLATES.get(namespace, {}).items()}

    @settings(max_examples=CONNECT_EXAMPLES, **SETTINGS)
    @given(role=st.sampled_from(sorted(stage.http_roles)), auth=corrupted(template))
    def connect(role, auth):
        stage.begin()
        client = socketio.test_client(stage.app, flask_test_client=stage.http(role), namespace=namespace, auth=auth)
        connected = client.is_connected(namespace)
        if connected:
            client.disconnect(namespace=namespace)
        stage.settle(f"connect {namespace}", connected)

    connect()


# -- HTTP: every route -------------------------------------------------------------


def http_targets(stage):
    """For each endpoint: who may use it, its URL arguments, and a valid form (field -> valid value)."""
    e, themes = stage.event_id, stage.theme_ids
    table_a = stage.table_a.id
    event_form = {"title": "Assemblea 2027", "starts_on": "2027-03-01", "venue": "Sala civica", "language": "en",
                  "dots_per_participant": "3", "max_dots_per_need": "1"}
    theme_form = {"name": "Scuola", "colour": "#336699", "description": "Due righe\nsu questo tema"}
    table_settings = {"name": "Tavolo verde", "theme_id": str(themes[0]), "dots_per_participant": "5",
                      "max_dots_per_need": "2", "results_hidden": "y", "facilitators": [str(stage.facilitator.id)]}
    organisations = "Caritas; volontariato\nComune di Lecco, comune"
    return {
        "static": ("anonymous", {"filename": "css/tavoli.css"}, None),
        "core.healthz": ("anonymous", {}, None),
        "core.switch_language": ("anonymous", {"code": "en"}, None),
        "accounts.login": ("anonymous", {}, {"email": stage.organizer.email, "password": "correct horse battery"}),
        "accounts.logout": ("organizer", {}, {}),
        "accounts.setup": ("anonymous", {"token": "no-such-token"}, {}),  # with an organizer: every link is spent
        "accounts.accept_invite": ("anonymous", {"token": stage.invite_token},
                                   {"name": "Nina", "password": "a long password", "confirm": "a long password"}),
        "accounts.facilitate": ("facilitator", {}, None),
        "events.dashboard": ("organizer", {}, event_form),
        "events.event": ("organizer", {"event_id": e}, None),
        "events.add_theme": ("organizer", {"event_id": e}, theme_form),
        "events.add_table": ("organizer", {"event_id": e}, {
            "table-theme_id": str(themes[0]), "table-name": "Tavolo nuovo", "table-dots_per_participant": "4",
            "table-max_dots_per_need": "", "table-results_hidden": "y"}),
        "events.change_status": ("organizer", {"event_id": e}, {"status": "closed"}),
        "events.edit_event": ("organizer", {"event_id": e}, {**event_form, "results_hidden": "y",
                                                              "allow_table_change": "y"}),
        "events.duplicate_event": ("organizer", {"event_id": e}, {"title": "Assemblea, di nuovo"}),
        # Refused while the event is live, whatever the form says: the fuzzing never deletes the stage.
        "events.delete_personal_data": ("organizer", {"event_id": e}, {"personal-confirm": "y"}),
        "events.delete_event": ("organizer", {"event_id": e}, {"delete-title": stage.event_title}),
        # The stage is no demo: the removal is refused whatever the form says (404).
        "events.remove_demo_events": ("organizer", {"event_id": e}, {"demo-confirm": "y"}),
        "events.load_demo": ("organizer", {}, {}),
        "events.edit_theme": ("organizer", {"event_id": e, "theme_id": themes[0]}, theme_form),
        "events.move_theme": ("organizer", {"event_id": e, "theme_id": themes[0]}, {"direction": "down"}),
        "events.edit_table": ("organizer", {"event_id": e, "table_id": table_a}, table_settings),
        "events.invite_facilitator": ("organizer", {"event_id": e}, {"invite-email": "zoe@example.org",
                                                                     "invite-name": "Zoe"}),
        "events.revoke_invite": ("organizer", {"event_id": e, "invite_id": stage.invite_id}, {}),
        "events.add_facilitator": ("organizer", {"event_id": e}, {"existing-email": stage.facilitator.email}),
        "organisations.registry": ("organizer", {}, None),
        "organisations.add": ("organizer", {}, {"name": "Pro Loco", "kind": "association"}),
        "organisations.edit": ("organizer", {"organisation_id": stage.organisation_id},
                               {"name": "Arci Lecco APS", "kind": "association"}),
        "organisations.import_list": ("organizer", {}, {"import-text": organisations}),
        "organisations.participation": ("organizer", {"event_id": e}, {"organisations": [str(stage.organisation_id)]}),
        "organisations.import_for_event": ("organizer", {"event_id": e}, {"import-text": organisations}),
        "participants.home": ("anonymous", {}, None),
        "participants.join": ("anonymous", {}, None),
        "participants.table": ("phone", {"code": stage.table_a.join_code}, None),
        "tables.console": ("facilitator", {"table_id": table_a}, None),
        "tables.projector": ("facilitator", {"table_id": table_a}, None),
        "tables.qr_code": ("facilitator", {"table_id": table_a}, None),
        "tables.card": ("facilitator", {"table_id": table_a}, None),
        "events.cards": ("organizer", {"event_id": e}, None),
        "help.index": ("anonymous", {}, None),
        "help.guide": ("anonymous", {"guide": "organizers"}, None),
        "plenary.dashboard": ("organizer", {"event_id": e}, None),
        "plenary.screen": ("organizer", {"event_id": e}, None),
        "exports.event_export": ("organizer", {"event_id": e, "name": "csv"}, None),
        "exports.table_export": ("facilitator", {"table_id": table_a, "name": "json"}, None),
    }


FILE_FIELDS = {"organisations.import_list": "import-file", "organisations.import_for_event": "import-file"}
QUERY_NAMES = ["next", "code", "q", "archived", "every", "theme", "format", "page"]
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _quote(value):
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="")


def build_path(rule, arguments):
    """The rule's path with these values, percent-encoded as they come (no url_for checks)."""
    def fill(match):
        converter, name = match.groups()
        value = arguments[name]
        if converter == "path" and isinstance(value, str):
            return "/".join(_quote(part) for part in value.split("/"))
        return _quote(value)

    return _ARGUMENT.sub(fill, rule)


def _as_text(value):
    """A hostile value as a form field carries it: text (or raw bytes, to send invalid UTF-8)."""
    if isinstance(value, str | bytes):
        return value
    return json.dumps(value, default=repr)[:5000] if not isinstance(value, float) else repr(value)


@st.composite
def form_fields(draw, template, csrf):
    """[(name, value)]: the template's fields kept, made hostile, left out or repeated; the CSRF token
    mostly valid."""
    fields = []
    for name, valid in {"csrf_token": csrf, **template}.items():
        how = draw(st.sampled_from(["valid"] * (6 if name == "csrf_token" else 2) + ["hostile", "missing", "many"]))
        values = valid if isinstance(valid, list) else [valid]
        if how == "valid":
            fields.extend((name, value) for value in values)
        elif how == "hostile":
            fields.append((name, _as_text(draw(anything))))
        elif how == "many":
            fields.extend((name, _as_text(draw(anything))) for _ in range(draw(st.integers(2, 4))))
    for name, value in draw(st.dictionaries(st.sampled_from(FIELD_NAMES) | hostile_text, anything, max_size=2)).items():
        fields.append((name, _as_text(value)))
    return fields


def _utf8(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value.encode("utf-8", "replace").decode("utf-8")


def urlencoded(fields):
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in fields).encode("ascii")


@st.composite
def post_request(draw, template, csrf, file_field):
    """(body kind, keyword arguments for the test client)."""
    kind = draw(st.sampled_from(["form"] * 6 + ["json", "json", "multipart", "raw"]))
    if kind == "form":
        return kind, {"data": urlencoded(draw(form_fields(template, csrf))),
                      "content_type": "application/x-www-form-urlencoded"}
    if kind == "json":
        body = draw(corrupted({name: st.just(value) for name, value in template.items()}))
        return kind, {"data": json.dumps(body, default=repr).encode("utf-8", "surrogatepass"),
                      "content_type": "application/json", "headers": {"X-CSRFToken": csrf}}
    if kind == "multipart":
        data = {}
        for name, value in draw(form_fields(template, csrf)):
            # The test client sends multipart fields as UTF-8 text: lone surrogates cannot be in them.
            data.setdefault(_utf8(name), _utf8(value))
        if file_field:
            content = draw(st.one_of(st.binary(max_size=200),
                                     hostile_text.map(lambda text: text.encode("utf-8", "surrogatepass")),
                                     st.just(b"Caritas;volontariato\n" * 10)))
            data[file_field] = (io.BytesIO(content), draw(st.sampled_from(["list.csv", "", "../../etc/passwd"])))
        return kind, {"data": data, "content_type": "multipart/form-data"}
    content_type = draw(st.sampled_from(["text/plain", "application/xml", "application/octet-stream", "",
                                         "application/x-www-form-urlencoded; charset=latin-1", "multipart/form-data"]))
    return kind, {"data": draw(st.binary(max_size=300)), "content_type": content_type or None,
                  "headers": {"X-CSRFToken": csrf}}


_MESSAGE = re.compile(r'<p class="(?:error|lead)"[^>]*>\s*([^<]+?)\s*<|<li class="error">\s*([^<]+?)\s*<'
                      r'|<p class="flash flash-error"[^>]*>\s*([^<]+?)\s*<')


def check_response(response, where, http):
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    if status == 303:  # refused forms that are a single button: back to the page, with the reason
        follow = http.get(response.headers["Location"])
        assert follow.status_code == 200, f"{where}: {follow.status_code} after 303"
        assert 'class="flash flash-error"' in follow.get_data(as_text=True), f"{where}: 303 without a message"
        return False
    if status < 400:
        return True
    if response.is_json:
        error = response.get_json()["error"]
        assert str(error["message"]).strip(), f"{where}: {response.get_json()!r}"
    else:
        page = response.get_data(as_text=True)
        assert _MESSAGE.search(page) or (response.mimetype == "text/plain" and page.strip()), \
            f"{where}: {status} without a message:\n{page[:2000]}"
    return False


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_a_form_route_answers_bad_input_with_a_clear_error(stage, endpoint):
    role, arguments, template = http_targets(stage).get(endpoint, ("organizer", {}, {}))
    path = build_path(RULES[endpoint], arguments)
    file_field = FILE_FIELDS.get(endpoint)

    @settings(max_examples=FEWER_POST_EXAMPLES.get(endpoint, POST_EXAMPLES), **SETTINGS)
    @given(who=st.sampled_from([role] * 4 + sorted(stage.http_roles)), data=st.data())
    def post(who, data):
        csrf = stage.http_roles[who].csrf
        kind, request = data.draw(post_request(template or {}, csrf, file_field))
        stage.begin()
        http = stage.http(who)
        response = http.post(path, **request)
        accepted = check_response(response, f"POST {path} as {who} ({kind}) {repr(request)[:300]}", http)
        stage.settle(f"POST {RULES[endpoint]}", accepted)

    post()


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_a_page_answers_hostile_addresses_with_a_clear_error(stage, endpoint):
    role, arguments, _form = http_targets(stage).get(endpoint, ("anonymous", {}, None))
    rule = RULES[endpoint]
    converters = dict((name, converter) for converter, name in _ARGUMENT.findall(rule))
    hostile_arguments = {
        name: st.one_of(st.just(value), hostile_int.filter(lambda n: n >= 0)) if converters[name] == "int"
        else st.one_of(st.just(value), hostile_text.filter(lambda text: 0 < len(text) < 3000))
        for name, value in arguments.items()
    }

    @settings(max_examples=GET_EXAMPLES, **SETTINGS)
    @given(who=st.sampled_from([role] * 2 + sorted(stage.http_roles)),
           values=st.fixed_dictionaries(hostile_arguments),
           query=st.lists(st.tuples(st.sampled_from(QUERY_NAMES) | hostile_text, anything.map(_as_text)), max_size=3))
    def get(who, values, query):
        path = build_path(rule, values)
        if query:
            path += "?" + urlencoded(query).decode()
        stage.begin()
        http = stage.http(who)
        response = http.get(path)
        check_response(response, f"GET {path[:300]} as {who}", http)
        stage.settle(f"GET {rule}", False)  # reading a page never writes

    get()


# -- the first organizer's set-up link (only while there is no organizer) -------


@pytest.fixture(scope="module")
def setup_stage(tmp_path_factory, migrated_database):
    def build(stage):
        with stage.app.app_context(), unit_of_work():
            stage.setup_token = issue_setup_link(stage.app.config["SECRET_KEY"], 24)
        stage.http_roles = {"anonymous": stage._http_role(None, f"/setup/{stage.setup_token}")}
        logging.getLogger().addHandler(stage.errors)
        stage.store.keep_baseline()
        stage.clients = {}

    stage = _build_stage(tmp_path_factory, migrated_database, build)
    yield stage
    logging.getLogger().removeHandler(stage.errors)
    stage.store.close()
    with stage.app.app_context():
        db.engine.dispose()


def test_the_setup_form_answers_bad_input_with_a_clear_error(setup_stage):
    stage = setup_stage
    path = f"/setup/{stage.setup_token}"
    template = {"name": "Olga", "email": "olga@example.org", "password": "a long password",
                "confirm": "a long password"}

    @settings(max_examples=POST_EXAMPLES, **SETTINGS)
    @given(data=st.data())
    def post(data):
        kind, request = data.draw(post_request(template, stage.http_roles["anonymous"].csrf, None))
        stage.begin()
        http = stage.http("anonymous")
        response = http.post(path, **request)
        accepted = check_response(response, f"POST {path} ({kind}) {repr(request)[:300]}", http)
        stage.settle("POST /setup/<token> (a valid link)", accepted)

    post()


# -- size bounds ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_a_request_body_over_the_limit_gets_413_and_changes_nothing(stage, endpoint):
    role, arguments, template = http_targets(stage).get(endpoint, ("organizer", {}, {}))
    path = build_path(RULES[endpoint], arguments)
    limit = stage.app.config["MAX_CONTENT_LENGTH"]
    fields = [("csrf_token", stage.http_roles[role].csrf), *(template or {}).items(), ("padding", "x" * limit)]
    for request in (
        {"data": urlencoded(fields), "content_type": "application/x-www-form-urlencoded"},
        {"data": {"csrf_token": stage.http_roles[role].csrf, "file": (io.BytesIO(b"x" * (limit + 1)), "big.csv")},
         "content_type": "multipart/form-data"},
    ):
        stage.begin()
        http = stage.http(role)
        response = http.post(path, headers={"Accept-Language": "en"}, **request)
        assert response.status_code == 413, (path, response.status_code)
        assert "What you sent is too large." in response.get_data(as_text=True)
        stage.settle(f"POST {RULES[endpoint]} (over the size limit)", False)


class RawPhone:
    """A phone speaking Engine.IO 4 / Socket.IO 5 by hand over a websocket, so
    that it can send what no Socket.IO library would."""

    def __init__(self, server, code):
        self.http = requests.Session()
        assert self.http.get(f"{server.url}/j/{code}", timeout=10).status_code == 200
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", cookie=cookie,
            origin=server.url, timeout=5)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40" + json.dumps({"table": code, "view": "phone"}))
        self.next(lambda message: message.startswith('42["snapshot"'))
        self.acks = itertools.count(1)

    def next(self, wanted, timeout=5.0):
        """The next message that `wanted` accepts; None if none came within timeout."""
        self.ws.settimeout(timeout)
        try:
            while True:
                message = self.ws.recv()
                if message == "2":  # the server's ping
                    self.ws.send("3")
                elif wanted(message):
                    return message
        except websocket.WebSocketTimeoutException:
            return None

    def call(self, event, payload, timeout=5.0):
        """Send an event asking for an acknowledgement; its answer, or None if none came."""
        number = next(self.acks)
        self.ws.send(f"42{number}" + json.dumps([event, payload]))
        answer = self.next(lambda message: message.startswith(f"43{number}["), timeout)
        return json.loads(answer[len(f"43{number}"):])[0] if answer else None

    def closed_by_server(self, timeout=5.0):
        self.ws.settimeout(timeout)
        try:
            while True:
                if self.ws.recv() in ("", None):
                    return True
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return True
        except websocket.WebSocketTimeoutException:
            return False

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()


@pytest.fixture(scope="module")
def live_table():
    """The real server (python wsgi.py, eventlet), with one live table made
    through the pages by the organizer who used the first-run set-up link."""
    with AppServer(organizer=None) as server:
        link = re.search(r"one-time link\): (\S+)", server.log_tail(200)).group(1)
        organizer = requests.Session()
        page = organizer.get(link, timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = organizer.post(link, timeout=10, data={
            "name": "Olga", "email": "olga@example.org", "password": "a long password",
            "confirm": "a long password", "csrf_token": token})
        assert response.url.endswith("/organize/"), response.url
        _table_id, code = create_table(server, organizer)
        yield SimpleNamespace(server=server, code=code)


def stored_needs(live):
    phone = RawPhone(live.server, live.code)
    try:
        return [need["text"] for need in phone.call("sync", {})["snapshot"]["needs"]]
    finally:
        phone.close()


def assert_no_trace_in(server):
    log = server.log_tail(100_000)
    assert "Traceback" not in log and " ERROR " not in log, log[-5000:]


def test_a_socket_message_over_the_size_bound_is_refused_without_harm(live_table):
    server, code = live_table.server, live_table.code
    limit = 16 * 1024  # SOCKETIO_MAX_MESSAGE_BYTES by default
    phone = RawPhone(server, code)
    try:
        # Just under the bound: an answer, the text's own limit.
        ack = phone.call("post_need", {"id": "size-bound-0001", "text": "x" * (limit - 100)})
        assert ack["error"]["code"] == "text_too_long"
        # Over it: the connection is closed before anything reads the message.
        phone.ws.send('421["post_need",' + json.dumps({"id": "size-bound-0002", "text": "y" * limit}) + "]")
        assert phone.closed_by_server()
    finally:
        phone.close()

    # Over the long-polling transport (how every phone starts): 400, and the session ends.
    http = requests.Session()
    http.get(f"{server.url}/j/{code}", timeout=10)
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    sid = json.loads(http.get(base, timeout=10).text[1:])["sid"]
    assert http.post(f"{base}&sid={sid}", data="40" + json.dumps({"table": code, "view": "phone"}), timeout=10).ok
    http.get(f"{base}&sid={sid}", timeout=10)  # the snapshot
    with ThreadPoolExecutor(1) as pending:
        poll = pending.submit(http.get, f"{base}&sid={sid}", timeout=30)  # a client always has a poll waiting
        time.sleep(0.3)
        big = '421["post_need",' + json.dumps({"id": "size-bound-0003", "text": "z" * limit}) + "]"
        assert http.post(f"{base}&sid={sid}", data=big, timeout=10).status_code == 400
        assert poll.result().text == "1"  # Engine.IO "close"

    assert stored_needs(live_table) == []
    other = RawPhone(server, code)
    try:
        assert other.call("post_need", {"id": "size-bound-0004", "text": "Dopo"})["ok"]
    finally:
        other.close()
    assert stored_needs(live_table) == ["Dopo"]
    assert requests.get(server.url + "/healthz", timeout=10).json()["status"] == "ok"
    assert_no_trace_in(server)
    TRIED["real server: Socket.IO messages at and over the size bound"] = 3


MALFORMED_OVER_THE_WIRE = {
    "nested deeper than the parser allows": '42["post_need",' + "[" * 5000 + "]" * 5000 + "]",
    "broken JSON": '42["post_need",{',
    "an integer of 5,000 digits": '42["post_need",{"id":"abcdefgh","text":' + "9" * 5000 + "}]",
    "an event that is not a list": '42{"post_need":1}',
    "an unknown packet type": "49[]",
}


def test_malformed_socket_packets_drop_the_client_without_a_trace(live_table):
    server, code = live_table.server, live_table.code
    before = stored_needs(live_table)
    for name, encoded in MALFORMED_OVER_THE_WIRE.items():
        phone = RawPhone(server, code)
        try:
            phone.ws.send(encoded)
            # Dropped from the table's namespace: what it sends next is not handled.
            assert phone.call("post_need", {"id": "after-malformed", "text": name}, timeout=0.5) is None, name
        finally:
            phone.close()
    assert stored_needs(live_table) == before
    assert "refused a malformed Socket.IO packet" in server.log_tail(100_000)
    assert_no_trace_in(server)
    TRIED["real server: malformed Socket.IO packets"] = len(MALFORMED_OVER_THE_WIRE)
