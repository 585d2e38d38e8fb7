"""Rate limits on what phones do, keyed on the phone (its device cookie), never on the address.

Every client in these tests comes from the same address (127.0.0.1), as a
whole hall behind one NAT address does: a limit keyed on the address would
stop the second phone along with the first. The limits are set low here; the
defaults (config.py) are sized for a real meeting.
"""

import re
import time

from sqlalchemy import func, select

from tests.conftest import Client, Phone, set_phase
from workshop.contributions.models import Dot, Need
from workshop.core.database import _write_intent
from workshop.extensions import limiter
from workshop.participants.models import Participant

TRY_AGAIN = re.compile(r"Too many attempts in a short time\. Try again in \d+ (second|seconds|minute|minutes)\.")


def english_phone(app, table, http=None):
    """A phone whose browser asks for English (the messages checked here are English)."""
    http = http or app.test_client()
    http.set_cookie("tavoli_lang", "en")
    return Phone(app, table.join_code, http=http)


def assert_rate_limited(ack, within=60):
    assert ack["ok"] is False, ack
    error = ack["error"]
    assert error["code"] == "rate_limited", error
    assert 1 <= error["retry_after"] <= within
    assert TRY_AGAIN.fullmatch(error["message"]), error["message"]


def vote_ready(world, app, **rules):
    """A table in the vote with three needs; returns the table, its console and the needs' ids."""
    organizer = world.account()
    table = world.table(organizer=organizer, **rules)
    console = world.screen(table, organizer, view="console")
    poster = world.phone(table)
    needs = [poster.post(f"Need {n}")["need"]["id"] for n in range(3)]
    set_phase(console, "vote")
    return table, console, needs


def test_posting_is_limited_per_phone_across_its_tabs_not_per_address(app, world, database):
    app.config["RATELIMIT_NEEDS"] = "3 per minute"
    table = world.table()
    anna = english_phone(app, table)
    annas_tab = anna.another_tab(app)
    bruno = english_phone(app, table)

    assert anna.post("Orari della biblioteca")["ok"]
    assert annas_tab.post("Piste ciclabili")["ok"]
    assert anna.post("Campi estivi")["ok"]
    refused = annas_tab.post("Un quarto bisogno")
    assert_rate_limited(refused)
    # Bruno comes from the same address: his allowance is his own.
    assert bruno.post("Doposcuola")["ok"]

    texts = database.all(select(Need.text).order_by(Need.id))
    assert texts == ["Orari della biblioteca", "Piste ciclabili", "Campi estivi", "Doposcuola"]


def test_editing_and_deleting_count_with_posting(app, world, database):
    app.config["RATELIMIT_NEEDS"] = "3 per minute"
    table = world.table()
    phone = english_phone(app, table)
    need = phone.post("Prima versione")["need"]["id"]
    assert phone.emit("edit_need", {"id": phone.new_id(), "need": need, "text": "Seconda versione"})["ok"]
    assert phone.emit("delete_need", {"id": phone.new_id(), "need": need})["ok"]
    assert_rate_limited(phone.emit("edit_need", {"id": phone.new_id(), "need": need, "text": "Terza"}))
    assert_rate_limited(phone.post("Ancora"))
    assert database.scalar(select(func.count(Need.id))) == 0


def test_a_limited_phone_can_act_again_once_the_window_has_passed(app, world, database):
    app.config["RATELIMIT_NEEDS"] = "2 per 2 seconds"
    table = world.table()
    phone = english_phone(app, table)
    assert phone.post("Uno")["ok"] and phone.post("Due")["ok"]
    refused = phone.post("Tre")
    assert_rate_limited(refused, within=2)
    time.sleep(refused["error"]["retry_after"] + 0.1)
    assert phone.post("Tre")["ok"]
    assert database.scalar(select(func.count(Need.id))) == 3


