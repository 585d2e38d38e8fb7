"""Loading the demo event (workshop/demo/content.py) and removing it.

The demo is built through the app's own operations, as people would make it:
the organizer creates the event, its themes and tables and opens it; demo
participants (with no phone: no device digest) post needs and spend dots; the
organizer moves each table through its phases, merges, corrects and hides at
review, and merges one need across tables at the plenary. Budgets, caps and
phases hold as for anyone. Random choices come from random.Random(seed): the
same seed gives the same people, needs, dots and rankings.
"""

import logging
import random
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select

from workshop.contributions.merging import merge_across_tables, merge_needs
from workshop.contributions.models import Need
from workshop.contributions.moderation import correct_need, hide_need
from workshop.contributions.operations import cast_dot, post_need
from workshop.core.errors import InvalidInput
from workshop.demo.content import (
    EVENT_TITLE,
    EVENT_VENUE,
    FIRST_NAMES,
    INITIALS,
    LANGUAGES,
    ORGANISATIONS,
    THEMES,
    organisation_keys,
)
from workshop.events.models import Event, EventStatus, Organisation, event_organisation, event_organizer
from workshop.events.operations import add_theme, change_event_status, create_event
from workshop.events.organisations import import_organisations
from workshop.events.privacy import delete_event
from workshop.extensions import db
from workshop.participants.models import Participant
from workshop.participants.operations import seat_participant
from workshop.tables.models import Phase
from workshop.tables.operations import add_table, change_phase

log = logging.getLogger(__name__)

DEFAULT_SEED = 2026
DOTS_PER_PARTICIPANT = 3


def demo_events(organizer=None):
    """The demo events (of one organizer, if given), Italian first."""
    query = select(Event).where(Event.is_demo.is_(True))
    if organizer is not None:
        query = query.join(event_organizer, event_organizer.c.event_id == Event.id).where(
            event_organizer.c.account_id == organizer.id)
    return sorted(db.session.scalars(query).all(), key=lambda event: (event.language != "it", event.id))


def build_demo(organizer, seed=DEFAULT_SEED, today=None):
    """Make the demo event for `organizer`: the Italian event and its English
    twin, both live and marked as a demo. Refused if they already have one.
    Returns the events, Italian first."""
    existing = demo_events(organizer)
    if existing:
        raise InvalidInput(_l("You already have the demo event: open it from your events, or remove it first."),
                           code="demo_exists")
    events = [_build_event(organizer, language, random.Random(seed), today or date.today())
              for language in LANGUAGES]
    log.info("demo built", extra={"account": organizer.id, "seed": seed, "events": [event.id for event in events]})
    return events


def _build_event(organizer, language, rng, today):
    pick = language.pick
    event = create_event(organizer, pick(EVENT_TITLE), starts_on=today, venue=pick(EVENT_VENUE),
                         language=language.code, dots_per_participant=DOTS_PER_PARTICIPANT, max_dots_per_need=1)
    event.is_demo = True
    import_organisations(organizer, "\n".join(f"{name};{kind.value}" for name, kind in ORGANISATIONS), event)
    tables = []
    for demo_theme in THEMES:
        theme = add_theme(event, pick(demo_theme.name), demo_theme.colour, pick(demo_theme.description))
        tables.append([(add_table(theme, pick(spec.name)), spec) for spec in demo_theme.tables])
    change_event_status(event, organizer, EventStatus.LIVE)
    organisations = list(event.organisations)
    posted = {}
    for theme_index, theme_tables in enumerate(tables):
        for table_index, (table, spec) in enumerate(theme_tables):
            posted[theme_index, table_index] = _run_table(organizer, table, spec, pick, rng, organisations)
    for theme_index, demo_theme in enumerate(THEMES):
        if demo_theme.plenary_merge:
            (source_table, source), (target_table, target) = demo_theme.plenary_merge
            merge_across_tables(event, organizer, posted[theme_index, source_table][source],
                                posted[theme_index, target_table][target])
    return event


def _participant(table, rng, organisations):
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}." if rng.random() < 0.5 else None
    organisation = rng.choice(organisations) if rng.random() < 0.85 else None
    participant, _membership = seat_participant(table, name, organisation.id if organisation else None)
    return participant


def _run_table(organizer, table, spec, pick, rng, organisations):
    """Seat the table's people, post its needs and take it to its phase; returns the needs in order."""
    people = [_participant(table, rng, organisations) for _ in range(spec.participants)]
    needs = []
    for index, demo_need in enumerate(spec.needs):
        text = pick(demo_need.posted_as or (demo_need.it, demo_need.en))
        answer = post_need(table, people[index % len(people)], text, client_id=f"demo-{table.id}-{index}")
        needs.append(db.session.get(Need, answer["need"]["id"]))
    if spec.phase is Phase.COLLECT:
        return needs
    change_phase(table, organizer, Phase.REVIEW, expected=Phase.COLLECT)
    for need, demo_need in zip(needs, spec.needs, strict=True):
        if demo_need.merge_into is not None:
            merge_needs(table, organizer, need, needs[demo_need.merge_into])
        if demo_need.hidden:
            hide_need(table, organizer, need)
        if demo_need.posted_as:
            correct_need(table, organizer, need, pick((demo_need.it, demo_need.en)))
    if spec.phase is Phase.REVIEW:
        return needs
    change_phase(table, organizer, Phase.VOTE, expected=Phase.REVIEW)
    choices = [(need, demo_need.weight) for need, demo_need in zip(needs, spec.needs, strict=True)
               if demo_need.merge_into is None and not demo_need.hidden]
    voters = people[:round(len(people) * spec.voted)]
    for number, person in enumerate(voters):
        for need in _preferences(rng, choices, rng.choice((2, 3, 3, 3))):
            cast_dot(table, person, need.id, client_id=f"demo-{table.id}-dot-{number}-{need.id}")
    if spec.phase is Phase.RESULTS:
        change_phase(table, organizer, Phase.RESULTS, expected=Phase.VOTE)
    return needs


def _preferences(rng, choices, count):
    """`count` different needs, drawn by weight: what one person gives their dots to."""
    left, chosen = list(choices), []
    while left and len(chosen) < count:
        need, weight = rng.choices(left, weights=[weight for _need, weight in left])[0]
        chosen.append(need)
        left = [(other, w) for other, w in left if other is not need]
    return chosen


def remove_demo(actor=None, organizer=None):
    """Delete the demo events (every one, or those of `organizer`) with all
    they hold, and the demo's organisations that nothing else refers to any
    more (no other event, participant or need). Live demo events are closed
    first, so their phones and screens hear it. Returns what was removed:
    {"events": [ids], "organisations": n}."""
    events = demo_events(organizer)
    organisation_ids = {organisation.id for event in events for organisation in event.organisations}
    removed = []
    for event in events:
        if event.status is EventStatus.LIVE:
            change_event_status(event, actor, EventStatus.CLOSED)
        removed.append(event.id)
        delete_event(event, actor)
    unused = select(Organisation.id).where(
        Organisation.id.in_(organisation_ids),
        Organisation.name_key.in_(organisation_keys()),
        ~exists().where(event_organisation.c.organisation_id == Organisation.id),
        ~exists().where(Participant.organisation_id == Organisation.id),
        ~exists().where(Need.organisation_id == Organisation.id),
    )
    gone = db.session.execute(delete(Organisation).where(Organisation.id.in_(unused)),
                              execution_options={"synchronize_session": False}).rowcount
    db.session.expire_all()
    log.info("demo removed", extra={"account": actor.id if actor else None, "events": removed,
                                    "organisations": gone})
    return {"events": removed, "organisations": gone}
