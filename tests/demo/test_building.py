"""The demo builds a whole morning through the operations, the same way every time."""

import shutil
from collections import Counter

from sqlalchemy import func, select

from config import TestingConfig
from workshop import create_app
from workshop.accounts.models import Account, Role
from workshop.accounts.operations import create_account
from workshop.contributions.models import Dot, Need
from workshop.core.database import unit_of_work
from workshop.demo.build import build_demo
from workshop.events.models import Event
from workshop.exports.minutes import event_minutes
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import FacilitationLog, WorkingTable


def test_the_demo_is_a_whole_morning_in_italian_and_in_english(app, demo, database):
    with app.app_context():
        events = [db.session.get(Event, demo.it), db.session.get(Event, demo.en)]
        assert [event.language for event in events] == ["it", "en"]
        assert all(event.is_demo and event.status.value == "live" for event in events)
        assert all([account.email for account in event.organizers] == ["organizer@example.org"] for event in events)
        assert [len(event.themes) for event in events] == [5, 5]
        assert all(len(theme.tables) == 2 for event in events for theme in event.themes)
        assert 35 <= len(events[0].organisations) <= 45
        assert events[0].organisations == events[1].organisations  # proper names, the same in both languages
        assert all("Esempiano" in organisation.name for organisation in events[0].organisations)
        for event in events:
            tables = event.tables
            phases = Counter(table.phase.value for table in tables)
            assert phases["results"] >= 5 and phases["vote"] == 1 and phases["collect"] == 1, phases
            table_ids = [table.id for table in tables]
            needs = db.session.scalars(select(Need).where(Need.table_id.in_(table_ids))).all()
            assert len({need.table_id for need in needs}) == 10  # every table has needs
            dotted = db.session.scalars(select(Dot.table_id).where(Dot.table_id.in_(table_ids)).distinct()).all()
            assert len(dotted) >= 6
            assert sum(need.merged_into_id is not None for need in needs) >= 3
            assert sum(need.theme_merged_into_id is not None for need in needs) == 1
            assert sum(need.hidden for need in needs) == 1
            assert sum(need.original_text is not None for need in needs) == 1
            # Budgets and caps held: nobody spent more than their dots, nor two on one need.
            for membership in db.session.scalars(select(Membership).where(Membership.table_id.in_(table_ids))):
                live = db.session.scalar(select(func.count(Dot.id)).where(
                    Dot.participant_id == membership.participant_id, Dot.table_id == membership.table_id,
                    Dot.set_aside_by_id.is_(None)))
                assert live == membership.dots_used <= 3
            per_need = db.session.execute(select(Dot.participant_id, Dot.need_id, func.count()).where(
                Dot.table_id.in_(table_ids)).group_by(Dot.participant_id, Dot.need_id)).all()
            assert max(count for *_ids, count in per_need) == 1
            # Ordinary participants of the event, with no phone.
            people = db.session.scalars(select(Participant).where(Participant.event_id == event.id)).all()
            assert len(people) >= 80
            assert not any(person.simulated or person.device_digest for person in people)
            # What the facilitator did is in the log, done by the organizer who loaded the demo.
            actions = Counter(db.session.scalars(select(FacilitationLog.action).where(
                FacilitationLog.event_id == event.id)))
            assert actions["merge"] >= 3 and actions["hide"] == 1 and actions["correct"] == 1
            assert actions["theme_merge"] == 1
        english = db.session.get(Event, demo.en)
        assert english.title.startswith("Demo") and english.themes[0].name == "Families and services for minors"


def test_the_plenary_has_a_ranking_for_every_theme(app, demo):
    with app.app_context():
        for event_id in (demo.it, demo.en):
            snapshot = plenary_snapshot(db.session.get(Event, event_id))
            assert len(snapshot["themes"]) == 5
            for theme in snapshot["themes"]:
                assert theme["ranking"], theme["name"]
                assert theme["ranking"][0]["dots"] > 0, theme["name"]


def _story(app, event_id):
    """What the demo says, without ids or times: themes, tables, needs, rankings."""
    with app.app_context():
        minutes = event_minutes(db.session.get(Event, event_id))
        return {
            "counts": minutes.counts,
            "themes": [(theme.name, theme.colour, [(entry.rank, entry.text, entry.dots, entry.organisations)
                                                   for entry in theme.ranking]) for theme in minutes.themes],
            "tables": [(table.name, table.phase, table.participants, table.dots,
                        [(entry.rank, entry.text, entry.dots) for entry in table.ranking]) for table in minutes.tables],
            "needs": [(line.text, line.original, line.organisation, line.author, line.dots, line.hidden)
                      for line in minutes.needs],
        }


def _fresh_app(tmp_path, migrated_database, name):
    instance = tmp_path / name
    instance.mkdir()
    shutil.copy(migrated_database, instance / "tavoli.sqlite3")
    return create_app(TestingConfig, instance_path=str(instance), PUBLIC_BASE_URL=None)


def _build(app, seed):
    with app.app_context(), unit_of_work():
        organizer = create_account("someone@example.org", "Someone", "correct horse battery", Role.ORGANIZER)
        return [event.id for event in build_demo(organizer, seed)]


def test_the_same_seed_makes_the_same_demo_and_another_seed_another(tmp_path, migrated_database):
    first, second, third = (_fresh_app(tmp_path, migrated_database, name) for name in ("one", "two", "three"))
    stories = []
    for app, seed in ((first, 7), (second, 7), (third, 8)):
        it, en = _build(app, seed)
        stories.append((_story(app, it), _story(app, en)))
    assert stories[0] == stories[1]
    assert stories[0][0]["themes"] != stories[2][0]["themes"]  # other people, other dots
    # The twins are the same morning: the same figures in both languages.
    assert stories[0][0]["counts"] == stories[0][1]["counts"]
    assert [[entry[2] for entry in theme[2]] for theme in stories[0][0]["themes"]] == \
        [[entry[2] for entry in theme[2]] for theme in stories[0][1]["themes"]]
    for app in (first, second, third):
        with app.app_context():
            db.engine.dispose()


def test_a_second_demo_for_the_same_organizer_is_refused(app, demo, runner, database):
    again = runner.invoke(args=["demo"])
    # The refusal is a domain error, said in the app's default language (Italian) on the command line.
    assert again.exit_code != 0 and "Hai già l'evento dimostrativo" in again.output
    assert database.scalar(select(func.count()).select_from(Event)) == 2


def test_the_command_says_which_organizer_when_it_cannot_tell(app, world, runner, database):
    none_yet = runner.invoke(args=["demo"])
    assert none_yet.exit_code != 0 and "no organizer yet" in none_yet.output
    world.account("one@example.org")
    world.account("two@example.org", name="Bea")
    several = runner.invoke(args=["demo"])
    assert several.exit_code != 0 and "--organizer" in several.output
    unknown = runner.invoke(args=["demo", "--organizer", "nobody@example.org"])
    assert unknown.exit_code != 0 and "nobody@example.org" in unknown.output
    assert database.scalar(select(func.count()).select_from(Event)) == 0
    chosen = runner.invoke(args=["demo", "--organizer", "Two@Example.org", "--seed", "3"])
    assert chosen.exit_code == 0, chosen.output
    assert "two@example.org" in chosen.output and "/organize/events/" in chosen.output
    with database.app.app_context():
        organizers = {account.email for event in db.session.scalars(select(Event)) for account in event.organizers}
        assert organizers == {"two@example.org"}
        assert db.session.scalar(select(func.count()).select_from(Account)) == 2
        assert db.session.scalar(select(func.count()).select_from(WorkingTable)) == 20
