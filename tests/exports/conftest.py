"""A morning to export, built the way it happens: organizers set up the event,
phones post and vote over Socket.IO, facilitators correct, hide and merge at
their consoles, and an organizer merges one need across tables at the plenary.

Texts carry accents, an apostrophe, a formula-looking start and an emoji, so
every format has to keep them.
"""

from types import SimpleNamespace

import pytest

from tests.conftest import set_phase
from workshop.accounts.models import Account, Role
from workshop.accounts.operations import create_account
from workshop.contributions.merging import merge_across_tables
from workshop.contributions.models import Need
from workshop.core.database import unit_of_work
from workshop.events.models import Event, OrganisationKind
from workshop.events.organisations import add_organisation, set_event_organisations
from workshop.extensions import db
from workshop.tables.models import WorkingTable

BUS = "Più corse serali dei bus verso le frazioni 🚌"
BUS_AGAIN = "Autobus la sera per le frazioni"
DOPOSCUOLA = "Doposcuola gratuito per i ragazzi dell'età media"
HOMEWORK = "Aiuto compiti pomeridiano"
SUMMER = "Centri estivi accessibili 🌞"
TYPO = "Case popolari per giovani famigle"
FIXED = "Case popolari per giovani famiglie"
SPAM = "=HYPERLINK(\"http://example.org\")"
JOBS = "Orientamento al lavoro per chi ha più di 50 anni"


def _organisations(app, organizer, event_id):
    with app.app_context(), unit_of_work():
        actor = db.session.get(Account, organizer.id)
        made = [
            add_organisation(actor, "Comune di Lecco", OrganisationKind.MUNICIPALITY),
            add_organisation(actor, "Società San Vincenzo", OrganisationKind.VOLUNTEER),
            add_organisation(actor, "Cooperativa L'Arcobaleno", OrganisationKind.SOCIAL_COOPERATIVE),
            add_organisation(actor, "ARCI Lecco", OrganisationKind.ASSOCIATION),
        ]
        set_event_organisations(actor, db.session.get(Event, event_id), [organisation.id for organisation in made])
        return [organisation.id for organisation in made]


def _as(phone, name=None, organisation=None):
    ack = phone.emit("set_profile", {"name": name, "organisation": organisation})
    assert ack["ok"], ack
    return phone


def _need(ack):
    assert ack["ok"], ack
    return ack["need"]["id"]


def _moderate(console, action, need, **extra):
    ack = console.emit("moderate", {"action": action, "need": need, **extra})
    assert ack["ok"], ack


@pytest.fixture
def day(world, app):
    """Two themes of two tables each (the last table joined but silent);
    returns the ids a test needs (event, tables, needs, accounts, organisations).

    Theme one ranks: after-school help 4 (1 at table one + 3 merged in from
    table two), buses 3, then the corrected housing need and summer camps 1
    each; the spam is hidden. Theme two: jobs 1."""
    organizer = world.account("organizer@example.org", name="Giulia Organizer")
    event = world.event(organizer=organizer, themes=2, tables_per_theme=2, dots=3, max_per_need=2,
                        title="Tavolo di co-progettazione 2026")
    with app.app_context(), unit_of_work():
        facilitator = create_account("marco@example.org", "Marco Rossi", "correct horse battery", Role.FACILITATOR)
        first = db.session.get(WorkingTable, event.tables[0].id)
        first.facilitators.append(facilitator)
        the_event = db.session.get(Event, event.id)
        the_event.facilitators.append(facilitator)
        themes = the_event.themes
        themes[0].name, themes[1].name = "Famiglie e minori", "Lavoro"
        facilitator_ref = SimpleNamespace(id=facilitator.id, email=facilitator.email)
    municipality, volunteers, cooperative, association = _organisations(app, organizer, event.id)
    one, two, three, four = event.tables
    consoles = [world.screen(table, organizer, view="console") for table in event.tables]

    anna = _as(world.phone(one), "Anna", cooperative)
    bruno = _as(world.phone(one), None, municipality)
    carla = _as(world.phone(two), "Carla Bianchi", volunteers)
    dario = world.phone(two)  # anonymous, no organisation
    elena = _as(world.phone(three), None, association)
    _as(world.phone(four), "Franco", municipality)  # joins, posts nothing

    needs = SimpleNamespace(
        bus=_need(anna.post(BUS)),
        bus_again=_need(bruno.post(BUS_AGAIN)),
        typo=_need(anna.post(TYPO)),
        spam=_need(bruno.post(SPAM)),
        doposcuola=_need(anna.post(DOPOSCUOLA)),
        homework=_need(carla.post(HOMEWORK)),
        summer=_need(dario.post(SUMMER)),
        jobs=_need(elena.post(JOBS)),
    )
    # Review at table one: merge the two bus needs, correct the typo, hide the spam.
    set_phase(consoles[0], "review")
    _moderate(consoles[0], "merge", needs.bus_again, into=needs.bus)
    _moderate(consoles[0], "correct", needs.typo, text=FIXED)
    _moderate(consoles[0], "hide", needs.spam)

    for console in consoles[:3]:
        set_phase(console, "vote")
    for phone, need in ((anna, needs.bus), (anna, needs.typo), (anna, needs.doposcuola),
                        (bruno, needs.bus), (bruno, needs.bus),
                        (carla, needs.homework), (carla, needs.summer), (dario, needs.homework),
                        (dario, needs.homework), (elena, needs.jobs)):
        ack = phone.dot(need)
        assert ack["ok"], ack
    for console in consoles[:3]:
        set_phase(console, "results")

    # At the plenary the organizers see after-school help raised at both tables of theme one.
    with app.app_context(), unit_of_work():
        merge_across_tables(db.session.get(Event, event.id), db.session.get(Account, organizer.id),
                            db.session.get(Need, needs.homework), db.session.get(Need, needs.doposcuola))
    return SimpleNamespace(event=event, organizer=organizer, facilitator=facilitator_ref, needs=needs,
                           tables=event.tables, organisations=SimpleNamespace(
                               municipality=municipality, volunteers=volunteers,
                               cooperative=cooperative, association=association))
