"""The demo goes in one step, from the command line or its page, and takes nothing else with it."""

from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.demo.conftest import row_counts
from workshop.accounts.models import Account
from workshop.contributions.models import Need
from workshop.core.database import unit_of_work
from workshop.events.models import Event, Organisation, OrganisationKind
from workshop.events.organisations import add_organisation, set_event_organisations
from workshop.extensions import db
from workshop.participants.models import Participant

EN = {"Accept-Language": "en"}
SHARED = "Cooperativa sociale La Ginestra di Esempiano"  # also one of the demo's organisations


def _real_event_with_a_demo_organisation(app, world, organizer):
    """A real event whose participant, from an organisation the demo also lists, posted a need."""
    event = world.event(organizer=organizer, title="Assemblea vera")
    with app.app_context(), unit_of_work():
        actor = db.session.get(Account, organizer.id)
        shared = add_organisation(actor, SHARED, OrganisationKind.SOCIAL_COOPERATIVE)
        set_event_organisations(actor, db.session.get(Event, event.id), [shared.id])
        shared_id = shared.id
    phone = world.phone(event.tables[0])
    assert phone.emit("set_profile", {"name": "Rita", "organisation": shared_id})["ok"]
    assert phone.post("Più spazi per i ragazzi la sera")["ok"]
    return event, shared_id


def _state_of(app, event_id):
    """Everything a real event holds, as plain values."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        return {
            "event": (event.title, event.status, event.is_demo),
            "organisations": [(organisation.id, organisation.name) for organisation in event.organisations],
            "tables": [(table.id, table.name, table.join_code, table.phase) for table in event.tables],
            "participants": [(participant.id, participant.display_name, participant.organisation_id)
                             for participant in db.session.scalars(
                                 select(Participant).where(Participant.event_id == event_id))],
            "needs": [(need.id, need.text, need.organisation_id) for need in db.session.scalars(
                select(Need).where(Need.table_id.in_([table.id for table in event.tables])))],
        }


def _esempiano_organisations(app):
    with app.app_context():
        return db.session.scalars(select(Organisation.name).where(Organisation.name.contains("Esempiano"))).all()


def test_demo_remove_leaves_every_table_as_it_was_but_for_a_real_event_made_meanwhile(app, world, runner):
    organizer = world.account()
    real, _shared = _real_event_with_a_demo_organisation(app, world, organizer)
    before, real_before = row_counts(app), _state_of(app, real.id)
    loaded = runner.invoke(args=["demo"])
    assert loaded.exit_code == 0, loaded.output
    assert row_counts(app)["need"] > before["need"] + 100
    meanwhile = world.event(organizer=organizer, title="Un'altra assemblea vera")  # made while the demo is there
    removed = runner.invoke(args=["demo", "--remove"])
    assert removed.exit_code == 0, removed.output
    assert "Removed 2 demo events and 41 organisations" in removed.output
    after = row_counts(app)
    made_meanwhile = {"event": 1, "event_organizer": 1, "theme": 1, "working_table": 1}
    assert after == {name: count + made_meanwhile.get(name, 0) for name, count in before.items()}
    assert _state_of(app, real.id) == real_before
    assert _state_of(app, meanwhile.id)["tables"]
    assert _esempiano_organisations(app) == [SHARED]
    again = runner.invoke(args=["demo", "--remove"])
    assert again.exit_code == 0 and "There is no demo event." in again.output


def test_the_remove_button_needs_the_box_ticked_and_removes_only_that_organizers_demo(app, world, runner, client):
    first = world.account("first@example.org", name="Prima")
    second = world.account("second@example.org", name="Seconda")
    before = row_counts(app)
    assert runner.invoke(args=["demo", "--organizer", second.email]).exit_code == 0
    with_second = row_counts(app)
    login(client, first.email)
    loaded = client.post("/organize/demo", data={"csrf_token": csrf_token(client, "/organize/")}, headers=EN)
    event_page = loaded.headers["Location"]
    url = event_page + "/demo/remove"
    token = csrf_token(client, event_page)
    unconfirmed = client.post(url, data={"csrf_token": token}, headers=EN)
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    assert client.get(event_page).status_code == 200
    done = client.post(url, data={"csrf_token": token, "demo-confirm": "y"}, headers=EN)
    assert done.status_code == 302 and done.headers["Location"] == "/organize/"
    assert "The demo was removed" in client.get("/organize/", headers=EN).get_data(as_text=True)
    assert client.get(event_page).status_code == 404
    # The other organizer's demo is untouched, and so are the organisations it still uses.
    assert row_counts(app) == with_second
    assert runner.invoke(args=["demo", "--remove"]).exit_code == 0
    assert row_counts(app) == before


def test_only_the_demo_events_organizers_may_remove_it_and_never_a_real_event(app, world, runner):
    owner = world.account("owner@example.org", name="Owner")
    other = world.account("other@example.org", name="Other")
    real = world.event(organizer=owner, title="Assemblea vera")
    assert runner.invoke(args=["demo", "--organizer", owner.email]).exit_code == 0
    with app.app_context():
        demo_id = db.session.scalar(select(Event.id).where(Event.is_demo.is_(True)))
    before = row_counts(app)
    intruder = app.test_client()
    login(intruder, other.email)
    token = csrf_token(intruder, "/organize/")
    response = intruder.post(f"/organize/events/{demo_id}/demo/remove", data={"csrf_token": token,
                                                                               "demo-confirm": "y"})
    assert response.status_code == 403
    owner_http = app.test_client()
    login(owner_http, owner.email)
    token = csrf_token(owner_http, "/organize/")
    response = owner_http.post(f"/organize/events/{real.id}/demo/remove", data={"csrf_token": token,
                                                                                 "demo-confirm": "y"})
    assert response.status_code == 404
    assert row_counts(app) == before
