"""The live plenary: each theme ranked across its tables, for the event's organizers only."""

import pytest
from sqlalchemy import func, select, update

from tests.conftest import login, set_phase
from tests.contributions.test_live_table import wait_for
from workshop.accounts.models import Role
from workshop.contributions.models import Need
from workshop.core.database import unit_of_work
from workshop.core.notify import PLENARY_NAMESPACE, notifier
from workshop.extensions import db, socketio
from workshop.tables.models import WorkingTable


class PlenaryClient:
    """A dashboard or event projector's live connection, in the plenary namespace."""

    def __init__(self, app, http, auth):
        self.sio = socketio.test_client(app, namespace=PLENARY_NAMESPACE, flask_test_client=http, auth=auth)
        self._buffer = []

    @property
    def connected(self):
        return self.sio.is_connected(PLENARY_NAMESPACE)

    def received(self, name=None):
        self._buffer.extend(self.sio.get_received(PLENARY_NAMESPACE))
        taken = [event for event in self._buffer if name is None or event["name"] == name]
        self._buffer = [event for event in self._buffer if not (name is None or event["name"] == name)]
        return [event["args"][0] for event in taken]

    def emit(self, name, payload):
        return self.sio.emit(name, payload, callback=True, namespace=PLENARY_NAMESPACE)


def logged_in(app, account):
    http = app.test_client()
    if account is not None:
        assert login(http, account.email).status_code == 302
    return http


def plenary(app, account, event_id, view="plenary"):
    return PlenaryClient(app, logged_in(app, account), {"event": event_id, "view": view})


@pytest.fixture
def assembly(world, app):
    """A live event with two themes of two tables each, its organizer, and
    each table's console already in the vote."""
    organizer = world.account()
    event = world.event(organizer=organizer, themes=2, tables_per_theme=2, dots=3)
    consoles = [world.screen(table, organizer, view="console") for table in event.tables]
    return organizer, event, consoles


def needs_posted(world, table, *texts):
    phone = world.phone(table)
    return phone, [phone.post(text)["need"]["id"] for text in texts]


def theme_entries(snapshot, position=0):
    return snapshot["themes"][position]["ranking"]


def test_the_snapshot_ranks_a_theme_across_its_tables(world, app, assembly):
    organizer, event, consoles = assembly
    first, second = event.tables[0], event.tables[1]
    anna, (buses, benches) = needs_posted(world, first, "Buses after 21:00", "Benches in the square")
    bruno, (library,) = needs_posted(world, second, "A library open on Sundays")
    carla = world.phone(second)
    set_phase(consoles[0], "vote")
    set_phase(consoles[1], "vote")
    assert anna.dot(buses)["ok"] and anna.dot(benches)["ok"]
    assert bruno.dot(library)["ok"] and carla.dot(library)["ok"]
    dashboard = plenary(app, organizer, event.id)

    (snapshot,) = dashboard.received("plenary")

    assert snapshot["event"] == {"id": event.id, "title": "Tavoli 2026", "status": "live"}
    assert [theme["name"] for theme in snapshot["themes"]] == ["Theme 1", "Theme 2"]
    ranking = theme_entries(snapshot)
    assert [(entry["text"], entry["dots"], entry["rank"]) for entry in ranking] == [
        ("A library open on Sundays", 2, 1), ("Buses after 21:00", 1, 2), ("Benches in the square", 1, 2),
    ]
    # A share is of the dots of the tables that raised the need.
    assert [entry["share"] for entry in ranking] == [1.0, 0.5, 0.5]
    assert ranking[0]["tables"] == [{"id": second.id, "name": "Table 1.2"}]
    assert [entry["table_count"] for entry in ranking] == [1, 1, 1]
    assert ranking[1]["table"] == {"id": first.id, "name": "Table 1.1"}
    assert [table["phase"] for table in snapshot["themes"][0]["tables"]] == ["vote", "vote"]
    assert snapshot["themes"][1]["ranking"] == []
    assert snapshot["counters"] == {"participants": 3, "organisations": 0, "needs": 3, "dots": 4}


