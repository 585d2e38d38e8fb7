"""Who may do what, written down as a matrix and tried for real.

Every HTTP route of the app and every Socket.IO event of both namespaces is
tried as each of seven roles, and each cell holds the answer that role must
get. The matrix must name exactly what the app serves: a route or event added
without a row, or a row left behind by one removed, fails the test.

The world, built once for the module through the operations:
- event "here" (live, one theme) with tables A (the table under test; its
  results stay hidden until revealed) and B; the event does not allow
  changing tables;
- event "elsewhere" (live) with table C, organised by someone else.

The roles, each with its own browser (cookies):
- anonymous: no cookie at all;
- participant_here: a phone that opened A's join link and joined A;
- participant_other: a phone that joined B, another table of the SAME event;
- facilitator_here: an account facilitating A;
- facilitator_other: an account facilitating B (same event);
- organizer_here: an organizer of event "here";
- organizer_other: the organizer of event "elsewhere".

HTTP cells are statuses; LOGIN is a redirect to the login page (Flask-Login's,
with `next`), 302/303 any other redirect. POSTs carry a valid CSRF token for
the role's own session and no other field: a role past the access check gets
its form back (400) or a redirect; any refused cell must leave the database
exactly as it was.

Socket.IO cells: the `connect` rows give, per view, "ok" or the refusal code
of `connect_error`. Every other event is sent over each view the role
connected with; its cell is "ok" or the error code of the acknowledgement
(a dict per view when the views answer differently), or REFUSED when the role
could open no connection to table A (to event "here" on /plenary). A refused
role still sends every event on its refused connection, as a client ignoring
the refusal would: it must get no answer and change nothing.

Below the matrix, the same roles reach for table A's needs, invitations and
themes from the connections and pages they do own (their own table, their
own event), and a second participant of table A for participant_here's need
and dot: every such attempt must be refused too, and change nothing.
"""

import hashlib
import itertools
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from config import TestingConfig
from tests.conftest import PASSWORD
from tests.security.clients import RecordingClient
from workshop import create_app
from workshop.accounts.models import Account, FacilitatorInvite, Role
from workshop.accounts.operations import create_account, invite_facilitator, issue_setup_link
from workshop.contributions import merging
from workshop.contributions import operations as contributions
from workshop.contributions.models import Need
from workshop.core.database import unit_of_work
from workshop.core.notify import PLENARY_NAMESPACE
from workshop.demo.build import remove_demo
from workshop.events.models import Event, EventStatus
from workshop.events.operations import add_theme, create_event
from workshop.events.organisations import add_organisation
from workshop.extensions import db, socketio
from workshop.participants.models import Membership, Participant
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.operations import bump_version, create_table
from workshop.tables.presence import presence

ROLES = ("anonymous", "participant_here", "participant_other", "facilitator_here", "facilitator_other",
         "organizer_here", "organizer_other")
LOGIN = "login"
REFUSED = "refused"
VIEWS = {"/": ("phone", "projector", "console"), PLENARY_NAMESPACE: ("plenary", "screen")}


def row(*cells):
    assert len(cells) == len(ROLES), cells
    return dict(zip(ROLES, cells, strict=True))


