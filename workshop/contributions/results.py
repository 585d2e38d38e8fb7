"""The results of a table and of a theme: the one place counts and rankings come from.

The projector, the console, the phones, the plenary and every export read
these functions, so they cannot disagree.

How merges and hides count:
- a dot counts while it is live (not set aside by a merge or a hide);
- a need merged into another of its table (merged_into_id) counts for that
  one: a table's ranking lists its visible root needs, each with the dots of
  its whole group;
- at the plenary a root need merged into a need of another table of the same
  theme (theme_merged_into_id) counts for that one there, while each table's
  own ranking is left as the table voted it.

What a rehearsal's simulated participants did (workshop/tables/rehearsal.py)
counts at its table (its console and projector show it: that is the point of
rehearsing) and nowhere else: the plenary and every export ask with
real_only=True, which leaves out, by one rule (without_rehearsal), simulated
participants, the needs they posted and every dot they cast.
"""

from collections import defaultdict

from sqlalchemy import func, or_, select, union

from workshop.contributions.models import Dot, Need
from workshop.events.models import Theme
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.tables.models import WorkingTable


def simulated_participant_ids():
    """The ids of every simulated participant, as a subquery."""
    return select(Participant.id).where(Participant.simulated.is_(True))


def simulated_need_ids():
    """The ids of every need a simulated participant posted, as a subquery."""
    return select(Need.id).where(Need.participant_id.in_(simulated_participant_ids()))


def without_rehearsal(query, model):
    """query, leaving out what a rehearsal's simulated participants are or did:
    themselves (model Participant), their memberships, their needs, and every
    dot they cast (also on real people's needs) or that was cast on their
    needs. The one rule the plenary and the exports count by."""
    if model is Participant:
        return query.where(Participant.simulated.is_(False))
    author = {Need: Need.participant_id, Dot: Dot.participant_id, Membership: Membership.participant_id}[model]
    query = query.where(or_(author.is_(None), author.not_in(simulated_participant_ids())))
    if model is Dot:
        query = query.where(Dot.need_id.not_in(simulated_need_ids()))
    return query


def _counted(query, model, real_only):
    return without_rehearsal(query, model) if real_only else query


def live_dot_counts(table_ids, real_only=False):
    """{need id: live dots} for the needs of these tables that have any."""
    query = (select(Dot.need_id, func.count(Dot.id))
             .where(Dot.table_id.in_(list(table_ids)), Dot.set_aside_by_id.is_(None))
             .group_by(Dot.need_id))
    return {need_id: count for need_id, count in db.session.execute(_counted(query, Dot, real_only))}


def table_root(need, needs_by_id):
    """The need this one counts for at its table (itself unless merged)."""
    seen = set()
    while need.merged_into_id is not None and need.merged_into_id in needs_by_id and need.id not in seen:
        seen.add(need.id)
        need = needs_by_id[need.merged_into_id]
    return need


def theme_root(need, needs_by_id):
    """The need this one counts for at the plenary of its theme. A plenary
    merge into a need hidden since at its table is set aside until it shows
    again: the need then counts on its own."""
    need = table_root(need, needs_by_id)
    seen = set()
    while (need.theme_merged_into_id is not None and need.theme_merged_into_id in needs_by_id
           and need.id not in seen):
        target = table_root(needs_by_id[need.theme_merged_into_id], needs_by_id)
        if target.hidden:
            break
        seen.add(need.id)
        need = target
    return need


def _ranked(entries):
    """Sort entries most dots first (ties in the order posted) and give ranks
    that ties share (1, 2, 2, 4)."""
    ordered = sorted(entries, key=lambda entry: (-entry["dots"], entry["id"]))
    previous_dots, rank = None, 0
    for position, entry in enumerate(ordered, start=1):
        if entry["dots"] != previous_dots:
            rank, previous_dots = position, entry["dots"]
        entry["rank"] = rank
    return ordered


def table_needs(table_id, real_only=False):
    query = select(Need).where(Need.table_id == table_id).order_by(Need.id)
    return db.session.scalars(_counted(query, Need, real_only)).all()


def table_need_links(table_id):
    """{need id: (id, merged_into_id, hidden)} for every need of the table:
    what table_root needs to follow merges, without loading whole needs (a
    dot reads it, and a table may hold a hundred needs)."""
    rows = db.session.execute(
        select(Need.id, Need.merged_into_id, Need.hidden).where(Need.table_id == table_id)
    )
    return {row.id: row for row in rows}


