// Progressive enhancement for the analysis pages: every page works without this file.

// The review queue: A accepts, R rejects, N skips, C moves to the "change the theme" list.
const reviewForm = document.getElementById("review-form");
if (reviewForm) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, select, textarea, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    const control = reviewForm.querySelector(`[data-review-key="${key}"]`);
    if (!control) return;
    event.preventDefault();
    if (control instanceof HTMLSelectElement) control.focus();
    else control.click();
  });
}

// Coding a span: selecting words of the passage fills in the offsets that the form sends.
const passage = document.getElementById("passage-text");
const start = document.getElementById("start");
const end = document.getElementById("end-offset");
const shown = document.getElementById("end");
if (passage && start && end && shown) {
  const update = () => {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!passage.contains(range.startContainer) || !passage.contains(range.endContainer)) return;
    const before = document.createRange();
    before.selectNodeContents(passage);
    before.setEnd(range.startContainer, range.startOffset);
    const chosen = range.toString();
    let from = before.toString().length;
    let to = from + chosen.length;
    // Leave out spaces at either end of the selection.
    from += chosen.length - chosen.trimStart().length;
    to -= chosen.length - chosen.trimEnd().length;
    if (to <= from) return;
    start.value = String(from);
    end.value = String(to);
    shown.value = passage.textContent.slice(from, to);
  };
  document.addEventListener("selectionchange", update);
  const form = document.getElementById("hand-code");
  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = "govuk-button govuk-button--secondary";
  clear.textContent = "Code the whole passage instead";
  clear.addEventListener("click", () => {
    start.value = "";
    end.value = "";
    shown.value = "";
  });
  shown.closest(".govuk-form-group")?.append(clear);
  form?.addEventListener("reset", () => clear.click());
}
