"""Session notes, through the service functions: saving, pseudonyms, validation, versions and history,
the lock, the proportion grid, the debrief, and what leaves the console for the analysis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.demo import load_demo_notes
from app.focus_groups.models import Placement
from app.focus_groups.notes.access import session_participants
from app.focus_groups.notes.debrief import StaleDebrief, save_debrief
from app.focus_groups.notes.models import NOTE_MAX_LENGTH, Note, ProportionEstimate
from app.focus_groups.notes.output import notes_table, session_passages
from app.focus_groups.notes.proportions import (
    StaleGrid,
    parse_share,
    proportion_figures,
    proportion_rows,
    proportion_summary,
    save_proportions,
    share_field,
    share_text,
)
from app.focus_groups.notes.pseudonyms import pseudonymise
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
    session_notes,
    session_revisions,
)
from app.passages import split_sentences
from tests.focus_groups.notes.support import make_session


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
        delete_note(note, expected_version=1)
    with pytest.raises(NotesLocked):
        save_proportions(slot, {}, expected_version=0)
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
    assert save_proportions(slot, form, expected_version=0) == {}
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
    errors = save_proportions(slot, _grid(slot, {"P1": {"pupils": value, "office_staff": "40"}}), expected_version=0)
    db.session.rollback()
    people = {p.pseudonym: p for p in session_participants(slot)}
    assert errors == {share_field(people["P1"], "pupils"): message}
    assert db.session.scalars(select(ProportionEstimate)).all() == []


def test_clearing_a_cell_removes_the_figure(slot):
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "100"}}), expected_version=0)
    save_proportions(slot, _grid(slot, {"P1": {"pupils": ""}}), expected_version=1)
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
    delete_note(gone, expected_version=1)
    db.session.commit()
    passages = session_passages(slot.study)
    assert [p.text for p in passages] == ["P1 said pupils are users.", "Schools pay for it.", "Both agreed."]
    first = passages[0]
    assert first.source_kind == "note"
    assert first.section == "guide-1" and first.section_label == "What is a user?"
    assert first.source_ref == {"note": note.id, "session": slot.id, "study": slot.study_id, "sentence": 1}
    assert first.note_kind == "quote"
    assert (first.region, first.council_type, first.supports_schools) == ("london", "london-borough", True)
    assert first.pseudonyms == ("P1",)
    assert note.text[first.start : first.end] == first.text
    both = passages[2]
    assert both.section == "general" and both.section_label == "General"
    assert both.region is None  # two regions: per participant instead
    assert [p["region"] for p in both.participants] == ["london", "wales"]
    assert "Priya" not in str(passages) and "Shah" not in str(passages)
    assert session_passages(slot) == passages


def test_the_debrief_becomes_passages_too_without_names(slot):
    add_note(slot, NoteInput("Pupils are users.", "key_point"))
    save_debrief(slot, "Priya Shah led the talk. Follow up on devices.", expected_version=0)
    passages = session_passages(slot)
    assert [p.source_kind for p in passages] == ["note", "debrief", "debrief"]
    debrief = passages[1:]
    assert [p.text for p in debrief] == ["P1 led the talk.", "Follow up on devices."]
    assert debrief[1].source_ref == {
        "debrief": slot.id,
        "session": slot.id,
        "study": slot.study_id,
        "field": "debrief",
        "sentence": 2,
    }
    assert debrief[0].section == "debrief" and debrief[0].pseudonyms == () and debrief[0].note_kind is None
    assert [p.id for p in session_passages(slot)] == [p.id for p in passages]  # ids survive a re-read
    assert "Priya" not in str(passages) and "Shah" not in str(passages)


def test_the_notes_table_carries_pseudonyms_and_no_names(slot):
    add_note(slot, NoteInput('=HYPERLINK("x") Morag said so.', "quote", q(slot, 3), ["P3"]))
    rows = notes_table(slot)
    assert rows[0]["pseudonyms"] == "P3"
    assert rows[0]["regions"] == "North East"
    assert rows[0]["guide_question_number"] == 3
    assert "Morag" not in str(rows)


def test_demo_notes_come_with_the_demo_data_and_are_added_once(app, make_user):
    from app.demo import load_demo_data

    load_demo_data("demo-password-for-tests-9x")  # which loads the demo notes too
    slot = db.session.scalar(select(Note).order_by(Note.id)).slot
    assert len(notes_for(slot)) >= 30
    assert load_demo_notes() == 0  # not again
    assert len(proportion_figures(slot)) == 3
    assert any(p.note_kind == "quote" and "pupils" in p.text.lower() for p in session_passages(slot))


# --- review fixes: names found however typed, and only names --------------------------------


def test_letters_that_only_match_ignoring_case_are_replaced_not_a_server_error(slot):
    # "ſ" (long s) and "İ" matched names under re.IGNORECASE but were not keys of the lookup: KeyError.
    text, replaced = pseudonymise("Priya ſhah and İan spoke; PRİYA SHAH agreed.", slot)
    assert text == "P1 and İan spoke; P1 agreed."
    assert replaced == ["P1"]


def test_names_are_found_with_curly_apostrophes_accents_hyphens_and_spaced_prefixes(make_study, make_volunteer):
    names = ("Siobhán O'Brien", "Zoë McDonald", "Anne-Marie Smith")
    slot = make_session(make_study, make_volunteer, names=names)
    text, replaced = pseudonymise(
        "Siobhan O’Brien said it; Obrien and O Brien agreed. Zoe Mc Donald disagreed, as did Mcdonald. "
        "Anne and Marie nodded; Anne-Marie too. Zoë’s team.",
        slot,
    )
    assert text == ("P1 said it; P1 and P1 agreed. P2 disagreed, as did P2. P3 and P3 nodded; P3 too. P2’s team.")
    assert replaced == ["P1", "P2", "P3"]


def test_only_capitalised_name_parts_and_never_particles_are_replaced(make_study, make_volunteer):
    slot = make_session(make_study, make_volunteer, names=("Will May", "Anne-Marie de la Cruz", "Tom Evans"))
    text, replaced = pseudonymise("Will said they will go in may, de la Cruz and la mode de vie; Cruz too.", slot)
    assert text == "P1 said they will go in may, P2 and la mode de vie; P2 too."
    assert replaced == ["P1", "P2"]
    assert pseudonymise("will may come", slot) == ("P1 come", ["P1"])  # a full name in any case
    assert pseudonymise("ANNE-MARIE DE LA CRUZ", slot) == ("P2", ["P2"])


def test_a_note_keeps_no_trace_of_the_names_it_replaced(slot):
    note, _ = add_note(slot, NoteInput("Priya Shah said so."))
    edit_note(note, NoteInput("Priya Shah said so twice."), expected_version=1)
    db.session.commit()
    stored = str([note.text, note.names_replaced] + [(r.before, r.after) for r in note.revisions])
    assert "Priya" not in stored and "Shah" not in stored
    assert note.names_replaced == ["P1"]  # the facilitator is told which pseudonyms went in


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


def test_a_stale_grid_is_refused_and_the_figures_kept(slot):
    people = {p.pseudonym: p for p in session_participants(slot)}
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "60", "office_staff": "40"}}), expected_version=0)
    db.session.commit()
    # A colleague's page, opened before that save, has blanks where the figures now are.
    with pytest.raises(StaleGrid) as refused:
        save_proportions(slot, _grid(slot, {"P2": {"pupils": "100"}}), expected_version=0)
    db.session.rollback()
    assert refused.value.state.grid_version == 1
    assert proportion_rows(slot)[0].shares["pupils"] == 60  # nothing wiped
    assert db.session.get(ProportionEstimate, (people["P2"].id, "pupils")) is None
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "55", "office_staff": "40"}}), expected_version=1)
    db.session.commit()
    (latest, first) = session_revisions(slot, "proportions")
    assert latest.version == 2 and latest.before == {str(people["P1"].id): {"pupils": 60}}
    assert latest.after == {str(people["P1"].id): {"pupils": 55}}
    assert first.before == {str(people["P1"].id): {"pupils": None, "office_staff": None}}


@pytest.mark.parametrize(
    ("typed", "value"), [("12,5", 12.5), ("50%", 50), ("7.125 %", 7.125), ("100", 100), ("33.3333", 33.3333)]
)
def test_shares_are_read_with_a_comma_or_percent_sign_and_shown_as_typed(typed, value):
    assert parse_share(typed) == (value, None)
    assert share_text(value) == typed.replace(",", ".").replace("%", "").strip()


@pytest.mark.parametrize("typed", ["1_0", "١٠", "²", "1e2", "nan", "inf", "12.", ".5", "1,2,3"])
def test_shares_that_are_not_plain_numbers_are_refused(typed):
    assert parse_share(typed) == (None, "number")


def test_the_debrief_keeps_every_version_with_who_and_when(slot, make_user):
    fran = make_user("facilitator", name="Fran Facilitator")
    save_debrief(slot, "First thoughts.", expected_version=0, by=fran)
    save_debrief(slot, "Second thoughts.", expected_version=1, by=fran)
    db.session.commit()
    latest, first = session_revisions(slot, "debrief")
    assert (latest.version, latest.before, latest.after) == (
        2,
        {"text": "First thoughts."},
        {"text": "Second thoughts."},
    )
    assert (first.before, first.after, first.actor_label) == (
        {"text": ""},
        {"text": "First thoughts."},
        "Fran Facilitator",
    )


def test_sentences_also_end_at_single_line_breaks_and_know_more_abbreviations():
    text = "Cllr. Jones spoke\nSee p. 4 and pp. 5-6 of the govt. report from the dept. on St. Mary's"
    assert split_sentences(text) == [
        "Cllr. Jones spoke",
        "See p. 4 and pp. 5-6 of the govt. report from the dept. on St. Mary's",
    ]
