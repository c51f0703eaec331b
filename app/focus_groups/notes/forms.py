"""Reading the session-notes forms: what was typed, kept exactly as typed for redisplay.

The note composer, the edit form and the proportion grid are plain HTML forms (they must work
without JavaScript and be posted by the console's script too); the checks live in
`app.focus_groups.notes` so that the routes, the JSON endpoint and tests share them. The CSRF
token is checked by Flask-WTF's CSRFProtect for every POST.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from app.focus_groups.notes.taking import NoteInput
from app.focus_groups.recruitment.forms import without_nul

GENERAL = "general"  # the composer's value for a note not placed against a guide question


def small_number(value: str | None) -> int | None:
    """A whole number typed as 1 to 9 ASCII digits (so it fits an id or a version column), else None.

    `str.isdigit` is not enough: it accepts "²" and thousands of digits, which int() or the database refuse.
    """
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def note_input(form: MultiDict) -> NoteInput:
    """A note as entered in the composer or the edit form (not yet checked)."""
    question = (form.get("guide_question") or GENERAL).strip()
    if question == GENERAL:
        question_id = None
    else:
        # Not a question of any guide when not a plain number: refused by validate_note.
        question_id = small_number(question) or -1
    return NoteInput(
        text=without_nul(form.get("text", "")),
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
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo else None  # year 1 at +01:00 has no UTC time
    except (ValueError, OverflowError):
        return None


def expected_version(form: MultiDict, name: str = "version") -> int | None:
    """The version an edit started from, or None when missing (treated as stale)."""
    return small_number(form.get(name))


def entered(entry: NoteInput) -> dict:
    """What the person typed, for the form to show again after a problem."""
    return {
        "text": entry.text,
        "kind": entry.kind,
        "guide_question": GENERAL if entry.guide_question_id is None else str(entry.guide_question_id),
        "participants": list(entry.pseudonyms),
    }
