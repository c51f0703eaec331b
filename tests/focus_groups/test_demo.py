"""The focus groups' demo data (focus_groups/demo.py): the demo notes come with it, once."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.focus_groups.demo import load_demo_notes
from app.focus_groups.notes.models import Note
from app.focus_groups.notes.output import session_passages
from app.focus_groups.notes.proportions import proportion_figures
from app.focus_groups.notes.taking import notes_for


def test_demo_notes_come_with_the_demo_data_and_are_added_once(app, make_user):
    from app.demo import load_demo_data

    load_demo_data("demo-password-for-tests-9x")  # which loads the demo notes too
    slot = db.session.scalar(select(Note).order_by(Note.id)).slot
    assert len(notes_for(slot)) >= 30
    assert load_demo_notes() == 0  # not again
    assert len(proportion_figures(slot)) == 3
    assert any(p.note_kind == "quote" and "pupils" in p.text.lower() for p in session_passages(slot))
