"""Facilitating a table through Socket.IO: review, merges with refunds, hide,
correct, pin, own edits, the timer, hidden results, the log, and the plenary
merge across the tables of a theme."""

import time
from types import SimpleNamespace

from sqlalchemy import func, select

from tests.conftest import Phone as ConftestPhone
from tests.conftest import set_phase
from tests.contributions.test_live_table import wait_for
from workshop.accounts.models import Account, Role
from workshop.contributions.merging import merge_across_tables, unmerge_across_tables
from workshop.contributions.models import Dot, Need
from workshop.contributions.results import theme_ranking
from workshop.core.database import unit_of_work
from workshop.events.models import Event
from workshop.extensions import db
from workshop.participants.models import Membership
from workshop.tables.models import FacilitationLog, Phase, WorkingTable


def start(world, **rules):
    """A live event (one table unless told otherwise) with its organizer's projector and console on table 0."""
    organizer = world.account()
    event = world.event(organizer=organizer, **rules)
    table = event.tables[0]
    return SimpleNamespace(
        organizer=organizer, event=event, table=table,
        projector=world.screen(table, organizer), console=world.screen(table, organizer, view="console"),
    )


def dots_used(database, table_id):
    """Each membership's dots_used at the table, in the order the phones joined."""
    rows = database.all(
        select(Membership).where(Membership.table_id == table_id).order_by(Membership.participant_id)
    )
    return [row.dots_used for row in rows]


def live_dots(database, table_id):
    """Each participant's live dots at the table, in the order the phones joined."""
    memberships = database.all(
        select(Membership.participant_id).where(Membership.table_id == table_id).order_by(Membership.participant_id)
    )
    return [
        database.scalar(select(func.count(Dot.id)).where(
            Dot.table_id == table_id, Dot.participant_id == participant, Dot.set_aside_by_id.is_(None)))
        for participant in memberships
    ]


def ranked(console):
    """The table's ranking as the console sees it: [(need id, dots)]."""
    return [(entry["id"], entry["dots"]) for entry in console.emit("sync", {})["snapshot"]["ranking"]]


def moderate(console, action, need, **extra):
    return console.emit("moderate", {"action": action, "need": need, **extra})


def last(client, name):
    messages = client.received(name)
    assert messages, f"no {name!r} message"
    return messages[-1]


def drain(*clients):
    for client in clients:
        client.received()


def set_on_table(app, table_id, **values):
    with app.app_context(), unit_of_work():
        table = db.session.get(WorkingTable, table_id)
        for name, value in values.items():
            setattr(table, name, value)


def make_facilitator(app, table_id, account_id):
    with app.app_context(), unit_of_work():
        table = db.session.get(WorkingTable, table_id)
        table.facilitators.append(db.session.get(Account, account_id))


# -- review and phases ---------------------------------------------------------

def test_phones_post_only_while_collecting(world, database):
    t = start(world)
    phone = world.phone(t.table)
    assert phone.post("Prima")["ok"]
    for phase in ("review", "vote", "results"):
        set_phase(t.console, phase)
        ack = phone.post(f"In {phase}")
        assert ack["ok"] is False and ack["error"]["code"] == "wrong_phase", ack
    assert [need.text for need in database.all(select(Need))] == ["Prima"]


def test_phases_move_one_step_forward_or_back_through_review(world, database):
    t = start(world)

    def phase():
        return database.scalar(select(WorkingTable.phase).where(WorkingTable.id == t.table.id))

    jump = t.console.emit("set_phase", {"from": "collect", "phase": "vote"})
    assert jump["error"]["code"] == "phase_jump" and phase() is Phase.COLLECT
    for source, target in [("collect", "review"), ("review", "collect"), ("collect", "review"),
                           ("review", "vote"), ("vote", "review"), ("review", "vote"), ("vote", "results")]:
        ack = t.console.emit("set_phase", {"from": source, "phase": target})
        assert ack["ok"] and ack["phase"] == target, ack
        assert phase() is Phase(target)
    assert t.console.emit("set_phase", {"from": "results", "phase": "review"})["error"]["code"] == "phase_jump"


