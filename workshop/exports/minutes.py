"""The minutes of the day: what every export of an event or of one table says.

The CSV, the workbook, the report (HTML and PDF) and the Decidim file all
render the one structure built here, on top of contributions.results, so
their figures agree with each other and with the plenary dashboard:
- a ranked need is a visible need that others were merged into (at its table,
  and for a theme's ranking also across tables), with the dots of its group;
- a need merged into another or hidden has no rank of its own; its line says
  where it went;
- participants are anonymous unless they gave a display name;
- a rehearsal's simulated participants, their needs and every dot they cast
  are left out (contributions.results, real_only).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from workshop.contributions.models import Need
from workshop.contributions.results import (
    live_dot_counts,
    organisations_present,
    ranking,
    table_root,
    theme_ranking,
    without_rehearsal,
)
from workshop.core.models import utcnow
from workshop.events.models import Organisation, OrganisationKind
from workshop.extensions import db
from workshop.participants.models import Membership, Participant


@dataclass(frozen=True)
class RankedNeed:
    """A need as ranked at its table or across its theme's tables."""

    id: int
    text: str
    dots: int
    rank: int
    share: float  # of the dots given at the tables that raised it
    tables: list[str]
    organisations: list[str]
    merged: list[int]  # the needs counted with it


@dataclass(frozen=True)
class TableMinutes:
    id: int
    name: str
    theme: str
    phase: str
    facilitators: list[str]
    participants: int
    needs: int  # ranked (visible, not merged into another)
    dots: int
    ranking: list[RankedNeed]


@dataclass(frozen=True)
class ThemeMinutes:
    id: int
    name: str
    colour: str
    tables: list[TableMinutes]
    dots: int
    ranking: list[RankedNeed]


@dataclass(frozen=True)
class NeedLine:
    """One need as posted, with what became of it: one line of the CSV."""

    id: int
    theme: str
    table: str
    text: str  # as corrected
    original: str | None  # the text first posted, if a facilitator corrected it
    organisation: str | None
    organisation_kind: OrganisationKind | None
    author: str | None  # the participant's display name, if they gave one
    dots: int  # live dots given on this very need
    table_dots: int | None  # what it counts at its table with the needs merged into it
    table_rank: int | None
    theme_dots: int | None
    theme_rank: int | None
    merged_into: int | None
    theme_merged_into: int | None
    hidden: bool
    pinned: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OrganisationPresence:
    id: int
    name: str
    kind: OrganisationKind
    participants: int
    raised: list[str]  # the visible needs posted on its behalf


@dataclass(frozen=True)
class KindCount:
    kind: OrganisationKind
    organisations: int
    participants: int
    needs: int  # visible needs posted on behalf of organisations of this kind


@dataclass(frozen=True)
class Counts:
    participants: int
    organisations: int
    tables: int
    needs: int  # ranked needs, as the plenary counts them
    needs_posted: int
    needs_hidden: int
    dots: int


@dataclass(frozen=True)
class Minutes:
    event_id: int
    title: str
    starts_on: date | None
    venue: str | None
    language: str
    status: str
    table: TableMinutes | None  # set when these are the minutes of one table
    counts: Counts
    themes: list[ThemeMinutes]
    tables: list[TableMinutes]
    needs: list[NeedLine]
    participation: list[OrganisationPresence]
    by_kind: list[KindCount]
    generated_at: datetime = field(default_factory=utcnow)
    is_demo: bool = False  # the demo event's invented data (workshop/demo/)


def minutes_for(event, table=None):
    """The minutes of the event, or of one of its tables."""
    return event_minutes(event) if table is None else table_minutes(table)


def event_minutes(event):
    """The minutes of a whole event."""
    return _minutes(event, [table for theme in event.themes for table in theme.tables], single_table=False)


def table_minutes(table):
    """The minutes of one table, for its facilitator: its theme ranked as the table alone raised it."""
    return _minutes(table.event, [table], single_table=True)


