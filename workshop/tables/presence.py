"""Which phones are connected to which table, right now.

Presence is not stored in the database: each process counts its own
connections, per participant (several tabs of one phone count once). With
several worker processes joined by Redis (SOCKETIO_MESSAGE_QUEUE), each
worker also keeps its connections in Redis, one hash per table and worker
(`tavoli:presence:<table>:<worker>`, sid -> participant), and "online" is
counted over every worker's hash. The hashes expire unless their worker
rewrites them every PRESENCE_REFRESH_S, so a worker that dies stops counting
within PRESENCE_TTL_S; rewriting them whole also restores them after Redis
itself restarted. While Redis cannot be reached, each worker counts its own
connections only, as before.
"""

import logging
import threading
import time
import uuid
from collections import defaultdict

log = logging.getLogger(__name__)

PRESENCE_REFRESH_S = 10
PRESENCE_TTL_S = 3 * PRESENCE_REFRESH_S


class Presence:
    def __init__(self):
        self._lock = threading.Lock()
        self._by_table = defaultdict(dict)  # table id -> {sid: participant id}
        self._table_of = {}  # sid -> table id
        self._shared = None

    def init_app(self, app, socketio):
        """Share the count through Redis when the workers are joined by it."""
        url = app.config["SOCKETIO_MESSAGE_QUEUE"] or ""
        self._shared = SharedPresence(url, socketio) if url.startswith(("redis://", "rediss://", "unix://")) else None

    def arrive(self, table_id, sid, participant_id):
        with self._lock:
            self._by_table[table_id][sid] = participant_id
            self._table_of[sid] = table_id
        if self._shared is not None:
            self._shared.arrive(table_id, sid, participant_id, self._snapshot)

    def leave(self, sid):
        """Forget a connection; returns its table id, or None."""
        with self._lock:
            table_id = self._table_of.pop(sid, None)
            if table_id is not None:
                self._by_table[table_id].pop(sid, None)
                if not self._by_table[table_id]:
                    del self._by_table[table_id]
        if table_id is not None and self._shared is not None:
            self._shared.leave(table_id, sid)
        return table_id

    def forget_everyone(self):
        """Start from nobody connected (a fresh server; each test's app is one)."""
        with self._lock:
            self._by_table.clear()
            self._table_of.clear()

    def online(self, table_id):
        """How many participants have the table open, on every worker."""
        with self._lock:
            here = set(self._by_table.get(table_id, {}).values())
        if self._shared is not None:
            everywhere = self._shared.participants(table_id)
            if everywhere is not None:
                return len(everywhere | here)
        return len(here)

    def _snapshot(self):
        with self._lock:
            return {table_id: dict(connections) for table_id, connections in self._by_table.items()}


class SharedPresence:
    """This worker's connections, mirrored in Redis; every call survives Redis being down."""

    def __init__(self, url, socketio):
        import redis

        self._errors = (redis.RedisError, OSError)
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)
        self._socketio = socketio
        self.worker = uuid.uuid4().hex
        self._refresher_started = False
        self._last_error_logged = 0.0

    def _key(self, table_id, worker=None):
        return f"tavoli:presence:{table_id}:{worker or self.worker}"

    def _failed(self, action):
        # Once a minute at most: a Redis outage would otherwise log every connection.
        now = time.monotonic()
        if now - self._last_error_logged > 60:
            self._last_error_logged = now
            log.warning("presence: Redis unreachable (%s); counting this worker's connections only", action)

    def arrive(self, table_id, sid, participant_id, snapshot):
        if not self._refresher_started:
            self._refresher_started = True
            self._socketio.start_background_task(self._refresh_forever, snapshot)
        try:
            with self._redis.pipeline() as pipe:
                pipe.hset(self._key(table_id), sid, participant_id)
                pipe.expire(self._key(table_id), PRESENCE_TTL_S)
                pipe.execute()
        except self._errors:
            self._failed("arrive")

    def leave(self, table_id, sid):
        try:
            self._redis.hdel(self._key(table_id), sid)
        except self._errors:
            self._failed("leave")

    def participants(self, table_id):
        """The participant ids connected to the table on any live worker, or None if Redis is unreachable."""
        try:
            keys = list(self._redis.scan_iter(match=self._key(table_id, "*"), count=100))
            if not keys:
                return set()
            with self._redis.pipeline() as pipe:
                for key in keys:
                    pipe.hvals(key)
                return {int(value) for values in pipe.execute() for value in values}
        except self._errors:
            self._failed("count")
            return None

    def _refresh_forever(self, snapshot):
        while True:
            self._socketio.sleep(PRESENCE_REFRESH_S)
            try:
                self.refresh(snapshot())
            except Exception:  # the loop must outlive any one failure
                self._failed("refresh")

    def refresh(self, connections_by_table):
        """Rewrite this worker's hashes whole and push their expiry back."""
        with self._redis.pipeline() as pipe:
            for table_id, connections in connections_by_table.items():
                key = self._key(table_id)
                pipe.delete(key)
                if connections:
                    pipe.hset(key, mapping=connections)
                    pipe.expire(key, PRESENCE_TTL_S)
            pipe.execute()


presence = Presence()