def test_a_facilitator_of_another_table_is_refused_at_connect(world, app):
    organizer = world.account()
    event = world.event(organizer=organizer, tables_per_theme=2)
    mine, theirs = event.tables
    facilitator = world.account(email="facilitator@example.org", role=Role.FACILITATOR, name="Fabio")
    make_facilitator(app, theirs.id, facilitator.id)

    assert world.screen(theirs, facilitator, view="console").connected  # their own table: yes
    assert not world.screen(mine, facilitator, view="console").connected
    assert not world.screen(mine, facilitator, view="projector").connected


def test_a_projector_cannot_steer_the_table(world, database):
    t = start(world)
    phone = world.phone(t.table)
    need = phone.post("Casa")["need"]["id"]
    refusals = [
        t.projector.emit("moderate", {"action": "hide", "need": need}),
        t.projector.emit("timer", {"action": "start", "seconds": 300}),
        t.projector.emit("set_phase", {"from": "collect", "phase": "review"}),
        t.projector.emit("reveal", {"revealed": True}),
        phone.emit("moderate", {"action": "hide", "need": need}),
        phone.emit("timer", {"action": "start", "seconds": 300}),
    ]
    assert [ack["error"]["code"] for ack in refusals] == ["not_allowed"] * 6
    table = database.scalar(select(WorkingTable).where(WorkingTable.id == t.table.id))
    assert (table.phase, table.timer_duration_s) == (Phase.COLLECT, 0)
    assert database.scalar(select(Need.hidden).where(Need.id == need)) is False
    assert database.scalar(select(func.count(FacilitationLog.id))) == 0


# -- merging within a table ------------------------------------------------------

def _merge_setup(world, database):
    t = start(world, dots=3, max_per_need=1)
    anna, bruno, carla = (world.phone(t.table) for _ in range(3))
    first = anna.post("Spazi per i ragazzi")["need"]["id"]
    second = bruno.post("Luoghi per i giovani")["need"]["id"]
    other = carla.post("Trasporti")["need"]["id"]
    set_phase(t.console, "vote")
    for phone, need in [(anna, first), (anna, second), (bruno, first), (carla, second)]:
        assert phone.dot(need)["ok"]
    assert ranked(t.console) == [(first, 2), (second, 2), (other, 0)]
    assert dots_used(database, t.table.id) == [2, 1, 1]
    drain(t.console, t.projector, anna, bruno, carla)
    return t, (anna, bruno, carla), (first, second, other)


def test_a_merge_adds_up_the_dots_and_refunds_a_double_dot(world, database):
    t, (anna, bruno, _carla), (first, second, other) = _merge_setup(world, database)

    ack = moderate(t.console, "merge", first, into=second)

    assert ack["ok"], ack
    # anna had a dot on both: one is set aside; bruno's dot on `first` now counts for `second`.
    assert ranked(t.console) == [(second, 3), (other, 0)]
    assert dots_used(database, t.table.id) == [1, 1, 1]
    assert live_dots(database, t.table.id) == [1, 1, 1]
    me = last(anna, "me")["me"]
    assert me["left"] == 3 - 1 and me["dots"] == {str(second): 1}
    assert bruno.received("me") == []  # his budget did not change; his dot now shows on the target:
    assert bruno.emit("sync", {})["snapshot"]["me"]["dots"] == {str(second): 1}
    console_needs = {need["id"]: need for need in last(t.console, "needs")["needs"]}
    assert console_needs[first]["merged_into"] == second and console_needs[second]["merged_into"] is None
    assert [need["id"] for need in last(anna, "needs")["needs"]] == [second, other]
    assert [need["id"] for need in last(t.projector, "needs")["needs"]] == [second, other]


def test_an_unmerge_restores_both_rankings_and_the_refunded_dot(world, database):
    t, (anna, _bruno, _carla), (first, second, other) = _merge_setup(world, database)
    assert moderate(t.console, "merge", first, into=second)["ok"]
    drain(anna, t.console)

    ack = moderate(t.console, "unmerge", first)

    assert ack["ok"], ack
    assert ranked(t.console) == [(first, 2), (second, 2), (other, 0)]
    assert dots_used(database, t.table.id) == [2, 1, 1]
    assert live_dots(database, t.table.id) == [2, 1, 1]
    me = last(anna, "me")["me"]
    assert me["left"] == 1 and me["dots"] == {str(first): 1, str(second): 1}
    assert {need["id"]: need["merged_into"] for need in last(t.console, "needs")["needs"]} == {
        first: None, second: None, other: None}
    assert [need["id"] for need in last(anna, "needs")["needs"]] == [first, second, other]


