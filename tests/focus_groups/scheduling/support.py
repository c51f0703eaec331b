"""Helpers for the scheduling and session tests: placing volunteers, moving a slot, a time in the future,
the calendar attached to an email, and confirming a group as an organiser does."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar

from app.clock import utcnow
from app.extensions import db
from app.focus_groups.models import Placement, Slot


def place(slot: Slot, volunteer, role: str = "participant", rank: int | None = None, **values) -> Placement:
    """Put a volunteer in a slot, as composition does."""
    placement = Placement(
        study_id=slot.study_id, slot_id=slot.id, volunteer_id=volunteer.id, role=role, reserve_rank=rank, **values
    )
    db.session.add(placement)
    db.session.commit()
    return placement


def move_to(slot: Slot, starts_at: datetime) -> None:
    slot.starts_at = starts_at
    db.session.commit()


def soon(days: int = 40) -> datetime:
    """A start time in the future whatever day the tests run, on the hour."""
    return (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def calendar_in(message):
    """The calendar attached to an email: (method parameter of its content type, parsed calendar)."""
    parts = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [part.get_content_type() for part in message.iter_attachments()]
    return parts[0].get_param("method"), Calendar.from_ical(parts[0].get_content())


def to(messages, address):
    return [m for m in messages if m["To"] == address]


def confirm(client, slot):
    return client.post(f"/focus-groups/{slot.study_id}/slots/{slot.id}/confirm")
