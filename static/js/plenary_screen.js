// The event projector: one theme's top needs at a time, rotating through the
// themes every few seconds (or fixed on one), with the event's live counters.
import { clear, format, make, pageStrings, showStatus } from "./live.js";
import { connectPlenary, renderCounters } from "./plenary_live.js";

const TOP = 6;
const root = document.getElementById("plenary-screen");
const strings = pageStrings();
const everyMs = Number(root.dataset.every || 20) * 1000;
const fixedTheme = root.dataset.theme ? Number(root.dataset.theme) : null;
let snapshot = null;
let index = 0;

function currentTheme() {
  const themes = snapshot.themes;
  if (!themes.length) return null;
  if (fixedTheme !== null) return themes.find((theme) => theme.id === fixedTheme) || null;
  index %= themes.length;
  return themes[index];
}

function render() {
  if (!snapshot) return;
  renderCounters(snapshot.counters);
  const theme = currentTheme();
  const list = document.getElementById("ranking");
  clear(list);
  if (!theme) return;
  root.dataset.themeId = String(theme.id);
  root.style.setProperty("--theme", theme.colour);
  document.getElementById("theme-name").textContent = theme.name;
  const position = snapshot.themes.indexOf(theme) + 1;
  document.getElementById("theme-progress").textContent =
    format(strings.theme_of, { n: position, total: snapshot.themes.length });
  document.getElementById("no-needs").hidden = theme.ranking.length > 0;
  // Tables keeping their results hidden until revealed are not counted here yet: say so.
  const keptHidden = theme.tables.filter((table) => table.results_kept_hidden).map((table) => table.name);
  const keptHiddenElement = document.getElementById("kept-hidden");
  keptHiddenElement.hidden = keptHidden.length === 0;
  keptHiddenElement.textContent = format(strings.kept_hidden, { tables: keptHidden.join(", ") });
  for (const entry of theme.ranking.slice(0, TOP)) {
    const li = make("li", "ranked");
    const bar = make("span", "bar");
    bar.style.setProperty("--share", String(entry.share));
    const tables = entry.tables.map((table) => table.name).join(", ");
    li.append(
      make("span", "rank", format(strings.rank, { rank: entry.rank })),
      make("span", "need-text", entry.text),
      make("span", "dots", entry.dots === 1 ? strings.dots_one : format(strings.dots_many, { n: entry.dots })),
      bar,
      make("span", "raised", entry.table_count === 1
        ? format(strings.raised_one, { tables })
        : format(strings.raised_many, { n: entry.table_count, tables })),
    );
    list.append(li);
  }
}

connectPlenary({
  eventId: Number(root.dataset.event),
  view: "screen",
  onSnapshot(message) {
    snapshot = message;
    render();
  },
  onStatus(status) {
    showStatus(document.getElementById("status"), strings, status);
  },
});

if (fixedTheme === null) {
  setInterval(() => {
    index += 1;
    render();
  }, everyMs);
}
