"""Rehearsing from the console: the real simulator loop, its controls, its
refusals, and what the projector and the phones are shown."""

import time

from sqlalchemy import func, select

from tests.conftest import World
from tests.contributions.test_live_table import wait_for
from tests.rehearsal.conftest import make_app, rehearsing_table, start_without_loop, steps, wait_until
from workshop.contributions.models import Need
from workshop.events.models import EventStatus
from workshop.extensions import db
from workshop.participants.models import Membership, Participant
from workshop.tables.models import FacilitationLog, WorkingTable
from workshop.tables.simulator import simulator_running


def _state(app, table_id):
    """What a refused rehearsal command must leave as it was."""
    with app.app_context():
        table = db.session.get(WorkingTable, table_id)
        return (table.rehearsal_pace, table.version,
                db.session.scalar(select(func.count(FacilitationLog.id))),
                db.session.scalar(select(func.count(Participant.id))),
                db.session.scalar(select(func.count(Need.id))))


def _log(app, table_id):
    with app.app_context():
        return [(entry.action, entry.detail) for entry in db.session.scalars(
            select(FacilitationLog).where(FacilitationLog.table_id == table_id,
                                          FacilitationLog.action.like("rehearsal%")).order_by(FacilitationLog.id))]


def test_start_at_the_console_fills_the_projector_with_marked_simulated_needs(app, world):
    at = rehearsing_table(world)
    phone = world.phone(at.table)
    assert phone.post("A real need from a person")["ok"]

    ack = at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "fast"})
    assert ack["ok"], ack
    assert ack["rehearsal"] == {"running": True, "pace": 60, "simulated": 0}
    # Everyone at the table learns a rehearsal runs (the banner).
    for client in (at.projector, at.console, phone):
        assert wait_for(client, "table", lambda message: message["table"]["rehearsal"]["running"])

    # The real loop: three simulated participants join, then post marked needs.
    simulated = [wait_for(at.projector, "need_added", lambda message: message["need"]["simulated"], timeout=5)
                 for _ in range(2)]
    assert all(message["need"]["simulated"] is True for message in simulated)
    tally = wait_for(at.projector, "tally", lambda message: message["counters"]["simulated"] == 3)
    assert tally["counters"]["joined"] == 1  # the one real phone, counted apart
    snapshot = at.projector.emit("sync", {})["snapshot"]
    marks = {need["text"]: need["simulated"] for need in snapshot["needs"]}
    assert marks["A real need from a person"] is False
    assert sum(marks.values()) >= 2

    assert at.console.emit("rehearsal", {"action": "stop"})["ok"]
    wait_until(lambda: not simulator_running(app, at.table.id))
    with app.app_context():
        settled = db.session.scalar(select(func.count(Need.id)))
    # Stopped means stopped: nothing more arrives (the fast pace would act every 5 ms).
    time.sleep(0.3)
    with app.app_context():
        assert db.session.scalar(select(func.count(Need.id))) == settled
        assert db.session.get(WorkingTable, at.table.id).rehearsal_pace is None
    # The banner stays while simulated participants are left at the table.
    snapshot = phone.emit("sync", {})["snapshot"]
    assert snapshot["table"]["rehearsal"] == {"running": False, "pace": None, "simulated": 3}
    assert [action for action, _detail in _log(app, at.table.id)] == ["rehearsal_start", "rehearsal_stop"]
    assert _log(app, at.table.id)[0][1] == {"participants": 3, "pace": 60}


def test_a_second_start_changes_the_pace_and_keeps_one_loop(app, world):
    at = rehearsing_table(world)
    assert at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "slow"})["ok"]
    assert simulator_running(app, at.table.id)
    ack = at.console.emit("rehearsal", {"action": "start", "participants": 5, "pace": "normal"})
    assert ack["rehearsal"]["pace"] == 20
    ack = at.console.emit("rehearsal", {"action": "pace", "pace": "fast"})
    assert ack["rehearsal"]["pace"] == 60
    wait_until(lambda: wait_for(at.projector, "tally", lambda message: message["counters"]["simulated"] == 5))
    assert [action for action, _detail in _log(app, at.table.id)] == [
        "rehearsal_start", "rehearsal_change", "rehearsal_pace"]
    assert at.console.emit("rehearsal", {"action": "clear"})["ok"]
    wait_until(lambda: not simulator_running(app, at.table.id))


def test_the_loop_stops_by_itself_at_its_bound(tmp_path, migrated_database):
    app = make_app(tmp_path, migrated_database, REHEARSAL_MAX_ACTIONS=4)
    world = World(app)
    at = rehearsing_table(world)
    assert at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "fast"})["ok"]
    stopped = wait_for(at.console, "table", lambda message: message["v"] > 1
                       and not message["table"]["rehearsal"]["running"], timeout=5)
    assert stopped["table"]["rehearsal"]["simulated"] == 3
    wait_until(lambda: not simulator_running(app, at.table.id))
    with app.app_context():
        # Four actions: three joins and one need.
        assert db.session.scalar(select(func.count(Need.id))) == 1
        assert db.session.scalar(select(func.count(Membership.participant_id))) == 3
    assert _log(app, at.table.id)[-1] == ("rehearsal_stop", {"reason": "limit"})
    with app.app_context():
        db.engine.dispose()