# -- HTTP: every route, by method --------------------------------------------------------------------------------
#                                                     anonym. part.here part.oth fac.here fac.oth org.here org.oth
HTTP_MATRIX = {
    "GET /":                                      row(200,   200,   200,   200,   200,   200,   200),
    "GET /healthz":                               row(200,   200,   200,   200,   200,   200,   200),
    "GET /join":                                  row(302,   302,   302,   302,   302,   302,   302),
    "GET /j/<code>":                              row(200,   200,   200,   200,   200,   200,   200),
    "GET /lang/<code>":                           row(302,   302,   302,   302,   302,   302,   302),
    "GET /login":                                 row(200,   200,   200,   302,   302,   302,   302),
    "POST /login":                                row(400,   400,   400,   302,   302,   302,   302),
    "POST /logout":                               row(LOGIN, LOGIN, LOGIN, 302,   302,   302,   302),
    # Once an organizer exists, no set-up link works (even one never used).
    "GET /setup/<token>":                         row(404,   404,   404,   404,   404,   404,   404),
    "POST /setup/<token>":                        row(404,   404,   404,   404,   404,   404,   404),
    # An invitation is a bearer link: whoever holds it may open it.
    "GET /invite/<token>":                        row(200,   200,   200,   200,   200,   200,   200),
    "POST /invite/<token>":                       row(400,   400,   400,   400,   400,   400,   400),
    "GET /facilitate/":                           row(LOGIN, LOGIN, LOGIN, 200,   200,   200,   200),
    "GET /organize/":                             row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   200),
    "POST /organize/":                            row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   400),
    # Any organizer may load the demo for themselves (the demo events are theirs, not event "here").
    "POST /organize/demo":                        row(LOGIN, LOGIN, LOGIN, 403,   403,   302,   302),
    "GET /organize/events/<int:event_id>":        row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    "GET /organize/events/<int:event_id>/edit":   row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    "POST /organize/events/<int:event_id>/edit":  row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   403),
    "POST /organize/events/<int:event_id>/status": row(LOGIN, LOGIN, LOGIN, 403,  403,   303,   403),
    "POST /organize/events/<int:event_id>/duplicate": row(LOGIN, LOGIN, LOGIN, 403, 403,  302,   403),
    # The organizer sends no confirmation (the ticked box, the typed title): 400, nothing deleted.
    "POST /organize/events/<int:event_id>/personal-data/delete": row(LOGIN, LOGIN, LOGIN, 403, 403, 400, 403),
    "POST /organize/events/<int:event_id>/delete": row(LOGIN, LOGIN, LOGIN, 403, 403, 400, 403),
    # Event "here" is no demo: there is no demo of it to remove.
    "POST /organize/events/<int:event_id>/demo/remove": row(LOGIN, LOGIN, LOGIN, 403, 403, 404, 403),
    "POST /organize/events/<int:event_id>/themes": row(LOGIN, LOGIN, LOGIN, 403,  403,   400,   403),
    "GET /organize/events/<int:event_id>/themes/<int:theme_id>":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    # (Fields left out of the form keep their values: a form of only the CSRF token saves the theme as it is.)
    "POST /organize/events/<int:event_id>/themes/<int:theme_id>":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   302,   403),
    "POST /organize/events/<int:event_id>/themes/<int:theme_id>/move":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   403),
    "POST /organize/events/<int:event_id>/tables": row(LOGIN, LOGIN, LOGIN, 403,  403,   400,   403),
    "GET /organize/events/<int:event_id>/tables/<int:table_id>":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    "POST /organize/events/<int:event_id>/tables/<int:table_id>":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   403),
    "POST /organize/events/<int:event_id>/invites": row(LOGIN, LOGIN, LOGIN, 403, 403,   400,   403),
    "POST /organize/events/<int:event_id>/invites/<int:invite_id>/revoke":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   302,   403),
    "POST /organize/events/<int:event_id>/facilitators":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   403),
    "GET /organize/events/<int:event_id>/organisations":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    "POST /organize/events/<int:event_id>/organisations":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   302,   403),
    "POST /organize/events/<int:event_id>/organisations/import":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   403),
    # The registry of organisations is shared by every organizer, of any event.
    "GET /organize/organisations/":               row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   200),
    "POST /organize/organisations/":              row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   400),
    "GET /organize/organisations/<int:organisation_id>":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   200),
    "POST /organize/organisations/<int:organisation_id>":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   400),
    "POST /organize/organisations/import":        row(LOGIN, LOGIN, LOGIN, 403,   403,   400,   400),
    "GET /organize/events/<int:event_id>/plenary": row(LOGIN, LOGIN, LOGIN, 403,  403,   200,   403),
    "GET /organize/events/<int:event_id>/plenary/screen":
                                                  row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    # Minutes answer 403 with what to do, not the login page: a participant must see at once they are not for them.
    "GET /organize/events/<int:event_id>/export/<name>":
                                                  row(403,   403,   403,   403,   403,   200,   403),
    "GET /tables/<int:table_id>/export/<name>":   row(403,   403,   403,   200,   403,   200,   403),
    "GET /tables/<int:table_id>/console":         row(LOGIN, LOGIN, LOGIN, 200,   403,   200,   403),
    "GET /tables/<int:table_id>/projector":       row(LOGIN, LOGIN, LOGIN, 200,   403,   200,   403),
    "GET /tables/<int:table_id>/qr.svg":          row(LOGIN, LOGIN, LOGIN, 200,   403,   200,   403),
    "GET /tables/<int:table_id>/card":            row(LOGIN, LOGIN, LOGIN, 200,   403,   200,   403),
    "GET /organize/events/<int:event_id>/cards":  row(LOGIN, LOGIN, LOGIN, 403,   403,   200,   403),
    # The guides hold no personal data: anyone may read them.
    "GET /help/":                                 row(200,   200,   200,   200,   200,   200,   200),
    "GET /help/<guide>":                          row(200,   200,   200,   200,   200,   200,   200),
}


