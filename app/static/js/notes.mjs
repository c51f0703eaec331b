// The session-notes console, enhanced: progressive enhancement only (the form posts without this file).
//
// - Enter saves the note, Shift+Enter starts a new line; Alt+1..9 picks the guide question and
//   Alt+Shift+1..9 ticks or clears participant P1..P9.
// - The draft is kept in localStorage every few seconds, so a reload or a crash loses nothing.
// - A saved note goes to an outbox in localStorage first, then is posted with fetch (CSRF token
//   included). If the network drops, it waits there and is re-sent when the connection is back;
//   each note carries a client_id so the server stores it once however often it is sent.
// - A live region says what is happening: "Saved", "Saving…", "Offline — 3 notes waiting".

const RETRY_MS = 4000;
const DRAFT_MS = 3000;

const form = document.querySelector('[data-module="app-note-composer"]');
if (form) initComposer(form);

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
    write(value) {
      try {
        window.localStorage.setItem(key, JSON.stringify(value));
      } catch {
        // Storage full or switched off: the note is still posted; only the offline safety net is lost.
      }
    },
    clear() {
      try {
        window.localStorage.removeItem(key);
      } catch {
        // Nothing to clear.
      }
    },
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

function initComposer(composer) {
  const slot = composer.dataset.slot;
  const draft = store(`socitm-notes-draft-${slot}`);
  const outbox = store(`socitm-notes-outbox-${slot}`);
  const text = composer.querySelector('textarea[name="text"]');
  const status = document.getElementById("note-status");
  const list = document.getElementById("notes-list");
  const count = document.getElementById("notes-count");
  const empty = document.querySelector(".app-notes-empty");
  const token = composer.querySelector('input[name="csrf_token"]').value;
  const radios = (name) => Array.from(composer.querySelectorAll(`input[name="${name}"]`));
  let sending = false;

  const setStatus = (message, state) => {
    status.textContent = message;
    status.dataset.state = state;
  };

  const entered = () => ({
    text: text.value,
    kind: (radios("kind").find((r) => r.checked) || {}).value || "observation",
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
    if (values.text.trim()) draft.write(values);
    else draft.clear();
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
      const box = composer.querySelector(`input[name="participants"][data-shortcut="${n}"]`);
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
  const waiting = () => outbox.read([]);
  const remove = (clientId) => outbox.write(waiting().filter((item) => item.client_id !== clientId));
  const showWaiting = () => {
    const n = waiting().length;
    if (n) setStatus(`Offline — ${plural(n, "note")} waiting`, "offline");
  };

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
    for (const pseudonym of item.participants) data.append("participants", pseudonym);
    return data;
  };

  const flush = async () => {
    if (sending) return;
    sending = true;
    try {
      for (let item = waiting()[0]; item; item = waiting()[0]) {
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
          showWaiting();
          return;
        }
        const json = (response.headers.get("Content-Type") || "").includes("application/json");
        if (response.ok && json) {
          const data = await response.json();
          remove(item.client_id);
          addToList(data);
          const replaced = data.replaced && data.replaced.length ? `. Names replaced with pseudonyms: ${data.replaced.join(", ")}` : "";
          if (!waiting().length) setStatus(`Saved${replaced}`, "saved");
        } else if (json && (response.status === 422 || response.status === 409)) {
          // The server cannot take this note as it is: give it back to the person, with the reason.
          const data = await response.json();
          remove(item.client_id);
          const current = entered();
          show({ ...item, text: current.text.trim() ? `${current.text}\n${item.text}` : item.text });
          saveDraft();
          setStatus(`Not saved: ${Object.values(data.errors || {}).join(". ")}`, "error");
          return;
        } else {
          // Signed out, a refused token or a server error: keep the notes and try again later.
          const n = waiting().length;
          setStatus(`Not saved yet — ${plural(n, "note")} waiting. If this lasts, sign in again in a new tab.`, "offline");
          return;
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
    outbox.write([...waiting(), { ...values, client_id: newClientId(), typed_at: new Date().toISOString() }]);
    // Ready for the next note: the section stays, the text and participants are cleared.
    text.value = "";
    for (const box of radios("participants")) box.checked = false;
    draft.clear();
    text.focus();
    flush();
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", showWaiting);
  window.setInterval(() => {
    if (waiting().length) flush();
  }, RETRY_MS);
  if (waiting().length) flush();
}