def simulated_needs(needs):
    """The ids of those of these needs that simulated participants posted."""
    authors = {need.participant_id for need in needs if need.participant_id is not None}
    if not authors:
        return set()
    simulated = set(db.session.scalars(
        select(Participant.id).where(Participant.id.in_(authors), Participant.simulated.is_(True))))
    return {need.id for need in needs if need.participant_id in simulated}


def ranking(table, real_only=False):
    """The table's visible needs, most dots first, each with the dots of every
    need merged into it; "simulated" marks a need a rehearsal posted."""
    needs = table_needs(table.id, real_only)
    return rank_table_needs(needs, live_dot_counts([table.id], real_only),
                            set() if real_only else simulated_needs(needs))


def rank_table_needs(needs, counts, simulated):
    """ranking() from what it reads: all the needs of one table (in the order
    posted), the live dots per need id (other tables' may be included) and the
    ids of the simulated needs among them, so that the coalesced tallies can
    read many tables at once."""
    by_id = {need.id: need for need in needs}
    groups = defaultdict(list)
    for need in needs:
        groups[table_root(need, by_id).id].append(need)
    entries = [
        {
            "id": root_id,
            "text": by_id[root_id].text,
            "dots": sum(counts.get(member.id, 0) for member in members),
            "merged": [member.id for member in members if member.id != root_id],
            "pinned": by_id[root_id].pinned,
            "simulated": root_id in simulated,
        }
        for root_id, members in groups.items()
        if not by_id[root_id].hidden
    ]
    return _ranked(entries)


def organisations_present(event_id, table_ids=None, real_only=False):
    """The ids of the organisations present at an event (or at some of its
    tables): those its participants chose and those needs were posted on behalf of."""
    chosen = select(Participant.organisation_id).where(
        Participant.event_id == event_id, Participant.organisation_id.is_not(None)
    )
    posted = select(Need.organisation_id).where(Need.organisation_id.is_not(None))
    if table_ids is None:
        posted = posted.join(WorkingTable, WorkingTable.id == Need.table_id).join(
            Theme, Theme.id == WorkingTable.theme_id).where(Theme.event_id == event_id)
    else:
        chosen = chosen.where(Participant.id.in_(
            select(Membership.participant_id).where(Membership.table_id.in_(list(table_ids)))))
        posted = posted.where(Need.table_id.in_(list(table_ids)))
    chosen, posted = _counted(chosen, Participant, real_only), _counted(posted, Need, real_only)
    return set(db.session.scalars(union(chosen, posted)))


def total_live_dots(table_ids, real_only=False):
    return sum(live_dot_counts(table_ids, real_only).values())


def theme_ranking(theme, tables=None, real_only=False):
    """A theme's needs across its tables (all, or those given), for the
    plenary: each entry with its dots, the share of its tables' dots it took,
    and the tables that raised it."""
    tables = {table.id: table for table in (theme.tables if tables is None else tables)}
    if not tables:
        return []
    query = select(Need).where(Need.table_id.in_(list(tables))).order_by(Need.id)
    needs = db.session.scalars(_counted(query, Need, real_only)).all()
    by_id = {need.id: need for need in needs}
    counts = live_dot_counts(tables, real_only)
    table_totals = defaultdict(int)
    for need in needs:
        table_totals[need.table_id] += counts.get(need.id, 0)
    groups = defaultdict(list)
    for need in needs:
        root = table_root(need, by_id)
        if root.hidden:
            continue
        groups[theme_root(need, by_id).id].append(need)
    entries = []
    for root_id, members in groups.items():
        root = by_id[root_id]
        if root.hidden:
            continue
        raised_at = sorted({member.table_id for member in members})
        dots = sum(counts.get(member.id, 0) for member in members)
        pool = sum(table_totals[table_id] for table_id in raised_at)
        entries.append({
            "id": root_id,
            "text": root.text,
            "dots": dots,
            "share": round(dots / pool, 4) if pool else 0.0,
            "tables": [{"id": table_id, "name": tables[table_id].name} for table_id in raised_at],
            "table_count": len(raised_at),
            "merged": [member.id for member in members if member.id != root_id],
        })
    return _ranked(entries)
