"""Simulated phones for the chaos test: a small Socket.IO client and the outbox
every phone keeps, as static/js/live.js does.

`SocketIOConnection` speaks Engine.IO 4 / Socket.IO 5 over one websocket
(websocket-client), and can lose its connection the ways a phone does: reset
(the server learns at once) or vanish (the Wi-Fi went away: the server learns
only when its pings go unanswered).

A `Tab` is one browser tab of a phone, in its own thread: it connects, keeps
every action it makes in an outbox until the server acknowledges it, sends
the whole outbox again after every reconnect (same ids) and every few seconds
while answers are missing, and records the answer each action finally got.
That record is the ground truth the test compares with the database.
"""

import collections
import contextlib
import itertools
import json
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import websocket

# As the phone page: socket.io-client gives up a connection attempt after 20 s,
# and live.js sends its whole outbox again every 10 s while it is connected.
CONNECT_TIMEOUT_S = 20.0
RESEND_AFTER_S = 10.0


class Refused(Exception):
    """The server refused the Socket.IO connection (connect_error)."""


class Lost(Exception):
    """The connection is gone."""


class SocketIOConnection:
    """One Socket.IO connection to the default namespace over a websocket."""

    def __init__(self, base_url, cookie, auth, timeout=CONNECT_TIMEOUT_S):
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=timeout, header=[f"Cookie: {cookie}"])
        self._ack_ids = itertools.count(1)
        self.early_events = []
        kind, data = self._read_packet()
        if kind != "0":
            raise Lost(f"expected the Engine.IO open packet, got {kind}{data}")
        self.ws.send("40" + json.dumps(auth))
        while True:
            kind, data = self._read_packet()
            if kind == "40":
                break
            if kind == "44":
                raise Refused(json.loads(data))
            if kind == "42":
                self.early_events.append(json.loads(data))
            elif kind == "2":
                self.ws.send("3")

    def _read_packet(self):
        try:
            message = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise
        except (OSError, websocket.WebSocketException, ValueError) as error:
            raise Lost(repr(error)) from error
        if not message:
            raise Lost("closed")
        if message[0] == "4":
            return message[:2], message[2:]
        return message[0], message[1:]

    def emit(self, event, payload):
        """Send an event; returns its ack id."""
        ack_id = next(self._ack_ids)
        try:
            self.ws.send(f"42{ack_id}" + json.dumps([event, payload]))
        except (OSError, websocket.WebSocketException) as error:
            raise Lost(repr(error)) from error
        return ack_id

    def poll(self, timeout):
        """What arrived within timeout: [("ack", ack id, answer) | ("event", name, payload)]."""
        received = []
        try:
            self.ws.settimeout(timeout)
            while True:
                try:
                    kind, data = self._read_packet()
                except websocket.WebSocketTimeoutException:
                    return received
                if kind == "2":
                    self.ws.send("3")
                elif kind == "42":
                    name, payload = json.loads(data)
                    received.append(("event", name, payload))
                elif kind == "43":
                    bracket = data.index("[")
                    received.append(("ack", int(data[:bracket]), json.loads(data[bracket:])[0]))
                elif kind in ("1", "41"):
                    raise Lost("closed by the server")
        except (OSError, websocket.WebSocketException) as error:
            raise Lost(repr(error)) from error

    def reset(self):
        """Lose the connection with a TCP reset: the server learns at once."""
        raw = self.ws.sock
        if raw is not None:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()

    def close(self):
        with contextlib.suppress(Exception):  # closing a dead connection
            self.ws.close(timeout=1)


@dataclass(eq=False)
class Action:
    """One action of a tab, from its first send to its final answer."""

    event: str
    payload: dict
    sends: list = field(default_factory=list)  # (UTC time, connection number) of each send
    answers: list = field(default_factory=list)  # every acknowledgement received, repeats included
    answer: dict | None = None  # the acknowledgement that settled it

    @property
    def id(self):
        return self.payload["id"]


@dataclass
class Stats:
    connects: int = 0
    refused: list = field(default_factory=list)
    failed_connects: int = 0
    resets: int = 0
    vanished: int = 0
    lost: int = 0  # connections that died without being dropped on purpose (the restart)
    server_errors: list = field(default_factory=list)
    crashes: list = field(default_factory=list)  # errors of the client itself
    connect_failures: collections.Counter = field(default_factory=collections.Counter)


