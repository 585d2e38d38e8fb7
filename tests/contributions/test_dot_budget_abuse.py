"""A participant cannot spend more than the dot budget by any means.

Tried here through the live connection, as a phone would: many tabs sending at
once from threads, every action sent again from several tabs with the same id,
casting and taking back in a storm, replaying an old action after undoing it,
a forged or altered device cookie, a cookie copied to a second phone, and the
same cookie at another table. The rate limit on dots is lifted in these tests:
the budget, not the limit, is what is checked.
"""

import random
import threading
from collections import defaultdict

import pytest
from itsdangerous import Signer
from sqlalchemy import func, select, update

from tests.conftest import Phone, set_phase
from workshop.contributions.models import ClientAction, Dot
from workshop.core.database import unit_of_work
from workshop.core.security import new_token
from workshop.events.models import Event
from workshop.extensions import db, socketio
from workshop.participants.models import Membership, Participant


@pytest.fixture(autouse=True)
def no_rate_limit_on_dots(app):
    app.config["RATELIMIT_DOTS"] = "100000 per minute"


def voting_table(world, dots=5, max_per_need=5, needs=6, tables_per_theme=1, organizer=None):
    """An event whose first table is in the vote with `needs` needs; returns (event, console, need ids)."""
    organizer = organizer or world.account()
    event = world.event(organizer=organizer, dots=dots, max_per_need=max_per_need, tables_per_theme=tables_per_theme)
    console = world.screen(event.tables[0], organizer, view="console")
    poster = world.phone(event.tables[0])
    need_ids = [poster.post(f"Bisogno {n}")["need"]["id"] for n in range(needs)]
    set_phase(console, "vote")
    return event, console, need_ids


