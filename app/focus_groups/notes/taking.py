"""Taking notes live: adding, changing, deleting and restoring a note, keeping every version, and the
lock (marking the session's notes complete, and reopening them).

A note is its own row, so two people adding notes at once never touch the same record; an edit names
the version it started from, and a stale one raises `StaleNote` instead of overwriting anything. The
session's record (`SessionNotes`) holds the lock and the versions of the debrief and the grid, which
move in one conditional UPDATE (`bump_version`). Each change is one unit of work and commits itself
(`write_transaction`); a refusal (an exception) rolls it back.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.clock import aware, utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import GuideQuestion, Slot
from app.focus_groups.notes.access import pseudonym_order, session_participants
from app.focus_groups.notes.models import NOTE_KINDS, NOTE_MAX_LENGTH, Note, NoteRevision, SessionNotes, SessionRevision
from app.focus_groups.notes.pseudonyms import pseudonymise

CLIENT_ID = re.compile(r"[A-Za-z0-9-]{8,36}")
TYPED_AT_LEEWAY = timedelta(hours=24)  # how old a browser's "typed at" time may be (offline notes)


class NoteProblem(Exception):
    """What a person typed cannot be saved; `errors` maps each field to a message they can act on."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class NotesLocked(Exception):
    """The session's notes are marked complete: nothing can be added or changed until an organiser reopens them."""


class StaleNote(Exception):
    """Someone changed the note since this edit began; `note` is the saved version."""

    def __init__(self, note: Note):
        super().__init__(f"Note {note.id} is at version {note.version}")
        self.note = note


@dataclass
class NoteInput:
    """What a person entered for a note, as typed (validated by `validate_note`)."""

    text: str
    kind: str = "observation"
    guide_question_id: int | None = None
    pseudonyms: list[str] = field(default_factory=list)


# --- notes ------------------------------------------------------------------------------------


def session_notes(slot: Slot, create: bool = False) -> SessionNotes | None:
    """The session's debrief-and-lock record (made on first use when `create`).

    Two requests making it at once (say "Mark complete" and a debrief) do not fail: the one that
    loses the race uses the row the other made.
    """
    state = db.session.get(SessionNotes, slot.id)
    if state is None and create:
        try:
            with db.session.begin_nested():
                db.session.add(SessionNotes(slot_id=slot.id, debrief="", debrief_version=0, grid_version=0))
        except IntegrityError:
            pass  # made by someone else meanwhile
        state = db.session.scalar(
            select(SessionNotes).where(SessionNotes.slot_id == slot.id).execution_options(populate_existing=True)
        )
    return state


