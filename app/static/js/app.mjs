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
// first. They are kept in this browser, for this person only, until they sign in here again and open
// the session's notes (app/static/js/notes.mjs keeps them per person), unless the browser refuses to
// keep anything, when signing out loses them: the question says which.
for (const form of document.querySelectorAll('[data-module="app-sign-out"]')) {
  form.addEventListener("submit", (event) => {
    // A notes console on this page adds what it holds in memory (and names its own storage keys).
    const asked = { count: 0, lost: 0, skip: [] };
    document.dispatchEvent(new CustomEvent("app:notes-waiting", { detail: asked }));
    const waiting = asked.count + notesInStorage(form.dataset.user, asked.skip);
    if (!waiting) return;
    const one = waiting === 1;
    const what = one ? "1 session note has" : `${waiting} session notes have`;
    const fate = asked.lost
      ? `This browser is not keeping a copy: if you sign out now, ${one ? "it is" : "they are"} lost. ` +
        `Keep this page open until ${one ? "it is" : "they are"} saved.`
      : `If you sign out, ${one ? "it stays" : "they stay"} in this browser, for you only, until you sign in ` +
        "here again and open that session's notes.";
    if (!window.confirm(`${what} not reached the server yet. ${fate}\n\nSign out anyway?`)) event.preventDefault();
  });
}

function notesInStorage(user, skip) {
  if (!user) return 0;
  const prefix = `socitm-notes-${user}-`;
  let count = 0;
  let length = 0;
  try {
    length = window.localStorage.length;
  } catch {
    return 0; // storage refused: nothing is kept there
  }
  for (let i = 0; i < length; i += 1) {
    try {
      const key = window.localStorage.key(i);
      if (!key || !key.startsWith(prefix) || skip.some((other) => key.startsWith(other))) continue;
      const value = JSON.parse(window.localStorage.getItem(key) || "null");
      if (key.endsWith("-outbox") || key.endsWith("-unsent")) count += Array.isArray(value) ? value.length : 0;
      else if (key.endsWith("-draft") && value && typeof value.text === "string" && value.text.trim()) count += 1;
    } catch {
      // one unreadable value: count the others
    }
  }
  return count;
}