def test_a_dot_for_a_merged_need_lands_on_its_target_under_the_groups_cap(world, database):
    t, (_anna, bruno, _carla), (first, second, other) = _merge_setup(world, database)
    assert moderate(t.console, "merge", first, into=second)["ok"]
    dora = world.phone(t.table)

    ack = dora.dot(first)
    assert ack["ok"] and ack["need"] == second and ack["me"]["dots"] == {str(second): 1}
    assert ranked(t.console) == [(second, 4), (other, 0)]
    # bruno's dot on `first` counts for the group: no second dot on either side.
    assert bruno.dot(second)["error"]["code"] == "need_cap_reached"
    assert dora.dot(first)["error"]["code"] == "need_cap_reached"
    assert dora.dot(second)["error"]["code"] == "need_cap_reached"
    assert dots_used(database, t.table.id) == [1, 1, 1, 1]
    assert ranked(t.console) == [(second, 4), (other, 0)]


def test_a_need_merged_into_cannot_be_merged_again_or_into_itself(world, database):
    t, _phones, (first, second, other) = _merge_setup(world, database)
    assert moderate(t.console, "merge", first, into=first)["error"]["code"] == "merge_same_need"
    assert moderate(t.console, "merge", first, into=second)["ok"]
    assert moderate(t.console, "merge", first, into=other)["error"]["code"] == "need_merged"
    assert moderate(t.console, "merge", other, into=first)["error"]["code"] == "need_merged"
    assert moderate(t.console, "unmerge", second)["error"]["code"] == "need_not_merged"
    assert ranked(t.console) == [(second, 3), (other, 0)]


# -- hide, correct, pin --------------------------------------------------------------

def test_hiding_refunds_its_dots_and_takes_it_off_phones_and_the_projector(world, database):
    t = start(world, dots=2)
    anna, bruno = world.phone(t.table), world.phone(t.table)
    rude = anna.post("Something rude")["need"]["id"]
    fine = bruno.post("Casa")["need"]["id"]
    set_phase(t.console, "vote")
    anna.dot(rude)
    bruno.dot(rude)
    bruno.dot(fine)
    drain(t.console, t.projector, anna, bruno)

    assert moderate(t.console, "hide", rude)["ok"]

    assert dots_used(database, t.table.id) == [0, 1]
    assert last(anna, "me")["me"] == {"budget": 2, "left": 2, "dots": {}, "needs": [rude]}
    assert last(bruno, "me")["me"]["left"] == 1
    for client in (anna, bruno, t.projector):
        assert [need["id"] for need in last(client, "needs")["needs"]] == [fine]
    assert [need["id"] for need in t.projector.emit("sync", {})["snapshot"]["needs"]] == [fine]
    assert {need["id"]: need["hidden"] for need in last(t.console, "needs")["needs"]} == {rude: True, fine: False}
    assert ranked(t.console) == [(fine, 1)]
    assert anna.dot(rude)["error"]["code"] == "need_hidden"

    assert moderate(t.console, "unhide", rude)["ok"]

    assert dots_used(database, t.table.id) == [1, 2]
    assert live_dots(database, t.table.id) == [1, 2]
    assert last(anna, "me")["me"]["dots"] == {str(rude): 1}
    assert [need["id"] for need in last(bruno, "needs")["needs"]] == [rude, fine]
    assert ranked(t.console) == [(rude, 2), (fine, 1)]


def test_unhiding_gives_back_only_dots_the_budget_still_has_room_for(world, database):
    t = start(world, dots=1)
    anna = world.phone(t.table)
    first, second = anna.post("Uno")["need"]["id"], anna.post("Due")["need"]["id"]
    set_phase(t.console, "vote")
    anna.dot(first)
    assert moderate(t.console, "hide", first)["ok"]
    assert anna.dot(second)["ok"]  # the refund, spent elsewhere
    assert moderate(t.console, "unhide", first)["ok"]
    assert dots_used(database, t.table.id) == [1]
    assert ranked(t.console) == [(second, 1), (first, 0)]


