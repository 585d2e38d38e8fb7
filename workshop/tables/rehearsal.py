"""Rehearsal mode: simulated participants who join a table, post needs and
give dots at a chosen pace, so that a facilitator can rehearse the phases and
check the projector in the room before anyone arrives (also in a draft event,
where phones cannot join yet; never in a closed or archived one).

Simulated participants (Participant.simulated) have no device, so no phone can
be one; they act through the very operations phones use
(workshop/contributions/operations.py), so budgets, caps, versions and
broadcasts behave as for people. What they do counts at their table only: the
plenary and every export leave it out (contributions.results, real_only).
The loop that paces them runs in workshop/tables/simulator.py.
"""

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from workshop.contributions.budget import refund_dot
from workshop.contributions.merging import announce_dot_changes, restore_dots, table_group_of
from workshop.contributions.models import Dot, Need
from workshop.contributions.operations import cast_dot, post_need
from workshop.contributions.results import ranking, simulated_participant_ids, table_needs
from workshop.contributions.state import my_state, table_changed
from workshop.core.errors import InvalidInput, WrongPhase
from workshop.core.notify import notifier
from workshop.core.validation import bounded_int
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.participants.operations import seat_participant
from workshop.tables.models import FacilitationLog, Phase, WorkingTable
from workshop.tables.operations import bump_version, log_action

# The paces a facilitator chooses from, in simulated actions per minute.
PACES = {"slow": 6, "normal": 20, "fast": 60}
SIMULATED_MIN, SIMULATED_MAX = 3, 20
# Each simulated participant posts at most this many needs.
NEEDS_EACH = 2

# Rehearsal text, written by us for the app: what simulated participants are
# called and the needs they post, in the event's language.
SIMULATED_NAMES = {"it": "Simulato {n}", "en": "Simulated {n}"}
REHEARSAL_NEEDS = {
    "it": [
        "Orari degli sportelli anche il sabato mattina",
        "Un punto unico di informazione per le famiglie",
        "Più educatori di strada nei quartieri periferici",
        "Trasporto serale per chi lavora a turni",
        "Spazi gratuiti per le associazioni giovanili",
        "Mediatori linguistici nei servizi sociali",
        "Un fondo per le emergenze abitative brevi",
        "Doposcuola nei mesi estivi",
        "Formazione digitale per le persone anziane",
        "Tirocini retribuiti per chi esce dalla scuola",
        "Una mappa aggiornata dei servizi del territorio",
        "Sostegno psicologico accessibile ai ragazzi",
        "Case condivise per studenti e anziani soli",
        "Coordinamento tra scuole e servizi sociali",
        "Sportello di orientamento al lavoro in biblioteca",
        "Mense solidali aperte anche la sera",
        "Baby sitter di quartiere per le famiglie monoparentali",
        "Più posti nei nidi comunali",
        "Affitti calmierati per i giovani",
        "Una rete di volontari per le commissioni degli anziani",
    ],
    "en": [
        "Service desks open on Saturday mornings too",
        "One information point for families",
        "More street educators in the outer neighbourhoods",
        "Evening transport for shift workers",
        "Free rooms for youth associations",
        "Language mediators in the social services",
        "A fund for short housing emergencies",
        "After-school care in the summer months",
        "Digital skills courses for older people",
        "Paid traineeships for school leavers",
        "An up-to-date map of local services",
        "Affordable counselling for young people",
        "Shared homes for students and older people living alone",
        "Schools and social services working together",
        "A job guidance desk in the library",
        "Community canteens open in the evening too",
        "Neighbourhood childminders for single parents",
        "More places in the council's nurseries",
        "Capped rents for young people",
        "A volunteer network running errands for older people",
    ],
}


def pace_field(value):
    """A pace's name (PACES) as actions per minute; refused otherwise."""
    if not isinstance(value, str) or value not in PACES:
        raise InvalidInput(_l("Choose the pace: slow, normal or fast."), code="pace_invalid")
    return PACES[value]


def size_field(value):
    """How many simulated participants, SIMULATED_MIN to SIMULATED_MAX."""
    return bounded_int(value, SIMULATED_MIN, SIMULATED_MAX, "participants_invalid")


def pace_name(per_minute):
    """The name of a pace stored as actions per minute (None when not one of PACES)."""
    return next((name for name, value in PACES.items() if value == per_minute), None)


def _require_rehearsable(table):
    if table.event.is_read_only:
        raise WrongPhase(_l("This event is closed: its tables can no longer be rehearsed."), code="event_closed")


