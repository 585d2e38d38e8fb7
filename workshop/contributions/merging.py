"""Merging needs that say the same thing, within a table and across the tables
of a theme, and the dot rules that go with it: the only place dots are set
aside and given back.

A merged need keeps its own dots (Dot.need_id never changes); they count for
the need it was merged into (workshop/contributions/results.py). A
participant may not end up with more dots on the merged group than the
table's "most dots per need": the extra ones are set aside (refunded to
their budget), marked with the log entry of the merge, so an unmerge gives
exactly those back. A hide sets aside every dot of the hidden need the same
way (workshop/contributions/moderation.py).
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from workshop.contributions.budget import refund_dot, spend_dot
from workshop.contributions.models import Dot, Need
from workshop.contributions.results import simulated_needs, table_root, theme_root
from workshop.contributions.state import my_state_message, needs_changed
from workshop.core.errors import InvalidInput, NotFound, WrongPhase
from workshop.core.notify import notifier
from workshop.extensions import db
from workshop.tables.models import FacilitationLog, Phase, WorkingTable
from workshop.tables.operations import bump_version, log_action


def table_need(table, need_id):
    """A need of this table, or NotFound."""
    need = db.session.get(Need, need_id) if isinstance(need_id, int) else None
    if need is None or need.table_id != table.id:
        raise NotFound(_l("That need is not on this table."), code="need_not_found")
    return need


def require_open_table(table):
    if table.phase is Phase.CLOSED or table.event.is_read_only:
        raise WrongPhase(_l("This table is closed: its needs can no longer change."), code="table_closed")


def _needs_of_tables(table_ids):
    needs = db.session.scalars(select(Need).where(Need.table_id.in_(list(table_ids)))).all()
    return {need.id: need for need in needs}


# -- setting dots aside and giving them back ---------------------------------

def set_aside_dots(dots, entry):
    """Set these live dots aside for the log entry `entry`, refunding each to
    its participant's budget at its table. Returns the participants touched."""
    touched = set()
    for dot in dots:
        # Conditional: a dot another transaction has just taken back or set
        # aside (possible on PostgreSQL) is not refunded a second time.
        if _move_dot(dot, entry_now=None, entry_after=entry.id):
            refund_dot(dot.participant_id, dot.table_id)
            touched.add((dot.participant_id, dot.table_id))
    db.session.flush()
    return touched


def _move_dot(dot, entry_now, entry_after):
    """Set the dot's set_aside_by from `entry_now` to `entry_after`, only if
    it still is `entry_now`; whether it was."""
    now = Dot.set_aside_by_id.is_(None) if entry_now is None else Dot.set_aside_by_id == entry_now
    return db.session.execute(
        update(Dot).where(Dot.id == dot.id, now).values(set_aside_by_id=entry_after)
    ).rowcount == 1


def set_aside_excess(group_ids, cap, entry, prefer):
    """For every participant with more than `cap` live dots on the needs
    `group_ids`, set the extra aside, taking dots on the `prefer` needs
    (the side being merged in) first, newest first."""
    dots = db.session.scalars(
        select(Dot).where(Dot.need_id.in_(list(group_ids)), Dot.set_aside_by_id.is_(None)).order_by(Dot.id)
    ).all()
    by_participant = defaultdict(list)
    for dot in dots:
        by_participant[dot.participant_id].append(dot)
    extra = []
    for held in by_participant.values():
        if len(held) > cap:
            held.sort(key=lambda dot: (dot.need_id in prefer, dot.id), reverse=True)
            extra.extend(held[: len(held) - cap])
    return set_aside_dots(extra, entry)


