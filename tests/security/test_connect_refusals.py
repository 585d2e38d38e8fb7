"""A refused live connection tells the page why, where the page looks for it."""

from tests.conftest import login
from tests.security.clients import RecordingClient
from workshop.accounts.models import Role
from workshop.core.notify import PLENARY_NAMESPACE
from workshop.extensions import socketio


def english_browser(app):
    http = app.test_client()
    http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


def test_a_refused_table_connection_carries_its_code_and_message_as_data(world, app):
    table = world.table()
    phone = RecordingClient(app, socketio, auth={"table": table.join_code, "view": "phone"},
                            flask_test_client=english_browser(app))
    assert not phone.is_connected()
    message = "Open the table's join link first."
    # socket.io-client: new Error(packet.message), error.data = packet.data (read by static/js/live.js).
    assert phone.refusal == {"message": message, "data": {"code": "no_device", "message": message}}

    unknown = RecordingClient(app, socketio, auth={"table": "ZZZZZZ", "view": "console"},
                              flask_test_client=english_browser(app))
    # Without a login a screen learns nothing about which codes exist: refused before the lookup.
    assert unknown.refusal_code == "not_allowed"


def test_a_refused_plenary_connection_carries_its_code_and_message_as_data(world, app):
    event = world.event()
    facilitator = world.account("facilitator@example.org", role=Role.FACILITATOR)
    http = english_browser(app)
    assert login(http, facilitator.email).status_code == 302
    dashboard = RecordingClient(app, socketio, namespace=PLENARY_NAMESPACE, flask_test_client=http,
                                auth={"event": event.id, "view": "plenary"})
    assert not dashboard.is_connected(PLENARY_NAMESPACE)
    message = "You are not allowed to do that."
    assert dashboard.refusal == {"message": message, "data": {"code": "not_allowed", "message": message}}
