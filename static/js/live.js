// The live connection of a page to one table, and the table's state as the
// page knows it. The server's state always wins: every message carries the
// table version it was produced at, and older news never overwrites newer.

export function pageStrings() {
  return JSON.parse(document.getElementById("i18n").textContent);
}

export function format(template, values) {
  return template.replace(/%\((\w+)\)[sd]/g, (_, key) => String(values[key]));
}

// crypto.randomUUID() exists only on https pages; halls often serve plain http.
export function newActionId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class TableState {
  constructor() {
    this.v = -1;
    this.table = null;
    this.phase = null;
    this.needs = new Map(); // id -> need, each with the version it arrived at
    this.ranking = null;
    this.me = null;
    this.counters = null;
    this.timer = null; // {duration, remaining, running, at: local ms when received}
    this.seen = { phase: -1, ranking: -1, me: -1, counters: -1, needs: -1, timer: -1, table: -1 };
  }

  _newer(part, v) {
    if (v < this.seen[part]) return false;
    this.seen[part] = v;
    return true;
  }

  // Every snapshot and room message raises the version the page has seen;
  // acknowledgements don't (they say nothing about other changes).
  _saw(v) {
    this.v = Math.max(this.v, v);
  }

  applySnapshot(s) {
    this._replaceNeeds(s.needs, s.v);
    if (this._newer("table", s.v)) this.table = s.table;
    if (this._newer("phase", s.v)) this.phase = s.phase;
    if (this._newer("ranking", s.v)) this.ranking = s.ranking;
    if (s.me && this._newer("me", s.v)) this.me = s.me;
    if (s.counters && this._newer("counters", s.v)) this.counters = s.counters;
    if (this._newer("timer", s.v)) this._setTimer(s.timer);
    this._saw(s.v);
  }

  _replaceNeeds(list, v) {
    if (!this._newer("needs", v)) return;
    const needs = new Map(list.map((need) => [need.id, { ...need, v }]));
    // A need posted after this list was read is newer than it: keep it.
    for (const [id, need] of this.needs) if (need.v > v && !needs.has(id)) needs.set(id, need);
    this.needs = needs;
  }

  addNeed(need, v) {
    if (!this.needs.has(need.id) && v >= this.seen.needs) this.needs.set(need.id, { ...need, v });
  }

  applyNeedAdded(message) {
    this.addNeed(message.need, message.v);
    this._saw(message.v);
  }

  applyNeeds(message) {
    this._replaceNeeds(message.needs, message.v);
    this._saw(message.v);
  }

  applyPhase(message) {
    if (this._newer("phase", message.v)) this.phase = message.phase;
    if ("timer" in message && this._newer("timer", message.v)) this._setTimer(message.timer);
    this._saw(message.v);
  }

  applyTimer(message) {
    if (this._newer("timer", message.v)) this._setTimer(message.timer);
    this._saw(message.v);
  }

  // The table's own details changed (a reveal, new rules, the event opening
  // or closing); the ranking comes as far as this page may now see it.
  applyTable(message) {
    if (this._newer("table", message.v)) this.table = message.table;
    if ("ranking" in message && this._newer("ranking", message.v)) this.ranking = message.ranking;
    this._saw(message.v);
  }

  _setTimer(timer) {
    this.timer = timer ? { ...timer, at: Date.now() } : null;
  }

  // Seconds left on the phase timer now (negative once overrun), or null.
  timerLeft() {
    if (!this.timer) return null;
    const run = this.timer.running ? (Date.now() - this.timer.at) / 1000 : 0;
    return this.timer.remaining - run;
  }

  applyTally(message) {
    if ("counters" in message && this._newer("counters", message.v)) this.counters = message.counters;
    if (this._newer("ranking", message.v)) this.ranking = message.ranking;
  }

  applyMe(me, v) {
    if (this._newer("me", v)) this.me = me;
  }

  // Pinned needs first, then newest first.
  needsForWall() {
    return [...this.needs.values()].sort((a, b) => (b.pinned - a.pinned) || (b.id - a.id));
  }
}