def lock_session_notes(slot: Slot) -> SessionNotes:
    """The session's record, made if need be and locked (SELECT ... FOR UPDATE) until the transaction ends.

    Adding, changing and completing notes all take this lock first, so "Mark complete" cannot slip
    between the check that the notes are open and the note being written.
    """
    session_notes(slot, create=True)
    return db.session.scalar(
        select(SessionNotes)
        .where(SessionNotes.slot_id == slot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _raise_if_locked(slot: Slot) -> None:
    if lock_session_notes(slot).completed_at is not None:
        raise NotesLocked()


def is_locked(slot: Slot) -> bool:
    """Whether the session's notes are marked complete."""
    state = session_notes(slot)
    return state is not None and state.completed_at is not None


def _guide_question(slot: Slot, question_id: int | None) -> GuideQuestion | None:
    if question_id is None:
        return None
    question = db.session.get(GuideQuestion, question_id)
    return question if question is not None and question.study_id == slot.study_id else None


def validate_note(slot: Slot, entry: NoteInput, allowed_extra: Iterable[str] = ()) -> dict[str, str]:
    """Problems with a note as entered: field id -> message (empty when it can be saved).

    `allowed_extra` names pseudonyms a note already carries (kept when someone later leaves the session).
    """
    errors: dict[str, str] = {}
    text = (entry.text or "").strip()
    if not text:
        errors["text"] = "Enter the note"
    elif len(text) > NOTE_MAX_LENGTH:
        errors["text"] = f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer (it has {len(text):,}): split it"
    if entry.guide_question_id is not None and _guide_question(slot, entry.guide_question_id) is None:
        errors["guide_question"] = "Choose a question from this session's discussion guide, or General"
    if entry.kind not in NOTE_KINDS:
        errors["kind"] = "Choose what kind of note this is"
    allowed = {p.pseudonym for p in session_participants(slot)} | set(allowed_extra)
    strangers = [p for p in entry.pseudonyms if p not in allowed]
    if strangers:
        errors["participants"] = f"{', '.join(strangers)} is not a participant in this session: choose from the list"
    return errors


def _tidy(entry: NoteInput) -> tuple[str, list[str]]:
    return entry.text.strip(), sorted(set(entry.pseudonyms), key=pseudonym_order)


def _revise(note: Note, action: str, by, before: dict | None, now: datetime) -> None:
    """Keep the change in the note's history (added to the session, not to `note.revisions`, which would
    count as a change to the note and bump its version)."""
    db.session.add(
        NoteRevision(
            note_id=note.id,
            action=action,
            version=note.version,
            actor_id=getattr(by, "id", None),
            actor_label=getattr(by, "name", "") or getattr(by, "email", "") or "",
            at=now,
            before=before,
            after=None if action == "deleted" else note.snapshot(),
        )
    )
    db.session.expire(note, ["revisions"])


def minutes_since_start(slot: Slot, moment: datetime) -> int:
    """Whole minutes from the session's start to `moment` (negative before it starts)."""
    return math.floor((aware(moment) - aware(slot.starts_at)).total_seconds() / 60)


def _typed_at(typed_at: datetime | None, now: datetime) -> datetime:
    """When the note was typed: the browser's time for a note sent late (offline), if it is believable."""
    if typed_at is None or typed_at.tzinfo is None:
        return now
    if now - TYPED_AT_LEEWAY <= typed_at <= now + timedelta(minutes=5):
        return min(typed_at, now)
    return now


def add_note(
    slot: Slot,
    entry: NoteInput,
    *,
    by=None,
    client_id: str | None = None,
    typed_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Note, bool]:
    """Store a new note; return it and whether it is new (False: this `client_id` was already stored).

    Raises NoteProblem for input that cannot be saved and NotesLocked once the notes are complete.
    A browser resending a note after a network drop sends the same `client_id`: the note is stored once.
    A `client_id` already used for a *different* note (a reused form, a browser bug) never drops the
    new note: it is stored under a fresh client id (so `note.client_id != client_id` tells the caller).
    """
    with write_transaction():
        if client_id is not None and not CLIENT_ID.fullmatch(client_id):
            client_id = None
        locked = lock_session_notes(slot).completed_at is not None
        if client_id is not None:
            existing = _by_client_id(slot, client_id)
            if existing is not None:
                if _same_note(existing, entry, slot):
                    return existing, False
                client_id = str(uuid.uuid4())
        if locked:
            raise NotesLocked()
        errors = validate_note(slot, entry)
        if errors:
            raise NoteProblem(errors)
        now = now or utcnow()
        moment = _typed_at(typed_at, now)
        text, pseudonyms = _tidy(entry)
        text, replaced = pseudonymise(text, slot)
        if len(text) > NOTE_MAX_LENGTH:  # a pseudonym longer than the name it replaced
            raise NoteProblem({"text": f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer: split it"})
        note = Note(
            slot_id=slot.id,
            guide_question_id=entry.guide_question_id,
            kind=entry.kind,
            text=text,
            pseudonyms=pseudonyms,
            names_replaced=replaced,
            client_id=client_id,
            created_at=moment,
            minutes_since_start=minutes_since_start(slot, moment),
            created_by_id=getattr(by, "id", None),
        )
        try:
            with db.session.begin_nested():
                db.session.add(note)
                db.session.flush()
        except IntegrityError:
            # The same note arrived twice at once (a resend racing the original): keep the first.
            existing = _by_client_id(slot, client_id) if client_id else None
            if existing is None:
                raise
            return existing, False
        _revise(note, "created", by, None, now)
        record("focus_groups.note_added", note, actor=by, session=slot.id, version=note.version)
        db.session.flush()
        return note, True


def _by_client_id(slot: Slot, client_id: str) -> Note | None:
    return db.session.scalar(select(Note).where(Note.slot_id == slot.id, Note.client_id == client_id))


def _same_note(note: Note, entry: NoteInput, slot: Slot) -> bool:
    """Whether `entry` is the note as it was first stored or as it is now (a resend of it)."""
    text, pseudonyms = _tidy(entry)
    text = pseudonymise(text, slot)[0]
    sent = {"text": text, "kind": entry.kind, "guide_question_id": entry.guide_question_id, "pseudonyms": pseudonyms}
    first = next((r.after for r in note.revisions if r.action == "created"), None)
    return sent in (note.snapshot(), first)


def _check_version(note: Note, expected_version: int | None) -> None:
    if expected_version is None or expected_version != note.version:
        raise StaleNote(note)


def edit_note(note: Note, entry: NoteInput, *, expected_version: int | None, by=None, now: datetime | None = None):
    """Change a note that is still at `expected_version`; return the pseudonyms whose names were replaced.

    Raises StaleNote when someone changed it since (nothing is overwritten), NoteProblem for bad input,
    NotesLocked once the notes are complete. The flush itself is guarded by the version column too, so
    two edits committed at the same moment cannot both win (SQLAlchemy raises StaleDataError).
    """
    with write_transaction():
        slot = note.slot
        _raise_if_locked(slot)
        if note.deleted_at is not None:
            raise NoteProblem({"text": "This note was deleted: restore it before changing it"})
        _check_version(note, expected_version)
        errors = validate_note(slot, entry, allowed_extra=note.pseudonyms or [])
        if errors:
            raise NoteProblem(errors)
        text, pseudonyms = _tidy(entry)
        text, replaced = pseudonymise(text, slot)
        if len(text) > NOTE_MAX_LENGTH:
            raise NoteProblem({"text": f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer: split it"})
        before = note.snapshot()
        after = {
            "text": text,
            "kind": entry.kind,
            "guide_question_id": entry.guide_question_id,
            "pseudonyms": pseudonyms,
        }
        if after == before:
            return []
        now = now or utcnow()
        with db.session.no_autoflush:  # one UPDATE, so one new version, however the change is made
            note.text, note.kind = text, entry.kind
            note.guide_question_id, note.pseudonyms = entry.guide_question_id, pseudonyms
            note.names_replaced = replaced
            note.updated_at, note.updated_by_id = now, getattr(by, "id", None)
        db.session.flush()  # the version goes up here, or StaleDataError if someone else's edit landed first
        _revise(note, "edited", by, before, now)
        record("focus_groups.note_edited", note, actor=by, session=slot.id, version=note.version)
        db.session.flush()
        return replaced


def delete_note(note: Note, *, expected_version: int | None = None, by=None, now: datetime | None = None) -> None:
    """Delete a note softly: it leaves the notes and the analysis, and can be restored from its history.

    Like an edit, it names the version it started from: a stale or missing version raises StaleNote.
    """
    with write_transaction():
        _raise_if_locked(note.slot)
        if note.deleted_at is not None:
            return
        _check_version(note, expected_version)
        now = now or utcnow()
        before = note.snapshot()
        with db.session.no_autoflush:
            note.deleted_at, note.deleted_by_id = now, getattr(by, "id", None)
        db.session.flush()
        _revise(note, "deleted", by, before, now)
        record("focus_groups.note_deleted", note, actor=by, session=note.slot_id, version=note.version)
        db.session.flush()


def restore_note(note: Note, *, by=None, now: datetime | None = None) -> None:
    """Bring back a deleted note, as it was."""
    with write_transaction():
        _raise_if_locked(note.slot)
        if note.deleted_at is None:
            return
        now = now or utcnow()
        note.deleted_at, note.deleted_by_id = None, None
        db.session.flush()
        _revise(note, "restored", by, None, now)
        record("focus_groups.note_restored", note, actor=by, session=note.slot_id, version=note.version)
        db.session.flush()


def notes_for(slot: Slot, *, deleted: bool = False) -> list[Note]:
    """The session's notes, newest first (`deleted=True`: only the deleted ones)."""
    condition = Note.deleted_at.is_not(None) if deleted else Note.deleted_at.is_(None)
    query = select(Note).where(Note.slot_id == slot.id, condition).order_by(Note.created_at.desc(), Note.id.desc())
    return list(db.session.scalars(query))


def notes_by_question(slot: Slot) -> list[tuple[GuideQuestion | None, list[Note]]]:
    """The notes grouped by guide question in guide order (oldest first within each), general notes last."""
    notes = sorted(notes_for(slot), key=lambda n: (aware(n.created_at), n.id))
    groups: list[tuple[GuideQuestion | None, list[Note]]] = [
        (question, [n for n in notes if n.guide_question_id == question.id]) for question in slot.study.questions
    ]
    groups.append((None, [n for n in notes if n.guide_question_id is None]))
    return [(question, items) for question, items in groups if items]


# --- complete and reopen ----------------------------------------------------------------------


def complete_notes(slot: Slot, *, by=None, now: datetime | None = None) -> None:
    """Mark the session's notes complete: they are locked until an organiser reopens them (audit-logged)."""
    with write_transaction():
        state = lock_session_notes(slot)
        if state.completed_at is not None:
            return
        state.completed_at, state.completed_by_id = now or utcnow(), getattr(by, "id", None)
        record("focus_groups.notes_completed", slot, actor=by, notes=len(notes_for(slot)))


def reopen_notes(slot: Slot, *, by=None) -> None:
    """Unlock a session's notes so they can be changed again (organisers; audit-logged)."""
    with write_transaction():
        state = session_notes(slot)
        if state is None or state.completed_at is None:
            return
        state.completed_at, state.completed_by_id = None, None
        record("focus_groups.notes_reopened", slot, actor=by)


# --- the debrief ------------------------------------------------------------------------------


def keep_session_revision(slot: Slot, part: str, version: int, by, now: datetime, before: dict, after: dict) -> None:
    db.session.add(
        SessionRevision(
            slot_id=slot.id,
            part=part,
            version=version,
            actor_id=getattr(by, "id", None),
            actor_label=getattr(by, "name", "") or getattr(by, "email", "") or "",
            at=now,
            before=before,
            after=after,
        )
    )


def bump_version(slot: Slot, column, expected: int, **values) -> bool:
    """Move the session's `column` (a version) from `expected` to the next one, with `values`, in one
    conditional UPDATE; False when someone else moved it first or the notes were marked complete."""
    result = db.session.execute(
        update(SessionNotes)
        .where(SessionNotes.slot_id == slot.id, column == expected, SessionNotes.completed_at.is_(None))
        .values({column: expected + 1, **values})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def refusal(slot: Slot, stale: type[Exception]) -> Exception:
    """Why a conditional UPDATE matched nothing: the notes are complete, or the saved version moved on."""
    state = db.session.scalar(
        select(SessionNotes).where(SessionNotes.slot_id == slot.id).execution_options(populate_existing=True)
    )
    return NotesLocked() if state.completed_at is not None else stale(state)


def session_revisions(slot: Slot, part: str) -> list[SessionRevision]:
    """Every save of the session's debrief or grid (`part`), newest first."""
    query = select(SessionRevision).where(SessionRevision.slot_id == slot.id, SessionRevision.part == part)
    return list(db.session.scalars(query.order_by(SessionRevision.id.desc())))
