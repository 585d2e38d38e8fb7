"""A live table through Socket.IO: two phones, a projector, a console."""

import threading
import time

from sqlalchemy import func, select

from tests.conftest import Client, Phone, set_phase
from workshop.contributions.models import ClientAction, Dot, Need
from workshop.participants.models import Membership
from workshop.tables.models import FacilitationLog, WorkingTable


def wait_for(client, name, predicate=lambda payload: True, timeout=3.0):
    """The first `name` event the client receives that satisfies predicate."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for payload in client.received(name):
            if predicate(payload):
                return payload
        time.sleep(0.02)
    raise AssertionError(f"no matching {name!r} event within {timeout}s")


def start_table(world, **rules):
    organizer = world.account()
    table = world.table(organizer=organizer, **rules)
    projector = world.screen(table, organizer)
    console = world.screen(table, organizer, view="console")
    return table, projector, console


def test_every_client_gets_a_snapshot_when_it_connects(world):
    table, projector, _console = start_table(world)
    phone = world.phone(table)
    snapshot = phone.received("snapshot")[0]
    assert snapshot["phase"] == "collect"
    assert snapshot["table"]["code"] == table.join_code
    assert snapshot["me"] == {"budget": 3, "left": 3, "dots": {}, "needs": []}
    assert snapshot["needs"] == []
    assert "counters" in projector.received("snapshot")[0]


def test_a_post_reaches_both_phones_and_the_projector(world, database):
    table, projector, console = start_table(world)
    anna, bruno = world.phone(table), world.phone(table)
    for client in (anna, bruno, projector, console):
        client.received()

    ack = anna.post("  Pochi spazi   per i ragazzi  dopo le 18  ")

    assert ack["ok"] is True
    assert ack["need"]["text"] == "Pochi spazi per i ragazzi dopo le 18"
    for client in (anna, bruno, projector, console):
        (message,) = client.received("need_added")
        assert message["need"] == ack["need"]
        assert message["v"] == ack["v"]
    stored = database.all(select(Need))
    assert [need.text for need in stored] == ["Pochi spazi per i ragazzi dopo le 18"]


def test_the_same_post_id_sent_twice_makes_one_need_and_the_same_answer(world, database):
    table, _projector, _console = start_table(world)
    phone = world.phone(table)
    first = phone.post("Affitti troppo alti", action_id="retry-after-wifi-drop")
    again = phone.post("Affitti troppo alti", action_id="retry-after-wifi-drop")
    assert first["ok"] and again == first
    assert database.scalar(select(func.count(Need.id))) == 1
    assert database.scalar(select(func.count(ClientAction.id))) == 1


def test_an_action_id_reused_for_another_action_is_refused(world, database):
    table, _projector, console = start_table(world)
    phone = world.phone(table)
    need = phone.post("Trasporti serali", action_id="the-same-id")["need"]
    set_phase(console, "vote")
    ack = phone.dot(need["id"], action_id="the-same-id")
    assert ack == {"ok": False, "error": {"code": "action_id_reused", "message": ack["error"]["message"]}}
    assert database.scalar(select(func.count(Dot.id))) == 0


def test_a_dot_beyond_the_budget_is_refused_and_changes_nothing(world, database):
    table, _projector, console = start_table(world, dots=2)
    phone = world.phone(table)
    needs = [phone.post(f"Need {n}")["need"]["id"] for n in range(3)]
    set_phase(console, "vote")

    assert phone.dot(needs[0])["me"]["left"] == 1
    assert phone.dot(needs[1])["me"]["left"] == 0
    refused = phone.dot(needs[2])

    assert refused["ok"] is False
    assert refused["error"]["code"] == "budget_exceeded"
    assert refused["error"]["message"]
    assert database.scalar(select(func.count(Dot.id))) == 2
    assert database.scalar(select(Membership.dots_used)) == 2


def test_a_dot_taken_back_frees_the_budget(world):
    table, _projector, console = start_table(world, dots=1)
    phone = world.phone(table)
    first, second = (phone.post(text)["need"]["id"] for text in ("Casa", "Lavoro"))
    set_phase(console, "vote")
    phone.dot(first)
    assert phone.dot(second)["error"]["code"] == "budget_exceeded"

    back = phone.take_back(first)
    assert back["ok"] and back["me"] == {"budget": 1, "left": 1, "dots": {}, "needs": [first, second]}
    moved = phone.dot(second)
    assert moved["ok"] and moved["me"]["dots"] == {str(second): 1}
    assert phone.take_back(first)["error"]["code"] == "no_dot"


def test_at_most_one_dot_per_need_by_default(world, database):
    table, _projector, console = start_table(world)
    phone = world.phone(table)
    need = phone.post("Solitudine degli anziani")["need"]["id"]
    set_phase(console, "vote")
    assert phone.dot(need)["ok"]
    again = phone.dot(need)
    assert again["error"]["code"] == "need_cap_reached"
    assert database.scalar(select(Membership.dots_used)) == 1


def test_voting_outside_the_vote_phase_is_refused(world, database):
    table, _projector, console = start_table(world)
    phone = world.phone(table)
    need = phone.post("Servizi per l'infanzia")["need"]["id"]

    assert phone.dot(need)["error"]["code"] == "wrong_phase"  # still collecting
    set_phase(console, "vote")
    assert phone.post("Too late")["error"]["code"] == "wrong_phase"
    set_phase(console, "results")
    assert phone.dot(need)["error"]["code"] == "wrong_phase"
    assert database.scalar(select(func.count(Dot.id))) == 0


def test_a_participant_cannot_change_the_phase(world, database):
    table, _projector, _console = start_table(world)
    phone = world.phone(table)
    ack = phone.emit("set_phase", {"phase": "vote"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed"
    assert database.scalar(select(WorkingTable.phase).where(WorkingTable.id == table.id)).value == "collect"


def test_a_phase_change_reaches_everyone_and_is_logged(world, database):
    table, projector, console = start_table(world)
    phone = world.phone(table)
    phone.received()
    set_phase(console, "vote")
    assert [message["phase"] for message in phone.received("phase")] == ["review", "vote"]
    assert [message["phase"] for message in projector.received("phase")] == ["review", "vote"]
    assert console.emit("set_phase", {"phase": "closed"})["error"]["code"] == "phase_jump"
    stale = console.emit("set_phase", {"from": "review", "phase": "results"})
    assert stale["error"]["code"] == "phase_changed"
    assert console.emit("set_phase", {"phase": "nonsense"})["error"]["code"] == "phase_invalid"
    set_phase(console, "collect")  # one step back is allowed
    log = database.all(select(FacilitationLog).where(FacilitationLog.action == "phase").order_by(FacilitationLog.id))
    assert [(entry.detail["from"], entry.detail["to"]) for entry in log] == [
        ("collect", "review"), ("review", "vote"), ("vote", "review"), ("review", "collect")
    ]


def test_the_projector_sees_live_counts_and_ranking_while_phones_do_not(world):
    table, projector, console = start_table(world)
    anna, bruno = world.phone(table), world.phone(table)
    housing = anna.post("Casa")["need"]["id"]
    work = bruno.post("Lavoro")["need"]["id"]
    set_phase(console, "vote")
    anna.dot(work)
    bruno.dot(work)
    anna.dot(housing)

    tally = wait_for(projector, "tally", lambda t: t["counters"]["dots"] == 3)
    assert tally["counters"]["online"] == 2
    assert tally["counters"]["joined"] == 2
    assert tally["counters"]["needs"] == 2
    ranking = [(entry["id"], entry["dots"], entry["rank"]) for entry in tally["ranking"]]
    assert ranking == [(work, 2, 1), (housing, 1, 2)]
    # Phones get their own state, never the live tally (no bandwagon while voting).
    assert anna.received("tally") == []
    assert [message.get("ranking") for message in anna.received("phase")] == [None, None]


def test_results_show_the_ranking_to_every_phone(world):
    table, _projector, console = start_table(world)
    anna, bruno = world.phone(table), world.phone(table)
    first = anna.post("Primo")["need"]["id"]
    second = bruno.post("Secondo")["need"]["id"]
    set_phase(console, "vote")
    anna.dot(second)
    bruno.dot(second)
    bruno.received()
    assert bruno.received("tally") == []  # no ranking on phones during the vote
    set_phase(console, "results")
    (message,) = bruno.received("phase")
    assert message["phase"] == "results"
    tally = wait_for(bruno, "tally")
    assert [(e["id"], e["dots"], e["rank"]) for e in tally["ranking"]] == [(second, 2, 1), (first, 0, 2)]


def test_fifty_concurrent_dots_from_one_participant_spend_exactly_the_budget(world, app, database):
    table, _projector, console = start_table(world, dots=3)
    phone = world.phone(table)
    needs = [phone.post(f"Need {n}")["need"]["id"] for n in range(10)]
    set_phase(console, "vote")
    tabs = [phone.another_tab(app) for _ in range(50)]
    acks, start = [None] * 50, threading.Barrier(50)

    def vote(index):
        start.wait()
        acks[index] = tabs[index].dot(needs[index % len(needs)])

    threads = [threading.Thread(target=vote, args=(index,)) for index in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    accepted = [ack for ack in acks if ack["ok"]]
    refused = {ack["error"]["code"] for ack in acks if not ack["ok"]}
    assert len(accepted) == 3
    assert refused <= {"budget_exceeded", "need_cap_reached"}
    assert database.scalar(select(func.count(Dot.id))) == 3
    assert database.scalar(select(Membership.dots_used)) == 3


def test_a_second_tab_of_the_same_phone_follows_its_dots(world, app, database):
    table, _projector, console = start_table(world)
    phone = world.phone(table)
    need = phone.post("Centri estivi")["need"]["id"]
    set_phase(console, "vote")
    tab = phone.another_tab(app)
    tab.received()
    phone.dot(need)
    (message,) = tab.received("me")
    assert message["me"]["left"] == 2 and message["me"]["dots"] == {str(need): 1}
    assert database.scalar(select(func.count(Membership.participant_id))) == 1


def test_a_reconnecting_phone_gets_what_it_missed(world, app):
    table, _projector, console = start_table(world)
    phone = world.phone(table)
    phone.post("Prima del taglio")
    last_seen = phone.received("snapshot")[0]["v"]
    phone.sio.disconnect()

    other = world.phone(table)
    other.post("Durante il taglio")
    set_phase(console, "vote")

    back = Client(app, phone.http, {"table": table.join_code, "view": "phone", "v": last_seen + 1})
    snapshot = back.received("snapshot")[0]
    assert snapshot["phase"] == "vote"
    assert [need["text"] for need in snapshot["needs"]] == ["Prima del taglio", "Durante il taglio"]
    assert snapshot["me"]["needs"] == [1]

    # Even a client claiming to be up to date gets the whole state: it may have
    # seen a later message and missed an earlier one.
    current = Client(app, phone.http, {"table": table.join_code, "view": "phone", "v": snapshot["v"]})
    assert current.received("snapshot")[0]["needs"] == snapshot["needs"]


def test_connections_are_refused_without_a_table_or_identity(world, app):
    table, _projector, _console = start_table(world)
    unknown = Phone.__new__(Phone)
    Client.__init__(unknown, app, app.test_client(), {"table": "ZZZZZZ", "view": "phone"})
    assert not unknown.connected
    no_cookie = Client(app, app.test_client(), {"table": table.join_code, "view": "phone"})
    assert not no_cookie.connected
    anonymous_projector = Client(app, app.test_client(), {"table": table.join_code, "view": "projector"})
    assert not anonymous_projector.connected
    bad_view = Client(app, app.test_client(), {"table": table.join_code, "view": "admin"})
    assert not bad_view.connected


def test_an_organizer_of_another_event_cannot_open_this_table(world):
    table, _projector, _console = start_table(world)
    stranger = world.account(email="other@example.org")
    assert not world.screen(table, stranger).connected