def test_voting_is_limited_per_phone_and_a_refused_dot_changes_nothing(app, world, database):
    app.config["RATELIMIT_DOTS"] = "4 per minute"
    table, _console, needs = vote_ready(world, app, dots=5, max_per_need=3)
    phone = english_phone(app, table)
    other = english_phone(app, table)
    assert phone.dot(needs[0])["ok"]
    assert phone.take_back(needs[0])["ok"]
    assert phone.dot(needs[1])["ok"]
    assert phone.dot(needs[2])["ok"]
    assert_rate_limited(phone.dot(needs[0]))
    assert_rate_limited(phone.take_back(needs[1]))
    assert other.dot(needs[0])["ok"]

    me = phone.emit("sync", {})["snapshot"]["me"]
    assert me["left"] == 3 and me["dots"] == {str(needs[1]): 1, str(needs[2]): 1}
    assert database.scalar(select(func.count(Dot.id))) == 3


def test_profile_changes_are_limited(app, world, database):
    app.config["RATELIMIT_PROFILE"] = "2 per minute"
    table = world.table()
    phone = english_phone(app, table)
    assert phone.emit("set_profile", {"name": "Anna", "organisation": None})["ok"]
    assert phone.emit("set_profile", {"name": "Anna B.", "organisation": None})["ok"]
    assert_rate_limited(phone.emit("set_profile", {"name": "Mallory", "organisation": None}))
    assert database.scalar(select(Participant.display_name)) == "Anna B."
    assert phone.emit("get_profile", {})["ok"]  # reading is not limited


def test_the_facilitator_console_is_not_limited(app, world):
    app.config["RATELIMIT_NEEDS"] = "1 per minute"
    app.config["RATELIMIT_DOTS"] = "1 per minute"
    organizer = world.account()
    table = world.table(organizer=organizer)
    console = world.screen(table, organizer, view="console")
    phone = world.phone(table)
    need = phone.post("Un bisogno")["need"]["id"]
    for _ in range(10):
        assert console.emit("moderate", {"action": "pin", "need": need})["ok"]
        assert console.emit("moderate", {"action": "unpin", "need": need})["ok"]
    for phase in ("review", "vote", "review", "collect", "review"):
        set_phase(console, phase)


def test_the_default_limits_leave_room_for_a_real_meeting(app, world, database):
    """Ten needs in a row, fixing two of them, and then spending and moving every dot, at once."""
    organizer = world.account()
    table = world.table(organizer=organizer, dots=10, max_per_need=3)
    console = world.screen(table, organizer, view="console")
    phone = world.phone(table)
    needs = [phone.post(f"Bisogno numero {n}")["need"] for n in range(10)]
    assert all(need["id"] for need in needs)
    for need in needs[:2]:
        assert phone.emit("edit_need", {"id": phone.new_id(), "need": need["id"], "text": need["text"] + "!"})["ok"]
    set_phase(console, "vote")
    for _ in range(2):  # changing one's mind, twice over
        for need in needs:
            assert phone.dot(need["id"])["ok"] and phone.take_back(need["id"])["ok"]
    for need in needs:
        assert phone.dot(need["id"])["ok"]
    assert database.scalar(select(func.count(Dot.id))) == 10


def test_the_limits_storage_is_never_called_inside_a_write_transaction(app, world, monkeypatch):
    """Under eventlet a call to Redis lets other greenlets run; one holding SQLite's write lock
    meanwhile would stop every other writer of the process."""
    calls = []
    strategy = limiter.limiter
    for name in ("hit", "test", "get_window_stats"):
        original = getattr(strategy, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            calls.append((_name, _write_intent.get()))
            return _original(*args, **kwargs)

        monkeypatch.setattr(strategy, name, spy)
    app.config["RATELIMIT_NEEDS"] = "1 per minute"
    table = world.table()
    phone = english_phone(app, table)
    assert phone.post("Uno")["ok"]
    assert_rate_limited(phone.post("Due"))
    phone.http.get("/j/ZZZZZZ")
    guess = Phone.__new__(Phone)
    Client.__init__(guess, app, phone.http, {"table": "ZZZZZZ", "view": "phone"})
    assert not guess.connected
    assert len(calls) > 6 and not any(in_write for _name, in_write in calls), calls
