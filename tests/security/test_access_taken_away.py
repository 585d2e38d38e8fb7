"""Access taken away while a screen is connected ends at once, not at the next reconnect."""

from tests.conftest import csrf_token, login
from workshop.accounts.models import Account, Role
from workshop.core.database import unit_of_work
from workshop.events.models import Event
from workshop.extensions import db
from workshop.tables.models import WorkingTable


def test_a_facilitator_taken_off_the_table_can_no_longer_read_or_run_it(world, app):
    organizer = world.account()
    facilitator = world.account("facilitator@example.org", role=Role.FACILITATOR, name="Fabio")
    event = world.event(organizer=organizer)
    table = event.tables[0]
    with app.app_context(), unit_of_work():
        account = db.session.get(Account, facilitator.id)
        the_event, the_table = db.session.get(Event, event.id), db.session.get(WorkingTable, table.id)
        the_event.facilitators.append(account)
        the_table.facilitators.append(account)
    console = world.screen(table, facilitator, view="console")
    projector = world.screen(table, facilitator, view="projector")
    assert console.emit("sync", {})["ok"] and projector.emit("sync", {})["ok"]

    # The organizer gives the table to nobody, through the table's form.
    http = app.test_client()
    login(http, organizer.email)
    url = f"/organize/events/{event.id}/tables/{table.id}"
    with app.app_context():
        theme_id = db.session.get(WorkingTable, table.id).theme_id
    response = http.post(url, data={"csrf_token": csrf_token(http, url), "name": "Table 1.1", "theme_id": theme_id,
                                    "dots_per_participant": 3, "max_dots_per_need": 1})
    assert response.status_code == 302

    for screen in (console, projector):
        ack = screen.emit("sync", {})
        assert ack["ok"] is False and ack["error"]["code"] == "not_allowed", ack
    ack = console.emit("set_phase", {"from": "collect", "phase": "review"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed"