def test_a_correction_keeps_the_original_and_a_pin_reaches_phones(world, database):
    t = start(world)
    phone = world.phone(t.table)
    need = phone.post("Pochi spazzi verdi")["need"]["id"]
    set_phase(t.console, "review")
    drain(phone, t.console, t.projector)

    assert moderate(t.console, "correct", need, text="  Pochi spazi   verdi ")["ok"]

    (shown,) = last(phone, "needs")["needs"]
    assert shown["text"] == "Pochi spazi verdi" and "original" not in shown
    (seen,) = last(t.console, "needs")["needs"]
    assert (seen["text"], seen["original"]) == ("Pochi spazi verdi", "Pochi spazzi verdi")
    assert moderate(t.console, "correct", need, text="Pochi spazi verdi in centro")["ok"]
    stored = database.scalar(select(Need).where(Need.id == need))
    assert (stored.text, stored.original_text) == ("Pochi spazi verdi in centro", "Pochi spazzi verdi")
    assert moderate(t.console, "correct", need, text="   ")["error"]["code"] == "text_empty"

    assert moderate(t.console, "pin", need)["ok"]
    assert [n["pinned"] for n in last(phone, "needs")["needs"]] == [True]
    assert [n["pinned"] for n in last(t.projector, "needs")["needs"]] == [True]
    assert moderate(t.console, "unpin", need)["ok"]
    assert [n["pinned"] for n in last(phone, "needs")["needs"]] == [False]


# -- participants' own needs ---------------------------------------------------------

def edit(phone, need, text):
    return phone.emit("edit_need", {"id": phone.new_id(), "need": need, "text": text})


def delete(phone, need):
    return phone.emit("delete_need", {"id": phone.new_id(), "need": need})


def test_participants_edit_and_delete_only_their_own_needs_while_collecting(world, database):
    t = start(world)
    anna, bruno = world.phone(t.table), world.phone(t.table)
    mine = anna.post("Asili nidi")["need"]["id"]
    gone = anna.post("Refuso")["need"]["id"]
    drain(anna, bruno)

    assert edit(bruno, mine, "Hijacked")["error"]["code"] == "not_your_need"
    assert delete(bruno, mine)["error"]["code"] == "not_your_need"
    ack = edit(anna, mine, "Asili nido")
    assert ack["ok"] and ack["need"]["text"] == "Asili nido"
    assert [need["text"] for need in last(bruno, "needs")["needs"]] == ["Asili nido", "Refuso"]
    deleted = delete(anna, gone)
    assert deleted["ok"] and deleted["deleted"] == gone
    assert [need["id"] for need in last(bruno, "needs")["needs"]] == [mine]
    assert [need.text for need in database.all(select(Need))] == ["Asili nido"]

    set_phase(t.console, "review")
    assert edit(anna, mine, "Too late")["error"]["code"] == "wrong_phase"
    assert delete(anna, mine)["error"]["code"] == "wrong_phase"
    assert [need.text for need in database.all(select(Need))] == ["Asili nido"]


def test_deleting_a_need_after_going_back_from_the_vote_refunds_its_dots(world, database):
    t = start(world, dots=2)
    anna, bruno = world.phone(t.table), world.phone(t.table)
    need = anna.post("Parcheggi")["need"]["id"]
    kept = anna.post("Piste ciclabili")["need"]["id"]
    set_phase(t.console, "vote")
    anna.dot(need)
    bruno.dot(need)
    bruno.dot(kept)
    set_phase(t.console, "collect")
    drain(anna, bruno)

    ack = delete(anna, need)

    assert ack["ok"] and ack["deleted"] == need
    assert dots_used(database, t.table.id) == [0, 1]
    assert database.scalar(select(func.count(Dot.id))) == 1
    assert last(bruno, "me")["me"] == {"budget": 2, "left": 1, "dots": {str(kept): 1}, "needs": []}
    assert last(anna, "me")["me"]["left"] == 2


# -- the timer ---------------------------------------------------------------------------

