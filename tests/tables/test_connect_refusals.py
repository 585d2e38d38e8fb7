"""A refused live connection tells the page why, in the shape socket.io-client reads."""

from flask_socketio.test_client import SocketIOTestClient
from socketio import packet

from workshop.core.notify import PLENARY_NAMESPACE
from workshop.extensions import socketio


class RecordingClient(SocketIOTestClient):
    """A Socket.IO test client that keeps what a refused connection receives (connect_error)."""

    def connect(self, namespace=None, query_string=None, headers=None, auth=None):
        send = self.socketio.server._send_packet
        self.refusals = []

        def record(eio_sid, pkt):
            if pkt.packet_type == packet.CONNECT_ERROR:
                self.refusals.append(pkt.data)
            send(eio_sid, pkt)

        self.socketio.server._send_packet = record
        try:
            super().connect(namespace, query_string, headers, auth)
        finally:
            self.socketio.server._send_packet = send


def test_a_refused_connection_carries_its_code_and_message_as_the_browser_reads_them(app, world):
    """socket.io-client gives the page connect_error's `data`: it must hold {"code", "message"}
    (the phone reloads on "no_device", and shows the message otherwise)."""
    table = world.table()
    http = app.test_client()
    http.set_cookie("tavoli_lang", "en")
    refused = RecordingClient(app, socketio, flask_test_client=http, auth={"table": table.join_code, "view": "phone"})
    assert not refused.is_connected()
    (packet_data,) = refused.refusals
    assert packet_data["data"] == {"code": "no_device", "message": "Open the table's join link first."}
    assert packet_data["message"] == "Open the table's join link first."

    plenary = RecordingClient(app, socketio, namespace=PLENARY_NAMESPACE, flask_test_client=http,
                              auth={"event": 1, "view": "plenary"})
    assert not plenary.is_connected(PLENARY_NAMESPACE)
    assert plenary.refusals[0]["data"]["code"] == "not_allowed"
