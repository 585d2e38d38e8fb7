// The report's print button: shown only where scripts run (a printed or saved
// page has no use for it).
const button = document.querySelector("[data-print]");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
