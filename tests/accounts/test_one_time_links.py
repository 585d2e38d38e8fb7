"""One-time links (a facilitator's invitation, the first organizer's set-up link) work once, and expire.

Their tokens are 32 random bytes (256 bits) and only a keyed hash is stored:
they cannot be guessed. These tests add what tests/accounts/test_invites.py and
test_accounts.py leave out: several browsers redeeming one link at the same
moment, and the set-up link's expiry and replacement.
"""

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.accounts.test_invites import NEW_PASSWORD, invite, organizer_with_event
from tests.conftest import PASSWORD, csrf_token
from workshop.accounts.models import Account, FacilitatorInvite, Role, SetupLink
from workshop.accounts.operations import issue_setup_link
from workshop.core.database import unit_of_work
from workshop.core.models import utcnow
from workshop.extensions import db

EN = {"Accept-Language": "en"}


def at_once(app, path, forms):
    """Each form posted to path by its own browser, all at the same moment; returns the status codes."""
    browsers = [app.test_client() for _ in forms]
    tokens = [csrf_token(browser, path) for browser in browsers]
    statuses, start = [None] * len(forms), threading.Barrier(len(forms))

    def send(index):
        start.wait()
        statuses[index] = browsers[index].post(path, data={**forms[index], "csrf_token": tokens[index]}).status_code

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_browsers_redeeming_one_invitation_at_the_same_moment_make_one_account(app, world, client, database):
    _organizer, event = organizer_with_event(world, client)
    _response, path = invite(client, event.id)
    forms = [{"name": f"Franco {n}", "password": NEW_PASSWORD + str(n), "confirm": NEW_PASSWORD + str(n)}
             for n in range(5)]
    statuses = at_once(app, path, forms)
    assert statuses.count(302) == 1, statuses
    assert all(status in (302, 400, 404) for status in statuses), statuses
    assert database.scalar(select(func.count(Account.id)).where(Account.role == Role.FACILITATOR)) == 1
    assert database.scalar(select(FacilitatorInvite.used_at)) is not None


def setup_path(app, hours=24):
    with app.app_context(), unit_of_work():
        return f"/setup/{issue_setup_link(app.config['SECRET_KEY'], hours)}"


def organizer_form(email="anna@example.org"):
    return {"name": "Anna", "email": email, "password": PASSWORD, "confirm": PASSWORD}


def test_browsers_redeeming_the_setup_link_at_the_same_moment_make_one_organizer(app, database):
    path = setup_path(app)
    statuses = at_once(app, path, [organizer_form(f"organizer{n}@example.org") for n in range(5)])
    assert statuses.count(302) == 1, statuses
    assert database.scalar(select(func.count(Account.id))) == 1


def test_the_setup_link_expires(app, database):
    path = setup_path(app)
    browser = app.test_client()
    assert browser.get(path).status_code == 200
    with app.app_context(), unit_of_work():
        db.session.execute(update(SetupLink).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert browser.get(path, headers=EN).status_code == 404
    response = browser.post(path, data={**organizer_form(), "csrf_token": csrf_token(browser, "/login")})
    assert response.status_code == 404
    assert database.scalar(select(Account.id)) is None


def test_a_new_setup_link_replaces_the_old_and_none_works_once_an_organizer_exists(app, runner, database):
    old, new = setup_path(app), setup_path(app)
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200
    result = runner.invoke(args=["create-organizer", "--email", "cli@example.org", "--name", "Cli",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert app.test_client().get(new).status_code == 404  # an organizer exists: the link is spent