def test_a_need_merged_across_tables_counts_once_with_the_dots_of_both(world, app, database, assembly):
    organizer, event, consoles = assembly
    anna, (buses,) = needs_posted(world, event.tables[0], "Buses after 21:00")
    bruno, (night_buses,) = needs_posted(world, event.tables[1], "Night buses")
    for console in consoles[:2]:
        set_phase(console, "vote")
    assert anna.dot(buses)["ok"] and bruno.dot(night_buses)["ok"]
    with app.app_context():
        db.session.execute(update(Need).where(Need.id == night_buses).values(theme_merged_into_id=buses))
        db.session.commit()

    (snapshot,) = plenary(app, organizer, event.id).received("plenary")

    (entry,) = theme_entries(snapshot)
    assert (entry["id"], entry["dots"], entry["table_count"], entry["merged"]) == (buses, 2, 2, [night_buses])
    assert entry["theme_merged"] == [{"id": night_buses, "text": "Night buses", "table": "Table 1.2"}]
    assert snapshot["counters"]["needs"] == 1
    assert snapshot["counters"]["dots"] == 2


def test_a_dot_at_a_table_reaches_the_plenary_as_a_coalesced_update(world, app, assembly):
    organizer, event, consoles = assembly
    anna, (buses,) = needs_posted(world, event.tables[0], "Buses after 21:00")
    set_phase(consoles[0], "vote")
    dashboard = plenary(app, organizer, event.id)
    assert theme_entries(dashboard.received("plenary")[0])[0]["dots"] == 0

    assert anna.dot(buses)["ok"]

    update_ = wait_for(dashboard, "plenary", lambda message: theme_entries(message)[0]["dots"] == 1)
    assert update_["counters"]["dots"] == 1
    assert update_["event"]["id"] == event.id


def test_many_dots_make_far_fewer_plenary_messages_than_dots(world, app, assembly, monkeypatch):
    organizer, event, consoles = assembly
    texts = [f"Need {number}" for number in range(3)]
    set_phase(consoles[0], "collect")
    phones = [needs_posted(world, event.tables[0], *texts) for _ in range(6)]
    set_phase(consoles[0], "vote")
    dashboard = plenary(app, organizer, event.id)
    dashboard.received()
    # A production-like window (the test config flushes every 20 ms), so the
    # count does not hang on how fast this machine casts dots.
    monkeypatch.setattr(notifier, "interval", 0.25)
    dots = 0
    for phone, ids in phones:
        for need_id in ids:
            assert phone.dot(need_id)["ok"]
            dots += 1

    last = wait_for(dashboard, "plenary", lambda message: message["counters"]["dots"] == dots)
    messages = 1 + len(dashboard.received("plenary"))

    assert dots == 18
    assert sum(entry["dots"] for entry in theme_entries(last)) == dots
    assert messages <= dots / 3, messages


def test_totals_equal_the_sum_over_the_tables(world, app, assembly):
    organizer, event, consoles = assembly
    posted = []
    for table, console in zip(event.tables, consoles, strict=True):
        phone, ids = needs_posted(world, table, f"First at {table.id}", f"Second at {table.id}")
        set_phase(console, "vote")
        for need_id in ids:
            assert phone.dot(need_id)["ok"]
        posted.append(console)
    (snapshot,) = plenary(app, organizer, event.id).received("plenary")

    table_dots = sum(console.emit("sync", {})["snapshot"]["counters"]["dots"] for console in posted)
    table_needs = sum(console.emit("sync", {})["snapshot"]["counters"]["needs"] for console in posted)
    assert snapshot["counters"]["dots"] == table_dots == 8
    assert snapshot["counters"]["needs"] == table_needs == 8
    assert sum(entry["dots"] for theme in snapshot["themes"] for entry in theme["ranking"]) == table_dots


