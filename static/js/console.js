// The facilitator console: phases, timer, reveal, moderation and merges, live.
import {
  TableState, clear, clock, connectTable, format, make, pageStrings, showStatus,
} from "./live.js";
import { renderCounters, renderRanking, simulatedTag } from "./screen.js";
import "./colours.js";

const PHASES = ["collect", "review", "vote", "results", "closed"];
const root = document.getElementById("table");
const strings = pageStrings();
const state = new TableState();
const $ = (id) => document.getElementById(id);
const back = $("phase-back");
const next = $("phase-next");
const notice = $("notice");
let correcting = null; // the id of the need whose text is being corrected
let drawnNeeds = ""; // what the moderation list was last drawn from
const mergeChoice = new Map(); // need id -> the target picked in its "Merge into" list

const socket = connectTable({
  code: root.dataset.code,
  view: "console",
  state,
  onChange: render,
  onStatus(status, detail) {
    showStatus($("status"), strings, status);
    if (status === "refused") showNotice(detail.message);
  },
});

function showNotice(message) {
  notice.textContent = message || "";
  notice.hidden = !message;
}

// Send one console action; the answer only reports errors, since the new
// state reaches every screen (this one included) as a broadcast.
function send(event, payload, buttons = []) {
  for (const button of buttons) button.disabled = true;
  socket.timeout(10000).emit(event, payload, (timedOut, ack) => {
    for (const button of buttons) button.disabled = false;
    if (timedOut) showNotice(strings.status_reconnecting);
    else showNotice(ack.ok ? "" : ack.error.message);
  });
}

// "from" makes a double press, or two consoles at once, move one step only.
back.addEventListener("click", () => send("set_phase", { from: state.phase, phase: back.dataset.phase }, [back, next]));
next.addEventListener("click", () => send("set_phase", { from: state.phase, phase: next.dataset.phase }, [back, next]));

$("timer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const minutes = Number($("timer-minutes").value);
  send("timer", { action: "start", seconds: Math.round(minutes * 60) });
});
$("timer-pause").addEventListener("click", () => send("timer", { action: "pause" }));
$("timer-resume").addEventListener("click", () => send("timer", { action: "resume" }));
for (const id of ["timer-extend", "timer-extend-5"]) {
  $(id).addEventListener("click", () => send("timer", { action: "extend", seconds: Number($(id).dataset.seconds) }));
}
$("reveal").addEventListener("click", () => send("reveal", { revealed: !state.table.revealed }, [$("reveal")]));

// Rehearsal: simulated participants at the pace chosen (a second start changes number and pace).
const rehearsalButtons = () => ["rehearsal-start", "rehearsal-pace-change", "rehearsal-stop", "rehearsal-clear"].map($);
$("rehearsal-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send("rehearsal", {
    action: "start", participants: Number($("rehearsal-participants").value), pace: $("rehearsal-pace").value,
  }, rehearsalButtons());
});
$("rehearsal-pace-change").addEventListener("click", () => {
  send("rehearsal", { action: "pace", pace: $("rehearsal-pace").value }, rehearsalButtons());
});
$("rehearsal-stop").addEventListener("click", () => send("rehearsal", { action: "stop" }, rehearsalButtons()));
$("rehearsal-clear").addEventListener("click", () => send("rehearsal", { action: "clear" }, rehearsalButtons()));

function render() {
  if (!state.table) return;
  renderPhase();
  renderTimer();
  renderReveal();
  renderRehearsal();
  renderCounters(state);
  const ranking = state.ranking || [];
  $("no-ranking").hidden = ranking.some((entry) => entry.dots > 0);
  renderRanking($("ranking"), ranking.filter((entry) => entry.dots > 0), strings);
  renderModeration();
}

function renderPhase() {
  const index = PHASES.indexOf(state.phase);
  for (const step of document.querySelectorAll("#phase-steps li")) {
    const current = step.dataset.phase === state.phase;
    step.classList.toggle("current", current);
    if (current) step.setAttribute("aria-current", "step");
    else step.removeAttribute("aria-current");
  }
  const previousPhase = PHASES[index - 1];
  const nextPhase = PHASES[index + 1];
  back.hidden = !previousPhase;
  next.hidden = !nextPhase;
  if (previousPhase) {
    back.dataset.phase = previousPhase;
    back.textContent = format(strings.back_to, { phase: strings["phase_" + previousPhase] });
  }
  if (nextPhase) {
    next.dataset.phase = nextPhase;
    next.textContent = format(strings.next_to, { phase: strings["phase_" + nextPhase] });
  }
}

function renderTimer() {
  const left = state.timerLeft();
  const element = $("timer");
  const running = Boolean(state.timer && state.timer.running);
  if (left === null) element.textContent = strings.no_timer;
  else element.textContent = format(running ? strings.time_left : strings.time_paused, { time: clock(left) });
  element.classList.toggle("overrun", left !== null && left < 0);
  $("timer-pause").hidden = !running;
  $("timer-resume").hidden = left === null || running;
  $("timer-extend").hidden = $("timer-extend-5").hidden = left === null;
}

setInterval(() => { if (state.timer && state.timer.running) renderTimer(); }, 1000);

function renderReveal() {
  const card = $("reveal-card");
  card.hidden = !state.table.results_hidden;
  if (card.hidden) return;
  $("reveal-state").textContent = state.table.revealed ? strings.revealed_yes : strings.revealed_no;
  $("reveal").textContent = state.table.revealed ? strings.unreveal : strings.reveal;
}

