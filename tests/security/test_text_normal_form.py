"""Every text a client types is stored in one normal form, and fits its column.

Found by tests/security/test_bad_input.py: NUL, escape and other control
characters, bidi overrides and zero-width characters were stored as sent in
display names, titles, venues, names of themes, tables, organisations and
accounts; a lone surrogate in a need or a name could not be stored at all
(a "server_error" with a stack trace); a colour with a final newline passed
its check; "ß" * 150 made an organisation key too long for its column.
"""

import math
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.security.conftest import organizer_client, refused
from workshop.accounts.models import Account, FacilitatorInvite, Role
from workshop.contributions.models import Need
from workshop.core.validation import bounded_int, normalise_text
from workshop.events.models import Event, Organisation, Theme
from workshop.participants.models import Participant
from workshop.tables.models import WorkingTable

EN = {"Accept-Language": "en"}
NOT_STORED = ("Cc", "Cf", "Cs", "Zl", "Zp")  # controls, format characters, lone surrogates, separators


def test_lone_surrogates_are_dropped_from_texts_not_a_server_error(world, database, error_log):
    phone = world.phone(world.table())
    ack = phone.post("\ud800Orari\udfff dei servizi")
    assert ack["ok"] and ack["need"]["text"] == "Orari dei servizi"
    assert database.scalar(select(Need.text)) == "Orari dei servizi"
    ack = phone.emit("set_profile", {"name": "Ma\udc80ria", "organisation": None})
    assert ack["ok"] and ack["profile"]["name"] == "Maria"
    assert error_log == []


def test_a_display_name_loses_its_controls_and_bidi_overrides(world, database):
    phone = world.phone(world.table())
    ack = phone.emit("set_profile", {"name": "Ma\x00ria\u202e \u200bRossi\x1b", "organisation": None})
    assert ack["ok"] and ack["profile"]["name"] == "Ma ria Rossi"
    assert database.scalar(select(Participant.display_name)) == "Ma ria Rossi"


def test_timer_seconds_must_be_a_whole_number(world, error_log):
    organizer = world.account()
    console = world.screen(world.table(organizer=organizer), organizer, view="console")
    for seconds in (True, math.inf, 12.5, [60], 2**70):
        assert refused(console.emit("timer", {"action": "start", "seconds": seconds}), "timer_seconds_invalid"), seconds
    assert console.emit("timer", {"action": "start", "seconds": "60"})["timer"]["duration"] == 60  # digits are a number
    assert error_log == []


def test_texts_from_forms_are_stored_normalised(world, app, database):
    world.account()
    client = organizer_client(app)
    response = client.post("/organize/", data={
        "title": "Assemblea\x00 \u202e2027\u200b", "venue": " Sala\tcivica\x07 ", "language": "en",
        "dots_per_participant": "3", "max_dots_per_need": "1", "csrf_token": csrf_token(client, "/organize/")})
    assert response.status_code == 302
    event = database.scalar(select(Event))
    assert (event.title, event.venue) == ("Assemblea 2027", "Sala civica")

    url = f"/organize/events/{event.id}"
    response = client.post(url + "/themes", data={
        "name": "Scuola\x08", "colour": "#336699", "description": "Prima riga\x00\r\n\r\n\r\nSeconda\u2028riga",
        "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    theme = database.scalar(select(Theme))
    assert (theme.name, theme.description) == ("Scuola", "Prima riga\n\nSeconda\nriga")

    response = client.post(url + "/tables", data={
        "table-theme_id": str(theme.id), "table-name": "\u202dTavolo\ufeff A", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert database.scalar(select(WorkingTable.name)) == "Tavolo A"


def test_a_colour_with_a_final_newline_is_refused(world, app, database):
    event = world.event(organizer=world.account())
    client = organizer_client(app)
    url = f"/organize/events/{event.id}"
    response = client.post(url + "/themes", data={"name": "Scuola", "colour": "#336699\n",
                                                  "csrf_token": csrf_token(client, url)}, headers=EN)
    assert response.status_code == 400
    assert database.scalar(select(Theme.colour).where(Theme.name == "Scuola")) is None


def test_an_organisation_name_whose_folded_key_would_not_fit_is_refused(world, app, database):
    world.account()
    client = organizer_client(app)
    token = csrf_token(client, "/organize/organisations/")
    response = client.post("/organize/organisations/", data={"name": "\u00df" * 150, "kind": "other",
                                                             "csrf_token": token}, headers=EN)
    assert response.status_code == 400  # "ß" folds to "ss": the key would be 300 characters
    assert "at most 200 characters" in response.get_data(as_text=True)
    assert database.scalar(select(Organisation)) is None


def test_the_registry_search_takes_any_text(world, app):
    """Names are normalised before they are compared; the search box must not refuse what that removes."""
    world.account()
    client = organizer_client(app)
    token = csrf_token(client, "/organize/organisations/")
    assert client.post("/organize/organisations/", data={"name": "Arci Lecco", "kind": "association",
                                                         "csrf_token": token}).status_code == 302
    for query in ("\u200b", "\x00", "\u00df" * 150):
        assert client.get("/organize/organisations/", query_string={"q": query}).status_code == 200, query
    found = client.get("/organize/organisations/", query_string={"q": "AR\u200bCI"}).get_data(as_text=True)
    assert "Arci Lecco" in found


def test_an_invited_email_with_a_space_or_a_control_is_refused_or_cleaned(world, app, database):
    event = world.event(organizer=world.account())
    client = organizer_client(app)
    url = f"/organize/events/{event.id}"

    def invite(email):
        return client.post(url + "/invites", data={"invite-email": email, "invite-name": "Zoe\x00",
                                                   "csrf_token": csrf_token(client, url)}, headers=EN)

    assert invite("zoe smith@example.org").status_code == 400
    assert invite("zoe\u202e@example.org").status_code == 200  # the page that shows the link once
    invited = database.scalar(select(FacilitatorInvite))
    assert (invited.email, invited.name) == ("zoe@example.org", "Zoe")
    assert database.scalar(select(Account).where(Account.role == Role.FACILITATOR)) is None


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(st.characters(codec=None)) | st.text(st.sampled_from("\x00\ud800\u202e\u200b\u0301e \n\t\ufffe\u2028")),
       st.booleans())
def test_normalise_text_gives_one_normal_form(raw, multiline):
    text = normalise_text(raw, multiline=multiline)
    assert unicodedata.is_normalized("NFC", text)
    assert not [c for c in text if unicodedata.category(c) in NOT_STORED and not (multiline and c == "\n")]
    assert text == text.strip() and "  " not in text
    text.encode("utf-8")  # storable
    assert normalise_text(text, multiline=multiline) == text  # a fixed point


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                 st.lists(st.integers(), max_size=2)))
def test_bounded_int_takes_whole_numbers_only(value):
    try:
        number = bounded_int(value, 1, 50, "n_invalid")
    except Exception as error:  # only ever the domain's refusal
        assert getattr(error, "code", None) == "n_invalid"
        return
    assert type(number) is int and 1 <= number <= 50
    assert not isinstance(value, bool | list)
