"""The proposals file for Decidim's "Import proposals from a file": read as
its JSON importer reads it, compared with the plenary and the database."""

import json
from datetime import date
from html.parser import HTMLParser

from sqlalchemy import select

from tests.conftest import login
from workshop.contributions.models import Need
from workshop.contributions.results import ranking
from workshop.core.database import unit_of_work
from workshop.events.models import Event, Organisation
from workshop.extensions import db
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import WorkingTable

from .conftest import BUS, BUS_AGAIN, DOPOSCUOLA, FIXED, HOMEWORK, SPAM
from .test_csv_and_access import download

KEYS_OF_AN_ITALIAN_EVENT = ["title/it", "body/it", "title/en", "body/en"]


class Body(HTMLParser):
    """A proposal's body as Decidim shows it: its paragraphs and list items as
    text, and the tags it uses."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.blocks, self.tags, self._text = [], set(), None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("p", "li"):
            self._text = []

    def handle_endtag(self, tag):
        if tag in ("p", "li"):
            self.blocks.append("".join(self._text))
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def read_proposals(response):
    """The proposals as Decidim's JSON reader sees them: the columns of the
    first record, and every record with exactly those columns."""
    assert response.mimetype == "application/json"
    proposals = json.loads(response.data.decode("utf-8"))
    assert isinstance(proposals, list)
    for proposal in proposals:
        assert list(proposal) == list(proposals[0])
        assert all(isinstance(value, str) and value for value in proposal.values())
    return proposals


def test_each_ranked_need_is_one_proposal_with_its_theme_tables_dots_and_organisations(app, client, day):
    login(client, day.organizer.email)
    response = download(client, f"/organize/events/{day.event.id}/export/decidim")
    assert 'filename="tavoli-tavolo-di-co-progettazione-2026.decidim.json"' in response.headers[
        "Content-Disposition"]
    proposals = read_proposals(response)
    with app.app_context():
        plenary = plenary_snapshot(db.session.get(Event, day.event.id))
        organisations = {
            entry["id"]: sorted(db.session.scalars(
                select(Organisation.name).join(Need, Need.organisation_id == Organisation.id)
                .where(Need.id.in_([entry["id"], *entry["merged"]])).distinct()), key=str.casefold)
            for theme in plenary["themes"] for entry in theme["ranking"]}
    ranked = [(theme, entry) for theme in plenary["themes"] for entry in theme["ranking"]]
    assert len(proposals) == len(ranked) == plenary["counters"]["needs"] == 5
    assert list(proposals[0]) == KEYS_OF_AN_ITALIAN_EVENT
    assert SPAM not in {proposal["title/it"] for proposal in proposals}  # hidden: not proposed

    for proposal, (theme, entry) in zip(proposals, ranked, strict=True):
        # Written once by participants, in Italian: both titles carry that text.
        assert proposal["title/it"] == proposal["title/en"] == entry["text"]
        tables = [table["name"] for table in entry["tables"]]
        for locale in ("it", "en"):
            body = Body(proposal[f"body/{locale}"])
            assert body.tags <= {"p", "ul", "li"}
            origin, theme_line, tables_line, dots_line, rank_line, organisations_line, *rest = body.blocks
            assert "Tavolo di co-progettazione 2026" in origin
            assert theme_line.endswith(theme["name"])
            assert tables_line.endswith(", ".join(tables))
            assert f"{entry['dots']} (" in dots_line and f"{round(entry['share'] * 100)}%" in dots_line
            assert f"{entry['rank']} " in rank_line and rank_line.endswith(str(len(theme["ranking"])))
            assert all(name in organisations_line for name in organisations[entry["id"]])
        english = Body(proposal["body/en"]).blocks
        assert english[1:6] == [
            f"Theme: {theme['name']}",
            (f"Raised at 1 table: {tables[0]}" if len(tables) == 1
             else f"Raised at {len(tables)} tables: {', '.join(tables)}"),
            f"Dots: {entry['dots']} ({round(entry['share'] * 100)}% of the dots given at its tables)",
            f"Rank in the theme: {entry['rank']} of {len(theme['ranking'])}",
            (f"Organisations that raised it: {', '.join(organisations[entry['id']])}" if organisations[entry["id"]]
             else "No organisation was named for this need."),
        ]
        assert english[-1] == "The title is the need as the participants wrote it, in Italian."

    after_school, buses = proposals[0], proposals[1]
    assert (after_school["title/it"], buses["title/it"]) == (DOPOSCUOLA, BUS)  # accents and emoji intact
    assert Body(after_school["body/en"]).blocks[6] == f"Also raised as: “{HOMEWORK}”"
    assert Body(buses["body/it"]).blocks[6].endswith(f"“{BUS_AGAIN}”")
    assert "Cooperativa L&#39;Arcobaleno" in after_school["body/it"]  # escaped as HTML, read back intact
    assert "Cooperativa L'Arcobaleno" in Body(after_school["body/it"]).blocks[5]


def test_a_tables_proposals_are_its_own_ranking(app, day):
    http = app.test_client()
    login(http, day.facilitator.email)
    proposals = read_proposals(download(http, f"/tables/{day.tables[0].id}/export/decidim"))
    with app.app_context():
        table_ranking = ranking(db.session.get(WorkingTable, day.tables[0].id))
    assert [proposal["title/it"] for proposal in proposals] == [entry["text"] for entry in table_ranking] == [
        BUS, FIXED, DOPOSCUOLA]
    for proposal, entry in zip(proposals, table_ranking, strict=True):
        blocks = Body(proposal["body/en"]).blocks
        assert blocks[2] == "Raised at 1 table: Table 1.1"
        assert blocks[3].startswith(f"Dots: {entry['dots']} (")
        assert blocks[4] == f"Rank at the table: {entry['rank']} of 3"


def test_an_english_event_titles_in_english_and_says_so_in_italian(app, client, world):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=1, title="Town meeting")
    with app.app_context(), unit_of_work():
        english = db.session.get(Event, event.id)
        english.language, english.starts_on = "en", date(2026, 3, 14)
    assert world.phone(event.tables[0]).post("Safer <crossings> & bike lanes")["ok"]
    login(client, organizer.email)
    proposals = read_proposals(download(client, f"/organize/events/{event.id}/export/decidim"))
    assert len(proposals) == 1 and list(proposals[0]) == ["title/en", "body/en", "title/it", "body/it"]
    proposal = proposals[0]
    assert proposal["title/en"] == proposal["title/it"] == "Safer <crossings> & bike lanes"
    body = Body(proposal["body/en"]).blocks
    assert body[0] == "Raised at the meeting “Town meeting” of March 14, 2026 and ranked there with dots."
    assert body[-1] == "No organisation was named for this need."
    assert "inglese" in Body(proposal["body/it"]).blocks[-1]  # the title's language, named in Italian


def test_an_empty_event_gives_an_empty_list(app, client, world):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=0)
    login(client, organizer.email)
    assert read_proposals(download(client, f"/organize/events/{event.id}/export/decidim")) == []
