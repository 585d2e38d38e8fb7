"""The JSON archive of an event, or of one of its tables: everything about it,
complete enough to recreate it in another instance with the same results
(archive_import.py reads it back).

docs/archive.md describes the format field by field. In short:
- records point at each other by refs local to the archive (the ids they had
  in the instance that wrote it); an import gives them new ids;
- the people who ran the day (organizers, facilitators, the authors of log
  entries) are named by name and email, so that an import can link them to
  the accounts of the instance it goes into; participants stay anonymous
  unless they gave a display name;
- nothing that identifies a phone (device digests, client action records) or
  lets anyone log in (password hashes, invitation tokens) is ever written.
"""

import json
from collections import Counter
from datetime import UTC

from sqlalchemy import select

from workshop.contributions.models import Dot, Need
from workshop.contributions.results import ranking, simulated_need_ids, theme_ranking, without_rehearsal
from workshop.core.models import utcnow
from workshop.events.models import Organisation
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.tables.models import FacilitationLog
from workshop.tables.operations import NEED_DETAIL_KEYS

FORMAT = "tavoli-archive"
VERSION = 1

# A log entry whose author has no account in the instance an archive was
# imported into keeps their name and email under this detail key, so that a
# later archive of the event still says who did it.
ARCHIVED_ACCOUNT = "archived_account"


def archive_json(event, table=None):
    """The archive as UTF-8 JSON: readable (indented, accents as they are), in a stable key order."""
    text = json.dumps(archive_of(event, table), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def archive_of(event, table=None):
    """The archive of a whole event, or of one of its tables (with its theme
    and the event's details), as a dict ready for JSON."""
    tables = event.tables if table is None else [table]
    themes = list(event.themes) if table is None else [table.theme]
    table_ids = [each.id for each in tables]
    # A rehearsal's simulated participants and all they did are no part of the record.
    needs = db.session.scalars(without_rehearsal(
        select(Need).where(Need.table_id.in_(table_ids)).order_by(Need.id), Need)).all()
    need_ids = {need.id for need in needs}
    memberships = db.session.scalars(without_rehearsal(
        select(Membership).where(Membership.table_id.in_(table_ids))
        .order_by(Membership.participant_id, Membership.table_id), Membership)).all()
    dots = db.session.scalars(without_rehearsal(
        select(Dot).where(Dot.table_id.in_(table_ids)).order_by(Dot.id), Dot)).all()
    # Live dots real participants gave to simulated needs are not in the archive, nor in its budgets.
    on_simulated = Counter(tuple(row) for row in db.session.execute(
        select(Dot.participant_id, Dot.table_id).where(Dot.table_id.in_(table_ids), Dot.set_aside_by_id.is_(None),
                                                       Dot.need_id.in_(simulated_need_ids()))))
    participants = _participants(event, table, memberships, needs, dots)
    organisations = _organisations(event, table, participants, needs)
    joined = {}
    for membership in memberships:
        joined.setdefault(membership.participant_id, []).append(membership)

    def need_ref(need_id):
        # A need deleted since, or at a table outside a table's archive, has no record here.
        return need_id if need_id in need_ids else None

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _moment(utcnow()),
        "scope": "event" if table is None else "table",
        "event": _event(event),
        "themes": [_theme(theme, [each for each in tables if each.theme_id == theme.id]) for theme in themes],
        "organisations": [
            {"ref": organisation.id, "name": organisation.name, "kind": organisation.kind.value,
             "taking_part": organisation in event.organisations}
            for organisation in organisations
        ],
        "participants": [
            {"ref": participant.id, "display_name": participant.display_name or None,
             "organisation": participant.organisation_id,
             "joined": [{"table": membership.table_id,
                         "dots_used": membership.dots_used - on_simulated[membership.participant_id,
                                                                          membership.table_id],
                         "joined_at": _moment(membership.joined_at)}
                        for membership in joined.get(participant.id, [])],
             "created_at": _moment(participant.created_at)}
            for participant in participants
        ],
        "needs": [
            {"ref": need.id, "table": need.table_id, "participant": need.participant_id,
             "organisation": need.organisation_id, "text": need.text, "original_text": need.original_text,
             "hidden": need.hidden, "pinned": need.pinned, "merged_into": need_ref(need.merged_into_id),
             "theme_merged_into": need_ref(need.theme_merged_into_id),
             "created_at": _moment(need.created_at), "updated_at": _moment(need.updated_at)}
            for need in needs
        ],
        "dots": [
            {"need": dot.need_id, "participant": dot.participant_id, "set_aside_by": dot.set_aside_by_id,
             "created_at": _moment(dot.created_at)}
            for dot in dots
        ],
        "log": [_log_entry(entry, need_ref) for entry in _log(event, table, need_ids, dots)],
        "results": rankings_in_refs(themes, tables, lambda kind, record_id: record_id),
    }


