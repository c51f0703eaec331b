// The session-notes console, enhanced: progressive enhancement only (the form posts without this file).
//
// - Enter saves the note, Shift+Enter starts a new line; Alt+1..9 picks the guide question and
//   Alt+Shift+n ticks or clears participant Pn.
// - The draft is kept in localStorage every few seconds, so a reload or a crash loses nothing.
// - A saved note goes to an outbox first, then is posted with fetch (CSRF token included). The outbox
//   in memory is the source of truth and localStorage mirrors it, so a note is queued (and the
//   composer cleared) even when the browser refuses to store anything: it is still posted, and the
//   status line says the browser keeps no copy. If the network drops, notes wait and are re-sent when
//   the connection is back; each carries a client_id so the server stores it once however often sent.
// - A note the server refuses (a problem with it, the notes marked complete, or an HTTP error three
//   times over) moves to "Notes not sent" with the reason and its text, to copy, send again or put
//   back in the composer. Network errors, sign-outs and an expired page (CSRF) are retried instead.
// - Everything kept in the browser is per person (the user id is in the keys), so on a shared laptop
//   nobody's notes are sent as someone else; keys are removed as soon as they are empty.
// - A live region says what is happening: "Saved", "Saving…", "Offline — 3 notes waiting".

const RETRY_MS = 4000;
const DRAFT_MS = 3000;
const MAX_HTTP_FAILURES = 3;
const DEFAULT_KIND = "observation"; // the kind a new note starts as (the server's default too)

const root = document.querySelector('[data-module="app-notes-console"]');
if (root) initConsole(root);

// The discussion guide is folded on a phone (below the note box); on a wider screen, where it sits beside the
// notes, it starts open. GOV.UK Frontend's desktop breakpoint, as in app.scss.
const guide = document.getElementById("discussion-guide");
if (guide && window.matchMedia("(min-width: 48.0625em)").matches) guide.open = true;

