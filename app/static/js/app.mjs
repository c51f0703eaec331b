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

// Signing out with session notes that have not reached the server (typed offline, or refused): say so
// first. They are not lost either way: they stay in this browser, for this person only, until they
// sign in here again and open the session's notes (app/static/js/notes.mjs keeps them per person).
for (const form of document.querySelectorAll('[data-module="app-sign-out"]')) {
  form.addEventListener("submit", (event) => {
    const waiting = notesWaiting(form.dataset.user);
    if (!waiting) return;
    const what = waiting === 1 ? "1 session note has" : `${waiting} session notes have`;
    const question =
      `${what} not reached the server yet. If you sign out, they stay in this browser, ` +
      "for you only, until you sign in here again and open that session's notes.\n\nSign out anyway?";
    if (!window.confirm(question)) event.preventDefault();
  });
}

function notesWaiting(user) {
  if (!user) return 0;
  const prefix = `socitm-notes-${user}-`;
  let count = 0;
  try {
    for (let i = 0; i < window.localStorage.length; i += 1) {
      const key = window.localStorage.key(i);
      if (!key || !key.startsWith(prefix)) continue;
      const value = JSON.parse(window.localStorage.getItem(key) || "null");
      if (key.endsWith("-outbox") || key.endsWith("-unsent")) count += Array.isArray(value) ? value.length : 0;
      else if (key.endsWith("-draft") && value && typeof value.text === "string" && value.text.trim()) count += 1;
    }
  } catch {
    return 0; // storage refused or unreadable: nothing is kept there
  }
  return count;
}