function renderRehearsal() {
  const rehearsal = state.table.rehearsal || { running: false, pace: null, simulated: 0 };
  const simulated = Math.max(rehearsal.simulated, (state.counters && state.counters.simulated) || 0);
  let text = strings.rehearsal_none;
  if (rehearsal.running) text = format(strings.rehearsal_running, { pace: rehearsal.pace });
  else if (simulated > 0) text = format(strings.rehearsal_stopped, { n: simulated });
  $("rehearsal-state").textContent = text;
  $("rehearsal-pace-change").hidden = !rehearsal.running;
  $("rehearsal-stop").hidden = !rehearsal.running;
  $("rehearsal-clear").hidden = !(rehearsal.running || simulated > 0);
}

function button(label, className, onClick, describedText) {
  const element = make("button", "button " + (className || ""), label);
  element.type = "button";
  if (describedText) element.setAttribute("aria-label", `${label}: ${describedText}`);
  element.addEventListener("click", () => onClick(element));
  return element;
}

function moderate(action, need, extra = {}, buttons = []) {
  send("moderate", { action, need: need.id, ...extra }, buttons);
}

function renderModeration() {
  const list = $("needs");
  if (correcting !== null && list.querySelector("form.edit-form")) return; // keep the editor open
  const needs = [...state.needs.values()].sort((a, b) => a.id - b.id);
  // Redraw only when the needs changed, not on every tally: a redraw would
  // reset a list the facilitator is choosing from.
  const drawn = JSON.stringify([state.phase, correcting, needs.map(({ v, ...need }) => need)]);
  if (drawn === drawnNeeds) return;
  drawnNeeds = drawn;
  clear(list);
  const byId = new Map(needs.map((need) => [need.id, need]));
  const roots = needs.filter((need) => !need.merged_into);
  const mergeTargets = roots.filter((need) => !need.hidden);
  for (const need of roots) {
    const li = make("li", "need" + (need.hidden ? " is-hidden" : ""));
    li.dataset.need = need.id;
    if (correcting === need.id) {
      li.append(correctForm(need));
      list.append(li);
      continue;
    }
    li.append(make("p", "need-text", need.text));
    const tags = make("p", "tags");
    if (need.hidden) tags.append(make("span", "tag", strings.hidden));
    if (need.pinned) tags.append(make("span", "tag pinned", strings.pinned));
    if (need.simulated) tags.append(simulatedTag(strings));
    if (need.organisation) tags.append(make("span", "tag organisation", need.organisation));
    if (tags.childElementCount) li.append(tags);
    if (need.original) li.append(make("p", "muted small", format(strings.original, { text: need.original })));
    const merged = needs.filter((other) => rootOf(other, byId) === need.id && other.id !== need.id);
    if (merged.length) {
      const sub = make("ul", "merged-needs");
      for (const other of merged) {
        const item = make("li", "merged-need");
        item.append(make("span", "need-text", other.text));
        if (other.merged_into === need.id) {
          item.append(button(strings.unmerge, "small", (b) => moderate("unmerge", other, {}, [b]), other.text));
        }
        sub.append(item);
      }
      li.append(sub);
    }
    li.append(controls(need, mergeTargets));
    list.append(li);
  }
}

function rootOf(need, byId) {
  const seen = new Set();
  while (need.merged_into && byId.has(need.merged_into) && !seen.has(need.id)) {
    seen.add(need.id);
    need = byId.get(need.merged_into);
  }
  return need.id;
}

function controls(need, mergeTargets) {
  const row = make("div", "moderation-row");
  if (state.phase === "closed") return row;
  row.append(
    button(need.hidden ? strings.unhide : strings.hide, "", (b) => moderate(need.hidden ? "unhide" : "hide", need, {}, [b]), need.text),
  );
  if (need.hidden) return row;
  row.append(
    button(need.pinned ? strings.unpin : strings.pin, "", (b) => moderate(need.pinned ? "unpin" : "pin", need, {}, [b]), need.text),
    button(strings.correct, "", () => { correcting = need.id; render(); }, need.text),
  );
  const others = mergeTargets.filter((other) => other.id !== need.id);
  if (others.length) {
    const select = make("select", "merge-select");
    select.setAttribute("aria-label", `${strings.merge_into} ${need.text}`);
    select.append(new Option(strings.merge_into, ""));
    for (const other of others) select.append(new Option(other.text.slice(0, 80), String(other.id)));
    select.value = mergeChoice.get(need.id) || "";
    select.addEventListener("change", () => mergeChoice.set(need.id, select.value));
    const merge = button(strings.merge, "", (b) => {
      if (select.value) moderate("merge", need, { into: Number(select.value) }, [b]);
    }, need.text);
    row.append(select, merge);
  }
  return row;
}

function correctForm(need) {
  const form = make("form", "edit-form");
  const field = make("textarea");
  field.maxLength = 280;
  field.rows = 2;
  field.value = need.text;
  field.setAttribute("aria-label", strings.correct);
  const save = make("button", "button primary", strings.save);
  save.type = "submit";
  const cancel = button(strings.cancel, "", () => { correcting = null; render(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    correcting = null;
    moderate("correct", need, { text: field.value });
    render();
  });
  const row = make("div", "moderation-row");
  row.append(cancel, save);
  form.append(field, row);
  setTimeout(() => field.focus());
  return form;
}
