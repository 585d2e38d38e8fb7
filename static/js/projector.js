// The projector view: join QR code and code, live counters, timer, needs wall, ranking.
import { TableState, clock, connectTable, pageStrings, showStatus } from "./live.js";
import { renderWall } from "./screen.js";
import "./colours.js";

const root = document.getElementById("table");
const strings = pageStrings();
const state = new TableState();
const $ = (id) => document.getElementById(id);

function renderTimer() {
  const left = state.timerLeft();
  const element = $("timer");
  element.hidden = left === null;
  if (left === null) return;
  element.textContent = clock(left);
  element.classList.toggle("overrun", left < 0);
}

setInterval(() => { if (state.timer && state.timer.running) renderTimer(); }, 1000);

connectTable({
  code: root.dataset.code,
  view: "projector",
  state,
  onChange() {
    root.dataset.phase = state.phase;
    $("phase").textContent = strings["phase_" + state.phase] || "";
    const resultsPhase = ["results", "closed"].includes(state.phase);
    $("results-waiting").hidden = !(resultsPhase && !state.ranking);
    renderWall(state, strings);
    renderTimer();
  },
  onStatus(status) {
    showStatus($("status"), strings, status);
  },
});