def run_at_once(tasks):
    """Run the callables in threads that all start together; returns their results in order."""
    results, start = [None] * len(tasks), threading.Barrier(len(tasks))

    def run(index):
        start.wait()
        results[index] = tasks[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def first_participant(database):
    """The participant who joined last."""
    return database.scalar(select(Participant.id).order_by(Participant.id.desc()))


def test_tabs_sending_at_once_each_action_three_times_spend_exactly_the_budget(app, world, database):
    organizer = world.account()
    for round_number in range(3):
        event, _console, needs = voting_table(world, organizer=organizer)
        phone = world.phone(event.tables[0])
        tabs = [phone] + [phone.another_tab(app) for _ in range(9)]
        actions = [(f"r{round_number}-dot-{n:04d}", needs[n % len(needs)]) for n in range(12)]
        # Every action is sent by three different tabs, all at the same moment.
        sends = [(tabs[(n + copy * 3) % len(tabs)], action_id, need)
                 for n, (action_id, need) in enumerate(actions) for copy in range(3)]
        random.Random(round_number).shuffle(sends)
        acks = run_at_once([lambda tab=tab, a=action_id, need=need: (a, tab.dot(need, a))
                            for tab, action_id, need in sends])

        answers = defaultdict(list)
        for action_id, ack in acks:
            answers[action_id].append(ack)
        accepted = {action_id for action_id, got in answers.items() if got[0]["ok"]}
        for got in answers.values():
            # The three copies of an action get one and the same answer (nothing frees a dot here).
            assert all(ack == got[0] for ack in got), got
            assert got[0]["ok"] or got[0]["error"]["code"] == "budget_exceeded", got
        assert len(accepted) == 5
        participant = first_participant(database)
        mine = Dot.participant_id == participant
        assert database.scalar(select(func.count(Dot.id)).where(mine)) == 5
        assert database.scalar(select(Membership.dots_used).where(Membership.participant_id == participant)) == 5
        assert database.scalar(select(func.count(ClientAction.id)).where(
            ClientAction.participant_id == participant, ClientAction.kind == "cast_dot")) == 5


def test_a_storm_of_dots_and_take_backs_from_several_tabs_keeps_the_budget_and_the_counter_true(app, world, database):
    event, _console, needs = voting_table(world, dots=4, max_per_need=2, needs=3)
    phone = world.phone(event.tables[0])
    tabs = [phone] + [phone.another_tab(app) for _ in range(7)]
    chooser = random.Random(7)
    sends = []
    for n in range(60):
        kind = chooser.choice(["dot", "dot", "take_back"])
        action_id, need = f"storm-{n:04d}", chooser.choice(needs)
        for _copy in range(chooser.choice([1, 2, 3])):  # some sent again, from other tabs
            sends.append((chooser.choice(tabs), kind, action_id, need))
    chooser.shuffle(sends)
    for batch_start in range(0, len(sends), 16):
        batch = sends[batch_start:batch_start + 16]
        run_at_once([lambda tab=tab, kind=kind, a=action_id, need=need: getattr(tab, kind)(need, a)
                     for tab, kind, action_id, need in batch])

    participant = first_participant(database)
    live = database.all(select(Dot.need_id).where(Dot.participant_id == participant, Dot.set_aside_by_id.is_(None)))
    counter = database.scalar(select(Membership.dots_used).where(Membership.participant_id == participant))
    assert counter == len(live) <= 4
    assert all(live.count(need) <= 2 for need in needs)
    me = phone.emit("sync", {})["snapshot"]["me"]
    assert me["left"] == 4 - len(live)


def test_an_old_action_replayed_after_it_was_undone_spends_nothing(app, world, database):
    event, _console, needs = voting_table(world, dots=1)
    phone = world.phone(event.tables[0])
    first = phone.dot(needs[0], "replayed-dot-01")
    assert first["ok"] and first["me"]["left"] == 0
    assert phone.take_back(needs[0], "take-back-01")["ok"]
    assert phone.dot(needs[0], "replayed-dot-01") == first  # the first answer, not a new dot
    assert database.scalar(select(func.count(Dot.id))) == 0
    reused = phone.take_back(needs[0], "replayed-dot-01")
    assert reused["ok"] is False and reused["error"]["code"] == "action_id_reused"
    assert phone.dot(needs[1], "a-new-dot-01")["ok"]
    mine = Membership.participant_id == first_participant(database)
    assert database.scalar(select(Membership.dots_used).where(mine)) == 1



def test_a_forged_or_altered_device_cookie_cannot_join_or_vote(app, world, database):
    event, _console, _needs = voting_table(world)
    code = event.tables[0].join_code
    cookie_name = app.config["DEVICE_COOKIE_NAME"]
    honest = app.test_client()
    honest.get(f"/j/{code}")
    genuine = honest.get_cookie(cookie_name).value
    token, signature = genuine.rsplit(".", 1)
    participants_before = database.scalar(select(func.count(Participant.id)))
    forgeries = [
        token + "." + ("A" if signature[0] != "A" else "B") + signature[1:],  # altered signature
        new_token() + "." + signature,  # another token under this signature
        Signer("a guessed secret key", salt="tavoli-device").sign(new_token()).decode(),  # signed with another key
        new_token(),  # no signature at all
    ]
    for forged in forgeries:
        forger = app.test_client()
        forger.set_cookie(cookie_name, forged)
        connection = socketio.test_client(app, flask_test_client=forger, auth={"table": code, "view": "phone"})
        assert not connection.is_connected(), forged
    assert database.scalar(select(func.count(Participant.id))) == participants_before


def test_a_cookie_copied_to_another_phone_is_the_same_participant_with_one_budget(app, world, database):
    event, _console, needs = voting_table(world, dots=3)
    code = event.tables[0].join_code
    first = world.phone(event.tables[0])
    copy_http = app.test_client()
    copy_http.set_cookie(app.config["DEVICE_COOKIE_NAME"],
                         first.http.get_cookie(app.config["DEVICE_COOKIE_NAME"]).value)
    second = Phone(app, code, http=copy_http)
    acks = run_at_once([lambda n=n: (first if n % 2 else second).dot(needs[n]) for n in range(6)])
    assert sum(ack["ok"] for ack in acks) == 3
    participant = first_participant(database)
    assert database.scalar(select(func.count(Participant.id)).where(Participant.event_id == event.id)) == 2  # poster
    assert database.scalar(select(func.count(Dot.id)).where(Dot.participant_id == participant)) == 3


def test_the_same_cookie_at_another_table_is_one_participant_within_each_tables_budget(app, world, database):
    event, _console, needs = voting_table(world, dots=2, tables_per_theme=2)
    table_a, table_b = event.tables
    phone = world.phone(table_a)
    assert phone.dot(needs[0])["ok"] and phone.dot(needs[1])["ok"]
    assert phone.dot(needs[2])["error"]["code"] == "budget_exceeded"

    # This event does not allow changing tables: the other table refuses the phone.
    elsewhere = socketio.test_client(app, flask_test_client=phone.http, auth={"table": table_b.join_code,
                                                                             "view": "phone"})
    assert not elsewhere.is_connected()
    with app.app_context(), unit_of_work():
        db.session.execute(update(Event).where(Event.id == event.id).values(allow_table_change=True))
    at_b = Phone(app, table_b.join_code, http=phone.http)
    assert at_b.connected
    participant = first_participant(database)
    assert database.scalar(select(func.count(Participant.id)).where(Participant.device_digest.is_not(None))) == 2
    assert database.scalar(select(func.count(Membership.table_id)).where(Membership.participant_id == participant)) == 2
    # Table A's budget is still spent, whatever the phone does at table B.
    assert phone.dot(needs[3])["error"]["code"] == "budget_exceeded"
    assert database.scalar(select(Membership.dots_used).where(Membership.participant_id == participant,
                                                              Membership.table_id == table_a.id)) == 2
