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
    this.seen = { phase: -1, ranking: -1, me: -1, counters: -1 };
  }

  _newer(part, v) {
    if (v < this.seen[part]) return false;
    this.seen[part] = v;
    return true;
  }

  applySnapshot(s) {
    const needs = new Map(s.needs.map((need) => [need.id, { ...need, v: s.v }]));
    // A need broadcast after this snapshot was read is newer than it: keep it.
    for (const [id, need] of this.needs) if (need.v > s.v && !needs.has(id)) needs.set(id, need);
    this.needs = needs;
    this.table = s.table;
    if (this._newer("phase", s.v)) this.phase = s.phase;
    if (this._newer("ranking", s.v)) this.ranking = s.ranking;
    if (s.me && this._newer("me", s.v)) this.me = s.me;
    if (s.counters && this._newer("counters", s.v)) this.counters = s.counters;
    this.v = Math.max(this.v, s.v);
  }

  addNeed(need, v) {
    if (!this.needs.has(need.id)) this.needs.set(need.id, { ...need, v });
    this.v = Math.max(this.v, v);
  }

  applyPhase(message) {
    if (this._newer("phase", message.v)) this.phase = message.phase;
    if (this._newer("ranking", message.v)) this.ranking = message.ranking;
    this.v = Math.max(this.v, message.v);
  }

  applyTally(message) {
    if (this._newer("counters", message.v)) {
      this.counters = message.counters;
      if (this._newer("ranking", message.v)) this.ranking = message.ranking;
    }
  }

  applyMe(me, v) {
    if (this._newer("me", v)) this.me = me;
  }

  needsNewestFirst() {
    return [...this.needs.values()].sort((a, b) => b.id - a.id);
  }
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
  socket.on("snapshot", (snapshot) => {
    if (!snapshot.unchanged) state.applySnapshot(snapshot);
    onChange();
  });
  socket.on("need_added", (message) => {
    state.addNeed(message.need, message.v);
    onChange();
  });
  socket.on("phase", (message) => {
    state.applyPhase(message);
    onChange();
  });
  socket.on("tally", (message) => {
    state.applyTally(message);
    onChange();
  });
  socket.on("me", (message) => {
    state.applyMe(message.me, message.v);
    onChange();
  });
  return socket;
}

// Actions a phone sends, kept in localStorage until the server acknowledged
// them, so that nothing is lost when the Wi-Fi drops or the page reloads.
// Each carries its own id: sending one twice is harmless, the server answers
// a repeat with the first answer.
export class Outbox {
  constructor(key, socket, onSettled) {
    this.key = key;
    this.socket = socket;
    this.onSettled = onSettled;
    this.items = this._load();
    socket.on("connect", () => this.flush());
    setInterval(() => this.flush(), 10000);
  }

  _load() {
    try {
      return JSON.parse(localStorage.getItem(this.key)) || [];
    } catch {
      return [];
    }
  }

  _save() {
    try {
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
    this.socket.timeout(10000).emit(item.event, item.payload, (timedOut, ack) => {
      if (timedOut) return; // stays in the outbox; sent again on reconnect
      const index = this.items.findIndex((other) => other.payload.id === item.payload.id);
      if (index === -1) return; // a repeat already settled it
      this.items.splice(index, 1);
      this._save();
      this.onSettled(item, ack);
    });
  }
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