class Tab(threading.Thread):
    """One tab of a phone: connects, posts needs and gives dots as the stage
    allows, and never forgets an action until it is acknowledged."""

    def __init__(self, name, base_url, cookie, code, plan, seed):
        super().__init__(name=name, daemon=True)
        self.base_url, self.cookie, self.code = base_url, cookie, code
        self.plan = plan  # {"collect": number of posts, "vote": number of dot actions}
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.outbox = []
        self.settled = []
        self.stats = Stats()
        self.needs = set()
        self.stage = "wait"
        self.stop = False
        self.drop = None  # "reset" | "vanish", asked by the chaos thread
        self.ghosts = []  # vanished connections, kept open until the end
        self.final_snapshot = None
        self._made = {"collect": 0, "vote": 0}
        self._next_at = 0.0
        self._in_flight = {}  # ack id on the current connection -> Action
        self._last_flush = 0.0
        self._connection = None
        self._counter = itertools.count(1)

    # -- what the test reads ---------------------------------------------------

    @property
    def connected(self):
        return self._connection is not None

    def pending(self):
        with self.lock:
            return len(self.outbox)

    def made(self, stage):
        """How many actions the tab has made in a stage so far."""
        with self.lock:
            return self._made[stage]

    def finished_stage(self, stage):
        with self.lock:
            return self._made[stage] >= self.plan[stage] and not self.outbox

    # -- the loop ----------------------------------------------------------------

    def run(self):
        backoff = 0.05
        while not self.stop:
            if self._connection is None:
                if self._connect():
                    backoff = 0.05
                else:
                    time.sleep(backoff * (1 + self.random.random()))
                    backoff = min(backoff * 2, 1.0)
                    continue
            try:
                self._act()
                self._receive(0.05)
                if self.drop:
                    self._drop()
                elif time.monotonic() - self._last_flush > RESEND_AFTER_S:
                    self._flush()
            except Lost:
                self.stats.lost += 1
                self._forget_connection()
            except Exception as error:  # a bug of this client: the test reports it
                self.stats.crashes.append(repr(error))
                self._forget_connection()
        if self._connection is not None:
            self._connection.close()
        for ghost in self.ghosts:
            ghost.close()

    def _connect(self):
        auth = {"table": self.code, "view": "phone"}
        try:
            connection = SocketIOConnection(self.base_url, self.cookie, auth)
        except Refused as refusal:
            self.stats.refused.append(refusal.args[0])
            return False
        except (Lost, OSError, websocket.WebSocketException, ValueError) as error:
            self.stats.failed_connects += 1
            self.stats.connect_failures[type(error).__name__ + ": " + str(error)[:80]] += 1
            return False
        self.stats.connects += 1
        self._connection = connection
        for name, payload in connection.early_events:
            self._on_event(name, payload)
        self.drop = None
        try:
            self._flush()  # the outbox goes out again after every reconnect
        except Lost:
            self._forget_connection()
            return False
        return True

    def _forget_connection(self):
        self._connection = None
        self._in_flight.clear()

    def _flush(self):
        self._last_flush = time.monotonic()
        with self.lock:
            waiting = list(self.outbox)
        for action in waiting:
            self._send(action)

    def _send(self, action):
        action.sends.append((datetime.now(UTC), self.stats.connects))
        self._in_flight[self._connection.emit(action.event, action.payload)] = action

    def _drop(self):
        kind, self.drop = self.drop, None
        if kind == "reset":
            self.stats.resets += 1
            self._connection.reset()
        else:
            self.stats.vanished += 1
            self.ghosts.append(self._connection)
        self._forget_connection()

    # -- making actions ------------------------------------------------------------

    def _act(self):
        stage = self.stage
        if stage not in self._made or self._made[stage] >= self.plan[stage] or time.monotonic() < self._next_at:
            return
        if stage == "collect":
            self._make("post_need", {"text": f"{self.name} need {self._made[stage] + 1}: più spazi, più tempo"})
        elif self.needs:
            # Mostly dots, some taken back; now and then three at once, as a
            # quick thumb or several tabs would send them.
            for _ in range(3 if self.random.random() < 0.25 else 1):
                if self._made[stage] >= self.plan[stage]:
                    break
                event = "cast_dot" if self.random.random() < 0.7 else "withdraw_dot"
                self._make(event, {"need": self.random.choice(sorted(self.needs))})
        self._next_at = time.monotonic() + self.random.uniform(0.1, 1.2)

    def _make(self, event, payload):
        action = Action(event, {"id": f"{self.name}-{next(self._counter):04d}", **payload})
        with self.lock:
            self._made[self.stage] += 1
            self.outbox.append(action)
        self._send(action)

    # -- what arrives ------------------------------------------------------------------

    def _receive(self, timeout):
        for kind, key, data in self._connection.poll(timeout):
            if kind == "event":
                self._on_event(key, data)
            else:
                action = self._in_flight.pop(key, None)
                if action is not None:
                    self._on_answer(action, data)

    def _on_answer(self, action, answer):
        action.answers.append(answer)
        if not answer.get("ok") and answer.get("error", {}).get("code") == "server_error":
            self.stats.server_errors.append((action.id, answer))
            return  # kept: sent again with the next flush, as live.js does
        if action.event == "sync":
            self.final_snapshot = answer.get("snapshot")
        with self.lock:
            if action in self.outbox:
                self.outbox.remove(action)
                action.answer = answer
                self.settled.append(action)

    def _on_event(self, name, payload):
        if name == "snapshot":
            self.needs = {need["id"] for need in payload["needs"]}
        elif name == "need_added":
            self.needs.add(payload["need"]["id"])
        elif name == "needs":
            self.needs = {need["id"] for need in payload["needs"]}

    def ask_for_snapshot(self):
        """Queue a sync (answered with the table as the server holds it)."""
        with self.lock:
            self.outbox.append(Action("sync", {"id": f"{self.name}-sync"}))
            self._last_flush = 0.0  # sent with the next flush, from the tab's own thread


class Chaos(threading.Thread):
    """Every `every` seconds, drops the connection of a share of the connected
    tabs: most with a reset, some by vanishing."""

    def __init__(self, tabs, every, share, vanish_share, seed):
        super().__init__(name="chaos", daemon=True)
        self.tabs, self.every, self.share, self.vanish_share = tabs, every, share, vanish_share
        self.random = random.Random(seed)
        self.running = threading.Event()
        self.stopped = False

    def run(self):
        while not self.stopped:
            time.sleep(self.every)
            if not self.running.is_set():
                continue
            connected = [tab for tab in self.tabs if tab.connected and tab.drop is None]
            for tab in self.random.sample(connected, int(len(connected) * self.share)):
                tab.drop = "vanish" if self.random.random() < self.vanish_share else "reset"
