"""Facilitators join by a one-time invitation, land on their own tables, and run only those."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from tests.conftest import PASSWORD, csrf_token, login
from workshop.accounts.models import Account, FacilitatorInvite, Role
from workshop.core.database import unit_of_work
from workshop.core.models import utcnow
from workshop.events.models import Event, EventStatus
from workshop.extensions import db
from workshop.tables.models import WorkingTable

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "a long enough password"


def organizer_with_event(world, client, **event):
    organizer = world.account(email="anna@example.org")
    assert login(client, organizer.email).status_code == 302
    return organizer, world.event(organizer=organizer, **event)


def invite(client, event_id, email="franco@example.org", name="Franco"):
    """Send the invitation form; returns the response and the link's path (or None)."""
    url = f"/organize/events/{event_id}"
    response = client.post(url + "/invites", data={
        "invite-email": email, "invite-name": name, "csrf_token": csrf_token(client, url)}, headers=EN)
    match = re.search(r'value="https?://[^"/]+(/invite/[A-Za-z0-9_-]+)"', response.get_data(as_text=True))
    return response, match.group(1) if match else None


def accept(app, path, name="Franco Rossi", password=NEW_PASSWORD):
    """A fresh browser opens the link and chooses a name and password."""
    browser = app.test_client()
    response = browser.post(path, data={"name": name, "password": password, "confirm": password,
                                        "csrf_token": csrf_token(browser, path)})
    return browser, response


def give_table(app, account_email, table_id):
    with app.app_context(), unit_of_work():
        account = db.session.scalar(select(Account).where(Account.email == account_email))
        table = db.session.get(WorkingTable, table_id)
        table.facilitators.append(account)


def test_an_invited_facilitator_joins_and_sees_only_their_tables(app, world, client, database):
    _organizer, event = organizer_with_event(world, client, themes=1, tables_per_theme=2)
    table_a, table_b = event.tables
    response, path = invite(client, event.id)
    assert response.status_code == 200
    assert path, "the link is shown to the organizer"
    assert "shown only now" in response.get_data(as_text=True)
    assert path not in client.get(f"/organize/events/{event.id}").get_data(as_text=True)  # only once
    assert database.scalar(select(FacilitatorInvite.token_digest)) not in path  # only the digest is kept

    browser, response = accept(app, path)
    assert response.status_code == 302 and response.headers["Location"] == "/facilitate/"
    account = database.scalar(select(Account).where(Account.email == "franco@example.org"))
    assert account.role is Role.FACILITATOR and account.name == "Franco Rossi"
    with app.app_context():
        assert [a.id for a in db.session.get(Event, event.id).facilitators] == [account.id]

    give_table(app, "franco@example.org", table_a.id)
    page = browser.get("/facilitate/").get_data(as_text=True)
    assert table_a.join_code in page and table_b.join_code not in page
    assert f"/tables/{table_a.id}/console" in page and f"/tables/{table_a.id}/projector" in page
    assert browser.get(f"/tables/{table_a.id}/console").status_code == 200
    assert browser.get(f"/tables/{table_a.id}/projector").status_code == 200
    assert browser.get(f"/tables/{table_b.id}/console").status_code == 403
    assert browser.get(f"/tables/{table_b.id}/projector").status_code == 403
    assert browser.get(f"/tables/{table_b.id}/qr.svg").status_code == 403


def test_the_facilitator_dashboard_leaves_out_archived_events(app, world, client, database):
    _organizer, live = organizer_with_event(world, client)
    archived = world.event(organizer=database.scalar(select(Account)), status=EventStatus.ARCHIVED)
    _response, path = invite(client, live.id)
    browser, _response = accept(app, path)
    give_table(app, "franco@example.org", live.tables[0].id)
    give_table(app, "franco@example.org", archived.tables[0].id)
    page = browser.get("/facilitate/").get_data(as_text=True)
    assert live.tables[0].join_code in page and archived.tables[0].join_code not in page


def test_a_facilitator_lands_on_their_tables_after_logging_in(app, world, client):
    _organizer, event = organizer_with_event(world, client)
    _response, path = invite(client, event.id)
    accept(app, path)
    browser = app.test_client()
    response = browser.post("/login", data={"email": "franco@example.org", "password": NEW_PASSWORD,
                                            "csrf_token": csrf_token(browser, "/login")})
    assert response.headers["Location"] == "/facilitate/"
    assert browser.get("/organize/").status_code == 403
    organizer_browser = app.test_client()
    assert login(organizer_browser, "anna@example.org").headers["Location"] == "/organize/"


