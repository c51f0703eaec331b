"""What leaves the console (notes/output.py): passages for the analysis and the notes table, without names."""

from __future__ import annotations

from app.extensions import db
from app.focus_groups.notes.debrief import save_debrief
from app.focus_groups.notes.output import notes_table, session_passages
from app.focus_groups.notes.taking import (
    NoteInput,
    add_note,
    delete_note,
)
from tests.focus_groups.notes.support import q


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


def test_passages_name_the_organisations_they_speak_for_by_key_and_withdrawn_people_not_at_all(slot, make_organisation):
    council = make_organisation(name="Camden Council")
    first, second, third = sorted(slot.placements, key=lambda p: p.pseudonym)[:3]
    first.volunteer.organisation_id = council.id
    third.volunteer.withdrawn_at = third.volunteer.created_at
    db.session.commit()
    add_note(slot, NoteInput("Pupils count as users here.", "key_point", None, ["P1", "P2", "P3"]))
    add_note(slot, NoteInput("Same for us.", "key_point", None, ["P2"]))
    db.session.commit()
    passages = session_passages(slot)
    assert [p.organisations for p in passages] == [(f"org:{council.id}", "person:P2"), ("person:P2",)]
    assert "Camden" not in str(passages)