def test_the_timer_reaches_every_client_and_a_phase_change_clears_it(world, database):
    t = start(world)
    phone = world.phone(t.table)
    clients = (phone, t.projector, t.console)
    drain(*clients)

    assert t.console.emit("timer", {"action": "start", "seconds": 300})["ok"]
    for client in clients:
        timer = last(client, "timer")["timer"]
        assert timer["running"] is True and timer["duration"] == 300 and 295 <= timer["remaining"] <= 300

    assert t.console.emit("timer", {"action": "pause"})["ok"]
    paused = last(phone, "timer")["timer"]
    assert paused["running"] is False and 295 <= paused["remaining"] <= 300
    time.sleep(0.3)
    assert phone.emit("sync", {})["snapshot"]["timer"]["remaining"] == paused["remaining"]

    extended = t.console.emit("timer", {"action": "extend", "seconds": 60})
    assert extended["ok"] and extended["timer"]["duration"] == 360
    assert 355 <= last(t.projector, "timer")["timer"]["remaining"] <= 360
    assert t.console.emit("timer", {"action": "resume"})["timer"]["running"] is True

    for bad in (0, -5, "x", 10**9, None):
        for action in ("start", "extend"):
            ack = t.console.emit("timer", {"action": action, "seconds": bad})
            assert ack["ok"] is False and ack["error"]["code"] == "timer_seconds_invalid", (action, bad, ack)
    assert database.scalar(select(WorkingTable.timer_duration_s)) == 360

    set_phase(t.console, "review")
    for client in clients:
        assert last(client, "phase")["timer"] is None
    assert phone.emit("sync", {})["snapshot"]["timer"] is None
    assert t.console.emit("timer", {"action": "pause"})["error"]["code"] == "timer_not_running"


# -- results hidden until revealed -------------------------------------------------------

def test_hidden_results_reach_phones_and_the_projector_only_once_revealed(world, app):
    t = start(world)
    set_on_table(app, t.table.id, results_hidden=True)
    phone = world.phone(t.table)
    need = phone.post("Biblioteca aperta la sera")["need"]["id"]
    set_phase(t.console, "vote")
    phone.dot(need)
    wait_for(t.console, "tally", lambda tally: tally["counters"]["dots"] == 1)
    set_phase(t.console, "results")
    time.sleep(0.15)  # a few tally intervals
    drain(t.console, t.projector, phone)
    world.phone(t.table)  # a new phone connecting marks the table for a fresh tally
    tally = wait_for(t.projector, "tally", lambda tally: tally["counters"]["joined"] == 2)
    assert tally["ranking"] is None
    assert phone.received("tally") == []
    assert phone.emit("sync", {})["snapshot"]["ranking"] is None
    assert t.projector.emit("sync", {})["snapshot"]["ranking"] is None
    assert [e["dots"] for e in t.console.emit("sync", {})["snapshot"]["ranking"]] == [1]

    assert t.console.emit("reveal", {"revealed": True})["revealed"] is True

    revealed = last(phone, "table")
    expected = [(need, 1)]
    assert revealed["table"]["revealed"] is True
    assert [(e["id"], e["dots"]) for e in revealed["ranking"]] == expected
    assert [(e["id"], e["dots"]) for e in wait_for(phone, "tally")["ranking"]] == expected
    shown = wait_for(t.projector, "tally", lambda tally: tally["ranking"] is not None)
    assert [(e["id"], e["dots"]) for e in shown["ranking"]] == expected
    assert [(e["id"], e["dots"]) for e in phone.emit("sync", {})["snapshot"]["ranking"]] == expected

    # Taking the reveal back takes the ranking off phones and the projector
    # at once (no tally reaches phones while results are hidden).
    drain(t.console, t.projector, phone)
    assert t.console.emit("reveal", {"revealed": False})["revealed"] is False
    for client in (phone, t.projector):
        hidden_again = last(client, "table")
        assert hidden_again["table"]["revealed"] is False and hidden_again["ranking"] is None
    assert [e["dots"] for e in last(t.console, "table")["ranking"]] == [1]


def test_reveal_needs_a_table_with_hidden_results(world, database):
    t = start(world)
    ack = t.console.emit("reveal", {"revealed": True})
    assert ack["ok"] is False and ack["error"]["code"] == "results_not_hidden"
    assert t.console.emit("reveal", {"revealed": "yes"})["error"]["code"] == "revealed_invalid"
    assert database.scalar(select(WorkingTable.results_revealed)) is False


