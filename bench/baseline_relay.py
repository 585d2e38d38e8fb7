"""A bare Flask-SocketIO relay: the floor Tavoli is measured against.

It speaks just enough of Tavoli's protocol for the load generator (join link,
phone/projector/console connections, post_need, cast_dot, set_phase, sync),
keeps everything in memory (no database, no rules), and coalesces the
projector's tally to one broadcast per table per TALLY_INTERVAL_S, as Tavoli
does. It is served like Tavoli (same async mode, connection pool, listen
backlog and GC thresholds), so the ratio of the two measures the app's own work.

    SOCKETIO_ASYNC_MODE=gevent python bench/baseline_relay.py 127.0.0.1 5099 CODE1,CODE2
"""

import os
import sys

ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "eventlet")
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
else:
    from gevent import monkey

    monkey.patch_all()

import gc  # noqa: E402
import itertools  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
from collections import defaultdict  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from flask import Flask, make_response, request  # noqa: E402
from flask_socketio import ConnectionRefusedError, SocketIO, join_room  # noqa: E402

TALLY_INTERVAL_S = float(os.environ.get("TALLY_INTERVAL_S", "0.1"))
BUDGET = 50

app = Flask(__name__)
socketio = SocketIO(app, async_mode=ASYNC_MODE, ping_interval=20, ping_timeout=20)

tables = {}  # code -> {"v", "needs": {id: need}, "dots"}
devices = {}  # phone sid -> (code, device)
screens = {}  # projector or console sid -> code
members = defaultdict(lambda: {"dots": defaultdict(int), "needs": []})  # (code, device) -> own state
need_ids = itertools.count(1)
dirty = set()


def me_of(key):
    state = members[key]
    return {"budget": BUDGET, "left": BUDGET - sum(state["dots"].values()),
            "dots": {k: v for k, v in state["dots"].items()}, "needs": list(state["needs"])}


def snapshot(code, key):
    table = tables[code]
    return {"v": table["v"], "phase": table["phase"], "needs": list(table["needs"].values()),
            "me": me_of(key) if key else None, "counters": {"dots": table["dots"]}}


@app.get("/j/<code>")
def join_link(code):
    response = make_response("phone page")
    response.set_cookie("tavoli_device", request.cookies.get("tavoli_device") or secrets.token_hex(16))
    return response


@socketio.on("connect")
def on_connect(auth=None):
    code = (auth or {}).get("table")
    if code not in tables:
        raise ConnectionRefusedError({"code": "table_not_found"})
    view = auth.get("view")
    join_room(code)
    key = None
    if view == "phone":
        key = (code, request.cookies.get("tavoli_device"))
        devices[request.sid] = key
        join_room(f"{code}:phones")
    else:
        screens[request.sid] = code
        join_room(f"{code}:{view}")
    socketio.emit("snapshot", snapshot(code, key), to=request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    devices.pop(request.sid, None)
    screens.pop(request.sid, None)


def _bump(code):
    tables[code]["v"] += 1
    dirty.add(code)
    return tables[code]["v"]


@socketio.on("post_need")
def on_post_need(payload):
    key = devices[request.sid]
    code = key[0]
    need = {"id": next(need_ids), "text": payload["text"], "at": datetime.now(UTC).isoformat(), "pinned": False,
            "organisation": None}
    tables[code]["needs"][need["id"]] = need
    members[key]["needs"].append(need["id"])
    v = _bump(code)
    socketio.emit("need_added", {"v": v, "need": need}, to=code)
    socketio.emit("me", {"v": v, "me": me_of(key)}, to=request.sid)
    return {"ok": True, "v": v, "need": need}


@socketio.on("cast_dot")
def on_cast_dot(payload):
    key = devices[request.sid]
    code = key[0]
    members[key]["dots"][str(payload["need"])] += 1
    tables[code]["dots"] += 1
    v = _bump(code)
    return {"ok": True, "v": v, "need": payload["need"], "me": me_of(key)}


@socketio.on("set_phase")
def on_set_phase(payload):
    code = screens[request.sid]
    tables[code]["phase"] = payload["phase"]
    v = _bump(code)
    socketio.emit("phase", {"v": v, "phase": payload["phase"], "timer": None}, to=code)
    return {"ok": True, "phase": payload["phase"], "v": v}


@socketio.on("sync")
def on_sync(payload):
    key = devices.get(request.sid)
    code = key[0] if key else None
    return {"ok": True, "snapshot": snapshot(code, key) if code else None}


def flush_forever():
    while True:
        socketio.sleep(TALLY_INTERVAL_S)
        changed = list(dirty)
        dirty.clear()
        for code in changed:
            table = tables[code]
            live = {"v": table["v"], "counters": {"dots": table["dots"], "needs": len(table["needs"])}}
            socketio.emit("tally", live, to=f"{code}:projector")
            socketio.emit("tally", live, to=f"{code}:console")


def main():
    host, port, codes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    for code in codes:
        tables[code] = {"v": 1, "phase": "collect", "needs": {}, "dots": 0}
    gc.set_threshold(50000, 20, 100)
    socketio.start_background_task(flush_forever)
    print(f"relay serving on {host}:{port} with {ASYNC_MODE}", flush=True)
    if ASYNC_MODE == "eventlet":
        import eventlet.wsgi

        listener = eventlet.listen((host, port), backlog=2048)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        eventlet.wsgi.server(listener, app, max_size=10000, log_output=False)
    else:
        from gevent.pool import Pool
        from gevent.pywsgi import WSGIServer

        listener = socket.create_server((host, port), backlog=2048)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        WSGIServer(listener, app, spawn=Pool(10000), log=None).serve_forever()


if __name__ == "__main__":
    main()
