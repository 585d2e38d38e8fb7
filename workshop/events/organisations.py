"""The registry of organisations, kept across events, and who takes part in an event.

Organisations are matched by a folded key of their name, so "ARCI  Lecco" and
"arci lecco" are one organisation, in the registry and in an import.
"""

import csv
import logging
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workshop.core.errors import InvalidInput, NotFound
from workshop.core.validation import normalise_text
from workshop.events.models import Organisation, OrganisationKind
from workshop.extensions import db

log = logging.getLogger(__name__)

NAME_MAX_LENGTH = 200

KIND_NAMES = {
    OrganisationKind.MUNICIPALITY: _l("Municipality"),
    OrganisationKind.VOLUNTEER: _l("Volunteer organisation"),
    OrganisationKind.ASSOCIATION: _l("Association"),
    OrganisationKind.SOCIAL_ENTERPRISE: _l("Social enterprise"),
    OrganisationKind.SOCIAL_COOPERATIVE: _l("Social cooperative"),
    OrganisationKind.OTHER: _l("Other"),
}

# What people write in the kind column of a list, in Italian or English,
# folded by _kind_key(). The enum values themselves are accepted too.
KIND_ALIASES = {
    OrganisationKind.MUNICIPALITY: (
        "comune", "municipio", "amministrazione comunale", "ente pubblico", "ente locale", "pubblico",
        "municipality", "city", "city council", "council", "local authority", "public body",
    ),
    OrganisationKind.VOLUNTEER: (
        "odv", "volontariato", "organizzazione di volontariato", "associazione di volontariato",
        "volunteer", "volunteers", "volunteering", "volunteer organisation", "volunteer organization",
    ),
    OrganisationKind.ASSOCIATION: (
        "aps", "associazione", "associazione di promozione sociale", "association",
    ),
    OrganisationKind.SOCIAL_ENTERPRISE: ("impresa sociale", "social enterprise"),
    OrganisationKind.SOCIAL_COOPERATIVE: (
        "cooperativa sociale", "coop sociale", "cooperativa", "social cooperative", "social co operative",
        "social coop", "cooperative", "co operative",
    ),
    OrganisationKind.OTHER: ("altro", "altra", "other"),
}

_HEADER_NAMES = {"name", "nome", "organisation", "organization", "organizzazione", "ente"}
_HEADER_KINDS = {"kind", "type", "tipo", "tipologia", "categoria", "category"}


def _kind_key(raw):
    text = unicodedata.normalize("NFC", raw).casefold().replace(".", "")
    return " ".join(text.replace("_", " ").replace("-", " ").split())


_KINDS_BY_KEY = {_kind_key(kind.value): kind for kind in OrganisationKind} | {
    _kind_key(alias): kind for kind, aliases in KIND_ALIASES.items() for alias in aliases
}


def kind_name(kind):
    return str(KIND_NAMES[OrganisationKind(kind)])


def parse_kind(raw):
    """The kind named by its value or by an Italian or English label; empty is "other"."""
    if isinstance(raw, OrganisationKind):
        return raw
    key = _kind_key(raw or "")
    if not key:
        return OrganisationKind.OTHER
    kind = _KINDS_BY_KEY.get(key)
    if kind is None:
        raise InvalidInput(_l("Unknown kind of organisation: “%(kind)s”.", kind=" ".join(raw.split())),
                           code="kind_invalid")
    return kind


def normalise_organisation_name(raw):
    """The name in the stored normal form (workshop.core.validation.normalise_text);
    1 to 200 characters, and so is its key (case folding can lengthen a name: ß is ss)."""
    name = normalise_text(raw, code="organisation_name_invalid")
    if not name:
        raise InvalidInput(_l("Give the organisation a name."), code="organisation_name_required")
    if len(name) > NAME_MAX_LENGTH or len(_key(name)) > NAME_MAX_LENGTH:
        raise InvalidInput(_l("An organisation's name has at most %(n)d characters.", n=NAME_MAX_LENGTH),
                           code="organisation_name_too_long")
    return name


def _key(name):
    return unicodedata.normalize("NFC", name.casefold())


def organisation_key(name):
    """What two names must share to be the same organisation (used for name_key)."""
    return _key(normalise_organisation_name(name))


def search_key(query):
    """A search box's text folded as names are (so "ARCI" finds "Arci"); "" for nothing to search."""
    return _key(normalise_text(query if isinstance(query, str) else ""))[:NAME_MAX_LENGTH]


def find_organisation(organisation_id):
    organisation = db.session.get(Organisation, organisation_id) if isinstance(organisation_id, int) else None
    if organisation is None:
        raise NotFound(_l("This organisation is not in the registry."), code="organisation_not_found")
    return organisation


def _by_key(key):
    return db.session.scalar(select(Organisation).where(Organisation.name_key == key))


def _refuse_duplicate(key, allowed=None):
    existing = _by_key(key)
    if existing is not None and existing is not allowed:
        raise InvalidInput(_l("“%(name)s” is already in the registry.", name=existing.name),
                           code="organisation_exists")


