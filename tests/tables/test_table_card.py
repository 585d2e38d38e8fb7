"""The printable table card: one A4 page per table, for its facilitators and the event's organizers."""

import re

import pytest
from sqlalchemy import update

from tests.conftest import PASSWORD
from tests.tables.test_join_and_qr import decode_qr
from workshop.accounts.models import Account, Role
from workshop.events.models import Event
from workshop.extensions import db
from workshop.tables.models import WorkingTable

LAN = "http://192.168.1.20:5000"


def set_language(app, event_id, language):
    with app.app_context():
        db.session.execute(update(Event).where(Event.id == event_id).values(language=language))
        db.session.commit()


def give_table(app, table_id, account):
    with app.app_context():
        table = db.session.get(WorkingTable, table_id)
        table.facilitators.append(db.session.get(Account, account.id))
        db.session.commit()


class LanClient:
    """A browser on the hall's network, as the organizer's laptop browses to the server."""

    def __init__(self, app):
        self.http = app.test_client()

    def get(self, url, **kwargs):
        return self.http.get(url, base_url=LAN, **kwargs)

    def set_cookie(self, name, value):
        self.http.set_cookie(name, value, domain="192.168.1.20")


def logged_in(app, account):
    browser = LanClient(app)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get("/login").text).group(1)
    browser.http.post("/login", base_url=LAN, data={"email": account.email, "password": PASSWORD,
                                                    "csrf_token": token})
    return browser


@pytest.fixture
def event(app, world):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=2, tables_per_theme=2)
    set_language(app, event.id, "en")
    facilitator = world.account(email="fac@example.org", role=Role.FACILITATOR, name="Bruno")
    give_table(app, event.tables[0].id, facilitator)
    return event, organizer, facilitator


def test_the_card_shows_the_tables_qr_code_join_code_and_address_and_the_phases(app, event):
    event, _organizer, facilitator = event
    table = event.tables[0]
    http = logged_in(app, facilitator)
    response = http.get(f"/tables/{table.id}/card")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.count('class="table-card"') == 1
    assert f'<span class="table-card-code">{table.join_code}</span>' in text
    assert f"open {LAN} and type the code" in text
    # The picture on the card is the table's QR code, and a phone reading it opens the table.
    qr = re.search(r'<img class="table-card-qr" src="([^"]+)"', text).group(1)
    assert qr == f"/tables/{table.id}/qr.svg"
    assert decode_qr(http.get(qr).get_data(as_text=True)) == f"{LAN}/j/{table.join_code}"
    for phase in ("Collecting needs", "Review", "Voting", "Results", "Closed"):
        assert f". {phase}</dt>" in text
    # Printing drops the header: the page carries the print style sheet and the print button.
    assert "@media print" in http.get("/static/css/tavoli.css").get_data(as_text=True)
    assert "data-print" in text


def test_the_card_is_written_in_the_events_language_whatever_the_visitors(app, event):
    event, organizer, _facilitator = event
    http = logged_in(app, organizer)
    http.set_cookie("tavoli_lang", "it")
    text = http.get(f"/tables/{event.tables[0].id}/card").get_data(as_text=True)
    assert '<html lang="en">' in text and "Collecting needs" in text
    set_language(app, event.id, "it")
    text = http.get(f"/tables/{event.tables[0].id}/card").get_data(as_text=True)
    assert '<html lang="it">' in text and "Raccolta dei bisogni" in text


def test_the_events_cards_give_every_table_one_page(app, event):
    event, organizer, _facilitator = event
    text = logged_in(app, organizer).get(f"/organize/events/{event.id}/cards").get_data(as_text=True)
    assert text.count('class="table-card"') == 4
    codes = re.findall(r'<span class="table-card-code">(\w+)</span>', text)
    assert codes == [table.join_code for table in event.tables]


def test_the_console_and_the_event_page_link_to_the_cards(app, event):
    event, organizer, _facilitator = event
    http = logged_in(app, organizer)
    assert f'href="/tables/{event.tables[0].id}/card"' in http.get(f"/tables/{event.tables[0].id}/console").text
    assert f'href="/organize/events/{event.id}/cards"' in http.get(f"/organize/events/{event.id}").text


def test_the_cards_are_refused_to_everyone_else(app, world, event):
    event, _organizer, facilitator = event
    other_table = event.tables[1]
    other_organizer = world.account(email="other@example.org")
    anonymous = LanClient(app)
    assert anonymous.get(f"/tables/{other_table.id}/card").status_code == 302  # to the login page
    assert anonymous.get(f"/organize/events/{event.id}/cards").status_code == 302
    facilitator_http = logged_in(app, facilitator)
    assert facilitator_http.get(f"/tables/{other_table.id}/card").status_code == 403
    assert facilitator_http.get(f"/organize/events/{event.id}/cards").status_code == 403
    stranger = logged_in(app, other_organizer)
    assert stranger.get(f"/tables/{other_table.id}/card").status_code == 403
    assert stranger.get(f"/organize/events/{event.id}/cards").status_code == 403
    assert stranger.get("/tables/999999/card").status_code == 404