# -- Socket.IO: every event of both namespaces ------------------------------------------------------------------

def views(**answers):
    return answers


NO_TABLE_VIEW = views(phone="no_device", projector="not_allowed", console="not_allowed")
CONSOLE_ONLY = views(projector="not_allowed", console="ok")
NOT_A_PHONE = "not_allowed"

SOCKET_MATRIX = {
    "/ connect": row(
        NO_TABLE_VIEW,
        views(phone="ok", projector="not_allowed", console="not_allowed"),
        views(phone="table_change_not_allowed", projector="not_allowed", console="not_allowed"),
        views(phone="no_device", projector="ok", console="ok"),
        NO_TABLE_VIEW,
        views(phone="no_device", projector="ok", console="ok"),
        NO_TABLE_VIEW,
    ),
    #                  anonym.  part.here  part.oth  fac.here      fac.oth  org.here      org.oth
    "/ disconnect":   row(REFUSED, "ok",       REFUSED, "ok",         REFUSED, "ok",         REFUSED),
    "/ sync":         row(REFUSED, "ok",       REFUSED, "ok",         REFUSED, "ok",         REFUSED),
    "/ post_need":    row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ edit_need":    row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ delete_need":  row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ cast_dot":     row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ withdraw_dot": row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ get_profile":  row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ set_profile":  row(REFUSED, "ok",       REFUSED, NOT_A_PHONE,  REFUSED, NOT_A_PHONE,  REFUSED),
    "/ set_phase":    row(REFUSED, "not_allowed", REFUSED, CONSOLE_ONLY, REFUSED, CONSOLE_ONLY, REFUSED),
    "/ timer":        row(REFUSED, "not_allowed", REFUSED, CONSOLE_ONLY, REFUSED, CONSOLE_ONLY, REFUSED),
    "/ reveal":       row(REFUSED, "not_allowed", REFUSED, CONSOLE_ONLY, REFUSED, CONSOLE_ONLY, REFUSED),
    "/ moderate":     row(REFUSED, "not_allowed", REFUSED, CONSOLE_ONLY, REFUSED, CONSOLE_ONLY, REFUSED),
    "/ rehearsal":    row(REFUSED, "not_allowed", REFUSED, CONSOLE_ONLY, REFUSED, CONSOLE_ONLY, REFUSED),
    "/plenary connect": row(
        views(plenary="not_allowed", screen="not_allowed"),
        views(plenary="not_allowed", screen="not_allowed"),
        views(plenary="not_allowed", screen="not_allowed"),
        views(plenary="not_allowed", screen="not_allowed"),
        views(plenary="not_allowed", screen="not_allowed"),
        views(plenary="ok", screen="ok"),
        views(plenary="not_allowed", screen="not_allowed"),
    ),
    "/plenary sync":    row(REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, "ok", REFUSED),
    # The event projector is read-only.
    "/plenary merge":   row(REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, views(plenary="ok", screen="not_allowed"),
                            REFUSED),
    "/plenary unmerge": row(REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, views(plenary="ok", screen="not_allowed"),
                            REFUSED),
}


# -- the world ---------------------------------------------------------------------------------------------------

