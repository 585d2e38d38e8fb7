"""Which phones are connected to which table, right now.

Presence is not stored: it lives in this process, counted per participant
(several tabs of one phone count once). With several worker processes each
counts only its own connections, so "online" undercounts; sharing the count
(through Redis) belongs with the scale-out work.
"""

import threading
from collections import defaultdict


class Presence:
    def __init__(self):
        self._lock = threading.Lock()
        self._by_table = defaultdict(dict)  # table id -> {sid: participant id}
        self._table_of = {}  # sid -> table id

    def arrive(self, table_id, sid, participant_id):
        with self._lock:
            self._by_table[table_id][sid] = participant_id
            self._table_of[sid] = table_id

    def leave(self, sid):
        """Forget a connection; returns its table id, or None."""
        with self._lock:
            table_id = self._table_of.pop(sid, None)
            if table_id is not None:
                self._by_table[table_id].pop(sid, None)
            return table_id

    def forget_everyone(self):
        """Start from nobody connected (a fresh server; each test's app is one)."""
        with self._lock:
            self._by_table.clear()
            self._table_of.clear()

    def online(self, table_id):
        with self._lock:
            return len(set(self._by_table.get(table_id, {}).values()))


presence = Presence()
