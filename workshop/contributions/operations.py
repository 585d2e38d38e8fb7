"""Posting needs and spending dots: the rules of a table, and only here.

Every function runs inside the caller's unit of work (one transaction) and
takes the actor explicitly. The dot budget is enforced by a conditional
update of the participant's counter in the same transaction as the dot, so no
number of concurrent requests can spend more than the budget.
"""

from functools import wraps

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from workshop.contributions.budget import refund_dot, spend_dot
from workshop.contributions.merging import plenary_group
from workshop.contributions.models import NEED_MAX_LENGTH, ClientAction, Dot, Need
from workshop.contributions.results import table_need_links, table_root
from workshop.contributions.state import my_state, my_state_message, need_payload, needs_changed
from workshop.core.errors import (
    ActionIdReused,
    BudgetExceeded,
    InvalidInput,
    NeedCapReached,
    NoDotToWithdraw,
    NotAllowed,
    NotFound,
    NotJoined,
    WrongPhase,
)
from workshop.core.notify import notifier, participant_room, table_room
from workshop.core.validation import normalise_text
from workshop.extensions import db
from workshop.participants.models import Membership
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.operations import bump_version


def normalise_need_text(raw):
    """A need's text as stored (workshop.core.validation.normalise_text: NFC, no
    control, format or surrogate characters, single spaces), 1 to NEED_MAX_LENGTH characters."""
    if not isinstance(raw, str):
        raise InvalidInput(_l("Write the need as text."), code="text_invalid")
    text = normalise_text(raw)
    if not text:
        raise InvalidInput(_l("Write the need before sending it."), code="text_empty")
    if len(text) > NEED_MAX_LENGTH:
        raise InvalidInput(
            _l("A need can be at most %(n)d characters long (this one has %(length)d).",
               n=NEED_MAX_LENGTH, length=len(text)),
            code="text_too_long",
        )
    return text


def recorded_answer(participant_id, client_id, kind):
    """The answer a participant's action of this kind got when it was done, or
    None if no action with this id was done; ActionIdReused if the id was used
    for another kind of action."""
    earlier = db.session.scalar(
        select(ClientAction).where(ClientAction.participant_id == participant_id, ClientAction.client_id == client_id)
    )
    if earlier is None:
        return None
    if earlier.kind != kind:
        raise ActionIdReused()
    return earlier.result


def idempotent(kind):
    """Make an operation answer a repeated client action id with the first answer.

    The wrapped operation takes (table, participant, ..., client_id=...). Only
    successful actions are recorded: a refused one may be sent again.
    """

    def decorate(operation):
        @wraps(operation)
        def wrapper(table, participant, *args, client_id, **kwargs):
            earlier = recorded_answer(participant.id, client_id, kind)
            if earlier is not None:
                return earlier
            result = operation(table, participant, *args, **kwargs)
            db.session.add(
                ClientAction(participant_id=participant.id, client_id=client_id, kind=kind, result=result)
            )
            db.session.flush()
            return result

        return wrapper

    return decorate


def _membership(table, participant):
    membership = db.session.get(Membership, (participant.id, table.id))
    if membership is None:
        raise NotJoined()
    # A rehearsal's simulated participants act in a draft event too (phones cannot join one yet).
    rehearsing = participant.simulated and not table.event.is_read_only
    if not (table.event.is_open or rehearsing):
        raise WrongPhase(_l("The event is not open: nothing can be posted or voted now."), code="event_not_open")
    return membership


def _require_phase(table, phase):
    if table.phase is not phase:
        if phase is Phase.COLLECT:
            raise WrongPhase(_l("Needs can be posted or changed only while the table is collecting them."))
        raise WrongPhase(_l("Dots can be given or taken back only while the vote is open."))


def _dot_group(table, need_id):
    """The visible need a dot on need_id counts for, and the ids of its whole
    group: a dot sent for a need merged meanwhile follows it into the merge."""
    needs_by_id = table_need_links(table.id)
    need = needs_by_id.get(need_id) if isinstance(need_id, int) else None
    if need is None:
        raise NotFound(_l("That need is not on this table."), code="need_not_found")
    root = table_root(need, needs_by_id)
    if root.hidden:
        raise NotFound(_l("That need has been removed by the facilitator."), code="need_hidden")
    group = [other.id for other in needs_by_id.values() if table_root(other, needs_by_id).id == root.id]
    return root, group


@idempotent("post_need")
def post_need(table, participant, text):
    """Add a need to the table, on behalf of participant (and of their organisation, if they gave one)."""
    _membership(table, participant)
    _require_phase(table, Phase.COLLECT)
    need = Need(table_id=table.id, participant_id=participant.id, organisation_id=participant.organisation_id,
                text=normalise_need_text(text))
    db.session.add(need)
    version = bump_version(table)
    payload = need_payload(need)
    notifier.emit(db.session, "need_added", {"v": version, "need": payload}, table_room(table.id))
    # Every tab of this phone marks the need as its own.
    my_state_message(table, participant.id)
    notifier.tally_changed(db.session, table.id)
    return {"v": version, "need": payload}


@idempotent("edit_need")
def edit_own_need(table, participant, need_id, text):
    """Rewrite one of the participant's own needs, while the table collects."""
    need = _own_need(table, participant, need_id)
    need.text = normalise_need_text(text)
    version = bump_version(table)
    needs_changed(table)
    notifier.tally_changed(db.session, table.id)  # the rankings show the text
    return {"v": version, "need": need_payload(need)}