def _require_running(table):
    if table.rehearsal_pace is None:
        raise InvalidInput(_l("No rehearsal is running at this table."), code="rehearsal_not_running")


def _announce(table):
    """Tell every client of the table (the rehearsal banner, the console's controls)."""
    bump_version(table)
    table_changed(table)
    notifier.tally_changed(db.session, table.id)


def start_rehearsal(table, actor, participants, pace):
    """Start the simulator at the table with `participants` simulated
    participants at `pace` (a name in PACES); if it already runs, change its
    size and pace instead. The caller starts the loop after the commit."""
    _require_rehearsable(table)
    size, per_minute = size_field(participants), pace_field(pace)
    action = "rehearsal_start" if table.rehearsal_pace is None else "rehearsal_change"
    table.rehearsal_pace = per_minute
    log_action(table.event, actor, action, table=table, participants=size, pace=per_minute)
    _announce(table)
    return table


def change_pace(table, actor, pace):
    """Change the pace of the running simulator."""
    _require_rehearsable(table)
    _require_running(table)
    table.rehearsal_pace = pace_field(pace)
    log_action(table.event, actor, "rehearsal_pace", table=table, pace=table.rehearsal_pace)
    _announce(table)
    return table


def stop_rehearsal(table, actor, reason=None):
    """Stop the simulator; what the simulated participants did stays until cleared.
    reason (when the loop stops it by itself): "limit" or "event_closed"."""
    _require_running(table)
    table.rehearsal_pace = None
    log_action(table.event, actor, "rehearsal_stop", table=table, **({"reason": reason} if reason else {}))
    _announce(table)
    return table


def stop_rehearsals_left_running():
    """At a server's start: stop every rehearsal the database says is running.
    Its simulator lived in a process that has ended (workshop/tables/simulator.py),
    so the console would say "running" while nothing moves; stopped, it says so,
    and Start begins a new loop. With several workers, one worker's restart
    stops the rehearsals the others run too: their facilitators press Start
    again. Returns how many were stopped."""
    tables = db.session.scalars(select(WorkingTable).where(WorkingTable.rehearsal_pace.is_not(None))).all()
    for table in tables:
        stop_rehearsal(table, None, reason="restart")
    return len(tables)


def rehearsal_size(table):
    """How many simulated participants the latest start asked for (0 if none)."""
    entry = db.session.scalar(
        select(FacilitationLog)
        .where(FacilitationLog.table_id == table.id,
               FacilitationLog.action.in_(("rehearsal_start", "rehearsal_change")))
        .order_by(FacilitationLog.id.desc()).limit(1)
    )
    return int((entry.detail or {}).get("participants", 0)) if entry is not None else 0


def _simulated_members(table):
    return db.session.scalars(
        select(Participant).join(Membership, Membership.participant_id == Participant.id)
        .where(Membership.table_id == table.id, Participant.simulated.is_(True)).order_by(Participant.id)
    ).all()


