// The plenary dashboard: counters, and each theme's needs ranked across its
// tables, with the controls to merge a need into one of another table.
import { clear, format, make, pageStrings, showStatus } from "./live.js";
import { connectPlenary, renderCounters } from "./plenary_live.js";

const root = document.getElementById("plenary");
const themesElement = document.getElementById("themes");
const errorElement = document.getElementById("action-error");
const strings = pageStrings();

function dotsText(dots) {
  return dots === 1 ? strings.dots_one : format(strings.dots_many, { n: dots });
}

function raisedText(entry) {
  const tables = entry.tables.map((table) => table.name).join(", ");
  return entry.table_count === 1
    ? format(strings.raised_one, { tables })
    : format(strings.raised_many, { n: entry.table_count, tables });
}

function mergeControl(entry, ranking) {
  const candidates = ranking.filter((other) => other.id !== entry.id && other.table.id !== entry.table.id);
  if (!candidates.length) return null;
  const control = make("div", "merge-control");
  const select = make("select", "merge-target");
  select.id = "merge-target-" + entry.id;
  select.setAttribute("aria-label", strings.merge_into);
  select.append(new Option(strings.merge_into, ""));
  for (const other of candidates) select.append(new Option(`${other.text} (${other.table.name})`, String(other.id)));
  const button = make("button", "button merge-button", strings.merge);
  button.type = "button";
  button.dataset.source = String(entry.id);
  control.append(select, button);
  return control;
}

function entryItem(entry, ranking) {
  const li = make("li", "ranked plenary-entry");
  li.dataset.need = String(entry.id);
  const bar = make("span", "bar");
  bar.style.setProperty("--share", String(entry.share));
  li.append(
    make("span", "rank", format(strings.rank, { rank: entry.rank })),
    make("span", "need-text", entry.text),
    make("span", "dots", dotsText(entry.dots)),
    bar,
    make("span", "raised", raisedText(entry)),
    make("span", "share", format(strings.share, { percent: Math.round(entry.share * 100) })),
  );
  if (entry.theme_merged.length) {
    const merged = make("ul", "merged-list");
    for (const member of entry.theme_merged) {
      const item = make("li", "merged-need", format(strings.merged_from, { table: member.table, text: member.text }));
      const button = make("button", "button unmerge-button", strings.unmerge);
      button.type = "button";
      button.dataset.need = String(member.id);
      item.append(" ", button);
      merged.append(item);
    }
    li.append(merged);
  }
  const control = mergeControl(entry, ranking);
  if (control) li.append(control);
  return li;
}

function themeSection(theme) {
  const section = make("section", "card theme plenary-theme");
  section.dataset.theme = String(theme.id);
  section.style.setProperty("--theme", theme.colour);
  const heading = make("h2");
  heading.append(make("span", "swatch"), make("span", "theme-name", theme.name));
  const tables = make("p", "muted theme-tables", theme.tables
    .map((table) => `${table.name}: ${strings["phase_" + table.phase] || table.phase}`).join(" · "));
  section.append(heading, tables);
  if (!theme.ranking.length) {
    section.append(make("p", "muted no-needs", strings.no_needs));
    return section;
  }
  const list = make("ol", "ranking plenary-ranking");
  for (const entry of theme.ranking) list.append(entryItem(entry, theme.ranking));
  section.append(list);
  return section;
}

function render(snapshot) {
  // Redrawing must not lose a choice the organizer is making in a select.
  const chosen = new Map([...themesElement.querySelectorAll("select.merge-target")].map((s) => [s.id, s.value]));
  const focused = document.activeElement && document.activeElement.id;
  clear(themesElement);
  for (const theme of snapshot.themes) themesElement.append(themeSection(theme));
  for (const [id, value] of chosen) {
    const select = document.getElementById(id);
    if (select && [...select.options].some((option) => option.value === value)) select.value = value;
  }
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  renderCounters(snapshot.counters);
}

function showError(ack) {
  errorElement.hidden = Boolean(ack && ack.ok);
  errorElement.textContent = ack && !ack.ok && ack.error ? ack.error.message : "";
}

const socket = connectPlenary({
  eventId: Number(root.dataset.event),
  view: "plenary",
  onSnapshot: render,
  onStatus(status) {
    showStatus(document.getElementById("status"), strings, status);
  },
});

function send(event, payload) {
  socket.timeout(10000).emit(event, payload, (timedOut, ack) => {
    if (timedOut) return;
    showError(ack);
  });
}

themesElement.addEventListener("click", (click) => {
  const button = click.target.closest("button");
  if (!button) return;
  if (button.classList.contains("merge-button")) {
    const select = button.parentElement.querySelector("select.merge-target");
    if (!select.value) return;
    send("merge", { source: Number(button.dataset.source), target: Number(select.value) });
  } else if (button.classList.contains("unmerge-button")) {
    send("unmerge", { need: Number(button.dataset.need) });
  }
});
