"""What clients are shown of a table: snapshots and messages, as plain dicts.

A snapshot is sent when a client connects or asks to resynchronise; the
broadcasts in between carry only what changed, each with the table version.
"""

from collections import defaultdict

from sqlalchemy import case, func, select

from workshop.contributions.models import Dot, Need
from workshop.contributions.results import (
    live_dot_counts,
    rank_table_needs,
    ranking,
    simulated_needs,
    simulated_participant_ids,
    table_need_links,
    table_needs,
    table_root,
)
from workshop.core.notify import console_room, notifier, participant_room, phones_room, projector_room
from workshop.events.models import Organisation
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.presence import presence

# Who is looking, which decides what of the live counts they see: phones
# see only their own dots until results are shown (no bandwagon), the
# projector sees the ranking from the vote on (unless the table hides results
# until they are revealed), the console always sees everything.
PHONE, PROJECTOR, CONSOLE = "phone", "projector", "console"


def need_payload(need, organisation_names=None, simulated=None):
    """A need as everyone sees it; "simulated" marks one a rehearsal posted.
    simulated: the ids of the simulated needs among those being sent, if known."""
    names = organisation_names if organisation_names is not None else _organisation_names([need])
    simulated = simulated if simulated is not None else simulated_needs([need])
    return {
        "id": need.id,
        "text": need.text,
        "at": need.created_at.isoformat(),
        "pinned": need.pinned,
        "organisation": names.get(need.organisation_id),
        "simulated": need.id in simulated,
    }


def console_need_payload(need, organisation_names, simulated=None):
    """A need as the facilitator's console sees it, moderation state included."""
    return {
        **need_payload(need, organisation_names, simulated),
        "hidden": need.hidden,
        "merged_into": need.merged_into_id,
        "original": need.original_text,
    }