def _minutes(event, tables, single_table):
    table_ids = [table.id for table in tables]
    needs = db.session.scalars(without_rehearsal(
        select(Need).where(Need.table_id.in_(table_ids)).order_by(Need.id), Need)).all()
    by_id = {need.id: need for need in needs}
    table_by_id = {table.id: table for table in tables}
    counts = live_dot_counts(table_ids, real_only=True)
    table_totals = defaultdict(int)
    for need in needs:
        table_totals[need.table_id] += counts.get(need.id, 0)
    participants = _participants(event, table_ids if single_table else None)
    organisation_ids = organisations_present(event.id, table_ids if single_table else None, real_only=True)
    organisations = {
        organisation.id: organisation
        for organisation in db.session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids)))
    }
    members_at = Counter(db.session.scalars(without_rehearsal(
        select(Membership.table_id).where(Membership.table_id.in_(table_ids)), Membership)))

    def ranked(entries):
        """RankedNeed from the entries of a table's or a theme's ranking."""
        result = []
        for entry in entries:
            root = by_id[entry["id"]]
            group = [root, *(by_id[member] for member in entry["merged"])]
            result.append(RankedNeed(
                id=root.id, text=entry["text"], dots=entry["dots"], rank=entry["rank"],
                share=entry["share"] if "share" in entry else _share(entry["dots"], table_totals[root.table_id]),
                tables=[table["name"] for table in entry.get("tables", [{"name": table_by_id[root.table_id].name}])],
                organisations=sorted({organisations[need.organisation_id].name for need in group
                                      if need.organisation_id in organisations}, key=str.casefold),
                merged=list(entry["merged"]),
            ))
        return result

    table_sections = {}
    for table in tables:
        table_ranking = ranked(ranking(table, real_only=True))
        table_sections[table.id] = TableMinutes(
            id=table.id, name=table.name, theme=table.theme.name, phase=table.phase.value,
            facilitators=sorted(account.name for account in table.facilitators),
            participants=members_at[table.id], needs=len(table_ranking), dots=table_totals[table.id],
            ranking=table_ranking,
        )

    themes = []
    for theme in event.themes:
        theme_tables = [table for table in tables if table.theme_id == theme.id]
        if single_table and not theme_tables:
            continue
        themes.append(ThemeMinutes(
            id=theme.id, name=theme.name, colour=theme.colour,
            tables=[table_sections[table.id] for table in theme_tables],
            dots=sum(table_totals[table.id] for table in theme_tables),
            ranking=ranked(theme_ranking(theme, theme_tables, real_only=True)),
        ))

    lines = _need_lines(needs, counts, table_sections, themes, organisations, participants)
    participation = _participation(organisations, participants, needs, by_id)
    tables_in_order = [table_sections[table.id] for table in tables]
    return Minutes(
        event_id=event.id, title=event.title, starts_on=event.starts_on, venue=event.venue,
        language=event.language, status=event.status.value,
        table=tables_in_order[0] if single_table else None,
        counts=Counts(
            participants=len(participants),
            organisations=len(organisations),
            tables=len(tables),
            needs=sum(len(theme.ranking) for theme in themes),
            needs_posted=len(needs),
            needs_hidden=sum(1 for need in needs if need.hidden),
            dots=sum(counts.values()),
        ),
        themes=themes,
        tables=tables_in_order,
        needs=lines,
        participation=participation,
        by_kind=_by_kind(participation),
        is_demo=event.is_demo,
    )


def _share(dots, pool):
    return round(dots / pool, 4) if pool else 0.0


def _participants(event, table_ids):
    """The event's participants, or those who joined one of these tables."""
    query = select(Participant).where(Participant.event_id == event.id).order_by(Participant.id)
    if table_ids is not None:
        query = query.where(
            Participant.id.in_(select(Membership.participant_id).where(Membership.table_id.in_(table_ids))))
    return db.session.scalars(without_rehearsal(query, Participant)).all()


def _need_lines(needs, counts, table_sections, themes, organisations, participants):
    at_table = {entry.id: entry for section in table_sections.values() for entry in section.ranking}
    in_theme = {entry.id: entry for theme in themes for entry in theme.ranking}
    authors = {participant.id: participant.display_name for participant in participants}
    lines = []
    for need in needs:
        organisation = organisations.get(need.organisation_id)
        table_entry, theme_entry = at_table.get(need.id), in_theme.get(need.id)
        lines.append(NeedLine(
            id=need.id, theme=table_sections[need.table_id].theme, table=table_sections[need.table_id].name,
            text=need.text, original=need.original_text,
            organisation=organisation.name if organisation else None,
            organisation_kind=organisation.kind if organisation else None,
            author=authors.get(need.participant_id) or None,
            dots=counts.get(need.id, 0),
            table_dots=table_entry.dots if table_entry else None,
            table_rank=table_entry.rank if table_entry else None,
            theme_dots=theme_entry.dots if theme_entry else None,
            theme_rank=theme_entry.rank if theme_entry else None,
            merged_into=need.merged_into_id,
            theme_merged_into=need.theme_merged_into_id,
            hidden=need.hidden, pinned=need.pinned,
            created_at=need.created_at, updated_at=need.updated_at,
        ))
    return lines


def _participation(organisations, participants, needs, by_id):
    """Each organisation present, with its participants and the visible needs posted on its behalf."""
    people = Counter(participant.organisation_id for participant in participants)
    raised = defaultdict(list)
    for need in needs:
        if need.organisation_id is not None and not table_root(need, by_id).hidden:
            raised[need.organisation_id].append(need.text)
    return sorted(
        (OrganisationPresence(id=organisation.id, name=organisation.name, kind=organisation.kind,
                              participants=people[organisation.id], raised=raised[organisation.id])
         for organisation in organisations.values()),
        key=lambda presence: presence.name.casefold(),
    )


def _by_kind(participation):
    return [
        KindCount(
            kind=kind,
            organisations=sum(1 for presence in participation if presence.kind == kind),
            participants=sum(presence.participants for presence in participation if presence.kind == kind),
            needs=sum(len(presence.raised) for presence in participation if presence.kind == kind),
        )
        for kind in OrganisationKind
    ]
