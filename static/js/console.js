// The facilitator console: move the table through its phases, watch it live.
import { TableState, connectTable, format, pageStrings, showStatus } from "./live.js";
import { renderWall } from "./screen.js";
import "./colours.js";

const PHASES = ["collect", "review", "vote", "results", "closed"];
const root = document.getElementById("table");
const strings = pageStrings();
const state = new TableState();
const back = document.getElementById("phase-back");
const next = document.getElementById("phase-next");
const notice = document.getElementById("notice");

const socket = connectTable({
  code: root.dataset.code,
  view: "console",
  state,
  onChange: render,
  onStatus(status, detail) {
    showStatus(document.getElementById("status"), strings, status);
    if (status === "refused") showNotice(detail.message);
  },
});

function showNotice(message) {
  notice.textContent = message || "";
  notice.hidden = !message;
}

function setPhase(phase) {
  back.disabled = next.disabled = true;
  // "from" makes a double press, or two consoles at once, move one step only.
  socket.timeout(10000).emit("set_phase", { from: state.phase, phase }, (timedOut, ack) => {
    back.disabled = next.disabled = false;
    if (timedOut) showNotice(strings.status_reconnecting);
    else showNotice(ack.ok ? "" : ack.error.message);
  });
}

back.addEventListener("click", () => setPhase(back.dataset.phase));
next.addEventListener("click", () => setPhase(next.dataset.phase));

function render() {
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
  renderWall(state, strings);
}
