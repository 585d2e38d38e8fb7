// The participant's phone: post needs, spend dots, see the ranking.
import {
  Outbox, TableState, clear, connectTable, format, make, pageStrings, showStatus,
} from "./live.js";
import "./colours.js";

const root = document.getElementById("table");
const code = root.dataset.code;
const strings = pageStrings();
const state = new TableState();
const $ = (id) => document.getElementById(id);


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
    showStatus($("status"), strings, status);
    if (status === "refused") notify(detail.message);
  },
});

const outbox = new Outbox("tavoli-outbox:" + code, socket, (item, ack) => {
  if (!ack.ok) {
    notify(ack.error.message);
  } else if (item.event === "post_need") {
    state.addNeed(ack.need, ack.v);
    if (state.me && !state.me.needs.includes(ack.need.id)) state.me.needs.push(ack.need.id);
  } else {
    state.applyMe(ack.me, ack.v);
  }
  render();
});

function notify(message) {
  const notice = $("notice");
  notice.textContent = message;
  notice.hidden = !message;
}

$("need-text").addEventListener("input", (event) => {
  $("need-count").textContent = `${event.target.value.length} / 280`;
});

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
  $("need-count").textContent = "0 / 280";
  render();
});

// What the phone shows of its own dots: the server's count, plus the changes
// still waiting in the outbox.
function myDots(needId) {
  let count = (state.me && state.me.dots[String(needId)]) || 0;
  for (const item of outbox.items) {
    if (item.payload.need !== needId) continue;
    if (item.event === "cast_dot") count += 1;
    if (item.event === "withdraw_dot") count -= 1;
  }
  return count;
}

function dotsLeft() {
  if (!state.me) return 0;
  const pending = outbox.pending("cast_dot").length - outbox.pending("withdraw_dot").length;
  return state.me.left - pending;
}

function dotLabel(n) {
  return n === 1 ? strings.dots_one : format(strings.dots_many, { n });
}

function render() {
  if (!state.table) return;
  const phase = state.phase;
  root.dataset.phase = phase;
  $("phase").textContent = strings["phase_" + phase] || "";
  $("post-form").hidden = phase !== "collect";
  const voting = phase === "vote";
  const dotsLeftElement = $("dots-left");
  dotsLeftElement.hidden = !voting || !state.me;
  if (voting && state.me) {
    dotsLeftElement.textContent = format(strings.dots_left, { left: dotsLeft(), budget: state.me.budget });
  }
  const showResults = phase === "results" || phase === "closed";
  $("results-section").hidden = !showResults || !state.ranking;
  $("needs-section").hidden = showResults;
  if (showResults && state.ranking) renderRanking();
  else renderNeeds(voting);
}

function renderNeeds(voting) {
  const list = $("needs");
  clear(list);
  const mine = new Set(state.me ? state.me.needs : []);
  for (const item of outbox.pending("post_need")) {
    const li = make("li", "need pending");
    li.append(make("p", "need-text", item.payload.text), make("span", "tag", strings.sending));
    list.append(li);
  }
  for (const need of state.needsNewestFirst()) {
    const li = make("li", "need");
    li.append(make("p", "need-text", need.text));
    if (mine.has(need.id)) li.append(make("span", "tag", strings.yours));
    if (voting) li.append(voteControls(need));
    list.append(li);
  }
  $("no-needs").hidden = list.childElementCount > 0;
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
  for (const entry of state.ranking) {
    const li = make("li", "ranked");
    li.append(
      make("span", "rank", format(strings.rank, { rank: entry.rank })),
      make("span", "need-text", entry.text),
      make("span", "dots", dotLabel(entry.dots)),
    );
    list.append(li);
  }
}