def restore_dots(entries, group_of):
    """Give back the dots set aside by these log entries, each only if its
    need is visible now and its participant still has a dot free in their
    budget and room under the cap on the need's group (they may have spent
    the refund meanwhile: then the dot stays aside).

    group_of(need_id) -> (need ids of its group, cap), or None while the need
    does not show (hidden, or merged into a hidden need)."""
    entry_ids = [entry.id for entry in entries]
    if not entry_ids:
        return set()
    dots = db.session.scalars(select(Dot).where(Dot.set_aside_by_id.in_(entry_ids)).order_by(Dot.id)).all()
    touched = set()
    for dot in dots:
        group = group_of(dot.need_id)
        if group is None:
            continue
        need_ids, cap = group
        entry_id = dot.set_aside_by_id
        if not spend_dot(dot.participant_id, db.session.get(WorkingTable, dot.table_id)):
            continue
        # Counted after the spend, which holds the participant's row.
        on_group = db.session.scalar(
            select(func.count(Dot.id)).where(
                Dot.participant_id == dot.participant_id, Dot.need_id.in_(list(need_ids)),
                Dot.set_aside_by_id.is_(None),
            )
        )
        if on_group >= cap or not _move_dot(dot, entry_now=entry_id, entry_after=None):
            refund_dot(dot.participant_id, dot.table_id)
            continue
        touched.add((dot.participant_id, dot.table_id))
    db.session.flush()
    return touched


def announce_dot_changes(tables, touched):
    """Bump the versions of the tables whose needs or dots changed, tell their
    clients, and send each touched participant their own new state."""
    for table in tables:
        bump_version(table)
        needs_changed(table)
        notifier.tally_changed(db.session, table.id)
    for participant_id, table_id in sorted(touched):
        my_state_message(db.session.get(WorkingTable, table_id), participant_id)


# -- within a table -----------------------------------------------------------

def _visible_root(need, needs_by_id):
    if table_root(need, needs_by_id).id != need.id:
        raise InvalidInput(_l("That need is already merged into another one."), code="need_merged")
    if need.hidden:
        raise InvalidInput(_l("That need is hidden: show it again first."), code="need_hidden")


def merge_needs(table, actor, source, target):
    """Merge `source` into `target` (two visible needs of the table): source's
    dots count for target from now on, with any participant's dots on the two
    capped at the table's most-dots-per-need (the extra refunded)."""
    require_open_table(table)
    if source.id == target.id:
        raise InvalidInput(_l("Pick two different needs to merge."), code="merge_same_need")
    needs_by_id = _needs_of_tables([table.id])
    _visible_root(source, needs_by_id)
    _visible_root(target, needs_by_id)
    source.merged_into_id = target.id
    db.session.flush()
    entry = log_action(table.event, actor, "merge", table=table, need=source, into=target.id)
    group = [need.id for need in needs_by_id.values() if table_root(need, needs_by_id).id == target.id]
    source_side = {need.id for need in needs_by_id.values() if _leads_to(need, source.id, needs_by_id)}
    touched = set_aside_excess(group, table.max_dots_per_need, entry, prefer=source_side)
    announce_dot_changes([table], touched)
    return target


def _leads_to(need, ancestor_id, needs_by_id):
    seen = set()
    while need is not None and need.id not in seen:
        if need.id == ancestor_id:
            return True
        seen.add(need.id)
        need = needs_by_id.get(need.merged_into_id) if need.merged_into_id else None
    return False


def unmerge_need(table, actor, need):
    """Split a merged need out again, giving back the dots its merge set aside
    where the participant's budget and the cap still allow."""
    require_open_table(table)
    if need.merged_into_id is None:
        raise InvalidInput(_l("That need is not merged into another one."), code="need_not_merged")
    needs_by_id = _needs_of_tables([table.id])
    if table_root(need, needs_by_id).hidden:
        raise InvalidInput(_l("That need is hidden: show it again first."), code="need_hidden")
    former_target = need.merged_into_id
    need.merged_into_id = None
    db.session.flush()
    log_action(table.event, actor, "unmerge", table=table, need=need, **{"from": former_target})
    touched = restore_dots(_log_entries("merge", need), table_group_of(table, needs_by_id))
    announce_dot_changes([table], touched)
    return need


def table_group_of(table, needs_by_id):
    """A group_of for restore_dots at one table: the needs counting together
    with a need now (its table root's group), under the table's cap."""

    def group_of(need_id):
        root = table_root(needs_by_id[need_id], needs_by_id)
        if root.hidden:
            return None
        return [other.id for other in needs_by_id.values() if table_root(other, needs_by_id).id == root.id], \
            table.max_dots_per_need

    return group_of