// "m:ss" for a number of seconds; overrun shows as "-m:ss".
export function clock(seconds) {
  const whole = Math.ceil(Math.abs(seconds) - 0.001);
  const text = `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  return seconds < 0 ? "-" + text : text;
}

// Open the page's connection. `view` is "phone", "projector" or "console".
// Calls onChange() after every change of state and onStatus(status, detail)
// with "connecting", "online", "reconnecting", "offline" or "refused".
export function connectTable({ code, view, state, onChange, onStatus }) {
  const socket = window.io({
    // Sent again on every reconnect, with the last version seen.
    auth: (send) => send({ table: code, view, v: state.v >= 0 ? state.v : undefined }),
    reconnectionDelayMax: 5000,
  });
  onStatus("connecting");
  socket.on("connect", () => onStatus("online"));
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    onStatus(navigator.onLine ? "reconnecting" : "offline");
  });
  socket.on("connect_error", (error) => {
    if (error.data && error.data.code) {
      // The server refused us (unknown table, not allowed): retrying won't help,
      // except for a phone that lost its cookie, which the page itself restores.
      socket.disconnect();
      onStatus("refused", error.data);
    } else {
      onStatus(navigator.onLine ? "reconnecting" : "offline");
    }
  });
  window.addEventListener("offline", () => onStatus("offline"));
  const handlers = {
    snapshot: (message) => state.applySnapshot(message),
    need_added: (message) => state.applyNeedAdded(message),
    needs: (message) => state.applyNeeds(message),
    phase: (message) => state.applyPhase(message),
    timer: (message) => state.applyTimer(message),
    table: (message) => state.applyTable(message),
    tally: (message) => state.applyTally(message),
    me: (message) => state.applyMe(message.me, message.v),
  };
  for (const [event, apply] of Object.entries(handlers)) {
    socket.on(event, (message) => {
      apply(message);
      onChange();
    });
  }
  return socket;
}

// Actions a phone sends, kept in localStorage until the server acknowledged
// them, so that nothing is lost when the Wi-Fi drops or the page reloads.
// Each carries its own id: sending one twice is harmless, the server answers
// a repeat with the first answer. Tabs of the same phone share the stored
// outbox (merged by id), so a reload or a second tab never drops an action.
export class Outbox {
  constructor(key, socket, onSettled, onChange = () => {}) {
    this.key = key;
    this.socket = socket;
    this.onSettled = onSettled;
    this.onChange = onChange;
    this.settled = new Set(); // ids answered in this tab, kept out of merges
    this.items = this._load();
    this.sent = new Set(); // ids emitted on the current connection
    socket.on("connect", () => this.flush());
    socket.on("disconnect", () => this.sent.clear());
    window.addEventListener("storage", (event) => {
      if (event.key !== this.key) return;
      this.items = this._merge(this._load(), this.items);
      this.onChange();
    });
    setInterval(() => this.flush(), 10000);
  }

  _load() {
    try {
      return JSON.parse(localStorage.getItem(this.key)) || [];
    } catch {
      return [];
    }
  }

  _merge(stored, mine) {
    const byId = new Map();
    for (const item of [...stored, ...mine]) {
      if (!this.settled.has(item.payload.id)) byId.set(item.payload.id, item);
    }
    return [...byId.values()];
  }

  _save() {
    try {
      this.items = this._merge(this._load(), this.items);
      localStorage.setItem(this.key, JSON.stringify(this.items));
    } catch {
      // Private mode or a full storage: the outbox still works for this page.
    }
  }

  add(event, payload) {
    const item = { event, payload: { ...payload, id: newActionId() } };
    this.items.push(item);
    this._save();
    this._send(item);
    return item;
  }

  pending(event) {
    return this.items.filter((item) => item.event === event);
  }


  flush() {
    for (const item of [...this.items]) this._send(item);
  }

  _send(item) {
    if (!this.socket.connected) return;
    this.sent.add(item.payload.id);
    this.socket.timeout(10000).emit(item.event, item.payload, (timedOut, ack) => {
      // No answer, or the server failed: keep it, it is sent again on reconnect
      // and every 10 s (the server treats a repeat as the same action).
      if (timedOut || (!ack.ok && ack.error.code === "server_error")) {
        this.sent.delete(item.payload.id);
        return;
      }
      const index = this.items.findIndex((other) => other.payload.id === item.payload.id);
      if (index === -1) return; // a repeat already settled it
      this.items.splice(index, 1);
      this.settled.add(item.payload.id);
      this._save();
      this.onSettled(item, ack);
    });
  }
}

// The rehearsal banner: shown while the simulator runs at the table or any
// simulated participant is left there.
export function renderRehearsalBanner(state) {
  const banner = document.getElementById("rehearsal-banner");
  const rehearsal = state.table && state.table.rehearsal;
  if (banner) banner.hidden = !(rehearsal && (rehearsal.running || rehearsal.simulated > 0));
}

export function showStatus(element, strings, status) {
  element.dataset.status = status;
  element.textContent = strings["status_" + status] || status;
}

export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
}

export function make(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}