def _csrf_token(http, url):
    page = http.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Browser:
    """One role's browser: its cookies, its CSRF token, its live connections."""

    def __init__(self, app, email=None, participant=False):
        self.app = app
        self.email = email
        self.participant = participant
        self.http = app.test_client()
        self.http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        self._connections = {}
        if email:
            self.log_in()

    def log_in(self):
        token = _csrf_token(self.http, "/login")
        response = self.http.post("/login", data={"email": self.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.status_code

    def restore(self, route):
        """Undo what a cell did to this browser beyond its role: the join page
        gives every visitor a device cookie (only participants keep theirs),
        and logging out ends an account's session."""
        if route == "GET /j/<code>" and not self.participant:
            self.http.delete_cookie(self.app.config["DEVICE_COOKIE_NAME"])
        if route == "POST /logout" and self.email:
            self.log_in()

    def csrf_token(self):
        # Logged-in pages carry the log-out form; /login redirects them away.
        return _csrf_token(self.http, "/facilitate/" if self.email else "/login")

    def connection(self, namespace, view, auth):
        """The live connection of this role in a view (opened once)."""
        key = (namespace, view)
        if key not in self._connections:
            self._connections[key] = self.open(namespace, auth)
        return self._connections[key]

    def open(self, namespace, auth):
        return RecordingClient(self.app, socketio, namespace=namespace, auth=auth, flask_test_client=self.http)


@pytest.fixture(scope="module")
def world(tmp_path_factory, migrated_database):
    instance = tmp_path_factory.mktemp("authz-instance")
    (instance / "tavoli.sqlite3").write_bytes(migrated_database.read_bytes())
    app = create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None)
    presence.forget_everyone()
    w = SimpleNamespace(app=app, ids=itertools.count(1))
    with app.app_context(), unit_of_work():
        def account(email, role):
            made = create_account(email, email.split("@")[0].title(), PASSWORD, role)
            # A cheaper hash than the default scrypt, for a module that logs in a dozen times; still checked on login.
            made.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
            return made

        organizer_here = account("organizer.here@example.org", Role.ORGANIZER)
        organizer_other = account("organizer.other@example.org", Role.ORGANIZER)
        facilitator_here = account("facilitator.here@example.org", Role.FACILITATOR)
        facilitator_other = account("facilitator.other@example.org", Role.FACILITATOR)
        event = create_event(organizer_here, "Here", dots_per_participant=50)
        event.status = EventStatus.LIVE
        theme = add_theme(event, "Mobility")
        table_a = create_table(theme, "Table A", facilitators=[facilitator_here])
        table_a.results_hidden = True
        table_b = create_table(theme, "Table B", facilitators=[facilitator_other])
        event.facilitators.extend([facilitator_here, facilitator_other])
        elsewhere = create_event(organizer_other, "Elsewhere")
        elsewhere.status = EventStatus.LIVE
        theme_c = add_theme(elsewhere, "Housing")
        table_c = create_table(theme_c, "Table C")
        organisation = add_organisation(organizer_here, "Comune di Lecco")
        secret = app.config["SECRET_KEY"]
        w.invite_token = invite_facilitator(secret, event, organizer_here, "newcomer@example.org", "New", 72)
        w.setup_token = issue_setup_link(secret, 24)
        db.session.flush()
        w.event, w.elsewhere, w.theme, w.theme_c = event.id, elsewhere.id, theme.id, theme_c.id
        w.organisation = organisation.id
        w.a, w.b, w.c = (SimpleNamespace(id=t.id, code=t.join_code) for t in (table_a, table_b, table_c))
        w.accounts = {"organizer_here": organizer_here.id, "organizer_other": organizer_other.id,
                      "facilitator_here": facilitator_here.id, "facilitator_other": facilitator_other.id}

    w.browsers = {
        "anonymous": Browser(app),
        "participant_here": Browser(app, participant=True),
        "participant_other": Browser(app, participant=True),
        "facilitator_here": Browser(app, "facilitator.here@example.org"),
        "facilitator_other": Browser(app, "facilitator.other@example.org"),
        "organizer_here": Browser(app, "organizer.here@example.org"),
        "organizer_other": Browser(app, "organizer.other@example.org"),
    }
    # The participants open their table's join link and join it (their first tab).
    _own_connection(w, "participant_here", "/", "phone", "a")
    _own_connection(w, "participant_other", "/", "phone", "b")
    with app.app_context():
        w.participants = {
            role: db.session.scalar(select(Membership.participant_id).where(Membership.table_id == table.id))
            for role, table in (("participant_here", w.a), ("participant_other", w.b))
        }
    yield w
    with app.app_context():
        db.engine.dispose()


def fingerprint(world):
    """A digest of every row of every table of the models: equal digests, unchanged data."""
    digest = hashlib.sha256()
    with world.app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
            digest.update(repr((table.name, rows)).encode())
        db.session.remove()
    return digest.hexdigest()


# -- the HTTP matrix ---------------------------------------------------------------------------------------------

def test_every_route_has_a_row_and_every_row_a_route(world):
    served = {
        f"{method} {rule.rule}"
        for rule in world.app.url_map.iter_rules() if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served - HTTP_MATRIX.keys() == set(), "routes with no row in the authorization matrix"
    assert HTTP_MATRIX.keys() - served == set(), "rows for routes the app no longer serves"


def _fresh_invite(world):
    """A new pending invitation of event "here", so a cell that revokes one leaves the next its own."""
    with world.app.app_context(), unit_of_work():
        event = db.session.get(Event, world.event)
        organizer = db.session.get(Account, world.accounts["organizer_here"])
        invite_facilitator(world.app.config["SECRET_KEY"], event, organizer,
                           f"invited{next(world.ids)}@example.org", "Invited", 72)
        return db.session.scalar(select(FacilitatorInvite.id).order_by(FacilitatorInvite.id.desc()).limit(1))


# Values for each route's parameters: table A, its theme, event "here"; per endpoint what differs.
def _url(world, rule):
    known = {"event_id": world.event, "theme_id": world.theme, "table_id": world.a.id,
             "organisation_id": world.organisation, "name": "csv"}
    if "invite_id" in rule.arguments:
        known["invite_id"] = _fresh_invite(world)
    values = {name: known[name] for name in rule.arguments if name in known}
    values.update({
        "participants.table": {"code": world.a.code},
        "participants.join": {"code": world.a.code},
        "core.switch_language": {"code": "en", "next": "/"},
        "accounts.accept_invite": {"token": world.invite_token},
        "accounts.setup": {"token": world.setup_token},
        "help.guide": {"guide": "facilitators"},
    }.get(rule.endpoint, {}))
    with world.app.test_request_context():
        return url_for(rule.endpoint, **values)


def _answer(response):
    if response.status_code in (302, 303):
        location = urlsplit(response.headers["Location"])
        if location.path == "/login" and "next" in parse_qs(location.query):
            return LOGIN
    return response.status_code


def _rules(world):
    return {f"{method} {rule.rule}": (method, rule)
            for rule in world.app.url_map.iter_rules() for method in rule.methods}


@pytest.mark.parametrize("route", list(HTTP_MATRIX))
def test_http_route(world, route):
    method, rule = _rules(world)[route]
    got, changed = {}, []
    for role in ROLES:
        browser = world.browsers[role]
        url = _url(world, rule)
        expected = HTTP_MATRIX[route][role]
        form = {"csrf_token": browser.csrf_token()} if method == "POST" else None
        before = fingerprint(world)
        response = browser.http.open(url, method=method, data=form)
        got[role] = _answer(response)
        assert got[role] != 500, response.get_data(as_text=True)
        if expected not in (302, 303) and fingerprint(world) != before:
            changed.append(role)
        browser.restore(route)
    if route == "POST /organize/demo":
        # The demo's thousand-odd rows would slow every fingerprint after this cell.
        with world.app.app_context(), unit_of_work():
            remove_demo()
    assert got == HTTP_MATRIX[route]
    assert changed == [], f"{route}: refused, yet the data changed"


# -- the Socket.IO matrix ----------------------------------------------------------------------------------------

def test_every_socket_event_has_a_row_and_every_row_an_event(world):
    handled = {f"{namespace} {event}" for namespace, events in socketio.server.handlers.items() for event in events}
    assert handled - SOCKET_MATRIX.keys() == set(), "Socket.IO events with no row in the authorization matrix"
    assert SOCKET_MATRIX.keys() - handled == set(), "rows for Socket.IO events no longer handled"


def _auth(world, namespace, view):
    if namespace == PLENARY_NAMESPACE:
        return {"event": world.event, "view": view}
    return {"table": world.a.code, "view": view}


def _stage_table(world, phase=Phase.COLLECT, table_id=None):
    """Table A (or another) in `phase`, no timer, results not revealed (a stage's starting point)."""
    table = db.session.get(WorkingTable, table_id or world.a.id)
    table.phase = phase
    table.clear_timer()
    table.results_revealed = False
    bump_version(table)
    return table


def _need(world, table_id, text="A need", participant="participant_here"):
    participant_id = world.participants.get(participant)
    need = Need(table_id=table_id, participant_id=participant_id, text=f"{text} {next(world.ids)}")
    db.session.add(need)
    db.session.flush()
    return need


def _action_id(world):
    return f"matrix-{next(world.ids):08d}"


def _stage(world, event_key):
    """Put the world where the event can succeed for whoever may send it; the payload to send."""
    with world.app.app_context(), unit_of_work():
        namespace, event = event_key.split(" ")
        if event in ("edit_need", "delete_need", "post_need", "sync", "get_profile", "set_profile", "set_phase",
                     "timer", "reveal", "moderate", "rehearsal"):
            table = _stage_table(world, Phase.COLLECT)
        else:
            table = _stage_table(world, Phase.VOTE)
        participant = db.session.get(Participant, world.participants["participant_here"])
        if event == "post_need":
            return {"id": _action_id(world), "text": "More buses in the evening"}
        if event in ("edit_need", "delete_need"):
            return {"id": _action_id(world), "need": _need(world, table.id).id, "text": "Corrected"}
        if event == "cast_dot":
            return {"id": _action_id(world), "need": _need(world, table.id).id}
        if event == "withdraw_dot":
            need = _need(world, table.id)
            contributions.cast_dot(table, participant, need.id, client_id=_action_id(world))
            return {"id": _action_id(world), "need": need.id}
        if event == "set_profile":
            return {"name": "Ada", "organisation": None}
        if event == "set_phase":
            return {"from": "collect", "phase": "review"}
        if event == "timer":
            return {"action": "start", "seconds": 60}
        if event == "reveal":
            return {"revealed": True}
        if event == "moderate":
            return {"action": "pin", "need": _need(world, table.id).id}
        if event == "rehearsal":
            # "clear" (end the rehearsal, remove simulated participants) succeeds
            # even with none, and starts no simulator in the background.
            return {"action": "clear"}
        if namespace == PLENARY_NAMESPACE and event in ("merge", "unmerge"):
            source, target = _need(world, world.a.id), _need(world, world.b.id, participant="participant_other")
            if event == "merge":
                return {"source": source.id, "target": target.id}
            organizer = db.session.get(Account, world.accounts["organizer_here"])
            merging.merge_across_tables(db.session.get(Event, world.event), organizer, source, target)
            return {"need": source.id}
        return {}


def _try_event(world, client, namespace, event_key):
    event = event_key.split(" ")[1]
    if event == "disconnect":
        client.disconnect(namespace)
        return "ok"
    payload = _stage(world, event_key)
    before = fingerprint(world)
    ack = client.emit(event, payload, callback=True, namespace=namespace)
    assert isinstance(ack, dict), f"{event_key} got no acknowledgement: {ack!r}"
    if ack["ok"]:
        return "ok"
    assert fingerprint(world) == before, f"{event_key} was refused, yet the data changed"
    return ack["error"]["code"]


def _socket_cell(world, role, event_key):
    namespace, event = event_key.split(" ")
    browser = world.browsers[role]
    answers, refused_views = {}, []
    for view in VIEWS[namespace]:
        auth = _auth(world, namespace, view)
        # A disconnect and a connect each need a connection of their own.
        client = browser.open(namespace, auth) if event in ("connect", "disconnect") else \
            browser.connection(namespace, view, auth)
        if event == "connect":
            answers[view] = "ok" if client.is_connected(namespace) else client.refusal_code
            continue
        if not client.is_connected(namespace):
            refused_views.append(view)
            payload = _stage(world, event_key)
            before = fingerprint(world)
            assert client.send_anyway(event, payload, namespace) is None, (role, view, event_key)
            assert fingerprint(world) == before, f"{event_key} on a refused connection changed the data"
            continue
        answers[view] = _try_event(world, client, namespace, event_key)
    if event == "connect":
        return answers
    if not answers:
        return REFUSED
    distinct = set(answers.values())
    return distinct.pop() if len(distinct) == 1 else answers


@pytest.mark.parametrize("event_key", list(SOCKET_MATRIX))
def test_socket_event(world, event_key):
    got = {role: _socket_cell(world, role, event_key) for role in ROLES}
    assert got == SOCKET_MATRIX[event_key]


# -- reaching table A's things from elsewhere ----------------------------------------------------------------------
# The roles refused at table A all have connections and pages of their own: a table of the same event, another
# event. From there they name table A's needs, theme, table and invitation by id; every attempt is refused.

def _vote_on_a(world):
    """A need of table A with a dot of participant_here on it; tables A, B and C in the vote."""
    for table_id in (world.b.id, world.c.id):
        _stage_table(world, Phase.VOTE, table_id)
    table = _stage_table(world, Phase.VOTE)
    need = _need(world, table.id)
    participant = db.session.get(Participant, world.participants["participant_here"])
    contributions.cast_dot(table, participant, need.id, client_id=_action_id(world))
    return need.id


def _collect_on_a(world):
    for table_id in (world.b.id, world.c.id):
        _stage_table(world, Phase.COLLECT, table_id)
    _stage_table(world, Phase.COLLECT)
    return _need(world, world.a.id).id


def _merged_at_plenary(world):
    """A need of table A merged at the plenary into one of table B."""
    source, target = _need(world, world.a.id), _need(world, world.b.id, participant="participant_other")
    organizer = db.session.get(Account, world.accounts["organizer_here"])
    merging.merge_across_tables(db.session.get(Event, world.event), organizer, source, target)
    return source.id


def _need_on(world, table_id):
    return _need(world, table_id, participant=None).id


# (who, namespace, view, the table or event they are connected to, event, payload from the staged world, answer)
FROM_ELSEWHERE = [
    ("participant_other", "/", "phone", "b", "cast_dot",
     lambda w: {"id": _action_id(w), "need": _vote_on_a(w)}, "need_not_found"),
    ("participant_other", "/", "phone", "b", "withdraw_dot",
     lambda w: {"id": _action_id(w), "need": _vote_on_a(w)}, "need_not_found"),
    ("participant_other", "/", "phone", "b", "edit_need",
     lambda w: {"id": _action_id(w), "need": _collect_on_a(w), "text": "Mine now"}, "need_not_found"),
    ("participant_other", "/", "phone", "b", "delete_need",
     lambda w: {"id": _action_id(w), "need": _collect_on_a(w)}, "need_not_found"),
    # Another participant of table A itself, on participant_here's need.
    ("neighbour_here", "/", "phone", "a", "edit_need",
     lambda w: {"id": _action_id(w), "need": _collect_on_a(w), "text": "Mine now"}, "not_your_need"),
    ("neighbour_here", "/", "phone", "a", "delete_need",
     lambda w: {"id": _action_id(w), "need": _collect_on_a(w)}, "not_your_need"),
    ("neighbour_here", "/", "phone", "a", "withdraw_dot",
     lambda w: {"id": _action_id(w), "need": _vote_on_a(w)}, "no_dot"),
    ("facilitator_other", "/", "console", "b", "moderate",
     lambda w: {"action": "hide", "need": _collect_on_a(w)}, "need_not_found"),
    ("facilitator_other", "/", "console", "b", "moderate",
     lambda w: {"action": "correct", "need": _collect_on_a(w), "text": "Rewritten"}, "need_not_found"),
    ("facilitator_other", "/", "console", "b", "moderate",
     lambda w: {"action": "merge", "need": _need_on(w, w.b.id), "into": _collect_on_a(w)}, "need_not_found"),
    ("facilitator_here", "/", "console", "a", "moderate",
     lambda w: {"action": "merge", "need": _collect_on_a(w), "into": _need_on(w, w.c.id)}, "need_not_found"),
    ("organizer_other", "/", "console", "c", "moderate",
     lambda w: {"action": "pin", "need": _collect_on_a(w)}, "need_not_found"),
    ("organizer_other", PLENARY_NAMESPACE, "plenary", "elsewhere", "merge",
     lambda w: {"source": _collect_on_a(w), "target": _need_on(w, w.b.id)}, "need_not_found"),
    ("organizer_other", PLENARY_NAMESPACE, "plenary", "elsewhere", "unmerge",
     lambda w: {"need": _merged_at_plenary(w)}, "need_not_found"),
    ("organizer_here", PLENARY_NAMESPACE, "plenary", "event", "merge",
     lambda w: {"source": _collect_on_a(w), "target": _need_on(w, w.c.id)}, "need_not_found"),
]


def _own_connection(world, who, namespace, view, where):
    if who not in world.browsers:  # a second participant of table A, made on first use
        world.browsers[who] = Browser(world.app, participant=True)
    if view == "phone":  # a phone opens the join link first, which gives it its device cookie
        assert world.browsers[who].http.get(f"/j/{getattr(world, where).code}").status_code == 200
    if namespace == PLENARY_NAMESPACE:
        auth = {"event": getattr(world, where), "view": view}
    else:
        auth = {"table": getattr(world, where).code, "view": view}
    client = world.browsers[who].connection(namespace, f"own {view} at {where}", auth)
    assert client.is_connected(namespace), (who, client.refusal)
    return client


@pytest.mark.parametrize("who, namespace, view, where, event, payload, answer", FROM_ELSEWHERE,
                         ids=[f"{who}-{event}-{answer}" for who, *_rest, event, _payload, answer in FROM_ELSEWHERE])
def test_table_a_is_out_of_reach_from_other_connections(world, who, namespace, view, where, event, payload, answer):
    client = _own_connection(world, who, namespace, view, where)
    with world.app.app_context(), unit_of_work():
        sent = payload(world)
    before = fingerprint(world)
    ack = client.emit(event, sent, callback=True, namespace=namespace)
    assert ack["ok"] is False and ack["error"]["code"] == answer, ack
    assert fingerprint(world) == before


def test_an_organizer_cannot_reach_another_events_things_through_their_own_event(world):
    browser = world.browsers["organizer_other"]
    own = f"/organize/events/{world.elsewhere}"
    with world.app.app_context():
        invite = db.session.scalar(select(FacilitatorInvite.id).where(FacilitatorInvite.event_id == world.event,
                                                                      FacilitatorInvite.used_at.is_(None)))
        table_c_form = {"name": "Table C", "theme_id": world.theme_c, "dots_per_participant": 3,
                        "max_dots_per_need": 1, "facilitators": world.accounts["facilitator_here"]}
    attempts = [
        ("GET", f"{own}/themes/{world.theme}", {}, 404),
        ("POST", f"{own}/themes/{world.theme}", {"name": "Taken", "colour": "#000000"}, 404),
        ("POST", f"{own}/themes/{world.theme}/move", {"direction": "down"}, 404),
        ("GET", f"{own}/tables/{world.a.id}", {}, 404),
        ("POST", f"{own}/tables/{world.a.id}", {"name": "Taken", "theme_id": world.theme}, 404),
        ("GET", f"{own}/plenary/screen?theme={world.theme}", {}, 404),
        # Refused inside the form: the invitation is not one of this event's.
        ("POST", f"{own}/invites/{invite}/revoke", {}, 303),
        # A theme of the other event is no choice here, nor a facilitator who is not on this event's list.
        ("POST", f"{own}/tables", {"table-name": "Intruder", "table-theme_id": world.theme}, 400),
        ("POST", f"{own}/tables/{world.c.id}", table_c_form, 400),
    ]
    got = []
    for method, url, form, _answer_expected in attempts:
        data = {"csrf_token": browser.csrf_token(), **form} if method == "POST" else None
        before = fingerprint(world)
        response = browser.http.open(url, method=method, data=data)
        got.append((method, url, response.status_code, fingerprint(world) == before))
    assert got == [(method, url, answer, True) for method, url, _form, answer in attempts]
