"""Socket.IO test clients for the security tests."""

from flask_socketio.test_client import SocketIOTestClient
from socketio import packet


class RecordingClient(SocketIOTestClient):
    """Flask-SocketIO's test client, also keeping the data of a connect_error
    (the stock one only notes that the connection was refused), and able to
    send on a connection the server refused."""

    refusal = None

    def connect(self, namespace=None, query_string=None, headers=None, auth=None):
        server = self.socketio.server
        send = server._send_packet

        def recording(eio_sid, pkt):
            if eio_sid == self.eio_sid and pkt.packet_type == packet.CONNECT_ERROR:
                self.refusal = pkt.data
            return send(eio_sid, pkt)

        server._send_packet = recording
        try:
            super().connect(namespace, query_string, headers, auth)
        finally:
            server._send_packet = send

    @property
    def refusal_code(self):
        """The refusal's code where socket.io-client reads it: it builds the
        connect_error from the packet's "message" and sets `error.data` to
        the packet's "data"; the pages read `error.data.code`."""
        data = (self.refusal or {}).get("data")
        return data.get("code") if isinstance(data, dict) else None

    def send_anyway(self, event, payload, namespace=None):
        """Send an event on this Engine.IO connection even though its
        namespace connection was refused, as a client ignoring the refusal
        would; the acknowledgement, if one came."""
        self.callback_counter += 1
        self.acks = None
        message = packet.Packet(packet.EVENT, data=[event, payload], namespace=namespace, id=self.callback_counter)
        self.socketio.server._handle_eio_message(self.eio_sid, message.encode())
        ack, self.acks = self.acks, None
        return ack
