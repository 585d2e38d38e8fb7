"""Simulated phones, projectors and consoles speaking Tavoli's real Socket.IO protocol.

One asyncio process holds thousands of connections: each is one raw websocket
speaking Engine.IO 4 / Socket.IO 5 (the `websockets` package), with none of
python-socketio's client machinery. A phone first opens the join link
(`GET /j/<code>`) for its device cookie, then connects with
`auth = {"table": code, "view": "phone"}`, as static/js/live.js does.

`run_load(plan)` drives one scenario and returns the raw measurements; every
loop is bounded in count and in time, and only loopback addresses are accepted.
"""

import asyncio
import itertools
import json
import random
import statistics
import time
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets

LOOPBACK = ("127.0.0.1", "localhost", "::1")
CONNECT_TIMEOUT_S = 30.0
ACK_TIMEOUT_S = 15.0


class ProtocolError(RuntimeError):
    pass


def percentiles(values):
    """p50/p95/p99 in milliseconds (values in seconds), or nulls when there are none."""
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99)}


async def http_get(base_url, path, cookie=None, timeout=CONNECT_TIMEOUT_S):
    """A minimal HTTP/1.1 GET (the generator needs only the status and the cookies
    set): returns (status, {cookie name: value})."""
    parts = urlsplit(base_url)
    request = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", "Accept-Language: en"]
    if cookie:
        request.append(f"Cookie: {cookie}")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), timeout)
    try:
        writer.write(("\r\n".join(request) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        # Read the body to the end so the server is not cut off mid-answer.
        await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    cookies = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "set-cookie":
            pair = value.strip().split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies[key] = val
    return status, cookies


class Connection:
    """One Socket.IO client on the default namespace over a raw websocket."""

    def __init__(self, base_url, cookie, auth, on_event):
        parts = urlsplit(base_url)
        if parts.hostname not in LOOPBACK:
            raise ValueError("the load generator talks to loopback addresses only")
        self.url = f"ws://{parts.netloc}/socket.io/?EIO=4&transport=websocket"
        self.origin = base_url
        self.cookie = cookie
        self.auth = auth
        self.on_event = on_event
        self.ws = None
        self._acks = {}
        self._ack_ids = itertools.count(1)
        self._reader = None
        self.closed = asyncio.Event()

    async def open(self, timeout=CONNECT_TIMEOUT_S):
        headers = {"Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await websockets.connect(
            self.url, additional_headers=headers, open_timeout=timeout, ping_interval=None, compression=None,
            max_size=2**22, close_timeout=2,
        )
        opening = await asyncio.wait_for(self.ws.recv(), timeout)
        if not opening.startswith("0"):
            raise ProtocolError(f"no Engine.IO open packet: {opening[:80]}")
        await self.ws.send("40" + json.dumps(self.auth))
        while True:
            packet = await asyncio.wait_for(self.ws.recv(), timeout)
            if packet == "2":
                await self.ws.send("3")
            elif packet.startswith("40"):
                break
            elif packet.startswith("44"):
                raise ProtocolError(f"connection refused: {packet[2:200]}")
            elif packet.startswith("42"):
                self._dispatch(packet)
        self._reader = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for packet in self.ws:
                if packet == "2":
                    await self.ws.send("3")
                elif packet.startswith("42"):
                    self._dispatch(packet)
                elif packet.startswith("43"):
                    body = packet[2:]
                    split = body.index("[")
                    future = self._acks.pop(int(body[:split]), None)
                    if future is not None and not future.done():
                        future.set_result((time.perf_counter(), json.loads(body[split:])[0]))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in self._acks.values():
                if not future.done():
                    future.set_exception(ProtocolError("connection closed"))
                    # A caller cancelled meanwhile never reads it: mark it read.
                    future.add_done_callback(lambda done: done.exception())

    def _dispatch(self, packet):
        now = time.perf_counter()
        body = packet[2:]
        start = body.index("[")
        name, *args = json.loads(body[start:])
        self.on_event(name, args[0] if args else None, now)

    async def call(self, event, payload, timeout=ACK_TIMEOUT_S):
        """Emit with an acknowledgement; returns (emit time, ack time, answer)."""
        ack_id = next(self._ack_ids)
        future = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        sent = time.perf_counter()
        await self.ws.send(f"42{ack_id}" + json.dumps([event, payload]))
        try:
            acked, answer = await asyncio.wait_for(future, timeout)
        finally:
            self._acks.pop(ack_id, None)
        return sent, acked, answer

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=3)


class Phone:
    """A participant's phone: keeps the table state as live.js does (highest version wins)."""

    def __init__(self, index, table):
        self.index = index
        self.table = table
        self.conn = None
        self.needs = {}
        self.me = None
        self.me_v = -1
        self.snapshot_at = None
        self.need_arrivals = {}
        self.planned_dots = 0

    def on_event(self, name, data, now):
        if name == "snapshot":
            self.snapshot_at = self.snapshot_at or now
            self.needs = {need["id"]: need for need in data["needs"]}
            if data.get("me") is not None and data["v"] >= self.me_v:
                self.me, self.me_v = data["me"], data["v"]
        elif name == "need_added":
            self.needs[data["need"]["id"]] = data["need"]
            self.need_arrivals.setdefault(data["need"]["id"], now)
        elif name == "needs":
            self.needs = {need["id"]: need for need in data["needs"]}
        elif name == "me" and data["v"] >= self.me_v:
            self.me, self.me_v = data["me"], data["v"]

    def apply_answer(self, answer):
        if answer.get("ok") and "me" in answer and answer["v"] >= self.me_v:
            self.me, self.me_v = answer["me"], answer["v"]
        if answer.get("ok") and "need" in answer and isinstance(answer["need"], dict):
            self.needs[answer["need"]["id"]] = answer["need"]


class Screen:
    """A projector (or console) of one table: records when each table version became visible."""

    def __init__(self, table):
        self.table = table
        self.conn = None
        self.seen = []  # (arrival time, highest version seen so far), in arrival order
        self.top = -1
        self.tallies = 0

    def on_event(self, name, data, now):
        if not isinstance(data, dict) or "v" not in data:
            return
        if name == "tally":
            self.tallies += 1
        if name in ("tally", "need_added", "snapshot") and data["v"] > self.top:
            self.top = data["v"]
            self.seen.append((now, self.top))

    def shown_at(self, version):
        """When this screen first showed a state at least as new as version, or None."""
        index = bisect_left([v for _, v in self.seen], version)
        return self.seen[index][0] if index < len(self.seen) else None


@dataclass
class Plan:
    """One scenario as the generator plays it."""

    name: str
    url: str
    tables: list  # join codes
    phones: int
    screen_cookie: str = ""  # the organizer's session cookie (projectors, consoles)
    vote_tables: int = 0  # the first vote_tables tables move to the vote; the others keep collecting
    seed_needs: int = 4  # needs posted per table before the vote opens
    dots_per_s: float = 0.0
    needs_per_s: float = 0.0
    duration_s: float = 10.0
    join_window_s: float = 0.0  # > 0: every phone joins within this window (a QR-scan burst)
    join_concurrency: int = 200
    join_deadline_s: float = 90.0  # phones not joined by then count as failed joins
    with_consoles: bool = True
    seed: int = 7


@dataclass
class Measurements:
    joined: int = 0
    join_times: list = field(default_factory=list)
    ack_times: list = field(default_factory=list)
    projector_times: list = field(default_factory=list)
    phone_times: list = field(default_factory=list)
    actions: int = 0
    refused: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    projector_missed: int = 0
    converged: int = 0
    load_seconds: float = 0.0
    window: tuple = (0.0, 0.0)  # (start, end) of what the server is measured over: the load, or a burst's joins
    phases: dict = field(default_factory=dict)

    def error(self, text):
        if len(self.errors) < 20:
            self.errors.append(text)
        self.refused["error"] = self.refused.get("error", 0) + 1


async def _connect_phone(plan, phone, metrics):
    started = time.perf_counter()
    try:
        status, cookies = await http_get(plan.url, f"/j/{phone.table}")
        if status != 200:
            raise ProtocolError(f"GET /j/{phone.table} answered {status}")
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        phone.conn = Connection(plan.url, cookie, {"table": phone.table, "view": "phone"}, phone.on_event)
        await phone.conn.open()
        deadline = time.perf_counter() + CONNECT_TIMEOUT_S
        while phone.snapshot_at is None and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        if phone.snapshot_at is None:
            raise ProtocolError("no snapshot")
    except Exception as error:  # noqa: BLE001 (every failed join is counted, whatever the cause)
        phone.conn = None
        metrics.error(f"join: {type(error).__name__}: {error}")
        return
    metrics.joined += 1
    metrics.join_times.append(phone.snapshot_at - started)


async def _connect_screen(plan, screen, view):
    screen.conn = Connection(plan.url, plan.screen_cookie, {"table": screen.table, "view": view}, screen.on_event)
    await screen.conn.open()


def _action_id():
    return uuid.uuid4().hex


async def _act(phone, event, payload, projector, phones_at_table, metrics, is_need):
    try:
        sent, acked, answer = await phone.conn.call(event, payload)
    except Exception as error:  # noqa: BLE001
        metrics.error(f"{event}: {type(error).__name__}: {error}")
        return
    if not answer.get("ok"):
        code = answer.get("error", {}).get("code", "?")
        metrics.refused[code] = metrics.refused.get(code, 0) + 1
        return
    phone.apply_answer(answer)
    metrics.actions += 1
    metrics.ack_times.append(acked - sent)
    # The projector's arrival time is read at the end, once it has had time to arrive.
    metrics.pending.append((sent, answer["v"], projector, answer["need"]["id"] if is_need else None, phone,
                            phones_at_table))


async def run_load(plan):
    """Play the plan; returns Measurements (times in seconds)."""
    rng = random.Random(plan.seed)
    metrics = Measurements()
    metrics.pending = []
    clock = time.perf_counter

    projectors = {code: Screen(code) for code in plan.tables}
    consoles = {code: Screen(code) for code in plan.tables} if plan.with_consoles else {}
    for code in plan.tables:
        await _connect_screen(plan, projectors[code], "projector")
        if code in consoles:
            await _connect_screen(plan, consoles[code], "console")

    phones = [Phone(i, plan.tables[i % len(plan.tables)]) for i in range(plan.phones)]
    started = clock()
    gate = asyncio.Semaphore(plan.join_concurrency)

    async def join(phone, delay):
        if plan.join_window_s > 0:  # a burst: each phone at its moment, none waiting for another
            await asyncio.sleep(delay)
            await _connect_phone(plan, phone, metrics)
        else:
            async with gate:
                await _connect_phone(plan, phone, metrics)

    joins = [asyncio.create_task(join(p, i * plan.join_window_s / plan.phones)) for i, p in enumerate(phones)]
    _, late = await asyncio.wait(joins, timeout=plan.join_deadline_s)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    for phone in phones:
        if phone.conn is not None and phone.snapshot_at is None:
            metrics.error("join: not joined within the deadline")
            await phone.conn.close()
            phone.conn = None
    metrics.phases["join_s"] = round(clock() - started, 2)
    live = [p for p in phones if p.conn is not None]
    by_table = {code: [p for p in live if p.table == code] for code in plan.tables}

    # Needs to vote on: a few per table, posted by different phones while every table collects.
    if plan.seed_needs and (plan.vote_tables or plan.dots_per_s):
        posts = []
        for code in plan.tables:
            for phone in by_table[code][: plan.seed_needs]:
                posts.append(_act(phone, "post_need", {"id": _action_id(), "text": f"need {phone.index}"},
                                  projectors[code], by_table[code], metrics, True))
        await asyncio.gather(*posts)
    for code in plan.tables[: plan.vote_tables]:
        console = consoles[code]
        for step, target in (("collect", "review"), ("review", "vote")):
            _, _, answer = await console.conn.call("set_phase", {"from": step, "phase": target})
            if not answer.get("ok"):
                metrics.error(f"set_phase {target}: {answer}")
    await asyncio.sleep(0.5)

    # The load: open loop, each action started at its planned moment whatever the server's pace.
    voters = [p for code in plan.tables[: plan.vote_tables] for p in by_table[code]]
    posters = [p for code in plan.tables[plan.vote_tables:] for p in by_table[code]]
    schedule = []
    if voters and plan.dots_per_s:
        schedule += [(i / plan.dots_per_s, "dot") for i in range(int(plan.dots_per_s * plan.duration_s))]
    if posters and plan.needs_per_s:
        schedule += [(i / plan.needs_per_s, "need") for i in range(int(plan.needs_per_s * plan.duration_s))]
    schedule.sort()
    tasks = []
    load_start = clock()
    for offset, kind in schedule:
        delay = load_start + offset - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        if kind == "dot":
            phone = rng.choice(voters)
            budget = phone.me["budget"] if phone.me else 0
            if phone.planned_dots >= budget or not phone.needs:
                continue
            phone.planned_dots += 1
            need = rng.choice(sorted(phone.needs))
            tasks.append(asyncio.create_task(_act(phone, "cast_dot", {"id": _action_id(), "need": need},
                                                  projectors[phone.table], by_table[phone.table], metrics, False)))
        else:
            phone = rng.choice(posters)
            tasks.append(asyncio.create_task(_act(phone, "post_need", {"id": _action_id(), "text": f"idea {offset}"},
                                                  projectors[phone.table], by_table[phone.table], metrics, True)))
    if tasks:
        await asyncio.wait(tasks, timeout=ACK_TIMEOUT_S + 5)
    metrics.load_seconds = max(clock() - load_start, 1e-9)
    metrics.window = (started, load_start - 0.5) if plan.join_window_s > 0 else (load_start, clock())
    await asyncio.sleep(1.0)  # past several tally intervals: every update has had its chance to arrive

    for sent, version, projector, need_id, author, neighbours in metrics.pending:
        shown = projector.shown_at(version)
        if shown is None:
            metrics.projector_missed += 1
        else:
            metrics.projector_times.append(max(shown - sent, 0.0))
        if need_id is not None:
            for other in neighbours:
                arrival = other.need_arrivals.get(need_id)
                if other is not author and arrival is not None:
                    metrics.phone_times.append(max(arrival - sent, 0.0))

    # Convergence: each phone's own state and needs equal a fresh snapshot from the server.
    gate = asyncio.Semaphore(plan.join_concurrency)

    async def check(phone):
        async with gate:
            try:
                _, _, answer = await phone.conn.call("sync", {})
            except Exception as error:  # noqa: BLE001
                metrics.error(f"sync: {type(error).__name__}: {error}")
                return
            snapshot = answer.get("snapshot") or {}
            if snapshot.get("me") == phone.me and {n["id"] for n in snapshot.get("needs", [])} == set(phone.needs):
                metrics.converged += 1

    checks = [asyncio.create_task(check(p)) for p in live]
    _, late = await asyncio.wait(checks, timeout=60)
    for task in late:
        task.cancel()
    await asyncio.gather(*(p.conn.close() for p in live),
                         *(s.conn.close() for s in [*projectors.values(), *consoles.values()] if s.conn))
    metrics.phases["tallies_per_projector"] = round(
        statistics.mean(s.tallies for s in projectors.values()), 1) if projectors else 0
    del metrics.pending
    return metrics
