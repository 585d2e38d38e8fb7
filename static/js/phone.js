// The participant's phone: post needs (and fix or delete one's own), spend
// dots, see the timer and the results.
import {
  Outbox, TableState, clear, clock, connectTable, format, make, pageStrings, renderRehearsalBanner, showStatus,
} from "./live.js";
import "./colours.js";

const root = document.getElementById("table");
const code = root.dataset.code;
const strings = pageStrings();
const state = new TableState();
const $ = (id) => document.getElementById(id);
let editing = null; // the id of the own need being rewritten, if any

// The connection as the socket reports it; the outbox, once made, says
// whether a connected phone is still catching up.
let connection = "connecting";
let outbox = null;

// Connected yet still sending what was done offline: "behind", so nobody
// mistakes a phone catching up for one that is done.
function renderStatus() {
  const behind = connection === "online" && outbox !== null && outbox.items.length > 0;
  showStatus($("status"), strings, behind ? "behind" : connection);
}

const socket = connectTable({
  code,
  view: "phone",
  state,
  onChange: render,
  onStatus(status, detail) {
    if (status === "refused" && detail.code === "no_device") {
      window.location.reload(); // the page hands out a fresh device cookie
      return;
    }
    connection = status;
    renderStatus();
    if (status === "refused") notify(detail.message);
  },
});

outbox = new Outbox("tavoli-outbox:" + code, socket, settled, render);

function settled(item, ack) {
  if (!ack.ok) {
    notify(ack.error.message);
    // A need the server refused is not lost: its text goes back in the box.
    if (item.event === "post_need" && !$("need-text").value) {
      $("need-text").value = item.payload.text;
      updateCount();
    }
  } else if (item.event === "post_need") {
    state.addNeed(ack.need, ack.v);
    if (state.me && !state.me.needs.includes(ack.need.id)) state.me.needs.push(ack.need.id);
  } else if (ack.me) {
    state.applyMe(ack.me, ack.v);
  }
  render();
}

function notify(message) {
  const notice = $("notice");
  notice.textContent = message;
  notice.hidden = !message;
}

function updateCount() {
  $("need-count").textContent = `${$("need-text").value.length} / 280`;
}

$("need-text").addEventListener("input", updateCount);

$("post-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const field = $("need-text");
  const text = field.value.trim();
  if (!text) {
    field.focus();
    return;
  }
  notify("");
  outbox.add("post_need", { text });
  field.value = "";
  updateCount();
  render();
});

// What the phone shows of its own dots: the server's count, plus every
// change not acknowledged yet, sent or not. On slow Wi-Fi a second tap
// before the first answer then meets the budget already spent, rather than
// spending another dot. (A "me" arriving just before its own acknowledgement
// counts that dot twice for a moment: on the safe side.)
function myDots(needId) {
  let count = (state.me && state.me.dots[String(needId)]) || 0;
  for (const item of outbox.pending("cast_dot")) if (item.payload.need === needId) count += 1;
  for (const item of outbox.pending("withdraw_dot")) if (item.payload.need === needId) count -= 1;
  return Math.max(count, 0);
}

function dotsLeft() {
  if (!state.me) return 0;
  const left = state.me.left - outbox.pending("cast_dot").length + outbox.pending("withdraw_dot").length;
  return Math.min(Math.max(left, 0), state.me.budget);
}

function dotLabel(n) {
  return n === 1 ? strings.dots_one : format(strings.dots_many, { n });
}

function render() {
  renderStatus();
  if (!state.table) return;
  renderRehearsalBanner(state);
  const phase = state.phase;
  root.dataset.phase = phase;
  $("phase").textContent = strings["phase_" + phase] || "";
  // The organizers closed the event (or have not opened it yet): the server
  // would refuse posts and dots, so the page does not offer them.
  const open = state.table.open !== false;
  $("event-closed").hidden = open;
  $("post-form").hidden = phase !== "collect" || !open;
  const voting = phase === "vote" && open;
  const dotsLeftElement = $("dots-left");
  dotsLeftElement.hidden = !voting || !state.me;
  if (voting && state.me) {
    dotsLeftElement.textContent = format(strings.dots_left, { left: dotsLeft(), budget: state.me.budget });
  }
  const showResults = phase === "results" || phase === "closed";
  $("results-section").hidden = !showResults;
  $("results-waiting").hidden = !showResults || Boolean(state.ranking);
  $("needs-section").hidden = showResults;
  $("change-table").hidden = !state.table.allow_table_change;
  if (showResults) renderRanking();
  else renderNeeds(phase, voting);
  renderTimer();
}

