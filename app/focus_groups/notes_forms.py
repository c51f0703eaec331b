"""Reading the session-notes forms: what was typed, kept exactly as typed for redisplay.

The note composer, the edit form and the proportion grid are plain HTML forms (they must work
without JavaScript and be posted by the console's script too); the checks live in
`app.focus_groups.notes` so that the routes, the JSON endpoint and tests share them. The CSRF
token is checked by Flask-WTF's CSRFProtect for every POST.
"""

from __future__ import annotations

from datetime import datetime

from werkzeug.datastructures import MultiDict

from app.focus_groups.notes import NoteInput

GENERAL = "general"  # the composer's value for a note not placed against a guide question


def note_input(form: MultiDict) -> NoteInput:
    """A note as entered in the composer or the edit form (not yet checked)."""
    question = (form.get("guide_question") or GENERAL).strip()
    if question == GENERAL:
        question_id = None
    elif question.isdigit():
        question_id = int(question)
    else:
        question_id = -1  # not a question of any guide: refused by validate_note
    return NoteInput(
        text=form.get("text", ""),
        kind=(form.get("kind") or "observation").strip(),
        guide_question_id=question_id,
        pseudonyms=[p.strip() for p in form.getlist("participants") if p.strip()],
    )


def typed_at(form: MultiDict) -> datetime | None:
    """The browser's time when a note was typed (sent with notes posted late), or None."""
    value = (form.get("typed_at") or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def expected_version(form: MultiDict, name: str = "version") -> int | None:
    """The version an edit started from, or None when missing (treated as stale)."""
    value = (form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def entered(entry: NoteInput) -> dict:
    """What the person typed, for the form to show again after a problem."""
    return {
        "text": entry.text,
        "kind": entry.kind,
        "guide_question": GENERAL if entry.guide_question_id is None else str(entry.guide_question_id),
        "participants": list(entry.pseudonyms),
    }
