"""A participant may say, from the phone, what to call them and which organisation they come from."""

from sqlalchemy import select

from workshop.core.database import unit_of_work
from workshop.events.models import Event, Organisation, OrganisationKind
from workshop.extensions import db
from workshop.participants.models import Participant


def organisations_taking_part(app, event_id, *names):
    """Registry organisations, marked as taking part in the event; returns their ids."""
    with app.app_context(), unit_of_work():
        event = db.session.get(Event, event_id)
        made = [Organisation(name=name, name_key=name.casefold(), kind=OrganisationKind.ASSOCIATION)
                for name in names]
        event.organisations.extend(made)
        db.session.flush()
        return [organisation.id for organisation in made]


def test_a_participant_sets_and_changes_the_profile(app, world, database):
    event = world.event()
    arci, caritas = organisations_taking_part(app, event.id, "Arci Lecco", "Caritas")
    phone = world.phone(event.tables[0])

    ack = phone.emit("get_profile", {})
    assert ack["ok"], ack
    assert ack["profile"] == {"name": None, "organisation": None}
    assert [o["name"] for o in ack["organisations"]] == ["Arci Lecco", "Caritas"]

    ack = phone.emit("set_profile", {"name": "  Maria \t Rossi ", "organisation": arci})
    assert ack == {"ok": True, "profile": {
        "name": "Maria Rossi", "organisation": {"id": arci, "name": "Arci Lecco", "kind": "association"}}}

    ack = phone.emit("set_profile", {"name": "Mari\u0301a", "organisation": caritas})  # i + combining accent
    assert ack["ok"] and ack["profile"]["name"] == "Mar\u00eda"  # composed (NFC)
    participant = database.scalar(select(Participant))
    assert (participant.display_name, participant.organisation_id) == ("Mar\u00eda", caritas)

    assert phone.emit("get_profile", {})["profile"]["organisation"]["id"] == caritas
    ack = phone.emit("set_profile", {"name": "  ", "organisation": None})
    assert ack["profile"] == {"name": None, "organisation": None}
    participant = database.scalar(select(Participant))
    assert (participant.display_name, participant.organisation_id) == (None, None)


def test_a_name_too_long_or_not_text_is_refused_and_nothing_changes(app, world, database):
    event = world.event()
    phone = world.phone(event.tables[0])
    assert phone.emit("set_profile", {"name": "Anna", "organisation": None})["ok"]

    ack = phone.emit("set_profile", {"name": "x" * 61, "organisation": None})
    assert ack["ok"] is False and ack["error"]["code"] == "display_name_too_long"
    assert ack["error"]["message"]
    assert phone.emit("set_profile", {"name": 42, "organisation": None})["error"]["code"] == "name_invalid"
    assert database.scalar(select(Participant.display_name)) == "Anna"
    assert phone.emit("set_profile", {"name": "x" * 60, "organisation": None})["ok"]
    assert database.scalar(select(Participant.display_name)) == "x" * 60


def test_an_unknown_organisation_or_one_of_another_event_is_refused(app, world, database):
    event = world.event()
    other = world.event(organizer=world.account(email="other@example.org"))
    (theirs,) = organisations_taking_part(app, other.id, "Auser Monza")
    (ours,) = organisations_taking_part(app, event.id, "Arci Lecco")
    phone = world.phone(event.tables[0])
    assert phone.emit("set_profile", {"name": "Anna", "organisation": ours})["ok"]

    ack = phone.emit("set_profile", {"name": "Anna", "organisation": theirs})
    assert ack["ok"] is False and ack["error"]["code"] == "organisation_not_in_event"
    ack = phone.emit("set_profile", {"name": "Anna", "organisation": 987654})
    assert ack["ok"] is False and ack["error"]["code"] == "organisation_not_found"
    ack = phone.emit("set_profile", {"name": "Anna", "organisation": "Arci Lecco"})
    assert ack["ok"] is False and ack["error"]["code"] == "organisation_invalid"
    assert [o["id"] for o in phone.emit("get_profile", {})["organisations"]] == [ours]
    assert database.scalar(select(Participant.organisation_id)) == ours


def test_screens_have_no_profile(world):
    organizer = world.account()
    table = world.table(organizer=organizer)
    console = world.screen(table, organizer, view="console")
    assert console.emit("set_profile", {"name": "Anna", "organisation": None})["error"]["code"] == "not_allowed"
    assert console.emit("get_profile", {})["error"]["code"] == "not_allowed"


def test_the_table_page_offers_the_profile_form(world, client):
    table = world.table()
    page = client.get(f"/j/{table.join_code}").get_data(as_text=True)
    assert 'id="profile"' in page and "js/profile.js" in page
