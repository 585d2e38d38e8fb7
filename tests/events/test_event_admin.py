"""An organizer sets up an event over time: edits it, its themes and tables,
duplicates it for the next meeting; nobody else may."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login, set_phase
from workshop.accounts.models import Account, Role
from workshop.contributions.merging import merge_across_tables
from workshop.contributions.models import Dot, Need
from workshop.core.database import unit_of_work
from workshop.events.models import Event, EventStatus, Organisation, Theme
from workshop.extensions import db
from workshop.tables.models import FacilitationLog, Phase, WorkingTable

EN = {"Accept-Language": "en"}


def organizer_logged_in(world, client, email="anna@example.org"):
    organizer = world.account(email=email)
    assert login(client, email).status_code == 302
    return organizer


def facilitator_of(world, app, event_id, email="franco@example.org", table_ids=()):
    """A facilitator account brought into the event, given the tables listed."""
    account = world.account(email=email, role=Role.FACILITATOR, name=email.split("@")[0].title())
    with app.app_context(), unit_of_work():
        person = db.session.get(Account, account.id)
        event = db.session.get(Event, event_id)
        event.facilitators.append(person)
        for table_id in table_ids:
            table = db.session.get(WorkingTable, table_id)
            table.facilitators.append(person)
    return account


def post_form(client, url, data, page=None, headers=None):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)}, headers=headers or {})


def event_form(**changes):
    data = {"title": "Assemblea di quartiere", "starts_on": "2031-05-17", "venue": "Sala civica",
            "language": "en", "dots_per_participant": "5", "max_dots_per_need": "2"}
    return {**data, **changes}


def test_an_organizer_edits_the_event_and_only_new_tables_take_its_rules(world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, dots=3)
    url = f"/organize/events/{event.id}/edit"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "does not change the tables already created" in page

    response = post_form(client, url, event_form(results_hidden="y", allow_table_change="y"))
    assert response.status_code == 302

    saved = database.scalar(select(Event))
    assert (saved.title, str(saved.starts_on), saved.venue, saved.language) == (
        "Assemblea di quartiere", "2031-05-17", "Sala civica", "en")
    assert (saved.dots_per_participant, saved.max_dots_per_need) == (5, 2)
    assert saved.results_hidden and saved.allow_table_change
    old_table = database.scalar(select(WorkingTable))
    assert (old_table.dots_per_participant, old_table.max_dots_per_need, old_table.results_hidden) == (3, 1, False)

    event_url = f"/organize/events/{event.id}"
    assert '<input checked id="table-results_hidden"' in client.get(event_url).get_data(
        as_text=True)  # the new-table form starts from the event's setting
    theme_id = database.scalar(select(Theme.id))
    response = post_form(client, event_url + "/tables", {
        "table-theme_id": str(theme_id), "table-name": "Nuovo", "table-results_hidden": "y"}, page=event_url)
    assert response.status_code == 302
    new_table = database.scalar(select(WorkingTable).where(WorkingTable.name == "Nuovo"))
    assert (new_table.dots_per_participant, new_table.max_dots_per_need, new_table.results_hidden) == (5, 2, True)


def test_an_invalid_event_edit_changes_nothing(world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer)
    response = post_form(client, f"/organize/events/{event.id}/edit", event_form(title="", dots_per_participant="0"))
    assert response.status_code == 400
    assert database.scalar(select(Event.title)) == "Tavoli 2026"


def test_themes_are_edited_and_moved_up_and_down(world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, themes=3)
    first, second, third = database.all(select(Theme.id).order_by(Theme.position))
    event_url = f"/organize/events/{event.id}"

    response = post_form(client, f"{event_url}/themes/{second}", {
        "name": "Casa e abitare", "colour": "#2A7F62", "description": "Affitti, case popolari."})
    assert response.status_code == 302
    theme = database.scalar(select(Theme).where(Theme.id == second))
    assert (theme.name, theme.colour, theme.description) == ("Casa e abitare", "#2a7f62", "Affitti, case popolari.")

    assert post_form(client, f"{event_url}/themes/{third}/move", {"direction": "up"}, page=event_url).status_code \
        == 302
    assert database.all(select(Theme.id).order_by(Theme.position)) == [first, third, second]
    post_form(client, f"{event_url}/themes/{first}/move", {"direction": "down"}, page=event_url)
    assert database.all(select(Theme.id).order_by(Theme.position)) == [third, first, second]
    post_form(client, f"{event_url}/themes/{third}/move", {"direction": "up"}, page=event_url)  # already first
    assert database.all(select(Theme.id).order_by(Theme.position)) == [third, first, second]
    page = client.get(event_url).get_data(as_text=True)
    assert page.index("Theme 3") < page.index("Theme 1") < page.index("Casa e abitare")


def test_duplicating_an_event_copies_its_set_up_but_not_its_meeting(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    colleague = world.account(email="carla@example.org")
    event = world.event(organizer=organizer, themes=2, tables_per_theme=2, dots=4, max_per_need=2)
    franco = facilitator_of(world, app, event.id, table_ids=[event.tables[1].id])
    with app.app_context(), unit_of_work():
        original = db.session.get(Event, event.id)
        original.organizers.append(db.session.get(Account, colleague.id))
        original.organisations.append(Organisation(name="Arci Lecco", name_key="arci lecco"))
        original.results_hidden = True
        original.venue = "Sala civica"
        theme = original.themes[1]
        theme.colour, theme.description = "#c0392b", "Famiglie"
        table = db.session.get(WorkingTable, event.tables[2].id)
        table.dots_per_participant, table.results_hidden = 7, True
    phone = world.phone(event.tables[0])
    assert phone.post("Più luce nei parchi")["ok"]

    response = post_form(client, f"/organize/events/{event.id}/duplicate", {"title": ""},
                         page=f"/organize/events/{event.id}", headers=EN)
    assert response.status_code == 302
    copy_id = int(re.search(r"/organize/events/(\d+)$", response.headers["Location"]).group(1))
    assert copy_id != event.id

    with app.app_context():
        original = db.session.get(Event, event.id)
        copy = db.session.get(Event, copy_id)
        assert copy.title == "Tavoli 2026 (copy)"
        assert copy.status is EventStatus.DRAFT
        assert (copy.venue, copy.dots_per_participant, copy.max_dots_per_need, copy.results_hidden) == (
            "Sala civica", 4, 2, True)
        assert {a.email for a in copy.organizers} == {"anna@example.org", "carla@example.org"}
        assert [a.id for a in copy.facilitators] == [franco.id]
        assert [o.name for o in copy.organisations] == ["Arci Lecco"]
        assert [(t.name, t.colour, t.description, t.position) for t in copy.themes] == [
            (t.name, t.colour, t.description, t.position) for t in original.themes]
        assert all(t.id not in {o.id for o in original.themes} for t in copy.themes)
        rules = [(t.theme.name, t.name, t.dots_per_participant, t.max_dots_per_need, t.results_hidden,
                  [a.id for a in t.facilitators]) for t in copy.tables]
        assert rules == [(t.theme.name, t.name, t.dots_per_participant, t.max_dots_per_need, t.results_hidden,
                          [a.id for a in t.facilitators]) for t in original.tables]
        assert rules[1][5] == [franco.id] and rules[2][2] == 7
        assert not {t.join_code for t in copy.tables} & {t.join_code for t in original.tables}
        assert all(t.phase is Phase.COLLECT for t in copy.tables)
        copy_table_ids = [t.id for t in copy.tables]
        assert db.session.scalar(select(func.count(Need.id)).where(Need.table_id.in_(copy_table_ids))) == 0
    assert database.scalar(select(func.count(Need.id))) == 1  # the original keeps its need


def test_a_duplicate_can_be_given_its_own_title(world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer)
    response = post_form(client, f"/organize/events/{event.id}/duplicate", {"title": "Tavoli 2027"},
                         page=f"/organize/events/{event.id}")
    assert response.status_code == 302
    assert sorted(database.all(select(Event.title))) == ["Tavoli 2026", "Tavoli 2027"]


def table_form(table, **changes):
    data = {"name": "Tavolo lavoro", "theme_id": str(table.theme_id), "dots_per_participant": "5",
            "max_dots_per_need": "2"}
    return {**data, **changes}


def test_a_table_gets_its_own_rules_and_facilitators(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, themes=2)
    franco = facilitator_of(world, app, event.id)
    facilitator_of(world, app, event.id, email="gina@example.org")
    url = f"/organize/events/{event.id}/tables/{event.tables[0].id}"
    page = client.get(url).get_data(as_text=True)
    assert "Franco" in page and "Gina" in page
    other_theme = database.all(select(Theme.id).order_by(Theme.position))[1]
    table = database.scalar(select(WorkingTable).where(WorkingTable.id == event.tables[0].id))

    response = post_form(client, url, table_form(table, theme_id=str(other_theme), results_hidden="y",
                                                 facilitators=[str(franco.id)]))
    assert response.status_code == 302

    with app.app_context():
        table = db.session.get(WorkingTable, event.tables[0].id)
        assert (table.name, table.theme_id, table.dots_per_participant, table.max_dots_per_need) == (
            "Tavolo lavoro", other_theme, 5, 2)
        assert table.results_hidden
        assert [a.email for a in table.facilitators] == ["franco@example.org"]
    assert database.scalar(select(FacilitationLog.action)) == "rules"
    page = client.get(f"/organize/events/{event.id}").get_data(as_text=True)
    assert "Franco" in page and f"/organize/events/{event.id}/tables/{event.tables[0].id}" in page


def test_a_table_cannot_take_a_theme_or_facilitator_from_another_event(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer)
    other = world.event(organizer=organizer)
    stranger = facilitator_of(world, app, other.id)
    table = database.scalar(select(WorkingTable).where(WorkingTable.id == event.tables[0].id))
    url = f"/organize/events/{event.id}/tables/{table.id}"
    other_theme = database.scalar(select(Theme.id).where(Theme.event_id == other.id))

    assert post_form(client, url, table_form(table, theme_id=str(other_theme))).status_code == 400
    assert post_form(client, url, table_form(table, facilitators=[str(stranger.id)])).status_code == 400
    assert database.scalar(select(WorkingTable.name).where(WorkingTable.id == table.id)) == "Table 1.1"


def test_once_dots_are_cast_the_budget_cannot_drop_below_what_was_spent(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, dots=3)
    table_ref = event.tables[0]
    console = world.screen(table_ref, organizer, view="console")
    phone = world.phone(table_ref)
    needs = [phone.post(f"Bisogno {n}")["need"]["id"] for n in range(2)]
    set_phase(console, "vote")
    assert phone.dot(needs[0])["ok"] and phone.dot(needs[1])["ok"]
    assert database.scalar(select(func.count(Dot.id))) == 2
    table = database.scalar(select(WorkingTable).where(WorkingTable.id == table_ref.id))
    url = f"/organize/events/{event.id}/tables/{table.id}"

    refused = post_form(client, url, table_form(table, dots_per_participant="1"), headers=EN)
    assert refused.status_code == 400
    assert "already used 2 dots" in refused.get_data(as_text=True)
    assert database.scalar(select(WorkingTable.dots_per_participant)) == 3

    assert post_form(client, url, table_form(table, dots_per_participant="2")).status_code == 302
    assert database.scalar(select(WorkingTable.dots_per_participant)) == 2


def test_the_rules_change_freely_before_the_first_dot(world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, dots=3)
    phone = world.phone(event.tables[0])
    assert phone.post("Un bisogno")["ok"]
    table = database.scalar(select(WorkingTable))
    url = f"/organize/events/{event.id}/tables/{table.id}"
    assert post_form(client, url, table_form(table, dots_per_participant="1")).status_code == 302
    assert database.scalar(select(WorkingTable.dots_per_participant)) == 1


def test_archived_events_hide_behind_a_link(world, client):
    organizer = organizer_logged_in(world, client)
    world.event(organizer=organizer, title="Incontro in corso")
    world.event(organizer=organizer, title="Incontro di bozza", status=EventStatus.DRAFT)
    world.event(organizer=organizer, title="Incontro chiuso", status=EventStatus.CLOSED)
    world.event(organizer=organizer, title="Incontro vecchio", status=EventStatus.ARCHIVED)

    page = client.get("/organize/").get_data(as_text=True)
    assert all(title in page for title in ("Incontro in corso", "Incontro di bozza", "Incontro chiuso"))
    assert "Incontro vecchio" not in page and "/organize/?archived=1" in page
    assert "Incontro vecchio" in client.get("/organize/?archived=1").get_data(as_text=True)


NEW_ROUTES = [
    ("GET", "/organize/events/{event}/edit"),
    ("POST", "/organize/events/{event}/edit"),
    ("POST", "/organize/events/{event}/duplicate"),
    ("GET", "/organize/events/{event}/themes/{theme}"),
    ("POST", "/organize/events/{event}/themes/{theme}"),
    ("POST", "/organize/events/{event}/themes/{theme}/move"),
    ("GET", "/organize/events/{event}/tables/{table}"),
    ("POST", "/organize/events/{event}/tables/{table}"),
    ("POST", "/organize/events/{event}/invites"),
    ("POST", "/organize/events/{event}/invites/{invite}/revoke"),
    ("POST", "/organize/events/{event}/facilitators"),
]


def _someone_elses_event(app, world, database):
    owner = world.account(email="owner@example.org")
    event = world.event(organizer=owner)
    with app.app_context(), unit_of_work():
        from workshop.accounts.operations import invite_facilitator
        invite_facilitator(app.config["SECRET_KEY"], db.session.get(Event, event.id), db.session.get(Account, owner.id),
                           "new@example.org", "New", 72)
    from workshop.accounts.models import FacilitatorInvite
    ids = {"event": event.id, "table": event.tables[0].id, "theme": database.scalar(select(Theme.id)),
           "invite": database.scalar(select(FacilitatorInvite.id))}
    return event, ids


def _request(client, method, route, ids):
    url = route.format(**ids)
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"direction": "up", "csrf_token": _any_csrf_token(client)})


def _any_csrf_token(client):
    # A valid token of this session, taken from a page the user may open.
    for page in ("/organize/", "/facilitate/"):
        response = client.get(page)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token found")


@pytest.mark.parametrize(("method", "route"), NEW_ROUTES)
def test_another_organizer_is_refused_every_new_route(app, world, client, database, method, route):
    _event, ids = _someone_elses_event(app, world, database)
    organizer_logged_in(world, client, email="intruder@example.org")
    world.event(organizer=database.scalar(select(Account).where(Account.email == "intruder@example.org")))
    assert _request(client, method, route, ids).status_code == 403
    assert database.scalar(select(func.count(Event.id))) == 2  # nothing duplicated


@pytest.mark.parametrize(("method", "route"), [*NEW_ROUTES, ("GET", "/organize/"), ("GET", "/organize/events/{event}")])
def test_a_facilitator_is_refused_the_organizer_pages(app, world, client, database, method, route):
    event, ids = _someone_elses_event(app, world, database)
    facilitator_of(world, app, event.id, table_ids=[event.tables[0].id])
    assert login(client, "franco@example.org").status_code == 302
    assert _request(client, method, route, ids).status_code == 403


def test_new_rules_reach_the_phones_at_once(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, dots=3)
    phone = world.phone(event.tables[0])
    phone.received()
    table = database.scalar(select(WorkingTable))
    url = f"/organize/events/{event.id}/tables/{table.id}"

    assert post_form(client, url, table_form(table, name="Tavolo casa", dots_per_participant="4")).status_code == 302

    shown = [message["table"] for message in phone.received("table")]
    assert [(info["name"], info["budget"], info["max_per_need"]) for info in shown] == [("Tavolo casa", 4, 2)]
    assert [(message["me"]["budget"], message["me"]["left"]) for message in phone.received("me")] == [(4, 4)]


def test_a_table_with_needs_merged_at_the_plenary_keeps_its_theme(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, themes=2, tables_per_theme=2)
    here = world.phone(event.tables[0]).post("Orti urbani")["need"]["id"]
    there = world.phone(event.tables[1]).post("Orti condivisi")["need"]["id"]
    with app.app_context(), unit_of_work():
        merge_across_tables(db.session.get(Event, event.id), db.session.get(Account, organizer.id),
                            db.session.get(Need, here), db.session.get(Need, there))
    other_theme = database.all(select(Theme.id).order_by(Theme.position))[1]
    for table_ref in event.tables[:2]:  # the merged need's table, and the merge target's
        table = database.scalar(select(WorkingTable).where(WorkingTable.id == table_ref.id))
        url = f"/organize/events/{event.id}/tables/{table.id}"

        refused = post_form(client, url, table_form(table, theme_id=str(other_theme)), headers=EN)

        assert refused.status_code == 400
        assert "split them there" in refused.get_data(as_text=True)
        assert database.scalar(select(WorkingTable.theme_id).where(WorkingTable.id == table.id)) == table.theme_id


def test_closing_the_event_tells_every_phone_and_is_logged(app, world, client, database):
    organizer = organizer_logged_in(world, client)
    event = world.event(organizer=organizer, tables_per_theme=2)
    phones = [world.phone(table) for table in event.tables]
    for phone in phones:
        phone.received()
    url = f"/organize/events/{event.id}/status"

    assert post_form(client, url, {"status": "closed"}, page=f"/organize/events/{event.id}").status_code == 302

    for phone in phones:
        assert [message["table"]["open"] for message in phone.received("table")] == [False]
        refused = phone.post("Troppo tardi")
        assert refused["ok"] is False and refused["error"]["code"] == "event_not_open"
    log = database.all(select(FacilitationLog).where(FacilitationLog.action == "status"))
    assert [(entry.account_id, entry.detail) for entry in log] == [(organizer.id, {"from": "live", "to": "closed"})]