# -- the log -------------------------------------------------------------------------------

def test_every_facilitator_action_is_logged_with_its_account(world, app, database):
    organizer = world.account()
    event = world.event(organizer=organizer)
    table = event.tables[0]
    facilitator = world.account(email="facilitator@example.org", role=Role.FACILITATOR, name="Fabio")
    make_facilitator(app, table.id, facilitator.id)
    set_on_table(app, table.id, results_hidden=True)
    console = world.screen(table, facilitator, view="console")
    assert console.connected
    phone = world.phone(table)
    first, second = phone.post("Uno")["need"]["id"], phone.post("Due")["need"]["id"]

    steps = [
        ("moderate", {"action": "correct", "need": first, "text": "Uno!"}),
        ("moderate", {"action": "pin", "need": first}),
        ("moderate", {"action": "unpin", "need": first}),
        ("moderate", {"action": "hide", "need": second}),
        ("moderate", {"action": "unhide", "need": second}),
        ("moderate", {"action": "merge", "need": second, "into": first}),
        ("moderate", {"action": "unmerge", "need": second}),
        ("timer", {"action": "start", "seconds": 120}),
        ("timer", {"action": "pause"}),
        ("timer", {"action": "resume"}),
        ("timer", {"action": "extend", "seconds": 30}),
        ("reveal", {"revealed": True}),
        ("reveal", {"revealed": False}),
        ("set_phase", {"from": "collect", "phase": "review"}),
    ]
    for name, payload in steps:
        assert console.emit(name, payload)["ok"], (name, payload)

    log = database.all(select(FacilitationLog).order_by(FacilitationLog.id))
    assert [(entry.action, entry.need_id) for entry in log] == [
        ("correct", first), ("pin", first), ("unpin", first), ("hide", second), ("unhide", second),
        ("merge", second), ("unmerge", second), ("timer_start", None), ("timer_pause", None),
        ("timer_resume", None), ("timer_extend", None), ("reveal", None), ("unreveal", None), ("phase", None),
    ]
    assert {entry.account_id for entry in log} == {facilitator.id}
    assert {entry.table_id for entry in log} == {table.id}
    assert log[0].detail == {"before": "Uno", "after": "Uno!"}
    assert log[5].detail == {"into": first}
    assert log[10].detail == {"seconds": 30}
    assert all(entry.at is not None for entry in log)


# -- the plenary: merging across the tables of a theme ---------------------------------------

def test_a_merge_across_tables_adds_up_at_the_theme_and_refunds_a_double_dot(world, app, database):
    organizer = world.account()
    event = world.event(organizer=organizer, tables_per_theme=2, dots=2, max_per_need=1)
    one, two = event.tables
    with app.app_context(), unit_of_work():
        event_row = db.session.get(Event, event.id)
        event_row.allow_table_change = True
    consoles = [world.screen(table, organizer, view="console") for table in event.tables]
    anna = world.phone(one)
    bruno = world.phone(two)
    anna_at_two = ConftestPhone(app, two.join_code, http=anna.http)
    assert anna_at_two.connected
    here = anna.post("Spazi studio")["need"]["id"]
    there = bruno.post("Aule studio aperte")["need"]["id"]
    for console in consoles:
        set_phase(console, "vote")
    assert anna.dot(here)["ok"] and anna_at_two.dot(there)["ok"] and bruno.dot(there)["ok"]
    drain(anna, anna_at_two)

    def plenary():
        with app.app_context():
            event_row = db.session.get(Event, event.id)
            return [(e["id"], e["dots"], e["table_count"]) for e in theme_ranking(event_row.themes[0])]

    def plenary_merge(operation, *need_ids):
        with app.app_context(), unit_of_work():
            actor = db.session.get(Account, organizer.id)
            operation(db.session.get(Event, event.id), actor, *(db.session.get(Need, i) for i in need_ids))

    assert plenary() == [(there, 2, 1), (here, 1, 1)]

    plenary_merge(merge_across_tables, here, there)

    assert plenary() == [(there, 2, 2)]
    # anna's dot at table one is set aside: she had one on each side of the merge.
    assert dots_used(database, one.id) == [0]
    assert dots_used(database, two.id) == [1, 1]
    assert last(anna, "me")["me"]["left"] == 2
    # Each table's own ranking stays as the table voted it, minus the refund.
    assert ranked(consoles[0]) == [(here, 0)]
    assert ranked(consoles[1]) == [(there, 2)]
    log = database.scalar(select(FacilitationLog).where(FacilitationLog.action == "theme_merge"))
    assert (log.account_id, log.need_id, log.table_id, log.detail) == (organizer.id, here, None, {"into": there})

    plenary_merge(unmerge_across_tables, here)

    assert plenary() == [(there, 2, 1), (here, 1, 1)]
    assert dots_used(database, one.id) == [1]
    assert last(anna, "me")["me"]["left"] == 1
    assert ranked(consoles[0]) == [(here, 1)]


