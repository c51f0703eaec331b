"""Who is in a session, for its notes, and who may see and write them: the session's facilitator and
note-taker, organisers and admins write; analysts may also read (pseudonyms only)."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.roles import ADMIN, ANALYST, LEAD_ANALYST, ORGANISER
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Study
from app.focus_groups.notes.models import Note
from app.focus_groups.scheduling.access import can_see_session

# Participants whose notes can be taken: invited or accepted, and those who withdrew after taking part.
IN_SESSION = ("invited", "accepted")


def can_take_notes(user, slot: Slot) -> bool:
    """Whether `user` may take and change the session's notes: its facilitator or note-taker, an organiser or admin."""
    return can_see_session(user, slot)


def can_read_notes(user, slot: Slot) -> bool:
    """Whether `user` may print and download the session's notes: its staff, organisers, admins and analysts."""
    return user.has_role(ANALYST, LEAD_ANALYST, ADMIN, ORGANISER) or can_see_session(user, slot)


def session_participants(slot: Slot) -> list[Placement]:
    """Participants notes can be about: invited or accepted, or withdrawn after taking part; by pseudonym."""
    people = [
        p
        for p in slot.placements
        if p.role == "participant"
        and p.pseudonym
        and (p.status in IN_SESSION or (p.status == "withdrawn" and p.attendance))
    ]
    return sorted(people, key=lambda p: pseudonym_order(p.pseudonym))


def pseudonym_order(pseudonym: str) -> tuple[int, str]:
    """P2 before P10."""
    digits = pseudonym[1:]
    return (int(digits) if digits.isdigit() else 10**6, pseudonym)


def placements_by_pseudonym(slot: Slot) -> dict[str, Placement]:
    """Every placement in the session that has a pseudonym (notes keep a withdrawn person's pseudonym)."""
    return {p.pseudonym: p for p in slot.placements if p.pseudonym}


def sessions_of(study_or_slot: Study | Slot) -> list[Slot]:
    """The session itself, or a study's sessions that are planned or have notes."""
    if isinstance(study_or_slot, Slot):
        return [study_or_slot]
    return [slot for slot in study_or_slot.slots if slot.status != "candidate" or has_notes(slot)]


def has_notes(slot: Slot) -> bool:
    return db.session.scalar(select(Note.id).where(Note.slot_id == slot.id).limit(1)) is not None