def plenary_group(need, needs_by_id, tables):
    """The needs counting together with `need` at the plenary of its theme,
    and the cap on them: the smallest of their tables' most dots per need,
    whichever way the merge was made. needs_by_id: the theme's needs;
    tables: the theme's tables by id."""
    root = theme_root(need, needs_by_id)
    group = [other.id for other in needs_by_id.values() if theme_root(other, needs_by_id).id == root.id]
    return group, min(tables[needs_by_id[member].table_id].max_dots_per_need for member in group)


def _log_entries(action, need):
    return db.session.scalars(
        select(FacilitationLog).where(FacilitationLog.action == action, FacilitationLog.need_id == need.id)
    ).all()


# -- across the tables of a theme (the plenary) -------------------------------

def merge_across_tables(event, actor, source, target):
    """At the plenary, merge `source` into `target`: visible needs of two
    different tables of the same theme. The same dot rules as within a table,
    under the smaller of the two tables' caps."""
    source_table = db.session.get(WorkingTable, source.table_id)
    target_table = db.session.get(WorkingTable, target.table_id)
    for table in (source_table, target_table):
        if table.event.id != event.id:
            raise NotFound(_l("That need is not part of this event."), code="need_not_found")
    if event.is_read_only:
        raise WrongPhase(_l("This event is closed: its results can no longer change."), code="event_closed")
    if source_table.id == target_table.id:
        raise InvalidInput(_l("These needs are at the same table: merge them from the table's console."),
                           code="merge_same_table")
    if source_table.theme_id != target_table.theme_id:
        raise InvalidInput(_l("Only needs of the same theme can be merged."), code="merge_other_theme")
    if simulated_needs([source, target]):
        # A rehearsal's needs are not at the plenary: nothing real may be merged with them there.
        raise NotFound(_l("That need is not part of this event."), code="need_not_found")
    tables = {table.id: table for table in source_table.theme.tables}
    needs_by_id = _needs_of_tables(tables)
    for need in (source, target):
        _visible_root(need, needs_by_id)
        if theme_root(need, needs_by_id).id != need.id:
            raise InvalidInput(_l("That need is already merged into another one."), code="need_merged")
    source.theme_merged_into_id = target.id
    db.session.flush()
    entry = log_action(event, actor, "theme_merge", need=source, into=target.id)
    group, cap = plenary_group(target, needs_by_id, tables)
    source_side = {need_id for need_id in group if needs_by_id[need_id].table_id == source.table_id}
    touched = set_aside_excess(group, cap, entry, prefer=source_side)
    announce_dot_changes([source_table, target_table], touched)
    return target


def unmerge_across_tables(event, actor, need):
    """Undo a plenary merge of `need`, giving back the dots it set aside."""
    table = db.session.get(WorkingTable, need.table_id)
    if table.event.id != event.id:
        raise NotFound(_l("That need is not part of this event."), code="need_not_found")
    if event.is_read_only:
        raise WrongPhase(_l("This event is closed: its results can no longer change."), code="event_closed")
    if need.theme_merged_into_id is None:
        raise InvalidInput(_l("That need is not merged into another one."), code="need_not_merged")
    target = db.session.get(Need, need.theme_merged_into_id)
    need.theme_merged_into_id = None
    db.session.flush()
    log_action(event, actor, "theme_unmerge", need=need, **{"from": target.id})
    tables = {t.id: t for t in table.theme.tables}
    needs_by_id = _needs_of_tables(tables)

    def group_of(need_id):
        if table_root(needs_by_id[need_id], needs_by_id).hidden:
            return None
        return plenary_group(needs_by_id[need_id], needs_by_id, tables)

    touched = restore_dots(_log_entries("theme_merge", need), group_of)
    affected = {table.id: table, target.table_id: tables[target.table_id]}
    announce_dot_changes(list(affected.values()), touched)
    return need
