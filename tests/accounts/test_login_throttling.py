"""Guessing a password is slow; a hall of organizers logging in at once is not held up.

Failed logins are counted per email address typed, never per network address
(every client here is 127.0.0.1, as a hall behind one NAT address is), and
every attempt together has a ceiling. The limits are set low here.
"""

import re
import statistics
import time

from tests.conftest import PASSWORD, csrf_token
from workshop.accounts.models import Role

EN = {"Accept-Language": "en"}
TRY_AGAIN = re.compile(r"Too many attempts in a short time\. Try again in \d+ (second|seconds|minute|minutes)\.")


def attempt(app, email, password):
    """A fresh browser sends the login form once; returns the response."""
    browser = app.test_client()
    return browser.post("/login", headers=EN, data={
        "email": email, "password": password, "csrf_token": csrf_token(browser, "/login")})


def test_guessing_one_accounts_password_is_stopped_and_others_log_in(app, world):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    world.account(email="anna@example.org")
    world.account(email="bruno@example.org", role=Role.FACILITATOR)
    for guess in ("password1", "letmein", "anna2026"):
        response = attempt(app, "anna@example.org", guess)
        assert response.status_code == 400 and "Wrong email or password." in response.get_data(as_text=True)

    refused = attempt(app, "anna@example.org", PASSWORD)  # even the right password, until the window passes
    assert refused.status_code == 429
    assert TRY_AGAIN.search(refused.get_data(as_text=True))
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert attempt(app, "  ANNA@Example.org ", PASSWORD).status_code == 429  # the same address, written otherwise

    # Bruno, in the same hall behind the same address, logs in.
    assert attempt(app, "bruno@example.org", PASSWORD).headers["Location"] == "/facilitate/"


def test_logging_in_successfully_does_not_count(app, world):
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    world.account(email="anna@example.org")
    for _ in range(4):  # the organizer's laptop, the projector's, a tablet, a phone
        assert attempt(app, "anna@example.org", PASSWORD).headers["Location"] == "/organize/"


def test_every_attempt_together_has_a_ceiling(app, world):
    app.config["RATELIMIT_LOGIN_ALL"] = "4 per minute"
    world.account(email="anna@example.org")
    for number in range(4):
        assert attempt(app, f"stranger{number}@example.org", "guess-guess").status_code == 400
    refused = attempt(app, "anna@example.org", PASSWORD)
    assert refused.status_code == 429 and TRY_AGAIN.search(refused.get_data(as_text=True))
    assert app.test_client().get("/login").status_code == 200  # the form itself still opens


def test_an_unknown_email_takes_as_long_as_a_wrong_password(app, world):
    """The time of the answer does not tell which emails have an account."""
    world.account(email="anna@example.org")

    def median_seconds(email):
        durations = []
        for number in range(5):
            browser = app.test_client()
            form = {"email": email, "password": f"wrong-{number}", "csrf_token": csrf_token(browser, "/login")}
            started = time.perf_counter()
            assert browser.post("/login", data=form).status_code == 400
            durations.append(time.perf_counter() - started)
        return statistics.median(durations)

    known, unknown = median_seconds("anna@example.org"), median_seconds("nobody@example.org")
    assert unknown > 0.5 * known, (unknown, known)
