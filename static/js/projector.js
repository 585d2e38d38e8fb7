// The projector view: join QR code and code, live counters, needs wall, ranking.
import { TableState, connectTable, pageStrings, showStatus } from "./live.js";
import { renderWall } from "./screen.js";
import "./colours.js";

const root = document.getElementById("table");
const strings = pageStrings();
const state = new TableState();

connectTable({
  code: root.dataset.code,
  view: "projector",
  state,
  onChange() {
    root.dataset.phase = state.phase;
    document.getElementById("phase").textContent = strings["phase_" + state.phase] || "";
    renderWall(state, strings);
  },
  onStatus(status) {
    showStatus(document.getElementById("status"), strings, status);
  },
});
