// Theme colours come from the database; set them through the CSSOM, which the
// Content-Security-Policy allows (inline style attributes it does not).
export function applyThemeColours() {
  for (const element of document.querySelectorAll("[data-colour]")) {
    element.style.setProperty("--theme", element.dataset.colour);
  }
}

applyThemeColours();
