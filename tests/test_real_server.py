"""The real server process (`python wsgi.py`), under both async modes, over real sockets."""

import re
import threading

import pytest
import requests
import socketio

from tests.servers import AppServer, open_event, organizer_session

ASYNC_MODES = ["eventlet", "gevent"]


def create_table(server, session):
    """An event, a theme and a table made through the organizer's forms; returns (table id, join code)."""
    return open_event(server, session)[0]


class LiveClient:
    """A python-socketio client that records every event it receives."""

    def __init__(self, server, session, auth, transports=("websocket",)):
        self.events = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
        self.sio.connect(server.url, headers={"Cookie": cookie}, auth=auth, transports=list(transports),
                         wait_timeout=10)

    def _record(self, event, data):
        with self.arrived:
            self.events.append((event, data))
            self.arrived.notify_all()

    def wait_for(self, event, predicate=lambda data: True, timeout=10):
        with self.arrived:
            found = self.arrived.wait_for(
                lambda: any(name == event and predicate(data) for name, data in self.events), timeout)
        assert found, f"no {event} within {timeout}s; got {[name for name, _ in self.events]}"
        return next(data for name, data in self.events if name == event and predicate(data))


@pytest.mark.parametrize("async_mode", ASYNC_MODES)
def test_a_phone_and_a_projector_follow_each_other_live(async_mode):
    with AppServer(env={"SOCKETIO_ASYNC_MODE": async_mode}) as server:
        organizer = organizer_session(server)
        table_id, code = create_table(server, organizer)
        assert f"msg=serving host=127.0.0.1 port={server.port} async_mode={async_mode}" in server.log_tail(200)

        phone_session = requests.Session()
        assert phone_session.get(f"{server.url}/j/{code}", timeout=10).status_code == 200
        assert phone_session.get(f"{server.url}/static/vendor/socket.io/socket.io.min.js", timeout=10).ok
        projector = LiveClient(server, organizer, {"table": code, "view": "projector"})
        phone = LiveClient(server, phone_session, {"table": code, "view": "phone"})
        try:
            assert phone.wait_for("snapshot")["phase"] == "collect"
            ack = phone.sio.call("post_need", {"id": "real-server-0001", "text": "Orari dei servizi"}, timeout=10)
            assert ack["ok"], ack
            added = projector.wait_for("need_added")
            assert added["need"]["text"] == "Orari dei servizi"
            tally = projector.wait_for("tally", lambda t: t["counters"]["needs"] == 1 and t["counters"]["online"] == 1)
            assert tally["v"] >= added["v"]
            refused = phone.sio.call("set_phase", {"phase": "vote"}, timeout=10)
            assert refused["error"]["code"] == "not_allowed"
        finally:
            phone.sio.disconnect()
            projector.sio.disconnect()


def test_the_first_run_prints_a_working_one_time_setup_link():
    with AppServer(organizer=None) as server:
        log = server.log_tail(200)
        assert f"Phones and laptops on this network open: {server.url}" in log
        link = re.search(r"one-time link\): (\S+)", log).group(1)
        assert link.startswith(server.url + "/setup/")
        assert requests.get(link, timeout=10).status_code == 200


def test_only_the_apps_own_pages_and_listed_origins_open_live_connections():
    listed = "https://intranet.example.org"
    with AppServer(env={"SOCKETIO_CORS_ORIGINS": listed}) as server:
        handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"

        def opens(origin):
            headers = {"Origin": origin} if origin else {}
            return requests.get(handshake, headers=headers, timeout=10).status_code == 200

        # Listing an extra origin does not lock out the app's own pages.
        assert opens(server.url) and opens(listed) and opens(None)
        # Another site's page would ride on the visitor's cookies: refused.
        assert not opens("https://evil.example.com")
        assert not opens(server.url.replace("127.0.0.1", "localhost.evil.example.com"))
