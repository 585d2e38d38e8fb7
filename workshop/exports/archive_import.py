"""Importing a JSON archive (workshop/exports/archive.py, docs/archive.md)
back: the event it holds is recreated as a new event.

import_archive() checks everything before it writes anything, then
recreates the event inside the caller's unit of work, and finally checks that
the recreated event ranks exactly as the archive says it did. Every refusal
is an ArchiveInvalid naming what is wrong and where, raised before or after
writing: the caller's rollback leaves the database as it was.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from workshop.accounts.models import Account
from workshop.accounts.operations import normalise_email
from workshop.contributions.models import NEED_MAX_LENGTH, Dot, Need
from workshop.core.errors import InvalidInput
from workshop.events.models import (
    COLOUR_PATTERN,
    EVENT_LANGUAGES,
    Event,
    EventStatus,
    Organisation,
    OrganisationKind,
    Theme,
)
from workshop.events.organisations import NAME_MAX_LENGTH, normalise_organisation_name, organisation_key
from workshop.exports.archive import ARCHIVED_ACCOUNT, FORMAT, VERSION, rankings_in_refs
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.tables.join_codes import ALPHABET, normalise_join_code
from workshop.tables.models import FacilitationLog, Phase, WorkingTable
from workshop.tables.operations import NEED_DETAIL_KEYS, unused_join_code

# The column sizes the archive's texts must fit (workshop/*/models.py).
TITLE_MAX, VENUE_MAX, NAME_MAX, DESCRIPTION_MAX = 200, 200, 120, 2000
DISPLAY_NAME_MAX, EMAIL_MAX, JOIN_CODE_MAX, ACTION_MAX = 60, 254, 12, 30
RULE_MAX = 50  # the most dots per participant or per need a table allows


class ArchiveInvalid(InvalidInput):
    """An archive refused as a whole, with what is wrong and where."""

    code = "archive_invalid"


def _not_valid(path, expected):
    return ArchiveInvalid(_l("The archive is damaged: “%(field)s” should be %(expected)s.",
                             field=path, expected=expected), code="archive_value_invalid")


def _damaged(message):
    return ArchiveInvalid(message, code="archive_inconsistent")


class _Record:
    """One JSON object of an archive, read field by field; a refusal names the field's path."""

    def __init__(self, value, path):
        if not isinstance(value, dict):
            raise _not_valid(path or "/", _l("an object"))
        self.value = value
        self.path = path

    def where(self, key):
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key):
        if key not in self.value:
            raise ArchiveInvalid(_l("The archive is incomplete: “%(field)s” is missing.", field=self.where(key)),
                                 code="archive_field_missing")
        return self.value[key]

    def text(self, key, max_length, nullable=False, blank=False):
        value = self.raw(key)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or len(value) > max_length or not (blank or value.strip()):
            expected = (_l("a text of at most %(n)d characters", n=max_length) if blank
                        else _l("a text of 1 to %(n)d characters", n=max_length))
            raise _not_valid(self.where(key), expected)
        return value

    def integer(self, key, low, high):
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _not_valid(self.where(key), _l("a whole number from %(low)d to %(high)d", low=low, high=high))
        return value

    def flag(self, key):
        value = self.raw(key)
        if not isinstance(value, bool):
            raise _not_valid(self.where(key), _l("true or false"))
        return value

    def moment(self, key):
        value = self.raw(key)
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise _not_valid(self.where(key), _l("a date and time such as 2026-05-14T09:30:00Z")) from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def day(self, key):
        value = self.raw(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _not_valid(self.where(key), _l("a date such as 2026-05-14")) from None

    def choice(self, key, values):
        value = self.raw(key)
        if value not in values:
            raise _not_valid(self.where(key), _l("one of: %(values)s", values=", ".join(values)))
        return value

    def ref(self, key, known=None, nullable=False):
        """A ref; with `known`, one of those (the records it may point at)."""
        value = self.raw(key)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _not_valid(self.where(key), _l("a ref: a number or a text"))
        if known is not None and value not in known:
            raise ArchiveInvalid(_l("The archive is damaged: “%(field)s” names %(ref)s, which is not in the archive.",
                                    field=self.where(key), ref=json.dumps(value, ensure_ascii=False)),
                                 code="archive_dangling_ref")
        return value

    def records(self, key):
        value = self.raw(key)
        if not isinstance(value, list):
            raise _not_valid(self.where(key), _l("a list"))
        return [_Record(item, f"{self.where(key)}[{index}]") for index, item in enumerate(value)]

    def record(self, key):
        return _Record(self.raw(key), self.where(key))

    def person(self, key=None):
        """{"name", "email"} of someone with an account, the email as accounts store it."""
        person = self if key is None else self.record(key)
        email = normalise_email(person.text("email", EMAIL_MAX))
        if "@" not in email:
            raise _not_valid(person.where("email"), _l("an email address"))
        return {"name": person.text("name", NAME_MAX), "email": email}

    def people(self, key):
        return [record.person() for record in self.records(key)]


class _Refs:
    """The refs of one kind of record, each given once."""

    def __init__(self):
        self.seen = {}

    def add(self, record, value):
        ref = record.ref("ref")
        if ref in self.seen:
            raise _damaged(_l("The archive is damaged: “%(field)s” repeats the ref %(ref)s.",
                              field=record.where("ref"), ref=json.dumps(ref, ensure_ascii=False)))
        self.seen[ref] = value
        return ref


def _read(data):
    """Everything the archive says, checked and in Python values; nothing is written yet."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveInvalid(_l("This file is not a Tavoli archive."), code="archive_not_tavoli")
    top = _Record(data, "")
    version = top.raw("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise ArchiveInvalid(
            _l("This archive is in version %(version)d of the format, newer than this Tavoli can read (up to "
               "version %(supported)d). Update Tavoli, then import it again.", version=version, supported=VERSION),
            code="archive_too_new")
    top.integer("version", 1, VERSION)
    top.choice("scope", ("event", "table"))
    plan = {"event": _read_event(top.record("event"))}

    themes, tables = _Refs(), _Refs()
    plan["themes"] = []
    for theme_record in top.records("themes"):
        theme = {
            "name": theme_record.text("name", NAME_MAX),
            "colour": theme_record.text("colour", 7),
            "description": theme_record.text("description", DESCRIPTION_MAX, blank=True),
            "tables": [],
        }
        if not COLOUR_PATTERN.match(theme["colour"]):
            raise _not_valid(theme_record.where("colour"), _l("a colour such as #1f5fa8"))
        theme["ref"] = themes.add(theme_record, theme)
        for table_record in theme_record.records("tables"):
            rules = table_record.record("rules")
            table = {
                "name": table_record.text("name", NAME_MAX),
                "join_code": table_record.text("join_code", JOIN_CODE_MAX),
                "phase": Phase(table_record.choice("phase", [phase.value for phase in Phase])),
                "dots_per_participant": rules.integer("dots_per_participant", 1, RULE_MAX),
                "max_dots_per_need": rules.integer("max_dots_per_need", 1, RULE_MAX),
                "results_hidden": rules.flag("results_hidden"),
                "results_revealed": table_record.flag("results_revealed"),
                "facilitators": table_record.people("facilitators"),
                "created_at": table_record.moment("created_at"),
                "theme": theme,
            }
            table["ref"] = tables.add(table_record, table)
            theme["tables"].append(table)
        plan["themes"].append(theme)

    organisations = _Refs()
    plan["organisations"] = []
    for record in top.records("organisations"):
        try:
            name = normalise_organisation_name(record.text("name", NAME_MAX_LENGTH * 2))
        except InvalidInput:
            raise _not_valid(record.where("name"), _l("a text of 1 to %(n)d characters", n=NAME_MAX_LENGTH)) from None
        organisation = {
            "name": name,
            "kind": OrganisationKind(record.choice("kind", [kind.value for kind in OrganisationKind])),
            "taking_part": record.flag("taking_part"),
        }
        organisation["ref"] = organisations.add(record, organisation)
        plan["organisations"].append(organisation)

    participants = _Refs()
    plan["participants"] = []
    for record in top.records("participants"):
        participant = {
            "display_name": record.text("display_name", DISPLAY_NAME_MAX, nullable=True),
            "organisation": record.ref("organisation", organisations.seen, nullable=True),
            "created_at": record.moment("created_at"),
            "joined": {},
        }
        for joined in record.records("joined"):
            table_ref = joined.ref("table", tables.seen)
            if table_ref in participant["joined"]:
                raise _damaged(_l("The archive is damaged: “%(field)s” lists the same table twice.",
                                  field=record.where("joined")))
            participant["joined"][table_ref] = {"dots_used": joined.integer("dots_used", 0, RULE_MAX),
                                                "joined_at": joined.moment("joined_at")}
        participant["ref"] = participants.add(record, participant)
        plan["participants"].append(participant)

    plan["needs"] = _read_needs(top.records("needs"), tables, participants, organisations)
    needs = {need["ref"]: need for need in plan["needs"]}
    plan["log"] = _read_log(top.records("log"), tables, needs)
    plan["dots"] = _read_dots(top.records("dots"), needs, participants, {entry["ref"] for entry in plan["log"]})
    plan["results"] = data.get("results")
    return plan


def _read_event(record):
    event = {
        "title": record.text("title", TITLE_MAX),
        "starts_on": record.day("starts_on"),
        "venue": record.text("venue", VENUE_MAX, nullable=True),
        "language": record.choice("language", EVENT_LANGUAGES),
        "status": EventStatus(record.choice("status", [status.value for status in EventStatus])),
        "dots_per_participant": record.integer("dots_per_participant", 1, RULE_MAX),
        "max_dots_per_need": record.integer("max_dots_per_need", 1, RULE_MAX),
        "results_hidden": record.flag("results_hidden"),
        "allow_table_change": record.flag("allow_table_change"),
        "created_at": record.moment("created_at"),
        "facilitators": record.people("facilitators"),
    }
    # The organizers are on record only: the event is given to whoever imports it.
    record.people("organizers")
    return event


def _read_needs(records, tables, participants, organisations):
    refs = _Refs()
    needs = []
    for record in records:
        need = {
            "table": record.ref("table", tables.seen),
            "participant": record.ref("participant", participants.seen, nullable=True),
            "organisation": record.ref("organisation", organisations.seen, nullable=True),
            "text": record.text("text", NEED_MAX_LENGTH),
            "original_text": record.text("original_text", NEED_MAX_LENGTH, nullable=True),
            "hidden": record.flag("hidden"),
            "pinned": record.flag("pinned"),
            "created_at": record.moment("created_at"),
            "updated_at": record.moment("updated_at"),
            "record": record,
        }
        need["ref"] = refs.add(record, need)
        needs.append(need)
    # Merges may point forward (a need merged into a later one): resolve them once every need is known.
    for need in needs:
        record = need.pop("record")
        need["merged_into"] = record.ref("merged_into", refs.seen, nullable=True)
        need["theme_merged_into"] = record.ref("theme_merged_into", refs.seen, nullable=True)
        table = tables.seen[need["table"]]
        if need["merged_into"] is not None:
            target = refs.seen[need["merged_into"]]
            if target is need or target["table"] != need["table"]:
                raise _damaged(_l("The archive is damaged: “%(field)s” merges a need into itself or into a "
                                  "need of another table.", field=record.where("merged_into")))
        if need["theme_merged_into"] is not None:
            target_table = tables.seen[refs.seen[need["theme_merged_into"]]["table"]]
            if target_table is table or target_table["theme"] is not table["theme"]:
                raise _damaged(_l("The archive is damaged: “%(field)s” merges a need at the plenary into a need "
                                  "of its own table or of another theme.", field=record.where("theme_merged_into")))
    return needs


def _read_log(records, tables, needs):
    refs = _Refs()
    log = []
    for record in records:
        entry = {
            "table": record.ref("table", tables.seen, nullable=True),
            "account": None if record.raw("account") is None else record.person("account"),
            "action": record.text("action", ACTION_MAX),
            "need": record.ref("need", needs, nullable=True),
            "at": record.moment("at"),
        }
        detail = record.record("detail")
        for key in NEED_DETAIL_KEYS.get(entry["action"], ()):
            if key in detail.value:
                detail.ref(key, needs, nullable=True)
        entry["detail"] = dict(detail.value)
        entry["ref"] = refs.add(record, entry)
        log.append(entry)
    return log


def _read_dots(records, needs, participants, log_refs):
    dots = []
    live = Counter()
    for record in records:
        dot = {
            "need": record.ref("need", needs),
            "participant": record.ref("participant", participants.seen),
            "set_aside_by": record.ref("set_aside_by", log_refs, nullable=True),
            "created_at": record.moment("created_at"),
        }
        table_ref = needs[dot["need"]]["table"]
        if table_ref not in participants.seen[dot["participant"]]["joined"]:
            raise _damaged(_l("The archive is damaged: “%(field)s” is a dot of a participant who did not join "
                              "its table.", field=record.path))
        if dot["set_aside_by"] is None:
            live[dot["participant"], table_ref] += 1
        dots.append(dot)
    # The budget counter must agree with the dots, as the app keeps it (Membership).
    for participant_ref, participant in participants.seen.items():
        for table_ref, joined in participant["joined"].items():
            if joined["dots_used"] != live[participant_ref, table_ref]:
                raise _damaged(_l(
                    "The archive is damaged: participant %(participant)s used %(said)d dots at table %(table)s, "
                    "but the archive holds %(live)d of their dots there.",
                    participant=json.dumps(participant_ref, ensure_ascii=False), said=joined["dots_used"],
                    table=json.dumps(table_ref, ensure_ascii=False), live=live[participant_ref, table_ref]))
    return dots


@dataclass
class ArchiveImport:
    """What import_archive made, and what whoever ran it should be told."""

    event: Event
    # {"name", "email"} of facilitators with no account here: invite them again.
    facilitators_not_linked: list = field(default_factory=list)
    # (table name, archived code, new code) where the archived code is in use here.
    join_codes_changed: list = field(default_factory=list)


def import_archive(data, organizer):
    """Recreate the event of an archive (parsed JSON) as a new event of
    `organizer`, inside the caller's unit of work; returns an ArchiveImport.

    Organisations are matched to the registry by name, facilitators and log
    authors to accounts by email (no account is created). Raises
    ArchiveInvalid, before or after writing: the caller rolls back.
    """
    plan = _read(data)
    made = _Made(accounts=_accounts_by_email(plan))
    event = _recreate_event(plan, organizer, made)
    _recreate_participants(plan, event, made)
    _recreate_needs(plan, made)
    _recreate_log_and_dots(plan, event, made)
    _check_results(plan, made)
    return ArchiveImport(
        event=event,
        facilitators_not_linked=sorted(made.not_linked.values(), key=lambda person: person["name"].casefold()),
        join_codes_changed=made.join_codes_changed,
    )


@dataclass
class _Made:
    """What an import has made so far, by archive ref, and what it could not link."""

    accounts: dict  # email -> Account, for everyone the archive names
    organisations: dict = field(default_factory=dict)
    themes: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    participants: dict = field(default_factory=dict)
    needs: dict = field(default_factory=dict)
    log: dict = field(default_factory=dict)
    not_linked: dict = field(default_factory=dict)  # email -> person
    join_codes_changed: list = field(default_factory=list)

    def linked(self, people):
        """The accounts of these people that exist here; the others are noted."""
        found = []
        for person in people:
            account = self.accounts.get(person["email"])
            if account is None:
                self.not_linked.setdefault(person["email"], person)
            else:
                found.append(account)
        return found

    def id_of(self, kind, ref):
        """The new id of the record `ref` of this kind, None for no ref."""
        return None if ref is None else getattr(self, kind)[ref].id


def _recreate_event(plan, organizer, made):
    settings = plan["event"]
    event = Event(**{key: settings[key] for key in (
        "title", "starts_on", "venue", "language", "status", "dots_per_participant", "max_dots_per_need",
        "results_hidden", "allow_table_change", "created_at")})
    event.organizers = [organizer]
    event.facilitators = made.linked(settings["facilitators"])
    db.session.add(event)
    made.organisations = _match_organisations(plan["organisations"])
    taking_part = {made.organisations[item["ref"]] for item in plan["organisations"] if item["taking_part"]}
    event.organisations = sorted(taking_part, key=lambda organisation: organisation.id)
    for position, item in enumerate(plan["themes"]):
        theme = Theme(event=event, name=item["name"], colour=item["colour"].lower(),
                      description=item["description"], position=position)
        db.session.add(theme)
        made.themes[item["ref"]] = theme
        for table_item in item["tables"]:
            table = WorkingTable(
                theme=theme, name=table_item["name"], join_code=_join_code(table_item, made),
                phase=table_item["phase"], dots_per_participant=table_item["dots_per_participant"],
                max_dots_per_need=table_item["max_dots_per_need"], results_hidden=table_item["results_hidden"],
                results_revealed=table_item["results_revealed"], created_at=table_item["created_at"],
                facilitators=made.linked(table_item["facilitators"]),
            )
            db.session.add(table)
            # One by one: the next table's join code is checked against this one's.
            db.session.flush()
            made.tables[table_item["ref"]] = table
    db.session.flush()
    return event


def _recreate_participants(plan, event, made):
    for item in plan["participants"]:
        # No device token: no phone can come back as an imported participant.
        made.participants[item["ref"]] = Participant(
            event_id=event.id, device_digest=None, display_name=item["display_name"],
            organisation_id=made.id_of("organisations", item["organisation"]),
            created_at=item["created_at"], last_seen_at=item["created_at"],
        )
        db.session.add(made.participants[item["ref"]])
    db.session.flush()
    for item in plan["participants"]:
        for table_ref, joined in item["joined"].items():
            db.session.add(Membership(participant_id=made.participants[item["ref"]].id,
                                      table_id=made.tables[table_ref].id,
                                      dots_used=joined["dots_used"], joined_at=joined["joined_at"]))
    db.session.flush()


def _recreate_needs(plan, made):
    # One by one, in the archive's order: the new ids keep it, and ties rank in it.
    for item in plan["needs"]:
        made.needs[item["ref"]] = Need(
            table_id=made.id_of("tables", item["table"]),
            participant_id=made.id_of("participants", item["participant"]),
            organisation_id=made.id_of("organisations", item["organisation"]),
            text=item["text"], original_text=item["original_text"], hidden=item["hidden"], pinned=item["pinned"],
            created_at=item["created_at"], updated_at=item["updated_at"],
        )
        db.session.add(made.needs[item["ref"]])
        db.session.flush()
    # The merges, once every need has its id. updated_at is written with
    # them, or the update would stamp it with the time of the import.
    for item in plan["needs"]:
        if item["merged_into"] is not None or item["theme_merged_into"] is not None:
            db.session.execute(
                update(Need).where(Need.id == made.needs[item["ref"]].id).values(
                    merged_into_id=made.id_of("needs", item["merged_into"]),
                    theme_merged_into_id=made.id_of("needs", item["theme_merged_into"]),
                    updated_at=item["updated_at"],
                ).execution_options(synchronize_session="fetch")
            )
    db.session.flush()


def _recreate_log_and_dots(plan, event, made):
    for item in plan["log"]:
        detail = dict(item["detail"])
        for key in NEED_DETAIL_KEYS.get(item["action"], ()):
            if key in detail:
                detail[key] = made.id_of("needs", detail[key])
        account = made.accounts.get(item["account"]["email"]) if item["account"] is not None else None
        if item["account"] is not None and account is None:
            detail[ARCHIVED_ACCOUNT] = item["account"]
        made.log[item["ref"]] = FacilitationLog(
            event_id=event.id, table_id=made.id_of("tables", item["table"]),
            account_id=account.id if account is not None else None, action=item["action"],
            need_id=made.id_of("needs", item["need"]), detail=detail, at=item["at"],
        )
        db.session.add(made.log[item["ref"]])
    db.session.flush()
    for item in plan["dots"]:
        need = made.needs[item["need"]]
        db.session.add(Dot(table_id=need.table_id, need_id=need.id,
                           participant_id=made.id_of("participants", item["participant"]),
                           set_aside_by_id=made.id_of("log", item["set_aside_by"]), created_at=item["created_at"]))
    db.session.flush()


def _accounts_by_email(plan):
    emails = {person["email"] for person in plan["event"]["facilitators"]}
    emails |= {person["email"] for theme in plan["themes"] for table in theme["tables"]
               for person in table["facilitators"]}
    emails |= {entry["account"]["email"] for entry in plan["log"] if entry["account"] is not None}
    return {account.email: account
            for account in db.session.scalars(select(Account).where(Account.email.in_(emails)))}


def _match_organisations(items):
    """{ref: Organisation}: the registry's organisation of the same name
    (folded, as the registry compares names), or a new one."""
    by_key = {}
    matched = {}
    for item in items:
        key = organisation_key(item["name"])
        if key not in by_key:
            by_key[key] = db.session.scalar(select(Organisation).where(Organisation.name_key == key))
        if by_key[key] is None:
            by_key[key] = Organisation(name=item["name"], name_key=key, kind=item["kind"])
            db.session.add(by_key[key])
        matched[item["ref"]] = by_key[key]
    db.session.flush()
    return matched


def _join_code(table_item, made):
    """The archived join code, so that printed QR codes still work, unless a table here has it."""
    code = table_item["join_code"]
    well_formed = normalise_join_code(code) == code and all(character in ALPHABET for character in code)
    if well_formed and db.session.scalar(select(WorkingTable.id).where(WorkingTable.join_code == code)) is None:
        return code
    new_code = unused_join_code()
    made.join_codes_changed.append((table_item["name"], code, new_code))
    return new_code


def _check_results(plan, made):
    """Refuse an event that does not rank as the archive says it did (when it says)."""
    if plan["results"] is None:
        return
    refs = {kind: {record.id: ref for ref, record in getattr(made, kind + "s").items()}
            for kind in ("theme", "table", "need")}
    recreated = rankings_in_refs(list(made.themes.values()), list(made.tables.values()),
                                 lambda kind, record_id: refs[kind][record_id])
    if recreated != plan["results"]:
        raise ArchiveInvalid(_l("The archive's results differ from what its needs and dots add up to: it was "
                                "changed after it was exported."), code="archive_results_differ")
