"""What the plenary is shown: the event's snapshot, and its coalesced updates.

Every figure comes from workshop/contributions/results.py, the one place
rankings and counts are made, so the plenary can never disagree with a
table's projector or with an export. A rehearsal's simulated participants,
their needs and their dots count nowhere here (real_only).
"""

from sqlalchemy import func, select

from workshop.contributions.models import Need
from workshop.contributions.results import (
    organisations_present,
    theme_ranking,
    total_live_dots,
    without_rehearsal,
)
from workshop.core.notify import PLENARY_NAMESPACE, event_room, notifier
from workshop.events.models import Event, Theme
from workshop.extensions import db
from workshop.participants.models import Participant
from workshop.tables.models import WorkingTable

# Who is looking: the organizers' dashboard sees every table's results; the
# event projector, on the wall, only those a table's own projector may show
# (a table keeping its results hidden until revealed is left out until then).
DASHBOARD, SCREEN = "plenary", "screen"


def plenary_snapshot(event, audience=DASHBOARD):
    """Everything the dashboard or the event projector draws, from scratch:
    the event, each theme (in theme order) with its ranking across its tables
    and its tables' phases, and the event's live counters."""
    themes = []
    for theme in event.themes:
        names = {table.id: table.name for table in theme.tables}
        counted = [table for table in theme.tables if audience == DASHBOARD or not table.results_kept_hidden]
        themes.append({
            "id": theme.id,
            "name": theme.name,
            "colour": theme.colour,
            "position": theme.position,
            "ranking": _with_merge_details(theme_ranking(theme, counted, real_only=True), names),
            "tables": [{"id": table.id, "name": table.name, "phase": table.phase.value,
                        "results_kept_hidden": table.results_kept_hidden} for table in theme.tables],
        })
    return {
        "event": {"id": event.id, "title": event.title, "status": event.status.value},
        "themes": themes,
        "counters": _counters(event, themes),
    }


def _with_merge_details(ranking, table_names):
    """Add what the merge controls need to each entry: its own table ("table",
    where the need was posted) and the needs of other tables merged into it at
    the plenary ("theme_merged", each {"id", "text", "table"}), which can be
    split off again."""
    ids = {entry["id"] for entry in ranking} | {merged for entry in ranking for merged in entry["merged"]}
    needs = {need.id: need for need in db.session.scalars(select(Need).where(Need.id.in_(ids)))} if ids else {}
    for entry in ranking:
        own_table = needs[entry["id"]].table_id
        entry["table"] = {"id": own_table, "name": table_names.get(own_table, "")}
        entry["theme_merged"] = [
            {"id": member.id, "text": member.text, "table": table_names.get(member.table_id, "")}
            for member in (needs[merged] for merged in entry["merged"])
            if member.theme_merged_into_id is not None
        ]
    return ranking


def _counters(event, themes):
    participants = db.session.scalar(without_rehearsal(
        select(func.count(Participant.id)).where(Participant.event_id == event.id), Participant))
    return {
        "participants": participants,
        "organisations": len(organisations_present(event.id, real_only=True)),
        # The entries of the themes' rankings are the event's visible root
        # needs, as the plenary counts them (a need merged into another, at
        # its table or across tables, counts once).
        "needs": sum(len(theme["ranking"]) for theme in themes),
        "dots": total_live_dots([table.id for table in event.tables], real_only=True),
    }


def plenary_tallies(table_ids):
    """The coalesced plenary updates (a notifier tally builder): one fresh
    snapshot per audience and event that has a changed table, to the event's
    rooms in the plenary namespace, however many dots changed since the last
    flush; none for an audience with nobody watching."""
    event_ids = db.session.scalars(
        select(Theme.event_id).join(WorkingTable, WorkingTable.theme_id == Theme.id)
        .where(WorkingTable.id.in_(list(table_ids))).distinct().order_by(Theme.event_id)
    ).all()
    messages = []
    for event_id in event_ids:
        watched = [(audience, event_room(event_id, audience)) for audience in (DASHBOARD, SCREEN)
                   if notifier.may_have_listeners(event_room(event_id, audience), PLENARY_NAMESPACE)]
        event = db.session.get(Event, event_id) if watched else None
        if event is None:
            continue
        # The two audiences differ only by the tables keeping results hidden:
        # with none, one snapshot serves both.
        same_for_all = not any(table.results_kept_hidden for table in event.tables)
        built = {}
        for audience, room in watched:
            key = DASHBOARD if same_for_all else audience
            if key not in built:
                built[key] = plenary_snapshot(event, audience)
            messages.append(("plenary", room, built[key], PLENARY_NAMESPACE))
    return messages