def test_a_hidden_group_cannot_be_split_and_unhiding_gives_its_dots_back(world, database):
    t = start(world, dots=3, max_per_need=1)
    anna, bruno = world.phone(t.table), world.phone(t.table)
    root = anna.post("Verde pubblico")["need"]["id"]
    member = bruno.post("Parchi curati")["need"]["id"]
    set_phase(t.console, "vote")
    assert anna.dot(member)["ok"]
    assert moderate(t.console, "merge", member, into=root)["ok"]
    assert moderate(t.console, "hide", root)["ok"]  # anna's dot on `member` is set aside
    assert live_dots(database, t.table.id) == [0, 0]

    refused = moderate(t.console, "unmerge", member)
    assert refused["ok"] is False and refused["error"]["code"] == "need_hidden"
    assert database.scalar(select(Need.merged_into_id).where(Need.id == member)) == root

    assert moderate(t.console, "unhide", root)["ok"]
    assert live_dots(database, t.table.id) == [1, 0] and dots_used(database, t.table.id) == [1, 0]
    assert ranked(t.console) == [(root, 1)]


def mover_event(world, app, caps=(1, 1), dots=3, organizer_email="organizer@example.org"):
    """A live event of one theme with two tables (the most dots per need of
    each as given) that lets participants change table; its two consoles in
    the vote, and the organizer."""
    organizer = world.account(organizer_email)
    event = world.event(organizer=organizer, tables_per_theme=2, dots=dots)
    with app.app_context(), unit_of_work():
        db.session.get(Event, event.id).allow_table_change = True
        for table, cap in zip(event.tables, caps, strict=True):
            db.session.get(WorkingTable, table.id).max_dots_per_need = cap
    consoles = [world.screen(table, organizer, view="console") for table in event.tables]
    return organizer, event, consoles


def moved(app, phone, table):
    """The same phone (same device) joining another table of its event."""
    return ConftestPhone(app, table.join_code, http=phone.http)


def plenary_merge(app, event, organizer, operation, *needs):
    with app.app_context(), unit_of_work():
        operation(db.session.get(Event, event.id), db.session.get(Account, organizer.id),
                  *(db.session.get(Need, need) for need in needs))


def live_on(database, participant_phone_needs):
    return database.scalar(select(func.count(Dot.id)).where(
        Dot.need_id.in_(participant_phone_needs), Dot.set_aside_by_id.is_(None)))


def test_a_plenary_unmerge_gives_no_dot_back_onto_a_need_hidden_meanwhile(world, app, database):
    organizer, event, consoles = mover_event(world, app)
    one, two = event.tables
    anna = world.phone(one)
    here = anna.post("Doposcuola")["need"]["id"]
    anna_there = moved(app, anna, two)
    there = world.phone(two).post("Aiuto compiti")["need"]["id"]
    for console in consoles:
        set_phase(console, "vote")
    assert anna.dot(here)["ok"] and anna_there.dot(there)["ok"]
    plenary_merge(app, event, organizer, merge_across_tables, here, there)
    assert live_on(database, [here, there]) == 1  # the cap of 1: her dot at `here` set aside
    assert moderate(consoles[0], "hide", here)["ok"]

    plenary_merge(app, event, organizer, unmerge_across_tables, here)

    assert live_on(database, [here]) == 0  # `here` is hidden: its dot stays aside...
    assert dots_used(database, one.id) == [0]  # ...and stays refunded
    assert live_on(database, [there]) == 1


