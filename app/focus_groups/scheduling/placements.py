"""Who is where in a session: its participants and waiting reserves, whether it has started, its
pseudonyms, and the row lock that makes changes to one session run one after another."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from app.clock import aware, utcnow
from app.extensions import db
from app.focus_groups.composition.planning import organisation_key
from app.focus_groups.models import Placement, Slot

ACTIVE = ("proposed", "invited", "accepted")  # a participant still expected to come
ATTENDING = ("invited", "accepted")  # invited: told of every change and reminded


def participants(slot: Slot, statuses: Iterable[str] = ACTIVE) -> list[Placement]:
    """The slot's participants with one of `statuses`, in placement order."""
    wanted = set(statuses)
    return [p for p in slot.placements if p.role == "participant" and p.status in wanted]


def waiting_reserves(slot: Slot) -> list[Placement]:
    """Reserves for the slot who could still be promoted."""
    return [
        p
        for p in slot.placements
        if p.role == "reserve" and p.status == "proposed" and p.volunteer.erased_at is None and p.volunteer.email
    ]


def organisations_elsewhere(slot: Slot, leaving: Placement | None = None) -> set[str]:
    """Organisations with a participant still expected in another slot of the study (for "one per
    organisation"): nobody from them may be promoted into this slot."""
    rows = db.session.scalars(
        select(Placement).where(
            Placement.study_id == slot.study_id,
            Placement.slot_id != slot.id,
            Placement.role == "participant",
            Placement.status.in_(ACTIVE),
        )
    )
    return {organisation_key(p.volunteer) for p in rows if leaving is None or p.id != leaving.id}


def lock_slot(slot: Slot) -> Slot:
    """Take the slot's row lock for the rest of the transaction, then forget what was read before it.

    Answers, withdrawals, promotions and changes to one session take this lock first, so on
    PostgreSQL they run one after another and each sees what the one before it committed (SQLite
    ignores FOR UPDATE; its writing requests already hold the database lock from their first
    statement: see app/database.py). Pending changes are flushed first, so none are lost.
    """
    db.session.flush()
    db.session.execute(select(Slot).where(Slot.id == slot.id).with_for_update()).scalar_one()
    db.session.expire_all()
    return slot


def has_started(slot: Slot, now: datetime | None = None) -> bool:
    """Whether the session's start time has passed."""
    return aware(slot.starts_at) <= (now or utcnow())


def is_upcoming_session(slot: Slot, now: datetime | None = None) -> bool:
    """A confirmed session that has not started yet."""
    return slot.status == "confirmed" and not has_started(slot, now)


def next_pseudonym(slot: Slot) -> str:
    """The next unused pseudonym in the session (numbers are never reused, even after someone leaves)."""
    numbers = [int(p.pseudonym[1:]) for p in slot.placements if p.pseudonym and p.pseudonym[1:].isdigit()]
    return f"P{max(numbers, default=0) + 1}"