def test_sync_answers_a_fresh_snapshot(world, app, assembly):
    organizer, event, _consoles = assembly
    dashboard = plenary(app, organizer, event.id)
    needs_posted(world, event.tables[2], "Shade in the playground")

    ack = dashboard.emit("sync", {})

    assert ack["ok"] is True
    assert [entry["text"] for entry in theme_entries(ack["snapshot"], 1)] == ["Shade in the playground"]


def test_only_the_events_organizers_may_connect(world, app, assembly):
    organizer, event, _consoles = assembly
    facilitator = world.account("facilitator@example.org", role=Role.FACILITATOR, name="Fabio")
    other_organizer = world.account("other@example.org", name="Olga")
    world.event(organizer=other_organizer)

    assert plenary(app, organizer, event.id).connected
    for refused in (
        plenary(app, facilitator, event.id),
        plenary(app, other_organizer, event.id),
        plenary(app, None, event.id),
        plenary(app, organizer, event.id, view="projector"),
        plenary(app, organizer, event.id + 100),
        plenary(app, organizer, str(event.id)),
    ):
        assert not refused.connected
        assert [message["name"] for message in refused.sio.queue] == []  # no snapshot leaked


PAGES = ["/organize/events/{}/plenary", "/organize/events/{}/plenary/screen"]


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_are_for_the_events_organizers_only(world, app, page):
    organizer = world.account()
    event = world.event(organizer=organizer)
    facilitator = world.account("facilitator@example.org", role=Role.FACILITATOR, name="Fabio")
    other_organizer = world.account("other@example.org", name="Olga")
    url = page.format(event.id)

    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert logged_in(app, facilitator).get(url).status_code == 403
    assert logged_in(app, other_organizer).get(url).status_code == 403
    assert logged_in(app, organizer).get(page.format(event.id + 100)).status_code == 404
    own = logged_in(app, organizer).get(url)
    assert own.status_code == 200
    assert f'data-event="{event.id}"' in own.get_data(as_text=True)


def test_the_event_projector_takes_its_rotation_and_theme_from_the_query(world, app):
    organizer = world.account()
    event = world.event(organizer=organizer, themes=2)
    http = logged_in(app, organizer)

    default = http.get(f"/organize/events/{event.id}/plenary/screen").get_data(as_text=True)
    every = http.get(f"/organize/events/{event.id}/plenary/screen?every=45").get_data(as_text=True)
    assert 'data-every="20"' in default and 'data-theme=""' in default
    assert 'data-every="45"' in every
    with app.app_context():
        from workshop.events.models import Event
        theme_id = db.session.get(Event, event.id).themes[1].id
    chosen = http.get(f"/organize/events/{event.id}/plenary/screen?theme={theme_id}").get_data(as_text=True)
    assert f'data-theme="{theme_id}"' in chosen
    assert http.get(f"/organize/events/{event.id}/plenary/screen?theme={theme_id + 100}").status_code == 404


def test_an_organizer_merges_a_need_across_tables_and_splits_it_again(world, app, database, assembly):
    organizer, event, consoles = assembly
    anna, (buses,) = needs_posted(world, event.tables[0], "Buses after 21:00")
    bruno, (night_buses, benches) = needs_posted(world, event.tables[1], "Night buses", "Benches")
    for console in consoles[:2]:
        set_phase(console, "vote")
    assert anna.dot(buses)["ok"] and bruno.dot(night_buses)["ok"]
    dashboard = plenary(app, organizer, event.id)
    dashboard.received()

    ack = dashboard.emit("merge", {"source": night_buses, "target": buses})

    assert ack == {"ok": True}
    merged = wait_for(dashboard, "plenary", lambda message: len(theme_entries(message)) == 2)
    top = theme_entries(merged)[0]
    assert (top["id"], top["dots"], top["table_count"]) == (buses, 2, 2)
    assert [member["id"] for member in top["theme_merged"]] == [night_buses]
    assert database.scalar(select(Need.theme_merged_into_id).where(Need.id == night_buses)) == buses

    assert dashboard.emit("unmerge", {"need": night_buses}) == {"ok": True}
    split = wait_for(dashboard, "plenary", lambda message: len(theme_entries(message)) == 3)
    assert {entry["id"]: entry["dots"] for entry in theme_entries(split)} == {buses: 1, night_buses: 1, benches: 0}
    assert database.scalar(select(Need.theme_merged_into_id).where(Need.id == night_buses)) is None


