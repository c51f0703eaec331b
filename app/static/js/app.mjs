// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

// Users-per-category grids: keep the total up to date while people type.
for (const grid of document.querySelectorAll('[data-module="app-grid-total"]')) {
  const cells = grid.querySelectorAll(".app-grid-cell");
  const output = grid.querySelector(".app-grid-total__value");
  if (!output) continue;
  const update = () => {
    let total = 0;
    for (const cell of cells) {
      const value = cell.value.replace(/,/g, "").trim();
      if (/^\d+$/.test(value)) total += Number(value);
    }
    output.textContent = total.toLocaleString("en-GB");
  };
  for (const cell of cells) cell.addEventListener("input", update);
}