def _moment(moment):
    """ISO 8601 in UTC ("Z"); SQLite gives back naive UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _people(accounts):
    return [{"name": account.name, "email": account.email}
            for account in sorted(accounts, key=lambda account: (account.name.casefold(), account.email))]


def _event(event):
    return {
        "title": event.title,
        "starts_on": event.starts_on.isoformat() if event.starts_on else None,
        "venue": event.venue,
        "language": event.language,
        "status": event.status.value,
        "dots_per_participant": event.dots_per_participant,
        "max_dots_per_need": event.max_dots_per_need,
        "results_hidden": event.results_hidden,
        "allow_table_change": event.allow_table_change,
        "created_at": _moment(event.created_at),
        "organizers": _people(event.organizers),
        "facilitators": _people(event.facilitators),
    }


def _theme(theme, tables):
    return {
        "ref": theme.id,
        "name": theme.name,
        "colour": theme.colour,
        "description": theme.description,
        "tables": [
            {"ref": table.id, "name": table.name, "join_code": table.join_code, "phase": table.phase.value,
             "rules": {"dots_per_participant": table.dots_per_participant,
                       "max_dots_per_need": table.max_dots_per_need,
                       "results_hidden": table.results_hidden},
             "results_revealed": table.results_revealed,
             "facilitators": _people(table.facilitators),
             "created_at": _moment(table.created_at)}
            for table in tables
        ],
    }


def _participants(event, table, memberships, needs, dots):
    """Everyone of the event; for one table, whoever joined it, posted or gave a dot there."""
    query = select(Participant).where(Participant.event_id == event.id).order_by(Participant.id)
    if table is not None:
        ids = {membership.participant_id for membership in memberships}
        ids |= {need.participant_id for need in needs if need.participant_id is not None}
        ids |= {dot.participant_id for dot in dots}
        query = query.where(Participant.id.in_(ids))
    return db.session.scalars(without_rehearsal(query, Participant)).all()


def _organisations(event, table, participants, needs):
    """Those taking part in the event (for a table's archive only those present
    at it), and any a participant chose or a need was posted on behalf of."""
    ids = {participant.organisation_id for participant in participants}
    ids |= {need.organisation_id for need in needs}
    ids.discard(None)
    if table is None:
        ids |= {organisation.id for organisation in event.organisations}
    return db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.id)).all()


def _log(event, table, need_ids, dots):
    """The event's log; for one table, its own entries and the plenary's that
    touch it (a merge naming one of its needs or setting one of its dots aside)."""
    entries = db.session.scalars(
        select(FacilitationLog).where(FacilitationLog.event_id == event.id).order_by(FacilitationLog.id)
    ).all()
    if table is None:
        return entries
    setting_aside = {dot.set_aside_by_id for dot in dots}

    def touches(entry):
        named = {entry.need_id} | {(entry.detail or {}).get(key) for key in NEED_DETAIL_KEYS.get(entry.action, ())}
        return entry.id in setting_aside or bool(named & need_ids)

    return [entry for entry in entries if entry.table_id == table.id or (entry.table_id is None and touches(entry))]


def _log_entry(entry, need_ref):
    detail = dict(entry.detail or {})
    archived_account = detail.pop(ARCHIVED_ACCOUNT, None)
    for key in NEED_DETAIL_KEYS.get(entry.action, ()):
        if key in detail:
            detail[key] = need_ref(detail[key])
    account = _people([entry.account])[0] if entry.account is not None else archived_account
    return {"ref": entry.id, "table": entry.table_id, "account": account, "action": entry.action,
            "need": need_ref(entry.need_id), "detail": detail, "at": _moment(entry.at)}


def rankings_in_refs(themes, tables, ref):
    """The rankings as contributions.results computes them (the plenary's for
    each theme, each table's own), with every id written as its archive ref:
    ref(kind, id) -> ref, kind one of "need", "table", "theme"."""

    def needs(ids):
        return [ref("need", need_id) for need_id in ids]

    return {
        "themes": [
            {"theme": ref("theme", theme.id), "ranking": [
                {"need": ref("need", entry["id"]), "text": entry["text"], "dots": entry["dots"],
                 "rank": entry["rank"], "share": entry["share"],
                 "tables": [ref("table", each["id"]) for each in entry["tables"]],
                 "merged": needs(entry["merged"])}
                for entry in theme_ranking(theme, [table for table in tables if table.theme_id == theme.id],
                                           real_only=True)
            ]}
            for theme in themes
        ],
        "tables": [
            {"table": ref("table", table.id), "ranking": [
                {"need": ref("need", entry["id"]), "text": entry["text"], "dots": entry["dots"],
                 "rank": entry["rank"], "pinned": entry["pinned"], "merged": needs(entry["merged"])}
                for entry in ranking(table, real_only=True)
            ]}
            for table in tables
        ],
    }
