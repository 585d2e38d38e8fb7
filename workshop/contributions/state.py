"""What clients are shown of a table: snapshots and messages, as plain dicts.

A snapshot is sent when a client connects or asks to resynchronise; the
broadcasts in between carry only what changed, each with the table version.
"""

from sqlalchemy import func, select

from workshop.contributions.models import Dot, Need
from workshop.contributions.results import dot_counts, ranking
from workshop.core.notify import screens_room
from workshop.extensions import db
from workshop.participants.models import Membership
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.presence import presence

# What each kind of client sees of the live counts while the vote is open:
# phones see only their own dots (no bandwagon), screens see everything.
PHONE, SCREEN = "phone", "screen"


def need_payload(need):
    return {"id": need.id, "text": need.text, "at": need.created_at.isoformat()}


def my_state(table, membership):
    """One participant's own state at the table: budget, dots, needs."""
    my_dots = db.session.execute(
        select(Dot.need_id, func.count(Dot.id))
        .where(Dot.participant_id == membership.participant_id, Dot.table_id == table.id)
        .group_by(Dot.need_id)
    )
    my_needs = db.session.scalars(
        select(Need.id).where(Need.participant_id == membership.participant_id, Need.table_id == table.id)
    )
    return {
        "budget": table.dots_per_participant,
        "left": table.dots_per_participant - membership.dots_used,
        "dots": {str(need_id): count for need_id, count in my_dots},
        "needs": list(my_needs),
    }


def table_info(table):
    return {
        "id": table.id,
        "name": table.name,
        "code": table.join_code,
        "theme": table.theme.name,
        "colour": table.theme.colour,
        "event": table.event.title,
        "budget": table.dots_per_participant,
        "max_per_need": table.max_dots_per_need,
    }


def shows_ranking(table, audience):
    if table.phase in (Phase.RESULTS, Phase.CLOSED):
        return True
    return audience == SCREEN and table.phase is Phase.VOTE


def table_snapshot(table, audience, membership=None):
    """Everything a client needs to draw the table from scratch."""
    needs = db.session.scalars(select(Need).where(Need.table_id == table.id).order_by(Need.id))
    snapshot = {
        "v": table.version,
        "table": table_info(table),
        "phase": table.phase.value,
        "needs": [need_payload(need) for need in needs],
        "ranking": ranking(table) if shows_ranking(table, audience) else None,
        "me": my_state(table, membership) if membership is not None else None,
    }
    if audience == SCREEN:
        snapshot["counters"] = counters(table)
    return snapshot


def counters(table):
    """The live figures a projector shows: phones online, joined, needs, dots spent."""
    joined = db.session.scalar(select(func.count()).where(Membership.table_id == table.id))
    needs = db.session.scalar(select(func.count(Need.id)).where(Need.table_id == table.id))
    dots = sum(dot_counts(table.id).values())
    return {"online": presence.online(table.id), "joined": joined, "needs": needs, "dots": dots}


def phase_message(table, version):
    """The broadcast of a phase change; carries the ranking once results show to all."""
    return {
        "v": version,
        "phase": table.phase.value,
        "ranking": ranking(table) if shows_ranking(table, PHONE) else None,
    }


def tally_message(table_id):
    """The coalesced update for a table's screens: (room, payload), or None if the
    table is gone."""
    table = db.session.get(WorkingTable, table_id)
    if table is None:
        return None
    payload = {
        "v": table.version,
        "counters": counters(table),
        "ranking": ranking(table) if shows_ranking(table, SCREEN) else None,
    }
    return screens_room(table_id), payload