function store(key) {
  return {
    read(fallback) {
      try {
        const value = window.localStorage.getItem(key);
        return value === null ? fallback : JSON.parse(value);
      } catch {
        return fallback;
      }
    },
    // True when the browser kept it. An empty list or no value removes the key.
    write(value) {
      try {
        if (value === null || (Array.isArray(value) && !value.length)) window.localStorage.removeItem(key);
        else window.localStorage.setItem(key, JSON.stringify(value));
        return true;
      } catch {
        return false;
      }
    },
    key,
  };
}

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function initConsole(page) {
  const prefix = `socitm-notes-${page.dataset.user}-${page.dataset.slot}`;
  const draft = store(`${prefix}-draft`);
  const outbox = store(`${prefix}-outbox`);
  const aside = store(`${prefix}-unsent`);
  const composer = page.querySelector('[data-module="app-note-composer"]');
  const status = document.getElementById("note-status");
  const list = document.getElementById("notes-list");
  const count = document.getElementById("notes-count");
  const empty = document.querySelector(".app-notes-empty");
  const unsentArea = document.getElementById("unsent-notes");
  const unsentList = document.getElementById("unsent-list");

  // The source of truth: what is waiting to be sent, and what the server would not take.
  let queue = outbox.read([]);
  let unsent = aside.read([]);
  let storageWorks = true;
  let sending = false;

  const setStatus = (message, state) => {
    if (!status) return;
    status.textContent = message;
    status.dataset.state = state;
  };
  const noCopy = () => (storageWorks ? "" : ". This browser is not keeping a copy: keep this page open until notes are saved");
  const persist = () => {
    const kept = outbox.write(queue) && aside.write(unsent);
    if (!kept) storageWorks = false; // for this page's life: say so with every status
    return kept;
  };

  // --- notes not sent -------------------------------------------------------------------------
  const renderUnsent = () => {
    if (!unsentArea || !unsentList) return;
    unsentList.replaceChildren();
    unsent.forEach((item, index) => {
      const entry = element("li", { class: "app-unsent__item" });
      const id = `unsent-${index + 1}`;
      entry.append(element("p", { class: "govuk-body-s app-unsent__reason" }, `Not sent: ${item.reason}`));
      entry.append(element("label", { class: "govuk-label govuk-label--s", for: id }, `Note ${index + 1} (select and copy it)`));
      const box = element("textarea", { class: "govuk-textarea app-unsent__text", id, rows: "3", readonly: "" });
      box.value = item.text;
      entry.append(box);
      const buttons = element("div", { class: "govuk-button-group" });
      const button = (label, action) => {
        const b = element("button", { type: "button", class: "govuk-button govuk-button--secondary app-button--compact" }, label);
        b.addEventListener("click", action);
        buttons.append(b);
      };
      if (composer) {
        button(`Send note ${index + 1} again`, () => {
          unsent.splice(index, 1);
          queue.push({ ...item, reason: undefined, failures: 0 });
          persist();
          renderUnsent();
          flush();
        });
        button(`Put note ${index + 1} in the composer`, () => {
          const current = entered();
          if (current.text.trim()) show({ ...current, text: `${current.text}\n${item.text}` });
          else show({ ...current, ...item });
          unsent.splice(index, 1);
          persist();
          saveDraft();
          renderUnsent();
          text.focus();
        });
      }
      button(`Remove note ${index + 1}`, () => {
        unsent.splice(index, 1);
        persist();
        renderUnsent();
      });
      entry.append(buttons);
      unsentList.append(entry);
    });
    unsentArea.hidden = unsent.length === 0;
  };
  const setAside = (item, reason) => {
    queue = queue.filter((other) => other.client_id !== item.client_id);
    unsent.push({ ...item, reason });
    persist();
    renderUnsent();
  };

  // Asked by the sign-out button (app.mjs) before it signs out: what this page holds that the server
  // has not got, and whether the browser keeps a copy of it (its storage keys are then counted here).
  document.addEventListener("app:notes-waiting", (event) => {
    const typing = composer ? composer.querySelector('textarea[name="text"]').value.trim() : "";
    const held = queue.length + unsent.length + (typing ? 1 : 0);
    event.detail.count += held;
    if (!storageWorks) event.detail.lost += held;
    event.detail.skip.push(`${prefix}-`);
  });

  if (!composer) {
    // Notes marked complete: nothing can be sent, but nothing kept in this browser is hidden either.
    const reason = "the notes are marked complete. Copy it, or ask an organiser to reopen the notes";
    const kept = draft.read(null);
    for (const item of queue) unsent.push({ ...item, reason });
    if (kept && kept.text && kept.text.trim()) unsent.push({ ...kept, reason: `an unfinished note: ${reason}` });
    queue = [];
    draft.write(null);
    persist();
    renderUnsent();
    return;
  }

  const text = composer.querySelector('textarea[name="text"]');
  const token = composer.querySelector('input[name="csrf_token"]').value;
  const radios = (name) => Array.from(composer.querySelectorAll(`input[name="${name}"]`));

  const entered = () => ({
    text: text.value,
    kind: (radios("kind").find((r) => r.checked) || {}).value || DEFAULT_KIND,
    guide_question: (radios("guide_question").find((r) => r.checked) || {}).value || "general",
    participants: radios("participants")
      .filter((box) => box.checked)
      .map((box) => box.value),
  });

  const show = (values) => {
    text.value = values.text || "";
    for (const radio of radios("kind")) radio.checked = radio.value === values.kind;
    for (const radio of radios("guide_question")) radio.checked = radio.value === values.guide_question;
    for (const box of radios("participants")) box.checked = (values.participants || []).includes(box.value);
  };

  // --- the draft ------------------------------------------------------------------------------
  const saveDraft = () => {
    const values = entered();
    draft.write(values.text.trim() ? values : null);
  };
  const saved = draft.read(null);
  if (saved && saved.text && !text.value.trim()) {
    show({ ...entered(), ...saved });
    setStatus("Your unsaved note was brought back", "draft");
  }
  window.setInterval(saveDraft, DRAFT_MS);
  text.addEventListener("input", saveDraft);
  window.addEventListener("pagehide", saveDraft);

  // --- keyboard -------------------------------------------------------------------------------
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const digit = /^(?:Digit|Numpad)([1-9])$/.exec(event.code);
    if (!digit) return;
    const n = digit[1];
    if (event.shiftKey) {
      // Alt+Shift+n is participant Pn, whatever the order of the list.
      const box = composer.querySelector(`input[name="participants"][value="P${n}"]`);
      if (!box) return;
      box.checked = !box.checked;
      setStatus(`${box.value} ${box.checked ? "chosen" : "cleared"}`, "shortcut");
    } else {
      const radio = composer.querySelector(`input[name="guide_question"][data-shortcut="${n}"]`);
      if (!radio) return;
      radio.checked = true;
      const label = composer.querySelector(`label[for="${radio.id}"]`);
      setStatus(`Question: ${label ? label.textContent.trim() : n}`, "shortcut");
    }
    event.preventDefault();
    saveDraft();
    text.focus();
  });

  // --- the outbox -----------------------------------------------------------------------------
  const waitingMessage = (why) => `${why} — ${plural(queue.length, "note")} waiting${noCopy()}`;

  const addToList = (data) => {
    if (!list || document.getElementById(`note-${data.note_id}`)) return;
    list.insertAdjacentHTML("afterbegin", data.html);
    if (count) count.textContent = String(list.children.length);
    if (empty) empty.hidden = true;
    list.scrollTop = 0;
  };

  const body = (item) => {
    const data = new FormData();
    data.append("csrf_token", token);
    for (const key of ["text", "kind", "guide_question", "client_id", "typed_at"]) data.append(key, item[key]);
    for (const pseudonym of item.participants || []) data.append("participants", pseudonym);
    return data;
  };

  const flush = async () => {
    if (sending) return;
    sending = true;
    try {
      while (queue.length) {
        const item = queue[0];
        setStatus("Saving…", "saving");
        let response;
        try {
          response = await fetch(composer.action, {
            method: "POST",
            body: body(item),
            headers: { Accept: "application/json" },
            credentials: "same-origin",
          });
        } catch {
          setStatus(waitingMessage("Offline"), "offline");
          return;
        }
        const json = (response.headers.get("Content-Type") || "").includes("application/json");
        if (response.ok && json) {
          const data = await response.json();
          queue = queue.filter((other) => other.client_id !== item.client_id);
          persist();
          addToList(data);
          const replaced = data.replaced && data.replaced.length ? `. Names replaced with pseudonyms: ${data.replaced.join(", ")}` : "";
          const renamed = data.renamed ? ". It was saved as a new note" : "";
          if (!queue.length) setStatus(`Saved${replaced}${renamed}${noCopy()}`, "saved");
        } else if (json && (response.status === 422 || response.status === 409)) {
          // The server cannot take this note as it is: set it aside with the reason, leaving the
          // composer (and whatever is being typed there) alone.
          const data = await response.json();
          setAside(item, Object.values(data.errors || {}).join(". ") || "the server refused it");
          setStatus("A note was not saved: see Notes not sent", "error");
        } else if (response.status === 400) {
          setStatus(waitingMessage("This page has expired: reload the page (your notes wait safely in this browser)"), "offline");
          return;
        } else if (response.status === 401 || (response.ok && !json) || response.redirected) {
          setStatus(waitingMessage("You are signed out: sign in again in a new tab"), "offline");
          return;
        } else {
          // A server error or a refusal (500, 413, 403...): try a few times, then set it aside.
          item.failures = (item.failures || 0) + 1;
          if (item.failures >= MAX_HTTP_FAILURES) {
            setAside(item, `the server refused it (error ${response.status}) ${MAX_HTTP_FAILURES} times`);
            setStatus("A note was not saved: see Notes not sent", "error");
          } else {
            persist();
            setStatus(waitingMessage(`Not saved yet (error ${response.status})`), "offline");
            return;
          }
        }
      }
    } finally {
      sending = false;
    }
  };

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = entered();
    if (!values.text.trim()) {
      setStatus("Enter the note before saving", "error");
      text.focus();
      return;
    }
    queue.push({ ...values, client_id: newClientId(), typed_at: new Date().toISOString() });
    persist();
    // Queued in memory: ready for the next note (the section stays; the text and participants are cleared
    // and the kind goes back to an observation, so a quote's label is not carried onto the next note).
    text.value = "";
    for (const box of radios("participants")) box.checked = false;
    for (const radio of radios("kind")) radio.checked = radio.value === DEFAULT_KIND;
    draft.write(null);
    text.focus();
    flush();
  });

  // Another tab of the same console (same person) queued notes: send them too (the server stores each once).
  window.addEventListener("storage", (event) => {
    if (event.key !== outbox.key || !event.newValue) return;
    const known = new Set(queue.map((item) => item.client_id));
    for (const item of outbox.read([])) if (!known.has(item.client_id)) queue.push(item);
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", () => {
    if (queue.length) setStatus(waitingMessage("Offline"), "offline");
  });
  window.setInterval(() => {
    if (queue.length) flush();
  }, RETRY_MS);
  renderUnsent();
  if (queue.length) flush();
}