def test_an_invitation_link_works_once(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    _response, path = invite(client, event.id)
    accept(app, path)
    again = app.test_client()
    assert again.get(path, headers=EN).status_code == 404
    assert "not valid any more" in again.get(path, headers=EN).get_data(as_text=True)
    response = again.post(path, data={"name": "Mallory", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                      "csrf_token": csrf_token(again, "/login")})
    assert response.status_code == 404
    assert database.scalar(select(Account.name).where(Account.role == Role.FACILITATOR)) == "Franco Rossi"


def test_an_invitation_link_expires(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    _response, path = invite(client, event.id)
    browser = app.test_client()
    assert browser.get(path).status_code == 200
    with app.app_context(), unit_of_work():
        db.session.execute(update(FacilitatorInvite).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert browser.get(path).status_code == 404
    assert browser.post(path, data={"name": "Franco", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                    "csrf_token": csrf_token(browser, "/login")}).status_code == 404
    assert database.scalar(select(Account.id).where(Account.role == Role.FACILITATOR)) is None


def test_invitations_last_the_configured_hours(app, world, client, database):
    app.config["INVITE_VALID_HOURS"] = 5
    _organizer, event = organizer_with_event(world, client)
    invite(client, event.id)
    expires_at = database.scalar(select(FacilitatorInvite.expires_at)).replace(tzinfo=utcnow().tzinfo)
    assert timedelta(hours=4, minutes=59) < expires_at - utcnow() <= timedelta(hours=5)


def test_inviting_the_same_email_again_replaces_the_earlier_link(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    _response, first = invite(client, event.id)
    _response, second = invite(client, event.id, email="FRANCO@example.org ")
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    assert len(database.all(select(FacilitatorInvite))) == 1


def test_a_revoked_invitation_stops_working(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    _response, path = invite(client, event.id)
    page = client.get(f"/organize/events/{event.id}").get_data(as_text=True)
    assert "franco@example.org" in page  # listed as pending
    invite_id = database.scalar(select(FacilitatorInvite.id))
    response = client.post(f"/organize/events/{event.id}/invites/{invite_id}/revoke",
                           data={"csrf_token": csrf_token(client, f"/organize/events/{event.id}")})
    assert response.status_code == 302
    assert app.test_client().get(path).status_code == 404


def test_an_email_with_an_account_is_not_invited_but_a_facilitator_can_be_added(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    world.account(email="gina@example.org", role=Role.FACILITATOR, name="Gina")
    response, path = invite(client, event.id, email="gina@example.org")
    assert response.status_code == 400 and path is None
    assert "already exists" in response.get_data(as_text=True)
    assert database.scalar(select(FacilitatorInvite.id)) is None

    url = f"/organize/events/{event.id}"
    response = client.post(url + "/facilitators", data={"existing-email": "Gina@example.org",
                                                        "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with app.app_context():
        assert [a.email for a in db.session.get(Event, event.id).facilitators] == ["gina@example.org"]
    gina = app.test_client()
    assert login(gina, "gina@example.org", PASSWORD).headers["Location"] == "/facilitate/"


def test_an_organizer_cannot_become_a_facilitator(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    world.account(email="carla@example.org")
    url = f"/organize/events/{event.id}"
    response = client.post(url + "/facilitators", data={"existing-email": "carla@example.org",
                                                        "csrf_token": csrf_token(client, url)}, headers=EN)
    assert response.status_code == 400
    assert "Organizers cannot be added" in response.get_data(as_text=True)
    response, path = invite(client, event.id, email="carla@example.org")
    assert response.status_code == 400 and path is None
    with app.app_context():
        assert db.session.get(Event, event.id).facilitators == []


def test_a_short_password_is_refused_and_the_link_still_works(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    _response, path = invite(client, event.id)
    _browser, response = accept(app, path, password="short")
    assert response.status_code == 400
    assert database.scalar(select(Account.id).where(Account.role == Role.FACILITATOR)) is None
    _browser, response = accept(app, path)
    assert response.status_code == 302