def add_organisation(actor, name, kind=OrganisationKind.OTHER):
    """A new organisation in the registry; refused if one with the same key exists."""
    name = normalise_organisation_name(name)
    key = organisation_key(name)
    _refuse_duplicate(key)
    organisation = Organisation(name=name, name_key=key, kind=parse_kind(kind))
    db.session.add(organisation)
    db.session.flush()
    log.info("organisation added", extra={"organisation": organisation.id, "account": actor.id})
    return organisation


def edit_organisation(actor, organisation, name, kind):
    """Rename an organisation or change its kind; the new name may not be another's."""
    name = normalise_organisation_name(name)
    key = organisation_key(name)
    _refuse_duplicate(key, allowed=organisation)
    organisation.name, organisation.name_key, organisation.kind = name, key, parse_kind(kind)
    db.session.flush()
    log.info("organisation edited", extra={"organisation": organisation.id, "account": actor.id})
    return organisation


def set_event_organisations(actor, event, organisation_ids):
    """Exactly these registry organisations take part in the event."""
    wanted = sorted({int(organisation_id) for organisation_id in organisation_ids})
    organisations = db.session.scalars(select(Organisation).where(Organisation.id.in_(wanted))).all()
    if len(organisations) != len(wanted):
        raise NotFound(_l("This organisation is not in the registry."), code="organisation_not_found")
    event.organisations = list(organisations)
    db.session.flush()
    log.info("event organisations set",
             extra={"event": event.id, "account": actor.id, "organisations": len(organisations)})
    return event


@dataclass
class ImportSummary:
    created: list = field(default_factory=list)
    known: list = field(default_factory=list)
    marked: list = field(default_factory=list)  # newly marked as taking part in the event


@dataclass
class ImportProblem:
    line: int
    reason: object  # a lazy string

    def __str__(self):
        return str(_l("Line %(line)d: %(reason)s", line=self.line, reason=self.reason))


class _Problems:
    """The problems as one text, joined only when shown (in the reader's language)."""

    def __init__(self, problems):
        self.problems = problems

    def __str__(self):
        return " ".join(str(problem) for problem in self.problems)


class ImportInvalid(InvalidInput):
    """An import refused as a whole; .problems lists every bad line."""

    code = "import_invalid"

    def __init__(self, problems):
        self.problems = problems
        super().__init__(_l("Nothing was imported. Fix these lines and send the list again: %(problems)s",
                            problems=_Problems(problems)))


def _fields(line):
    delimiter = ";" if ";" in line else ","
    fields = [value.strip() for value in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))]
    while fields and not fields[-1]:  # spreadsheets pad rows with empty cells
        fields.pop()
    return fields


def _is_header(fields):
    folded = [value.casefold() for value in fields]
    return bool(folded) and folded[0] in _HEADER_NAMES and all(value in _HEADER_KINDS for value in folded[1:2])


def parse_organisation_lines(text):
    """[(line number, name, kind)] from pasted lines or a CSV file's content.

    Each non-empty line is "name", "name;kind" or "name,kind"; a first line
    "name,kind" (or "nome;tipo") is a header. Raises ImportInvalid listing
    every bad line.
    """
    rows, problems, seen = [], [], {}
    first = True
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        fields = _fields(line)
        if first and _is_header(fields):
            first = False
            continue
        first = False
        if len(fields) > 2:
            problems.append(ImportProblem(number, _l("too many columns: write the name, then the kind. "
                                                     "Put a name that contains commas in quotes.")))
            continue
        try:
            name = normalise_organisation_name(fields[0] if fields else "")
            kind = parse_kind(fields[1] if len(fields) > 1 else "")
        except InvalidInput as error:
            problems.append(ImportProblem(number, error.message))
            continue
        key = organisation_key(name)
        if key in seen:
            problems.append(ImportProblem(number, _l("the same organisation as line %(line)d.", line=seen[key])))
            continue
        seen[key] = number
        rows.append((number, name, kind))
    if problems:
        raise ImportInvalid(problems)
    if not rows:
        raise InvalidInput(_l("The list is empty: write one organisation per line."), code="import_empty")
    return rows


def import_organisations(actor, text, event=None):
    """Add the listed organisations to the registry, all or nothing.

    Those already in the registry (by key) are reused, not duplicated, and
    keep their kind. With an event, every listed organisation is also marked
    as taking part in it. Returns an ImportSummary.
    """
    rows = parse_organisation_lines(text)
    summary = ImportSummary()
    for _number, name, kind in rows:
        key = organisation_key(name)
        organisation = _by_key(key)
        if organisation is None:
            organisation = Organisation(name=name, name_key=key, kind=kind)
            db.session.add(organisation)
            summary.created.append(organisation)
        else:
            summary.known.append(organisation)
        if event is not None and organisation not in event.organisations:
            event.organisations.append(organisation)
            summary.marked.append(organisation)
    db.session.flush()
    log.info("organisations imported",
             extra={"account": actor.id, "organisations": len(rows), "new": len(summary.created)})
    return summary