def test_a_plenary_merge_caps_dots_at_the_smaller_tables_cap_whichever_way_it_is_made(world, app, database):
    for number, direction in enumerate(("into the stricter table", "into the looser table")):
        organizer, event, consoles = mover_event(world, app, caps=(1, 2), organizer_email=f"o{number}@example.org")
        strict, loose = event.tables
        anna = world.phone(strict)
        here = anna.post(f"Casa ({direction})")["need"]["id"]
        anna_there = moved(app, anna, loose)
        there = world.phone(loose).post(f"Alloggi ({direction})")["need"]["id"]
        for console in consoles:
            set_phase(console, "vote")
        assert anna.dot(here)["ok"] and anna_there.dot(there)["ok"] and anna_there.dot(there)["ok"]
        source, target = (there, here) if direction == "into the stricter table" else (here, there)

        plenary_merge(app, event, organizer, merge_across_tables, source, target)

        assert live_on(database, [here, there]) == 1, direction
        assert sum(dots_used(database, strict.id) + dots_used(database, loose.id)) == 1, direction


def test_a_participant_at_two_tables_cannot_pass_the_cap_on_a_need_merged_at_the_plenary(world, app, database):
    organizer, event, consoles = mover_event(world, app)
    one, two = event.tables
    anna = world.phone(one)
    here = anna.post("Trasporti serali")["need"]["id"]
    anna_there = moved(app, anna, two)
    there = world.phone(two).post("Autobus di notte")["need"]["id"]
    for console in consoles:
        set_phase(console, "vote")
    assert anna.dot(here)["ok"]
    plenary_merge(app, event, organizer, merge_across_tables, here, there)

    refused = anna_there.dot(there)

    assert refused["ok"] is False and refused["error"]["code"] == "need_cap_reached"
    assert live_on(database, [here, there]) == 1 and dots_used(database, two.id) == [0, 0]


def test_a_need_merged_at_the_plenary_can_no_longer_be_edited_or_deleted_by_its_authors(world, app, database):
    organizer = world.account()
    event = world.event(organizer=organizer, tables_per_theme=2)
    anna, bruno = world.phone(event.tables[0]), world.phone(event.tables[1])
    here = anna.post("Sportello casa")["need"]["id"]
    there = bruno.post("Sportello abitare")["need"]["id"]
    plenary_merge(app, event, organizer, merge_across_tables, here, there)

    for phone, need, code in ((anna, here, "need_moderated"), (bruno, there, "need_has_merges")):
        refused = phone.emit("delete_need", {"id": phone.new_id(), "need": need})
        assert refused["ok"] is False and refused["error"]["code"] == code, refused
    edit = anna.emit("edit_need", {"id": anna.new_id(), "need": here, "text": "Altro"})
    assert edit["ok"] is False and edit["error"]["code"] == "need_moderated"
    assert sorted(database.all(select(Need.text))) == ["Sportello abitare", "Sportello casa"]


def test_hiding_a_plenary_merge_target_keeps_the_other_tables_dots_at_the_plenary(world, app, database):
    organizer = world.account()
    event = world.event(organizer=organizer, tables_per_theme=2, dots=2, max_per_need=1)
    one, two = event.tables
    consoles = [world.screen(table, organizer, view="console") for table in event.tables]
    anna, bruno = world.phone(one), world.phone(two)
    here = anna.post("Spazi studio")["need"]["id"]
    there = bruno.post("Aule studio")["need"]["id"]
    for console in consoles:
        set_phase(console, "vote")
    assert anna.dot(here)["ok"] and bruno.dot(there)["ok"]
    with app.app_context(), unit_of_work():
        merge_across_tables(db.session.get(Event, event.id), db.session.get(Account, organizer.id),
                            db.session.get(Need, here), db.session.get(Need, there))
    assert moderate(consoles[1], "hide", there)["ok"]

    assert ranked(consoles[0]) == [(here, 1)]  # table one still counts anna's live dot
    with app.app_context():
        plenary = theme_ranking(db.session.get(Event, event.id).themes[0])
        assert sum(entry["dots"] for entry in plenary) == 1