def test_a_merge_the_rules_refuse_is_answered_with_its_code(world, app, database, assembly):
    organizer, event, _consoles = assembly
    _anna, (buses, benches) = needs_posted(world, event.tables[0], "Buses", "Benches")
    _carla, (shade,) = needs_posted(world, event.tables[2], "Shade")
    dashboard = plenary(app, organizer, event.id)

    same_table = dashboard.emit("merge", {"source": benches, "target": buses})
    other_theme = dashboard.emit("merge", {"source": shade, "target": buses})
    missing = dashboard.emit("merge", {"source": 999999, "target": buses})
    not_merged = dashboard.emit("unmerge", {"need": buses})
    bad = dashboard.emit("merge", {"source": "1", "target": buses})

    assert same_table["error"]["code"] == "merge_same_table"
    assert other_theme["error"]["code"] == "merge_other_theme"
    assert missing["error"]["code"] == "need_not_found"
    assert not_merged["error"]["code"] == "need_not_merged"
    assert bad["error"]["code"] == "source_invalid"
    assert database.scalar(select(func.count(Need.id)).where(Need.theme_merged_into_id.is_not(None))) == 0


def test_an_organizer_of_another_event_cannot_merge_its_needs(world, app, database, assembly):
    _organizer, event, _consoles = assembly
    _anna, (buses,) = needs_posted(world, event.tables[0], "Buses")
    _bruno, (night_buses,) = needs_posted(world, event.tables[1], "Night buses")
    other_organizer = world.account("other@example.org", name="Olga")
    other_event = world.event(organizer=other_organizer)
    their_dashboard = plenary(app, other_organizer, other_event.id)

    ack = their_dashboard.emit("merge", {"source": night_buses, "target": buses})

    assert ack["ok"] is False and ack["error"]["code"] == "need_not_found"
    assert database.scalar(select(Need.theme_merged_into_id).where(Need.id == night_buses)) is None


def test_the_event_projector_leaves_out_a_tables_results_until_it_reveals_them(world, app, database, assembly):
    organizer, event, consoles = assembly
    with app.app_context(), unit_of_work():
        db.session.get(WorkingTable, event.tables[1].id).results_hidden = True
    anna, (buses,) = needs_posted(world, event.tables[0], "Buses after 21:00")
    bruno, (library,) = needs_posted(world, event.tables[1], "A library open on Sundays")
    for console in consoles[:2]:
        set_phase(console, "vote")
    assert anna.dot(buses)["ok"] and bruno.dot(library)["ok"]
    dashboard, screen = plenary(app, organizer, event.id), plenary(app, organizer, event.id, view="screen")

    def texts(snapshot):
        return [entry["text"] for entry in theme_entries(snapshot)]

    assert texts(dashboard.received("plenary")[0]) == ["Buses after 21:00", "A library open on Sundays"]
    on_the_wall = screen.received("plenary")[0]
    assert texts(on_the_wall) == ["Buses after 21:00"]
    assert [table["results_kept_hidden"] for table in on_the_wall["themes"][0]["tables"]] == [False, True]
    assert texts(screen.emit("sync", {})["snapshot"]) == ["Buses after 21:00"]
    # The wall is for showing: merging is the dashboard's.
    refused = screen.emit("merge", {"source": library, "target": buses})
    assert refused["ok"] is False and refused["error"]["code"] == "not_allowed"
    assert database.scalar(select(Need.theme_merged_into_id).where(Need.id == library)) is None

    assert consoles[1].emit("reveal", {"revealed": True})["ok"]

    shown = wait_for(screen, "plenary", lambda message: len(theme_entries(message)) == 2)
    assert texts(shown) == ["Buses after 21:00", "A library open on Sundays"]