def clear_rehearsal(table, actor):
    """End the rehearsal at the table and remove every simulated participant of
    it, with their needs, their dots and their memberships.

    Real participants lose nothing: their live dots on simulated needs go back
    to their budgets; a real need merged into a simulated one is split out
    again first (logged as an unmerge); and the dots a merge or hide of a
    simulated need had set aside are given back where the budget and the cap
    allow, as an unmerge would. Allowed in a closed event too (it only removes
    what was never real). Returns {"participants", "needs", "dots"} removed.
    """
    table.rehearsal_pace = None
    simulated = {participant.id for participant in _simulated_members(table)}
    needs_by_id = {need.id: need for need in table_needs(table.id)}
    fake = {need.id for need in needs_by_id.values() if need.participant_id in simulated}
    touched = set()

    # Their own dots go with them (their budgets go with their memberships).
    dots_removed = db.session.execute(
        delete(Dot).where(Dot.participant_id.in_(simulated)).execution_options(synchronize_session=False)
    ).rowcount if simulated else 0
    # Real people's dots on simulated needs come back to their budgets.
    for dot in db.session.scalars(select(Dot).where(Dot.need_id.in_(fake)).order_by(Dot.id)).all():
        live = db.session.execute(
            delete(Dot).where(Dot.id == dot.id, Dot.set_aside_by_id.is_(None))
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if live:
            refund_dot(dot.participant_id, dot.table_id)
            touched.add((dot.participant_id, dot.table_id))
        else:
            db.session.execute(delete(Dot).where(Dot.id == dot.id).execution_options(synchronize_session=False))
        dots_removed += 1

    split = [need for need in needs_by_id.values() if need.id not in fake and need.merged_into_id in fake]
    for need in split:
        former = need.merged_into_id
        need.merged_into_id = None
        log_action(table.event, actor, "unmerge", table=table, need=need, **{"from": former})
    db.session.flush()
    # What merges and hides of the needs leaving (or of those just split out) had set aside.
    setting_aside = db.session.scalars(
        select(FacilitationLog).where(FacilitationLog.table_id == table.id,
                                      FacilitationLog.action.in_(("merge", "hide")),
                                      FacilitationLog.need_id.in_(fake | {need.id for need in split}))
    ).all()

    for need_id in fake:
        db.session.delete(needs_by_id.pop(need_id))
    db.session.flush()
    touched |= restore_dots(setting_aside, table_group_of(table, needs_by_id))

    if simulated:
        # The database removes their memberships and recorded actions with them.
        db.session.execute(delete(Participant).where(Participant.id.in_(simulated))
                           .execution_options(synchronize_session=False))
    db.session.expire_all()
    removed = {"participants": len(simulated), "needs": len(fake), "dots": dots_removed}
    log_action(table.event, actor, "rehearsal_clear", table=table, **removed)
    announce_dot_changes([table], {pair for pair in touched if pair[0] not in simulated})
    table_changed(table, members=False)
    return removed


# -- the simulator's one step ------------------------------------------------


def _action_id():
    # Random, not drawn from the step's rng: a loop started again after a
    # restart replays its rng, and an action id used before answers as done.
    return f"rehearsal-{uuid.uuid4().hex}"


def rehearsal_step(table, rng):
    """Do ONE simulated action at the table, right for its phase, through the
    operations phones use: while collecting, a simulated participant joins
    (until as many as asked have) or posts a need; while voting, one gives a
    dot to a visible need within their budget and the cap. Other phases ask
    for nothing (the facilitator moderates by hand).

    Runs in the caller's unit of work. Returns what was done ({"action":
    "join" | "post" | "dot", ...}) or None if there was nothing to do.
    """
    if table.rehearsal_pace is None or table.event.is_read_only:
        return None
    if table.phase is Phase.COLLECT:
        return _join_or_post(table, rng)
    if table.phase is Phase.VOTE:
        return _give_a_dot(table, rng)
    return None


def _language(table):
    return table.event.language if table.event.language in REHEARSAL_NEEDS else "en"


def _join_or_post(table, rng):
    members = _simulated_members(table)
    if len(members) < rehearsal_size(table):
        name = SIMULATED_NAMES[_language(table)].format(n=len(members) + 1)
        participant, _membership = seat_participant(table, name, simulated=True)
        notifier.tally_changed(db.session, table.id)
        return {"action": "join", "participant": participant.id}
    if not members:
        return None
    posted = db.session.execute(
        select(Need.participant_id, Need.text).where(Need.table_id == table.id,
                                                     Need.participant_id.in_(simulated_participant_ids()))
    ).all()
    texts_used = {text for _author, text in posted}
    per_author = {member.id: 0 for member in members}
    for author, _text in posted:
        if author in per_author:
            per_author[author] += 1
    authors = [member for member in members if per_author[member.id] < NEEDS_EACH]
    texts = [text for text in REHEARSAL_NEEDS[_language(table)] if text not in texts_used]
    if not authors or not texts:
        return None
    result = post_need(table, rng.choice(authors), rng.choice(texts), client_id=_action_id())
    return {"action": "post", "need": result["need"]["id"]}


def _give_a_dot(table, rng):
    entries = ranking(table)
    choices = []
    for member in _simulated_members(table):
        mine = my_state(table, db.session.get(Membership, (member.id, table.id)))
        if mine["left"] <= 0:
            continue
        for position, entry in enumerate(entries):
            if mine["dots"].get(str(entry["id"]), 0) < table.max_dots_per_need:
                # Needs posted earlier are a little likelier to be chosen: the
                # ranking then looks like a real vote, not an even spread.
                choices.append((member, entry["id"], len(entries) - position))
    if not choices:
        return None
    member, need_id, _weight = rng.choices(choices, weights=[weight for *_rest, weight in choices])[0]
    cast_dot(table, member, need_id, client_id=_action_id())
    return {"action": "dot", "need": need_id, "participant": member.id}
