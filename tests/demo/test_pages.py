"""The demo is marked wherever it shows, and an organizer can load it from an empty dashboard."""

import re

from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from workshop.accounts.models import Role
from workshop.events.models import Event
from workshop.extensions import db

EN = {"Accept-Language": "en"}
BADGE = 'class="demo-badge"'


def _pages(app, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        table = event.tables[0]
        return {
            "dashboard": "/organize/",
            "event page": f"/organize/events/{event.id}",
            "console": f"/tables/{table.id}/console",
            "projector": f"/tables/{table.id}/projector",
            "plenary dashboard": f"/organize/events/{event.id}/plenary",
            "plenary projector": f"/organize/events/{event.id}/plenary/screen",
            "phone": f"/j/{table.join_code}",
        }


def test_every_page_of_the_demo_says_it_is_a_demo_and_a_real_event_does_not(app, demo, world, client):
    real = world.event(organizer=demo.organizer, title="Assemblea vera")
    login(client, demo.organizer.email)
    for event_id in (demo.it, demo.en):
        for name, url in _pages(app, event_id).items():
            response = client.get(url, headers=EN)
            assert response.status_code == 200, (name, response.status_code)
            assert BADGE in response.get_data(as_text=True), name
    event_page = client.get(f"/organize/events/{demo.en}", headers=EN).get_data(as_text=True)
    assert "This is the demo event" in event_page and "Remove the demo" in event_page
    for name, url in _pages(app, real.id).items():
        if name == "dashboard":
            continue  # it lists the demo too
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert BADGE not in page and "Remove the demo" not in page, name
    # On the dashboard the badge sits on the demo's rows only.
    rows = re.findall(r'<li class="card">(.*?)</li>', client.get("/organize/", headers=EN).get_data(as_text=True),
                      re.S)
    assert [BADGE in row for row in rows] == ["Assemblea vera" not in row for row in rows]


def test_an_organizer_with_no_events_is_told_the_next_step_and_loads_the_demo(app, world, client, database):
    organizer = world.account("new@example.org", name="Nora")
    login(client, organizer.email)
    page = client.get("/organize/", headers=EN).get_data(as_text=True)
    assert "Your next step" in page and "Create event" in page and "Load the demo event" in page
    response = client.post("/organize/demo", data={"csrf_token": csrf_token(client, "/organize/")}, headers=EN)
    assert response.status_code == 302
    english = database.scalar(select(Event.id).where(Event.is_demo.is_(True), Event.language == "en"))
    assert response.headers["Location"] == f"/organize/events/{english}"  # the twin in the page's language
    landed = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "The demo event is ready" in landed
    # Once loaded, the dashboard links to it instead of offering it again; pressing again builds nothing.
    page = client.get("/organize/", headers=EN).get_data(as_text=True)
    assert "Your demo event:" in page and "Load the demo event" not in page
    again = client.post("/organize/demo", data={"csrf_token": csrf_token(client, "/organize/")}, headers=EN)
    assert again.headers["Location"] == f"/organize/events/{english}"
    assert database.scalar(select(func.count()).select_from(Event)) == 2


def test_an_organizer_with_events_still_finds_the_demo_button(world, client):
    organizer = world.account()
    world.event(organizer=organizer, title="Assemblea vera")
    login(client, organizer.email)
    page = client.get("/organize/", headers=EN).get_data(as_text=True)
    assert "Your next step" not in page and "Load the demo event" in page


def test_only_organizers_may_load_the_demo(app, world, database):
    world.account()  # an organizer exists, so the others are the only ones trying
    facilitator = world.account("fac@example.org", role=Role.FACILITATOR, name="Fabio")
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/login")
    response = anonymous.post("/organize/demo", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    helper = app.test_client()
    login(helper, facilitator.email)
    response = helper.post("/organize/demo", data={"csrf_token": csrf_token(helper, "/facilitate/")})
    assert response.status_code == 403
    without_token = app.test_client()
    login(without_token, "organizer@example.org")
    assert without_token.post("/organize/demo").status_code == 400
    assert database.scalar(select(func.count()).select_from(Event)) == 0
