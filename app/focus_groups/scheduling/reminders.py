"""Reminders a week and a day before each session (the `send-reminders` command's work)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.audit.services import record
from app.clock import aware, utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Placement, Slot
from app.focus_groups.scheduling.emails import email_volunteer
from app.focus_groups.scheduling.placements import ATTENDING

WEEK = timedelta(days=7)
DAY = timedelta(hours=24)


def send_session_reminders(now: datetime | None = None) -> int:
    """Remind invited participants a week before their session and again the day before; returns
    how many reminders were sent.

    A week reminder goes when the session is within 7 days and more than 24 hours away, a day
    reminder within the last 24 hours; never for a past or cancelled session or to anyone who
    declined or withdrew. Each is claimed with a conditional update before it is sent, so it is
    never sent twice, even when two runs overlap; when the email fails, the claim is released, so
    the next run tries again.
    """
    now = (now or utcnow()).astimezone(UTC)
    due = db.session.scalars(
        select(Placement)
        .join(Slot, Slot.id == Placement.slot_id)
        .where(
            Slot.status == "confirmed",
            Slot.starts_at > now,
            Slot.starts_at <= now + WEEK,
            Placement.role == "participant",
            Placement.status.in_(ATTENDING),
            (Placement.reminded_week_at.is_(None)) | (Placement.reminded_day_at.is_(None)),
        )
        .order_by(Slot.starts_at, Placement.id)
    ).all()
    sent = 0
    for placement in due:
        ahead = aware(placement.slot.starts_at) - now
        if ahead <= timedelta(0) or ahead > WEEK:
            continue
        column = Placement.reminded_day_at if ahead <= DAY else Placement.reminded_week_at
        with write_transaction():
            claimed = db.session.execute(
                update(Placement)
                .where(
                    Placement.id == placement.id,
                    column.is_(None),
                    Placement.status.in_(ATTENDING),
                )
                .values({column.key: now})
                .execution_options(synchronize_session=False)
            ).rowcount
        db.session.expire(placement)
        if claimed != 1:
            continue
        kind = "reminder_day" if ahead <= DAY else "reminder_week"
        with write_transaction():
            outcome = email_volunteer(placement, kind, now)
            if outcome.status == "failed":
                db.session.execute(
                    update(Placement)
                    .where(Placement.id == placement.id, column == now)
                    .values({column.key: None})
                    .execution_options(synchronize_session=False)
                )
                continue
            record("focus_groups.reminder_sent", placement, slot=placement.slot_id, kind=kind)
        sent += 1
    return sent