function renderTimer() {
  const element = $("timer");
  const left = state.timerLeft();
  element.hidden = left === null;
  if (left === null) return;
  element.textContent = format(strings.time_left, { time: clock(left) });
  element.classList.toggle("overrun", left < 0);
}

setInterval(() => { if (state.timer && state.timer.running) renderTimer(); }, 1000);

function renderNeeds(phase, voting) {
  const list = $("needs");
  // Keep an open editor intact while other needs arrive.
  if (editing !== null && list.querySelector("form.edit-form")) return;
  clear(list);
  const mine = new Set(state.me ? state.me.needs : []);
  for (const item of outbox.pending("post_need")) {
    const li = make("li", "need pending");
    li.append(make("p", "need-text", item.payload.text), make("span", "tag", strings.sending));
    list.append(li);
  }
  for (const need of state.needsForWall()) {
    const li = make("li", "need");
    if (editing === need.id) {
      li.append(editForm(need));
      list.append(li);
      continue;
    }
    li.append(make("p", "need-text", need.text));
    const tags = make("p", "tags");
    if (need.pinned) tags.append(make("span", "tag pinned", strings.pinned));
    if (mine.has(need.id)) tags.append(make("span", "tag", strings.yours));
    if (need.simulated) tags.append(make("span", "tag simulated", strings.simulated));
    if (need.organisation) tags.append(make("span", "tag organisation", need.organisation));
    if (tags.childElementCount) li.append(tags);
    if (phase === "collect" && state.table.open !== false && mine.has(need.id)) li.append(ownNeedControls(need));
    if (voting) li.append(voteControls(need));
    list.append(li);
  }
  $("no-needs").hidden = list.childElementCount > 0;
}

function ownNeedControls(need) {
  const box = make("div", "own-row");
  const edit = make("button", "button", strings.edit);
  edit.type = "button";
  edit.setAttribute("aria-label", `${strings.edit}: ${need.text}`);
  edit.addEventListener("click", () => { editing = need.id; render(); });
  const remove = make("button", "button danger", strings.delete);
  remove.type = "button";
  remove.setAttribute("aria-label", `${strings.delete}: ${need.text}`);
  remove.addEventListener("click", () => {
    if (!window.confirm(strings.delete_confirm)) return;
    outbox.add("delete_need", { need: need.id });
  });
  box.append(edit, remove);
  return box;
}

function editForm(need) {
  const form = make("form", "edit-form");
  const label = make("label", "", strings.edit_label);
  label.htmlFor = "edit-" + need.id;
  const field = make("textarea");
  field.id = "edit-" + need.id;
  field.maxLength = 280;
  field.rows = 3;
  field.value = need.text;
  const save = make("button", "button primary", strings.save);
  save.type = "submit";
  const cancel = make("button", "button", strings.cancel);
  cancel.type = "button";
  cancel.addEventListener("click", () => { editing = null; render(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = field.value.trim();
    if (!text) return;
    editing = null;
    outbox.add("edit_need", { need: need.id, text });
    render();
  });
  const row = make("div", "post-row");
  row.append(cancel, save);
  form.append(label, field, row);
  setTimeout(() => field.focus());
  return form;
}

function voteControls(need) {
  const mineCount = myDots(need.id);
  const box = make("div", "vote-row");
  const count = make("span", "my-dots", format(strings.my_dots, { n: mineCount }));
  const take = make("button", "button dot-button", strings.take_back);
  take.type = "button";
  take.disabled = mineCount <= 0;
  take.setAttribute("aria-label", `${strings.take_back}: ${need.text}`);
  take.addEventListener("click", () => { outbox.add("withdraw_dot", { need: need.id }); render(); });
  const give = make("button", "button primary dot-button", strings.give_dot);
  give.type = "button";
  give.disabled = dotsLeft() <= 0 || mineCount >= state.table.max_per_need;
  give.setAttribute("aria-label", `${strings.give_dot}: ${need.text}`);
  give.addEventListener("click", () => { outbox.add("cast_dot", { need: need.id }); render(); });
  box.append(count, take, give);
  return box;
}

function renderRanking() {
  const list = $("ranking");
  clear(list);
  for (const entry of state.ranking || []) {
    const li = make("li", "ranked");
    li.append(
      make("span", "rank", format(strings.rank, { rank: entry.rank })),
      make("span", "need-text", entry.text),
      make("span", "dots", dotLabel(entry.dots)),
    );
    list.append(li);
  }
}
