"""What clients are shown of a table: snapshots and messages, as plain dicts.

A snapshot is sent when a client connects or asks to resynchronise; the
broadcasts in between carry only what changed, each with the table version.
"""

from sqlalchemy import func, select

from workshop.contributions.models import Dot, Need
from workshop.contributions.results import ranking, total_live_dots
from workshop.core.notify import console_room, phones_room, projector_room
from workshop.extensions import db
from workshop.participants.models import Membership
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.presence import presence

# Who is looking, which decides what of the live counts they see: phones
# see only their own dots until results are shown (no bandwagon), the
# projector sees the ranking from the vote on (unless the table hides results
# until they are revealed), the console always sees everything.
PHONE, PROJECTOR, CONSOLE = "phone", "projector", "console"


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
    if audience == CONSOLE:
        return True
    if table.results_hidden and not table.results_revealed:
        return False
    if table.phase in (Phase.RESULTS, Phase.CLOSED):
        return True
    return audience == PROJECTOR and table.phase is Phase.VOTE


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
    if audience != PHONE:
        snapshot["counters"] = counters(table)
    return snapshot


def counters(table):
    """The live figures a projector shows: phones online, joined, needs, dots spent."""
    joined = db.session.scalar(select(func.count()).where(Membership.table_id == table.id))
    needs = db.session.scalar(
        select(func.count(Need.id)).where(Need.table_id == table.id, Need.merged_into_id.is_(None),
                                          Need.hidden.is_(False))
    )
    dots = total_live_dots([table.id])
    return {"online": presence.online(table.id), "joined": joined, "needs": needs, "dots": dots}


def table_tallies(table_ids):
    """The coalesced updates of changed tables (a notifier tally builder):
    counts and ranking to consoles and projectors, the ranking to phones once
    they may see it."""
    messages = []
    for table_id in sorted(table_ids):
        table = db.session.get(WorkingTable, table_id)
        if table is None:
            continue
        live = counters(table)
        full_ranking = ranking(table)
        messages.append(("tally", console_room(table_id), {"v": table.version, "counters": live,
                                                           "ranking": full_ranking}))
        messages.append(("tally", projector_room(table_id), {
            "v": table.version, "counters": live,
            "ranking": full_ranking if shows_ranking(table, PROJECTOR) else None,
        }))
        if shows_ranking(table, PHONE):
            messages.append(("tally", phones_room(table_id), {"v": table.version, "ranking": full_ranking}))
    return messages
