"""Who may see a session: organisers and admins every one, a facilitator only their own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.auth.roles import ADMIN, FACILITATOR, ORGANISER
from app.clock import aware, utcnow
from app.extensions import db
from app.focus_groups.models import Slot
from app.focus_groups.services import slot_ends_at


def can_see_session(user, slot: Slot) -> bool:
    """Organisers and admins see every session; a facilitator only the confirmed (or since cancelled)
    sessions they facilitate or take notes in, never a candidate slot."""
    if user.has_role(ADMIN, ORGANISER):
        return True
    return (
        user.has_role(FACILITATOR)
        and slot.status != "candidate"
        and user.id in (slot.facilitator_id, slot.note_taker_id)
    )


def sessions_for(user, now: datetime | None = None) -> tuple[list[Slot], list[Slot]]:
    """The confirmed or cancelled sessions a person works on (all of them for organisers and admins):
    upcoming, then past. Candidate slots are not sessions yet, so nobody sees them here."""
    now = now or utcnow()
    query = select(Slot).where(Slot.status != "candidate")
    if not user.has_role(ADMIN, ORGANISER):
        query = query.where((Slot.facilitator_id == user.id) | (Slot.note_taker_id == user.id))
    slots = list(db.session.scalars(query.order_by(Slot.starts_at)))
    upcoming = [s for s in slots if slot_ends_at(s) > now]
    past = sorted((s for s in slots if slot_ends_at(s) <= now), key=lambda s: aware(s.starts_at), reverse=True)
    return upcoming, past
