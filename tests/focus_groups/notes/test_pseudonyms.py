"""Pseudonyms (notes/pseudonyms.py): participants' names replaced however they are typed, only names, and no
trace of them kept."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.focus_groups.models import Placement
from app.focus_groups.notes.access import session_participants
from app.focus_groups.notes.pseudonyms import pseudonymise
from app.focus_groups.notes.taking import (
    NoteInput,
    add_note,
    edit_note,
)
from tests.focus_groups.notes.support import make_session


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
