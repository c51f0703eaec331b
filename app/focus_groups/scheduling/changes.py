"""Changes to a confirmed session: a new time or place, cancellation, its staff, whether staff see
names, and attendance."""

from __future__ import annotations

from datetime import UTC, datetime

from app.audit.services import record
from app.clock import aware, utcnow
from app.database import write_transaction
from app.focus_groups.models import Placement, Slot
from app.focus_groups.scheduling.placements import ACTIVE, ATTENDING, lock_slot, participants


def reschedule_slot(
    slot: Slot,
    *,
    starts_at: datetime,
    duration_minutes: int,
    location: str,
    online: bool,
    by=None,
) -> list[int]:
    """Change a confirmed session's time or place; returns the placements to send the update to.

    The calendar SEQUENCE goes up so calendars replace the old entry; a new time resets the
    reminders. Nothing changes (and nothing is sent) when the details are the same.
    One unit of work with its own transaction.
    """
    with write_transaction():
        lock_slot(slot)
        if slot.status != "confirmed":
            raise ValueError("Only a confirmed session can be changed")
        new_start = starts_at.astimezone(UTC)
        changes = {}
        if new_start != aware(slot.starts_at):
            changes["starts_at"] = new_start.isoformat()
        if duration_minutes != slot.duration_minutes:
            changes["duration_minutes"] = duration_minutes
        if location != slot.location or online != slot.online:
            changes["location"] = location
        if not changes:
            return []
        if "starts_at" in changes:
            slot.starts_at = new_start
            for placement in slot.placements:
                placement.reminded_week_at = None
                placement.reminded_day_at = None
        slot.duration_minutes = duration_minutes
        slot.location = location
        slot.online = online
        slot.sequence += 1
        record("focus_groups.slot_rescheduled", slot, actor=by, sequence=slot.sequence, **changes)
        return [p.id for p in participants(slot, ATTENDING)]


def cancel_slot(slot: Slot, by=None, now: datetime | None = None) -> list[int]:
    """Cancel a confirmed session; returns the placements to send the cancellation to; its own transaction."""
    with write_transaction():
        lock_slot(slot)
        if slot.status != "confirmed":
            raise ValueError("Only a confirmed session can be cancelled")
        now = now or utcnow()
        told = [p.id for p in participants(slot, ATTENDING)]
        slot.status = "cancelled"
        slot.cancelled_at = now
        slot.sequence += 1
        for placement in slot.placements:
            if placement.status in ACTIVE:
                placement.status = "cancelled"
        record("focus_groups.slot_cancelled", slot, actor=by, sequence=slot.sequence, told=len(told))
        return told


def set_staff(slot: Slot, facilitator_id: int | None, note_taker_id: int | None, by=None) -> None:
    """Give the session its facilitator and note-taker (either may be nobody); its own transaction."""
    with write_transaction():
        slot.facilitator_id = facilitator_id
        slot.note_taker_id = note_taker_id
        record("focus_groups.slot_staff_set", slot, actor=by, facilitator=facilitator_id, note_taker=note_taker_id)


def set_names_visible(slot: Slot, visible: bool, by=None) -> None:
    """Let the session's facilitator and note-taker see participants' names, or stop them; its own transaction."""
    with write_transaction():
        if slot.names_visible != visible:
            slot.names_visible = visible
            record("focus_groups.slot_names_visible", slot, actor=by, visible=visible)


def attendance_rows(slot: Slot) -> list[Placement]:
    """The participants whose attendance can be recorded: everyone who was invited to come."""
    return participants(slot, ("invited", "accepted", "withdrawn"))


def record_attendance(slot: Slot, answers: dict[int, str | None], by=None) -> int:
    """Record who attended (attended, no_show, withdrew; None clears it); returns how many changed.

    One unit of work: it owns its transaction.
    """
    with write_transaction():
        changed = 0
        for placement in attendance_rows(slot):
            if placement.id in answers and answers[placement.id] != placement.attendance:
                placement.attendance = answers[placement.id]
                changed += 1
                record(
                    "focus_groups.attendance_recorded",
                    placement,
                    actor=by,
                    slot=slot.id,
                    pseudonym=placement.pseudonym,
                    attendance=placement.attendance or "not recorded",
                )
        return changed
