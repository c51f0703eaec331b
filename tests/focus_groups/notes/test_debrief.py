"""The debrief (notes/debrief.py): versioned, pseudonymised, every version kept with who and when."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.focus_groups.notes.debrief import StaleDebrief, save_debrief
from app.focus_groups.notes.taking import (
    session_notes,
    session_revisions,
)


def test_the_debrief_is_versioned_and_pseudonymised(slot):
    assert save_debrief(slot, "Tom Evans dominated.", expected_version=0) == ["P2"]
    db.session.commit()
    assert session_notes(slot).debrief == "P2 dominated."
    with pytest.raises(StaleDebrief):
        save_debrief(slot, "Another view.", expected_version=0)
    db.session.rollback()
    save_debrief(slot, "Revised.", expected_version=1)
    assert session_notes(slot).debrief_version == 2


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
