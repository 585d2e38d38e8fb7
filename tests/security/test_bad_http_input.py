"""HTTP input that used to get a 500, now refused with a page that says what to do.

Found by tests/security/test_bad_input.py, each pinned here.
"""

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.security.conftest import organizer_client
from workshop.events.models import Event, Theme
from workshop.extensions import db

EN = {"Accept-Language": "en"}


def test_an_id_too_large_for_the_database_in_an_address_is_not_found(world, app, error_log):
    world.event(organizer=world.account())
    client = organizer_client(app)
    for number in (str(10**30), str(2**63), "9" * 5000):
        for path in (f"/organize/events/{number}", f"/tables/{number}/console", f"/organize/organisations/{number}"):
            response = client.get(path, headers=EN)
            assert response.status_code == 404, path
            assert "This page does not exist" in response.get_data(as_text=True)
    assert error_log == []


def test_a_json_body_sent_to_a_form_is_refused_with_415(world, app, database, error_log):
    world.account()
    client = organizer_client(app)
    token = csrf_token(client, "/organize/")
    for body in ({"title": {"a": 1}, "dots_per_participant": 3, "max_dots_per_need": 1}, [1, 2], "Assemblea",
                 {"title": "Assemblea", "dots_per_participant": "3", "max_dots_per_need": "1", "language": "it"}):
        response = client.post("/organize/", json=body, headers={"X-CSRFToken": token, **EN})
        assert response.status_code == 415, body
        assert "Send this from the form on its page." in response.get_data(as_text=True)
    assert database.scalar(select(Event)) is None
    assert error_log == []


def test_the_organisations_form_sent_with_no_field_at_all_means_none_take_part(world, app, error_log):
    event = world.event(organizer=world.account())
    client = organizer_client(app)
    url = f"/organize/events/{event.id}/organisations"
    response = client.post(url, headers={"X-CSRFToken": csrf_token(client, url)})  # no body: token in the header
    assert response.status_code == 302
    assert error_log == []


def test_a_bad_request_page_says_what_to_do_in_the_visitors_language(world, app):
    event = world.event(organizer=world.account(), themes=2)
    client = organizer_client(app)
    with app.app_context():
        theme = db.session.scalar(select(Theme.id).where(Theme.event_id == event.id).order_by(Theme.position))
    url = f"/organize/events/{event.id}/themes/{theme}"
    response = client.post(url + "/move", data={"csrf_token": csrf_token(client, url)}, headers=EN)  # no direction
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "What was sent is not valid. Go back, check it and try again." in page
    assert "The browser (or proxy) sent a request" not in page


def test_a_code_made_only_of_separators_gets_the_unknown_code_page(client, error_log):
    response = client.get("/j/---", headers=EN)
    assert response.status_code == 404
    assert "There is no table with the code" in response.get_data(as_text=True)
    assert error_log == []
