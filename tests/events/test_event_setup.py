"""An organizer sets up an event, its themes and tables, through the forms."""

import re

from sqlalchemy import select

from tests.conftest import csrf_token, login
from workshop.events.models import Event, Theme
from workshop.tables.join_codes import ALPHABET, LENGTH
from workshop.tables.models import WorkingTable


def logged_in_organizer(world, client, email="anna@example.org"):
    world.account(email=email)
    login(client, email)


def test_an_organizer_creates_an_event_a_theme_and_a_table(world, client, database):
    logged_in_organizer(world, client)
    response = client.post("/organize/", data={
        "title": "Co-progettazione sociale 2026", "starts_on": "2026-12-03", "venue": "Sala civica",
        "language": "it", "dots_per_participant": "3", "max_dots_per_need": "1",
        "csrf_token": csrf_token(client, "/organize/"),
    })
    assert response.status_code == 302
    event_url = response.headers["Location"]
    response = client.post(event_url + "/themes", data={
        "name": "Famiglie e minori", "colour": "#C0392B", "description": "",
        "csrf_token": csrf_token(client, event_url)})
    assert response.status_code == 302
    theme_id = database.scalar(select(Theme.id))
    response = client.post(event_url + "/tables", data={
        "table-theme_id": str(theme_id), "table-name": "Tavolo 1", "table-dots_per_participant": "",
        "table-max_dots_per_need": "",
        "csrf_token": csrf_token(client, event_url)})
    assert response.status_code == 302

    table = database.all(select(WorkingTable))[0]
    assert (table.dots_per_participant, table.max_dots_per_need) == (3, 1)  # the event's rules
    assert len(table.join_code) == LENGTH and set(table.join_code) <= set(ALPHABET)
    page = client.get(event_url).get_data(as_text=True)
    assert "Famiglie e minori" in page and table.join_code in page
    assert f"/tables/{table.id}/console" in page and f"/tables/{table.id}/projector" in page


def test_invalid_event_forms_say_what_is_wrong_and_create_nothing(world, client, database):
    logged_in_organizer(world, client)
    response = client.post("/organize/", data={
        "title": "", "language": "it", "dots_per_participant": "0", "max_dots_per_need": "1",
        "csrf_token": csrf_token(client, "/organize/")}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This field is required" in page and "between 1 and 50" in page
    assert database.scalar(select(Event.id)) is None


def test_a_bad_theme_colour_is_refused(world, client, database):
    logged_in_organizer(world, client)
    event = world.event(organizer=world.account(email="other@example.org"))
    world_event = client.post("/organize/", data={
        "title": "Mine", "language": "en", "dots_per_participant": "3", "max_dots_per_need": "1",
        "csrf_token": csrf_token(client, "/organize/")}).headers["Location"]
    response = client.post(world_event + "/themes", data={
        "name": "Casa", "colour": "red; background:url(x)", "csrf_token": csrf_token(client, world_event)})
    assert response.status_code == 400
    assert database.scalar(select(Theme.id).where(Theme.event_id != event.id)) is None


def test_an_organizer_cannot_open_or_change_another_organizers_event(world, client, database):
    event = world.event(organizer=world.account(email="owner@example.org"))
    logged_in_organizer(world, client, "stranger@example.org")
    table = event.tables[0]
    assert client.get(f"/organize/events/{event.id}").status_code == 403
    assert client.get(f"/tables/{table.id}/console").status_code == 403
    assert client.get(f"/tables/{table.id}/projector").status_code == 403
    assert client.get(f"/tables/{table.id}/qr.svg").status_code == 403
    token = csrf_token(client, "/organize/")
    response = client.post(f"/organize/events/{event.id}/themes", data={"name": "X", "colour": "#000000",
                                                                        "csrf_token": token})
    assert response.status_code == 403
    assert database.scalar(select(Theme.name).where(Theme.name == "X")) is None
    dashboard = client.get("/organize/").get_data(as_text=True)
    assert not re.search(rf"/organize/events/{event.id}\"", dashboard)


def test_missing_things_give_a_404_page_not_a_500(world, client):
    logged_in_organizer(world, client)
    for url in ("/organize/events/999", "/tables/999/console", "/no/such/page"):
        response = client.get(url)
        assert response.status_code == 404
        assert "<html" in response.get_data(as_text=True)
