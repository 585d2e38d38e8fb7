"""The first organizer, logging in and out, and what needs a login."""

import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login
from workshop.accounts.models import Account, SetupLink
from workshop.accounts.operations import issue_setup_link
from workshop.core.database import unit_of_work


def setup_link(app):
    with app.app_context(), unit_of_work():
        return f"/setup/{issue_setup_link(app.config['SECRET_KEY'], 24)}"


def test_the_one_time_link_creates_the_first_organizer_once(app, client, database):
    link = setup_link(app)
    form = {"name": "Anna", "email": "Anna@Example.org", "password": PASSWORD, "confirm": PASSWORD,
            "csrf_token": csrf_token(client, link)}
    response = client.post(link, data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/organize/"
    assert database.scalar(select(Account.email)) == "anna@example.org"
    assert client.get("/organize/").status_code == 200  # logged in straight away

    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "non è più valido" in again.get_data(as_text=True)


def test_the_setup_link_is_stored_only_as_a_hash(app, database):
    token = setup_link(app).rsplit("/", 1)[1]
    digests = database.all(select(SetupLink.token_digest))
    assert len(digests) == 1 and token not in digests[0]


def test_a_short_password_is_refused_with_a_message(app, client, database):
    link = setup_link(app)
    form = {"name": "A", "email": "a@example.org", "password": "short", "confirm": "short",
            "csrf_token": csrf_token(client, link)}
    response = client.post(link, data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "The password must be at least 10 characters long." in response.get_data(as_text=True)
    assert database.scalar(select(Account.id)) is None


def test_a_guessed_setup_link_gives_a_clear_page(client):
    response = client.get("/setup/not-a-real-token", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This link is not valid any more" in response.get_data(as_text=True)


def test_the_cli_creates_an_organizer_who_can_log_in(app, runner, client):
    result = runner.invoke(args=["create-organizer", "--email", "cli@example.org", "--name", "Cli",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert login(client, "cli@example.org").headers["Location"] == "/organize/"


def test_the_cli_refuses_a_duplicate_email(world, runner):
    world.account(email="taken@example.org")
    result = runner.invoke(args=["create-organizer", "--email", "taken@example.org", "--name", "X",
                                 "--password", PASSWORD])
    assert result.exit_code != 0
    assert "already exists" in result.output or "Esiste già" in result.output


def test_the_cli_prints_a_setup_link_that_works(runner, client):
    result = runner.invoke(args=["setup-link", "--base-url", "http://hall.example:5000"])
    assert result.exit_code == 0
    path = re.search(r"http://hall\.example:5000(/setup/\S+)", result.output).group(1)
    assert client.get(path).status_code == 200


def test_wrong_password_is_refused_and_logout_works(world, client):
    world.account(email="anna@example.org")
    refused = login(client, "anna@example.org", "wrong password!")
    assert refused.status_code == 400
    assert login(client, "anna@example.org").status_code == 302
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/organize/")})
    assert response.status_code == 302
    assert client.get("/organize/").status_code == 302


def test_a_form_without_csrf_token_is_refused(world, client, database):
    world.account(email="anna@example.org")
    response = client.post("/login", data={"email": "anna@example.org", "password": PASSWORD},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert client.get("/organize/").status_code == 302  # not logged in


@pytest.mark.parametrize("url", ["/organize/", "/organize/events/1", "/tables/1/console", "/tables/1/projector",
                                 "/tables/1/qr.svg"])
def test_organizer_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_after_login_the_user_returns_where_they_were_going_but_never_off_site(world, client):
    world.account(email="anna@example.org")
    token = csrf_token(client, "/login")
    form = {"email": "anna@example.org", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login?next=https://evil.example/", data=form).headers["Location"] == "/organize/"