@idempotent("delete_need")
def delete_own_need(table, participant, need_id):
    """Delete one of the participant's own needs, while the table collects.
    Any dot still on it (from an earlier vote) goes back to its giver."""
    need = _own_need(table, participant, need_id)
    merged_in = select(func.count(Need.id)).where(
        or_(Need.merged_into_id == need.id, Need.theme_merged_into_id == need.id)
    )
    if db.session.scalar(merged_in):
        raise InvalidInput(_l("The facilitator has merged other needs into this one: it can no longer be deleted."),
                           code="need_has_merges")
    givers = set()
    for dot in db.session.scalars(select(Dot).where(Dot.need_id == need.id)).all():
        # Refund only a dot still live when it goes (conditional: on
        # PostgreSQL a concurrent take-back may have just deleted it).
        if _delete_dot(dot, live_only=True):
            refund_dot(dot.participant_id, table.id)
            givers.add(dot.participant_id)
        else:
            _delete_dot(dot, live_only=False)
    db.session.delete(need)
    db.session.flush()
    version = bump_version(table)
    needs_changed(table)
    for giver in givers | {participant.id}:
        my_state_message(table, giver)
    notifier.tally_changed(db.session, table.id)
    return {"v": version, "deleted": need_id}


def _own_need(table, participant, need_id):
    _membership(table, participant)
    _require_phase(table, Phase.COLLECT)
    need = db.session.get(Need, need_id) if isinstance(need_id, int) else None
    if need is None or need.table_id != table.id:
        raise NotFound(_l("That need is not on this table."), code="need_not_found")
    if need.participant_id != participant.id:
        raise NotAllowed(_l("You can change only the needs you posted."), code="not_your_need")
    if need.hidden or need.merged_into_id is not None or need.theme_merged_into_id is not None:
        raise InvalidInput(_l("The facilitator has already moderated this need: it can no longer be changed."),
                           code="need_moderated")
    return need


@idempotent("cast_dot")
def cast_dot(table, participant, need_id):
    """Spend one of participant's dots on a need of the table."""
    membership = _membership(table, participant)
    _require_phase(table, Phase.VOTE)
    need, group = _dot_group(table, need_id)
    if not spend_dot(participant.id, table):
        raise BudgetExceeded()
    # Spending holds the participant's row, so these counts cannot race with another dot of theirs.
    if _live_dots_on(participant, group) >= table.max_dots_per_need or _at_plenary_cap(table, participant, need):
        raise NeedCapReached()
    db.session.add(Dot(table_id=table.id, need_id=need.id, participant_id=participant.id))
    return _after_dot_change(table, participant, membership, need)


@idempotent("withdraw_dot")
def withdraw_dot(table, participant, need_id):
    """Take back one of participant's dots from a need, freeing it for another."""
    membership = _membership(table, participant)
    _require_phase(table, Phase.VOTE)
    need, group = _dot_group(table, need_id)
    dot = db.session.scalar(
        select(Dot)
        .where(Dot.participant_id == participant.id, Dot.need_id.in_(group), Dot.set_aside_by_id.is_(None))
        .order_by(Dot.id.desc())
    )
    # Conditional: on PostgreSQL another tab may have just taken the same dot back.
    if dot is None or not _delete_dot(dot, live_only=True):
        raise NoDotToWithdraw()
    refund_dot(participant.id, table.id)
    return _after_dot_change(table, participant, membership, need)


def _live_dots_on(participant, need_ids):
    return db.session.scalar(
        select(func.count(Dot.id)).where(
            Dot.participant_id == participant.id, Dot.need_id.in_(list(need_ids)), Dot.set_aside_by_id.is_(None)
        )
    )


def _at_plenary_cap(table, participant, need):
    """Whether a participant who has moved between tables of the theme already
    holds the most dots allowed on the needs merged with `need` at the plenary.
    (Only they can hold dots on both sides of such a merge.)"""
    tables_joined = db.session.scalar(
        select(func.count()).select_from(Membership).join(WorkingTable, WorkingTable.id == Membership.table_id)
        .where(Membership.participant_id == participant.id, WorkingTable.theme_id == table.theme_id)
    )
    if tables_joined < 2:
        return False
    tables = {other.id: other for other in table.theme.tables}
    needs_by_id = {other.id: other for other in db.session.scalars(select(Need).where(Need.table_id.in_(list(tables))))}
    group, cap = plenary_group(needs_by_id[need.id], needs_by_id, tables)
    return _live_dots_on(participant, group) >= cap


def _delete_dot(dot, live_only):
    """Delete the dot (only if still live, with live_only); whether it was deleted."""
    condition = [Dot.id == dot.id]
    if live_only:
        condition.append(Dot.set_aside_by_id.is_(None))
    return db.session.execute(delete(Dot).where(*condition)).rowcount == 1


def _after_dot_change(table, participant, membership, need):
    version = bump_version(table)
    db.session.refresh(membership)
    me = my_state(table, membership)
    notifier.emit(db.session, "me", {"v": version, "me": me}, participant_room(participant.id))
    notifier.tally_changed(db.session, table.id)
    return {"v": version, "need": need.id, "me": me}
