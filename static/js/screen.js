// What the projector and the console share: counters, the needs wall, the ranking.
import { clear, format, make, renderRehearsalBanner } from "./live.js";

export function renderCounters(state) {
  const counters = state.counters || {};
  for (const name of ["online", "joined", "simulated", "needs", "dots"]) {
    const element = document.getElementById("count-" + name);
    if (element && counters[name] !== undefined) element.textContent = counters[name].toLocaleString();
  }
  // Simulated participants are counted apart, and only shown when there are any.
  const simulated = document.getElementById("count-simulated-box");
  if (simulated) simulated.hidden = !counters.simulated;
  renderRehearsalBanner(state);
}

// The mark on a need a rehearsal's simulated participant posted.
export function simulatedTag(strings) {
  return make("span", "tag simulated", strings.simulated);
}

export function renderNeeds(list, state, strings) {
  clear(list);
  for (const need of state.needsForWall()) {
    const li = make("li", "need" + (need.pinned ? " pinned" : ""));
    li.append(make("span", "need-text", need.text));
    if (need.pinned) li.append(make("span", "tag pinned", strings.pinned));
    if (need.simulated) li.append(simulatedTag(strings));
    list.append(li);
  }
}

export function renderRanking(list, ranking, strings) {
  clear(list);
  const top = Math.max(1, ...ranking.map((entry) => entry.dots));
  for (const entry of ranking) {
    const li = make("li", "ranked");
    const bar = make("span", "bar");
    bar.style.setProperty("--share", String(entry.dots / top));
    const dots = entry.dots === 1 ? strings.dots_one : format(strings.dots_many, { n: entry.dots });
    li.append(
      make("span", "rank", format(strings.rank, { rank: entry.rank })),
      make("span", "need-text", entry.text),
      make("span", "dots", dots),
      bar,
    );
    if (entry.simulated) li.insertBefore(simulatedTag(strings), bar);
    list.append(li);
  }
}

// The needs wall while collecting, the ranking once there is one to show.
export function renderWall(state, strings) {
  const needs = document.getElementById("needs");
  const ranking = document.getElementById("ranking");
  const showRanking = Boolean(state.ranking);
  needs.hidden = showRanking;
  ranking.hidden = !showRanking;
  if (showRanking) renderRanking(ranking, state.ranking, strings);
  else renderNeeds(needs, state, strings);
  renderCounters(state);
}
