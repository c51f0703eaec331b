"""The facilitator's debrief of a session: written straight after it, versioned (no overwriting)."""

from __future__ import annotations

from datetime import datetime

from app.audit.services import record
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Slot
from app.focus_groups.notes.models import DEBRIEF_MAX_LENGTH, SessionNotes
from app.focus_groups.notes.pseudonyms import pseudonymise
from app.focus_groups.notes.taking import (
    NoteProblem,
    NotesLocked,
    bump_version,
    keep_session_revision,
    refusal,
    session_notes,
)


def save_debrief(slot: Slot, text: str, *, expected_version: int | None, by=None, now: datetime | None = None):
    """Save the facilitator's debrief if nobody saved it since `expected_version`; return replaced pseudonyms.

    Versioned like a note: the save is one `UPDATE ... WHERE debrief_version = expected`, so of two
    saves from the same version exactly one lands and the other raises StaleDebrief (nothing
    overwritten). Each save is kept as a revision (who, when, before, after) and audit-logged with its
    version, not its text.
    """
    with write_transaction():
        state = session_notes(slot, create=True)
        if state.completed_at is not None:
            raise NotesLocked()
        if expected_version is None or expected_version != state.debrief_version:
            raise StaleDebrief(state)
        text = (text or "").strip()
        if len(text) > DEBRIEF_MAX_LENGTH:
            raise NoteProblem({"debrief": f"The debrief must be {DEBRIEF_MAX_LENGTH:,} characters or fewer"})
        text, replaced = pseudonymise(text, slot)
        if text == state.debrief:
            return replaced
        before, now = state.debrief, now or utcnow()
        if not bump_version(
            slot,
            SessionNotes.debrief_version,
            expected_version,
            debrief=text,
            debrief_updated_at=now,
            debrief_updated_by_id=getattr(by, "id", None),
        ):
            raise refusal(slot, StaleDebrief)
        keep_session_revision(slot, "debrief", expected_version + 1, by, now, {"text": before}, {"text": text})
        record("focus_groups.debrief_saved", slot, actor=by, version=expected_version + 1)
        db.session.flush()
        db.session.expire(state)
        return replaced


class StaleDebrief(Exception):
    """Someone saved the debrief since this edit began; `state` holds the saved one."""

    def __init__(self, state: SessionNotes):
        super().__init__(f"Debrief of session {state.slot_id} is at version {state.debrief_version}")
        self.state = state