def _organisation_names(needs):
    ids = {need.organisation_id for need in needs if need.organisation_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return dict(rows.all())


def visible_needs(table):
    """The needs phones and the projector show: not hidden, not merged into another."""
    needs = db.session.scalars(
        select(Need)
        .where(Need.table_id == table.id, Need.hidden.is_(False), Need.merged_into_id.is_(None))
        .order_by(Need.id)
    ).all()
    names, simulated = _organisation_names(needs), simulated_needs(needs)
    return [need_payload(need, names, simulated) for need in needs]


def console_needs(table):
    needs = db.session.scalars(select(Need).where(Need.table_id == table.id).order_by(Need.id)).all()
    names, simulated = _organisation_names(needs), simulated_needs(needs)
    return [console_need_payload(need, names, simulated) for need in needs]


def needs_changed(table):
    """Record the broadcast of the table's needs after moderation (a hide, a
    merge, a correction, a pin, a participant's edit): the whole list, which
    is short, to each audience as far as it may see it. Call after bump_version."""
    public = {"v": table.version, "needs": visible_needs(table)}
    notifier.emit(db.session, "needs", public, phones_room(table.id))
    notifier.emit(db.session, "needs", public, projector_room(table.id))
    notifier.emit(db.session, "needs", {"v": table.version, "needs": console_needs(table)}, console_room(table.id))


def my_state_message(table, participant_id):
    """Record the broadcast of one participant's own state to all their tabs."""
    membership = db.session.get(Membership, (participant_id, table.id))
    if membership is None:
        return
    db.session.refresh(membership)
    notifier.emit(db.session, "me", {"v": table.version, "me": my_state(table, membership)},
                  participant_room(participant_id))


def my_state(table, membership):
    """One participant's own state at the table: budget, live dots, needs."""
    my_dots = db.session.execute(
        select(Dot.need_id, func.count(Dot.id))
        .where(Dot.participant_id == membership.participant_id, Dot.table_id == table.id,
               Dot.set_aside_by_id.is_(None))
        .group_by(Dot.need_id)
    )
    my_needs = db.session.scalars(
        select(Need.id).where(Need.participant_id == membership.participant_id, Need.table_id == table.id)
    )
    # Dots on a merged need show on the need it was merged into.
    needs_by_id = table_need_links(table.id)
    dots = defaultdict(int)
    for need_id, count in my_dots:
        dots[str(table_root(needs_by_id[need_id], needs_by_id).id)] += count
    return {
        "budget": table.dots_per_participant,
        "left": table.dots_per_participant - membership.dots_used,
        "dots": dict(dots),
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
        "results_hidden": table.results_hidden,
        "revealed": table.results_revealed,
        "allow_table_change": table.event.allow_table_change,
        "open": table.event.is_open,
        "rehearsal": rehearsal_info(table),
    }


def simulated_members(table):
    """How many simulated participants (a rehearsal's) have joined the table."""
    return db.session.scalar(select(func.count()).where(
        Membership.table_id == table.id, Membership.participant_id.in_(simulated_participant_ids())))


def rehearsal_info(table):
    """{"running", "pace", "simulated"}: whether the rehearsal simulator runs at
    the table, at how many actions a minute, and how many simulated
    participants are there. Clients show the rehearsal banner while it runs or
    any simulated participant is left."""
    return {"running": table.rehearsal_pace is not None, "pace": table.rehearsal_pace,
            "simulated": simulated_members(table)}


def table_changed(table, members=False):
    """Record the broadcast of the table's own details after they changed (a
    reveal, new rules, the event opening or closing): to each audience with
    the ranking as far as it may now see it, so a reveal taken back also takes
    the ranking off phones. With `members`, every participant also gets their
    own state again (their budget may have changed). Call after bump_version."""
    info, full_ranking = table_info(table), ranking(table)
    for audience, room in ((PHONE, phones_room(table.id)), (PROJECTOR, projector_room(table.id)),
                           (CONSOLE, console_room(table.id))):
        message = {"v": table.version, "table": info,
                   "ranking": full_ranking if shows_ranking(table, audience) else None}
        notifier.emit(db.session, "table", message, room)
    if members:
        participant_ids = db.session.scalars(
            select(Membership.participant_id).where(Membership.table_id == table.id)
        ).all()
        for participant_id in participant_ids:
            my_state_message(table, participant_id)


def shows_ranking(table, audience):
    if audience == CONSOLE:
        return True
    if table.results_kept_hidden:
        return False
    if table.phase in (Phase.RESULTS, Phase.CLOSED):
        return True
    return audience == PROJECTOR and table.phase is Phase.VOTE


def table_snapshot(table, audience, membership=None):
    """Everything a client needs to draw the table from scratch."""
    snapshot = {
        "v": table.version,
        "table": table_info(table),
        "phase": table.phase.value,
        "timer": table.timer_state(),
        "needs": console_needs(table) if audience == CONSOLE else visible_needs(table),
        "ranking": ranking(table) if shows_ranking(table, audience) else None,
        "me": my_state(table, membership) if membership is not None else None,
    }
    if audience != PHONE:
        snapshot["counters"] = counters(table)
    return snapshot


def counters(table):
    """The live figures a projector shows: phones online, people joined (and,
    apart, simulated participants), needs, dots spent (simulated ones included)."""
    members = db.session.scalar(select(func.count()).where(Membership.table_id == table.id))
    return counters_from(table, table_needs(table.id), live_dot_counts([table.id]), members,
                         simulated_members(table))


def counters_from(table, needs, counts, members, simulated):
    """counters() from what it reads: all the table's needs, the live dots per
    need id, how many participants joined the table and how many of those are
    a rehearsal's. Needs counted are those shown (not hidden, not merged into
    another)."""
    return {
        "online": presence.online(table.id),
        "joined": members - simulated,
        "simulated": simulated,
        "needs": sum(1 for need in needs if need.merged_into_id is None and not need.hidden),
        "dots": sum(counts.get(need.id, 0) for need in needs),
    }


def table_tallies(table_ids):
    """The coalesced updates of changed tables (a notifier tally builder):
    counts and ranking to consoles and projectors, the ranking to phones once
    they may see it. The changed tables are read together, in five queries
    however many they are."""
    ids = sorted(table_ids)
    tables = db.session.scalars(select(WorkingTable).where(WorkingTable.id.in_(ids)).order_by(WorkingTable.id))
    needs_of = defaultdict(list)
    for need in db.session.scalars(select(Need).where(Need.table_id.in_(ids)).order_by(Need.id)):
        needs_of[need.table_id].append(need)
    counts = live_dot_counts(ids)
    simulated = simulated_needs([need for needs in needs_of.values() for need in needs])
    members = {
        table_id: (joined, simulated_joined or 0)
        for table_id, joined, simulated_joined in db.session.execute(
            select(Membership.table_id, func.count(), func.sum(case((Participant.simulated, 1), else_=0)))
            .join(Participant, Participant.id == Membership.participant_id)
            .where(Membership.table_id.in_(ids)).group_by(Membership.table_id)
        )
    }
    messages = []
    for table in tables:
        table_id = table.id
        live = counters_from(table, needs_of[table_id], counts, *members.get(table_id, (0, 0)))
        full_ranking = rank_table_needs(needs_of[table_id], counts, simulated)
        messages.append(("tally", console_room(table_id), {"v": table.version, "counters": live,
                                                           "ranking": full_ranking}))
        messages.append(("tally", projector_room(table_id), {
            "v": table.version, "counters": live,
            "ranking": full_ranking if shows_ranking(table, PROJECTOR) else None,
        }))
        if shows_ranking(table, PHONE):
            messages.append(("tally", phones_room(table_id), {"v": table.version, "ranking": full_ranking}))
    return messages