def test_the_loop_stops_when_the_event_closes(app, world):
    at = rehearsing_table(world)
    assert at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "slow"})["ok"]
    with app.app_context():
        table = db.session.get(WorkingTable, at.table.id)
        table.event.status = EventStatus.CLOSED
        db.session.commit()
    wait_until(lambda: not simulator_running(app, at.table.id))
    assert _log(app, at.table.id)[-1] == ("rehearsal_stop", {"reason": "event_closed"})


def test_a_draft_event_can_be_rehearsed_before_phones_can_join(app, world):
    at = rehearsing_table(world, status=EventStatus.DRAFT)
    assert at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "normal"})["ok"]
    assert at.console.emit("rehearsal", {"action": "stop"})["ok"]
    wait_until(lambda: not simulator_running(app, at.table.id))
    assert at.console.emit("rehearsal", {"action": "clear"})["ok"]
    start_without_loop(app, at)  # to see each step
    done = steps(app, at.table.id, 5)
    assert [step["action"] for step in done] == ["join", "join", "join", "post", "post"]
    with app.app_context():
        names = db.session.scalars(select(Participant.display_name).order_by(Participant.id)).all()
    assert names == ["Simulato 1", "Simulato 2", "Simulato 3"]  # the event's language (Italian by default)
    assert at.console.emit("rehearsal", {"action": "clear"})["ok"]


def test_a_closed_event_refuses_a_rehearsal(app, world):
    at = rehearsing_table(world, status=EventStatus.CLOSED)
    before = _state(app, at.table.id)
    ack = at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "normal"})
    assert ack["ok"] is False and ack["error"]["code"] == "event_closed"
    assert _state(app, at.table.id) == before
    assert not simulator_running(app, at.table.id)


def test_bad_rehearsal_commands_are_refused_and_change_nothing(app, world):
    at = rehearsing_table(world)
    before = _state(app, at.table.id)
    for payload, code in [
        ({"action": "start", "participants": 2, "pace": "normal"}, "participants_invalid"),
        ({"action": "start", "participants": 21, "pace": "normal"}, "participants_invalid"),
        ({"action": "start", "participants": True, "pace": "normal"}, "participants_invalid"),
        ({"action": "start", "participants": "many", "pace": "normal"}, "participants_invalid"),
        ({"action": "start", "pace": "normal"}, "participants_invalid"),
        ({"action": "start", "participants": 5, "pace": "turbo"}, "pace_invalid"),
        ({"action": "start", "participants": 5, "pace": 20}, "pace_invalid"),
        ({"action": "start", "participants": 5}, "pace_invalid"),
        ({"action": "pace", "pace": "fast"}, "rehearsal_not_running"),
        ({"action": "stop"}, "rehearsal_not_running"),
        ({"action": "dance"}, "rehearsal_action_invalid"),
        ({}, "rehearsal_action_invalid"),
    ]:
        ack = at.console.emit("rehearsal", payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (payload, ack)
        assert ack["error"]["message"]
    assert at.console.emit("rehearsal", ["start"])["error"]["code"] == "payload_invalid"
    assert _state(app, at.table.id) == before
    assert not simulator_running(app, at.table.id)
    # A pace out of the choices for a running rehearsal changes nothing either.
    assert at.console.emit("rehearsal", {"action": "start", "participants": 3, "pace": "slow"})["ok"]
    running = _state(app, at.table.id)
    assert at.console.emit("rehearsal", {"action": "pace", "pace": "warp"})["error"]["code"] == "pace_invalid"
    assert _state(app, at.table.id)[:3] == running[:3]
    assert at.console.emit("rehearsal", {"action": "clear"})["ok"]


def test_only_the_tables_console_may_rehearse(app, world):
    at = rehearsing_table(world)
    phone = world.phone(at.table)
    before = _state(app, at.table.id)
    start = {"action": "start", "participants": 3, "pace": "fast"}
    assert phone.emit("rehearsal", start)["error"]["code"] == "not_allowed"
    assert at.projector.emit("rehearsal", start)["error"]["code"] == "not_allowed"
    # A facilitator of another table cannot even open this table's console.
    other = world.account(email="other@example.org")
    stranger = world.screen(world.table(organizer=other), other, view="console")
    assert stranger.emit("rehearsal", start)["ok"]  # their own table, not this one
    assert world.screen(at.table, other, view="console").connected is False
    assert _state(app, at.table.id)[:1] == before[:1]
    assert stranger.emit("rehearsal", {"action": "clear"})["ok"]
