"""Taking notes (notes/taking.py): saving a note with its question, participants, kind and times, refusing bad
notes, versions and history, soft deletion and restoring, the lock, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Placement
from app.focus_groups.notes.models import NOTE_MAX_LENGTH, Note
from app.focus_groups.notes.proportions import save_proportions
from app.focus_groups.notes.taking import (
    NoteInput,
    NoteProblem,
    NotesLocked,
    StaleNote,
    add_note,
    complete_notes,
    delete_note,
    edit_note,
    is_locked,
    notes_by_question,
    notes_for,
    reopen_notes,
    restore_note,
)
from tests.focus_groups.notes.support import q


def test_a_note_records_its_question_participants_kind_and_both_times(slot):
    started = slot.starts_at.replace(tzinfo=UTC) if slot.starts_at.tzinfo is None else slot.starts_at
    note, created = add_note(
        slot,
        NoteInput("  Pupils count as users here.  ", "key_point", q(slot, 1), ["P2", "P1", "P2"]),
        now=started + timedelta(minutes=12, seconds=40),
    )
    db.session.commit()
    assert created
    assert note.text == "Pupils count as users here."
    assert note.kind == "key_point"
    assert note.guide_question.text == "What is a user?"
    assert note.pseudonyms == ["P1", "P2"]
    assert note.minutes_since_start == 12
    assert note.version == 1
    assert [r.action for r in note.revisions] == ["created"]
    early, _ = add_note(slot, NoteInput("Setting up."), now=started - timedelta(minutes=3))
    assert early.minutes_since_start == -3
    assert early.guide_question_id is None  # a general note


def test_notes_are_listed_newest_first_and_grouped_by_guide_question(slot):
    start = datetime(2055, 3, 1, 10, 0, tzinfo=UTC)
    for minute, (text, position) in enumerate([("First.", 2), ("Second.", 1), ("Third.", None), ("Fourth.", 2)]):
        add_note(
            slot,
            NoteInput(text, guide_question_id=q(slot, position) if position else None),
            now=start + timedelta(minutes=minute),
        )
    assert [n.text for n in notes_for(slot)] == ["Fourth.", "Third.", "Second.", "First."]
    groups = [
        (question.position if question else None, [n.text for n in notes])
        for question, notes in notes_by_question(slot)
    ]
    assert groups == [(1, ["Second."]), (2, ["First.", "Fourth."]), (None, ["Third."])]


def test_a_resent_note_is_stored_once(slot):
    first, created = add_note(slot, NoteInput("Said twice?"), client_id="4b8f0f7e-2a6e-4d2c-9a53-0d0c3f1b2a11")
    again, created_again = add_note(slot, NoteInput("Said twice?"), client_id="4b8f0f7e-2a6e-4d2c-9a53-0d0c3f1b2a11")
    db.session.commit()
    assert created and not created_again
    assert again.id == first.id
    assert len(notes_for(slot)) == 1


def test_an_offline_note_keeps_the_time_it_was_typed_if_believable(slot):
    now = datetime(2055, 3, 1, 11, 0, tzinfo=UTC)
    typed, _ = add_note(slot, NoteInput("Typed offline."), typed_at=now - timedelta(minutes=20), now=now)
    assert typed.minutes_since_start == 40
    future, _ = add_note(slot, NoteInput("Clock wrong."), typed_at=now + timedelta(days=2), now=now)
    assert future.minutes_since_start == 60


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        (NoteInput("   "), "text", "Enter the note"),
        (NoteInput("x" * (NOTE_MAX_LENGTH + 1)), "text", "2,000 characters or fewer"),
        (NoteInput("Fine.", pseudonyms=["P9"]), "participants", "P9 is not a participant in this session"),
        (NoteInput("Fine.", kind="gossip"), "kind", "Choose what kind of note"),
    ],
)
def test_bad_notes_are_refused_with_a_clear_message(slot, entry, field, message):
    with pytest.raises(NoteProblem) as problem:
        add_note(slot, entry)
    assert message in problem.value.errors[field]
    assert notes_for(slot) == []


def test_a_section_from_another_guide_and_a_declined_participant_are_refused(make_study, make_volunteer, slot):
    other = make_study(slots=1)
    with pytest.raises(NoteProblem) as problem:
        add_note(slot, NoteInput("Fine.", guide_question_id=other.questions[0].id))
    assert "this session's discussion guide" in problem.value.errors["guide_question"]
    placement = db.session.scalar(select(Placement).where(Placement.slot_id == slot.id, Placement.pseudonym == "P3"))
    placement.status = "declined"
    db.session.commit()
    with pytest.raises(NoteProblem) as problem:
        add_note(slot, NoteInput("Fine.", pseudonyms=["P3"]))
    assert "P3 is not a participant" in problem.value.errors["participants"]


def test_an_edit_from_an_old_version_is_refused_and_nothing_is_overwritten(slot, make_user):
    alice, bob = make_user("facilitator", name="Alice"), make_user("facilitator", name="Bob")
    note, _ = add_note(slot, NoteInput("Original."), by=alice)
    db.session.commit()
    edit_note(note, NoteInput("The first change."), expected_version=1, by=alice)
    db.session.commit()
    with pytest.raises(StaleNote) as stale:
        edit_note(note, NoteInput("The second change."), expected_version=1, by=bob)
    db.session.rollback()
    assert stale.value.note.text == "The first change."
    assert db.session.get(Note, note.id).text == "The first change."
    assert note.version == 2


def test_every_change_is_kept_in_the_history_and_deletion_is_soft(slot, make_user):
    alice = make_user("facilitator", name="Alice")
    note, _ = add_note(slot, NoteInput("Pupils are users.", "observation", q(slot, 1), ["P1"]), by=alice)
    edit_note(
        note, NoteInput("Priya said pupils are users.", "quote", q(slot, 2), ["P1"]), expected_version=1, by=alice
    )
    delete_note(note, expected_version=2, by=alice)
    db.session.commit()
    assert notes_for(slot) == []
    assert notes_for(slot, deleted=True) == [note]
    restore_note(note, by=alice)
    db.session.commit()
    assert notes_for(slot) == [note]
    history = [(r.action, r.actor_label, r.version) for r in note.revisions]
    assert history == [
        ("created", "Alice", 1),
        ("edited", "Alice", 2),
        ("deleted", "Alice", 3),
        ("restored", "Alice", 4),
    ]
    edited = note.revisions[1]
    assert edited.before == {
        "text": "Pupils are users.",
        "kind": "observation",
        "guide_question_id": q(slot, 1),
        "pseudonyms": ["P1"],
    }
    assert edited.after["text"] == "P1 said pupils are users."  # names replaced on every save
    assert edited.after["kind"] == "quote"
    assert note.revisions[2].before["text"] == "P1 said pupils are users."


def test_a_note_keeps_a_participant_who_left_the_session(slot):
    note, _ = add_note(slot, NoteInput("Good point.", pseudonyms=["P3"]))
    placement = db.session.scalar(select(Placement).where(Placement.slot_id == slot.id, Placement.pseudonym == "P3"))
    placement.status = "withdrawn"
    db.session.commit()
    edit_note(note, NoteInput("A good point.", pseudonyms=["P3"]), expected_version=1)
    assert note.pseudonyms == ["P3"]
    with pytest.raises(NoteProblem):
        add_note(slot, NoteInput("New.", pseudonyms=["P3"]))


def test_complete_notes_are_locked_until_an_organiser_reopens_them(slot, make_user):
    organiser = make_user("organiser")
    note, _ = add_note(slot, NoteInput("Before."))
    complete_notes(slot, by=slot.facilitator)
    db.session.commit()
    assert is_locked(slot)
    with pytest.raises(NotesLocked):
        add_note(slot, NoteInput("After."))
    with pytest.raises(NotesLocked):
        edit_note(note, NoteInput("Changed."), expected_version=1)
    with pytest.raises(NotesLocked):
        delete_note(note, expected_version=1)
    with pytest.raises(NotesLocked):
        save_proportions(slot, {}, expected_version=0)
    reopen_notes(slot, by=organiser)
    db.session.commit()
    assert not is_locked(slot)
    add_note(slot, NoteInput("After reopening."))
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("focus_groups.notes_%"))).all()
    assert actions == ["focus_groups.notes_completed", "focus_groups.notes_reopened"]


def test_a_client_id_reused_for_a_different_note_stores_the_new_note_too(slot):
    first, created = add_note(slot, NoteInput("First note."), client_id="same-client-id-1")
    again, created_again = add_note(slot, NoteInput("First note."), client_id="same-client-id-1")
    assert created and not created_again and again.id == first.id  # a resend: stored once
    other, created_other = add_note(slot, NoteInput("A different note."), client_id="same-client-id-1")
    assert created_other and other.id != first.id and other.client_id != "same-client-id-1"
    db.session.commit()
    assert sorted(n.text for n in notes_for(slot)) == ["A different note.", "First note."]
    # A resend of the original after someone changed the note is still the same note.
    edit_note(first, NoteInput("First note, corrected."), expected_version=1)
    assert add_note(slot, NoteInput("First note."), client_id="same-client-id-1") == (first, False)


def test_deleting_needs_the_version_the_page_showed(slot):
    note, _ = add_note(slot, NoteInput("Keep me."))
    db.session.commit()
    with pytest.raises(StaleNote):
        delete_note(note)
    with pytest.raises(StaleNote):
        delete_note(note, expected_version=2)
    delete_note(note, expected_version=1)
    assert notes_for(slot) == []


def test_adding_changing_deleting_and_restoring_a_note_are_audited_without_its_text(slot):
    note, _ = add_note(slot, NoteInput("Secret-ish words."))
    edit_note(note, NoteInput("Other words."), expected_version=1)
    delete_note(note, expected_version=2)
    restore_note(note)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "note")).all()
    assert [e.action for e in events] == [
        "focus_groups.note_added",
        "focus_groups.note_edited",
        "focus_groups.note_deleted",
        "focus_groups.note_restored",
    ]
    assert all(e.object_id == str(note.id) for e in events)
    assert "words" not in str([e.detail for e in events])
