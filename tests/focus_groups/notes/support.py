"""Helpers for the session-notes tests: a confirmed session with named participants P1, P2, ..., and a guide
question's id by its number."""

from __future__ import annotations

from app.extensions import db
from app.focus_groups.models import Placement

NAMES = ("Priya Shah", "Tom Evans", "Morag Campbell")


def make_session(make_study, make_volunteer, *, facilitator=None, note_taker=None, names=NAMES, statuses=None):
    """A study's first slot, confirmed, with one accepted participant per name (P1, P2, ... in order)."""
    study = make_study(slots=2)
    slot = study.slots[0]
    slot.status = "confirmed"
    slot.facilitator_id = getattr(facilitator, "id", None)
    slot.note_taker_id = getattr(note_taker, "id", None)
    regions = ("london", "wales", "north-east")
    types = ("london-borough", "welsh", "metropolitan-borough")
    for number, name in enumerate(names, start=1):
        volunteer = make_volunteer(
            study,
            name=name,
            region=regions[(number - 1) % 3],
            council_type=types[(number - 1) % 3],
            supports_schools=number != 2,
            available=[slot],
        )
        status = (statuses or {}).get(number, "accepted")
        db.session.add(
            Placement(
                study_id=study.id,
                slot_id=slot.id,
                volunteer_id=volunteer.id,
                role="participant",
                status=status,
                pseudonym=f"P{number}",
            )
        )
    db.session.commit()
    return slot


def q(slot, position: int) -> int:
    """The id of the session's guide question at this position (1 for the first)."""
    return slot.study.questions[position - 1].id
