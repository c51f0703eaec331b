"""Session notes, through the service functions: saving, pseudonyms, validation, versions and history,
the lock, the proportion grid, the debrief, and what leaves the console for the analysis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Placement
from app.focus_groups.notes import (
    NoteInput,
    NoteProblem,
    NotesLocked,
    StaleDebrief,
    StaleNote,
    add_note,
    complete_notes,
    delete_note,
    edit_note,
    is_locked,
    load_demo_notes,
    notes_by_question,
    notes_for,
    notes_table,
    proportion_figures,
    proportion_rows,
    proportion_summary,
    pseudonymise,
    reopen_notes,
    restore_note,
    save_debrief,
    save_proportions,
    session_notes,
    session_participants,
    session_passages,
    share_field,
    split_sentences,
)
from app.focus_groups.notes_models import NOTE_MAX_LENGTH, Note, ProportionEstimate
from tests.focus_groups.notes_support import make_session


@pytest.fixture
def slot(make_study, make_volunteer, make_user):
    facilitator = make_user("facilitator", name="Fran Facilitator")
    return make_session(make_study, make_volunteer, facilitator=facilitator)


def q(slot, position: int) -> int:
    return slot.study.questions[position - 1].id


# --- capture ----------------------------------------------------------------------------------


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
    start = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
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
    now = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)
    typed, _ = add_note(slot, NoteInput("Typed offline."), typed_at=now - timedelta(minutes=20), now=now)
    assert typed.minutes_since_start == 40
    future, _ = add_note(slot, NoteInput("Clock wrong."), typed_at=now + timedelta(days=2), now=now)
    assert future.minutes_since_start == 60


# --- privacy ----------------------------------------------------------------------------------


def test_participants_names_are_replaced_with_their_pseudonyms(slot):
    text, replaced = pseudonymise("priya SHAH said Tom's team and Morag agreed; Campbell too. Tomorrow, Tomas.", slot)
    assert text == "P1 said P2's team and P3 agreed; P3 too. Tomorrow, Tomas."
    assert replaced == ["P1", "P2", "P3"]
    note, _ = add_note(slot, NoteInput("Evans said pupils are users", "quote"))
    assert note.text == "P2 said pupils are users"
    assert note.names_replaced == ["P2"]


def test_a_shared_first_name_becomes_both_pseudonyms_and_other_sessions_names_are_left(
    make_study, make_volunteer, make_user
):
    slot = make_session(make_study, make_volunteer, names=("Tom Evans", "Tom Price", "Lowri Jones"))
    other = make_study(slots=1)
    make_volunteer(other, name="Zoe Walsh")
    text, replaced = pseudonymise("Tom and Tom Price disagreed with Zoe Walsh.", slot)
    assert text == "P1/P2 and P2 disagreed with Zoe Walsh."
    assert replaced == ["P1", "P2"]


def test_an_erased_participant_keeps_their_pseudonym_and_has_no_name_to_replace(slot):
    placement = db.session.scalar(select(Placement).where(Placement.slot_id == slot.id, Placement.pseudonym == "P1"))
    placement.volunteer.name = None
    placement.status = "withdrawn"
    placement.attendance = "attended"
    db.session.commit()
    assert pseudonymise("Priya said so.", slot) == ("Priya said so.", [])
    assert "P1" in [p.pseudonym for p in session_participants(slot)]  # attended, then withdrew


# --- bad input --------------------------------------------------------------------------------


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


# --- versions, history, delete and restore ----------------------------------------------------


def test_an_edit_from_an_old_version_is_refused_and_nothing_is_overwritten(slot, make_user):
    alice, bob = make_user("facilitator", name="Alice"), make_user("facilitator", name="Bob")
    note, _ = add_note(slot, NoteInput("Original."), by=alice)
    db.session.commit()
    edit_note(note, NoteInput("Alice's change."), expected_version=1, by=alice)
    db.session.commit()
    with pytest.raises(StaleNote) as stale:
        edit_note(note, NoteInput("Bob's change."), expected_version=1, by=bob)
    db.session.rollback()
    assert stale.value.note.text == "Alice's change."
    assert db.session.get(Note, note.id).text == "Alice's change."
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


# --- complete and reopen ----------------------------------------------------------------------


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
        delete_note(note)
    with pytest.raises(NotesLocked):
        save_proportions(slot, {})
    reopen_notes(slot, by=organiser)
    db.session.commit()
    assert not is_locked(slot)
    add_note(slot, NoteInput("After reopening."))
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("focus_groups.notes_%"))).all()
    assert actions == ["focus_groups.notes_completed", "focus_groups.notes_reopened"]


# --- the proportion grid ----------------------------------------------------------------------


def _grid(slot, values: dict[str, dict[str, str]]) -> dict[str, str]:
    people = {p.pseudonym: p for p in session_participants(slot)}
    return {share_field(people[who], category): value for who, row in values.items() for category, value in row.items()}


def test_proportions_are_saved_and_a_row_not_adding_up_to_100_is_flagged(slot):
    form = _grid(
        slot,
        {
            "P1": {"office_staff": "20", "pupils": "60.5", "school_staff": "19.5%"},
            "P2": {"office_staff": "50", "pupils": "40"},
        },
    )
    assert save_proportions(slot, form) == {}
    db.session.commit()
    rows = {row.placement.pseudonym: row for row in proportion_rows(slot)}
    assert rows["P1"].shares["pupils"] == 60.5 and rows["P1"].total == 100 and rows["P1"].adds_up
    assert rows["P2"].total == 90 and not rows["P2"].adds_up
    assert not rows["P3"].given and rows["P3"].adds_up  # nothing given: not flagged
    figures = {f["pseudonym"]: f for f in proportion_figures(slot.study)}
    assert set(figures) == {"P1", "P2"}
    assert figures["P1"]["region"] == "london" and figures["P1"]["supports_schools"] is True
    assert "name" not in figures["P1"]
    summary = proportion_summary(slot.study)
    assert summary["pupils"]["n"] == 1 and summary["pupils"]["median"] == 60.5  # P2 does not add up


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "P1's share of pupils must be between 0 and 100"),
        ("100.5", "P1's share of pupils must be between 0 and 100"),
        ("lots", "Enter P1's share of pupils as a number from 0 to 100, like 12.5"),
        ("nan", "Enter P1's share of pupils as a number from 0 to 100, like 12.5"),
    ],
)
def test_bad_proportions_are_refused_and_nothing_is_saved(slot, value, message):
    errors = save_proportions(slot, _grid(slot, {"P1": {"pupils": value, "office_staff": "40"}}))
    db.session.rollback()
    people = {p.pseudonym: p for p in session_participants(slot)}
    assert errors == {share_field(people["P1"], "pupils"): message}
    assert db.session.scalars(select(ProportionEstimate)).all() == []


def test_clearing_a_cell_removes_the_figure(slot):
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "100"}}))
    save_proportions(slot, _grid(slot, {"P1": {"pupils": ""}}))
    db.session.commit()
    assert db.session.scalars(select(ProportionEstimate)).all() == []


# --- the debrief ------------------------------------------------------------------------------


def test_the_debrief_is_versioned_and_pseudonymised(slot):
    assert save_debrief(slot, "Tom Evans dominated.", expected_version=0) == ["P2"]
    db.session.commit()
    assert session_notes(slot).debrief == "P2 dominated."
    with pytest.raises(StaleDebrief):
        save_debrief(slot, "Another view.", expected_version=0)
    db.session.rollback()
    save_debrief(slot, "Revised.", expected_version=1)
    assert session_notes(slot).debrief_version == 2


# --- out of the console -----------------------------------------------------------------------


def test_sentences_are_split_without_nltk_data():
    text = "Pupils are users, e.g. at primary schools. Are they?\nYes! Dr. Shah disagreed.\n\n- A list item"
    assert split_sentences(text) == [
        "Pupils are users, e.g. at primary schools.",
        "Are they?",
        "Yes!",
        "Dr. Shah disagreed.",
        "- A list item",
    ]
    assert split_sentences("   ") == []


def test_notes_become_passages_for_the_analysis_without_names(slot):
    note, _ = add_note(
        slot, NoteInput("Priya Shah said pupils are users. Schools pay for it.", "quote", q(slot, 1), ["P1"])
    )
    add_note(slot, NoteInput("Both agreed.", "observation", None, ["P1", "P2"]))
    gone, _ = add_note(slot, NoteInput("Deleted note."))
    delete_note(gone)
    db.session.commit()
    passages = session_passages(slot.study)
    assert [p["text"] for p in passages] == ["P1 said pupils are users.", "Schools pay for it.", "Both agreed."]
    first = passages[0]
    assert first["source"] == "focus-group"
    assert first["question"] == "What is a user?"
    assert first["session"] == slot.id and first["note_id"] == note.id and first["kind"] == "quote"
    assert (first["region"], first["council_type"], first["supports_schools"]) == ("london", "london-borough", True)
    assert first["pseudonyms"] == ["P1"]
    both = passages[2]
    assert both["question"] == "General" and both["region"] is None  # two regions: per participant instead
    assert [p["region"] for p in both["participants"]] == ["london", "wales"]
    assert "Priya" not in str(passages) and "Shah" not in str(passages)
    assert session_passages(slot) == passages


def test_the_notes_table_carries_pseudonyms_and_no_names(slot):
    add_note(slot, NoteInput('=HYPERLINK("x") Morag said so.', "quote", q(slot, 3), ["P3"]))
    rows = notes_table(slot)
    assert rows[0]["pseudonyms"] == "P3"
    assert rows[0]["regions"] == "North East"
    assert rows[0]["guide_question_number"] == 3
    assert "Morag" not in str(rows)


def test_demo_notes_are_added_once(app, make_user):
    from app.demo import load_demo_data

    load_demo_data("demo-password-for-tests-9x")
    added = load_demo_notes()
    assert added >= 8
    assert load_demo_notes() == 0
    slot = db.session.scalar(select(Note)).slot
    assert len(proportion_figures(slot)) == 2
    assert any(p["kind"] == "quote" and "pupils" in p["text"].lower() for p in session_passages(slot))
