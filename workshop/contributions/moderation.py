"""Moderation of a table's needs by its facilitators: hide and show again,
correct the text (keeping the original), pin. Merges are in merging.py.

Every action is logged with who did it; a hide sets the hidden need's dots
aside (refunded) and showing it again gives back those the budget still allows.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workshop.contributions.merging import (
    announce_dot_changes,
    require_open_table,
    restore_dots,
    set_aside_dots,
    table_group_of,
)
from workshop.contributions.models import Dot
from workshop.contributions.operations import normalise_need_text
from workshop.contributions.results import table_needs, table_root
from workshop.contributions.state import needs_changed
from workshop.core.errors import InvalidInput
from workshop.core.notify import notifier
from workshop.extensions import db
from workshop.tables.models import FacilitationLog
from workshop.tables.operations import bump_version, log_action


def _group(table, need):
    needs_by_id = {other.id: other for other in table_needs(table.id)}
    return [other.id for other in needs_by_id.values() if table_root(other, needs_by_id).id == need.id]


def _require_root(need):
    if need.merged_into_id is not None:
        raise InvalidInput(_l("That need is merged into another one: act on that one, or unmerge it first."),
                           code="need_merged")


def hide_need(table, actor, need):
    """Take a need (and whatever was merged into it) off phones and the
    projector; its dots go back to their givers."""
    require_open_table(table)
    _require_root(need)
    if need.hidden:
        raise InvalidInput(_l("That need is already hidden."), code="need_hidden")
    need.hidden = True
    entry = log_action(table.event, actor, "hide", table=table, need=need)
    dots = db.session.scalars(
        select(Dot).where(Dot.need_id.in_(_group(table, need)), Dot.set_aside_by_id.is_(None))
    ).all()
    announce_dot_changes([table], set_aside_dots(dots, entry))
    return need


def unhide_need(table, actor, need):
    require_open_table(table)
    if not need.hidden:
        raise InvalidInput(_l("That need is not hidden."), code="need_not_hidden")
    need.hidden = False
    db.session.flush()
    log_action(table.event, actor, "unhide", table=table, need=need)
    hides = db.session.scalars(
        select(FacilitationLog).where(FacilitationLog.action == "hide", FacilitationLog.need_id == need.id)
    ).all()
    needs_by_id = {other.id: other for other in table_needs(table.id)}
    touched = restore_dots(hides, table_group_of(table, needs_by_id))
    announce_dot_changes([table], touched)
    return need


def correct_need(table, actor, need, text):
    """Fix a need's text (a typo, a clearer wording); the first text stays on record."""
    require_open_table(table)
    corrected = normalise_need_text(text)
    if corrected == need.text:
        return need
    log_action(table.event, actor, "correct", table=table, need=need, before=need.text, after=corrected)
    if need.original_text is None:
        need.original_text = need.text
    need.text = corrected
    _announce(table)
    return need


def pin_need(table, actor, need, pinned=True):
    """Keep a need at the top of the wall (or let it go back in line)."""
    require_open_table(table)
    _require_root(need)
    if need.pinned == bool(pinned):
        return need
    need.pinned = bool(pinned)
    log_action(table.event, actor, "pin" if pinned else "unpin", table=table, need=need)
    _announce(table)
    return need


def _announce(table):
    bump_version(table)
    needs_changed(table)
    notifier.tally_changed(db.session, table.id)
