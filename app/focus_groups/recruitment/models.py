"""What the public volunteer form keeps on the server between a submission and its confirmation.

A *pending change* holds the new details someone gave for an address already in the pool until
the owner of that address confirms them from the link emailed to it. The link carries only a
random secret; the table keeps its SHA-256 digest, so neither the link nor a copy of the
database gives the other away. A *form email* row records, per address (a keyed hash, never the
address) and study, when that study's form last emailed it, so that each study's form emails an
address at most once an hour whichever worker answers (and someone who joins two studies in an hour
gets each study's own withdrawal link).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class VolunteerChange(db.Model):
    """New details for a volunteer, waiting for the owner of their address to confirm them."""

    __tablename__ = "fg_volunteer_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("fg_volunteer.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The details as the form gave them (VolunteerDetails as a dict); cleared once used or expired.
    details: Mapped[dict | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    volunteer = relationship("Volunteer")


class VolunteerFormEmail(db.Model):
    """When the volunteer form for a study last emailed an address (known by its keyed hash only)."""

    __tablename__ = "fg_volunteer_form_email"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class MemberInvitation(db.Model):
    """A member who asked in the survey to hear about focus groups, invited to one study's volunteer form.

    One row per study and member: the unique constraint is what makes inviting them idempotent (a second
    click, or two organisers at once, sends nothing more).
    """

    __tablename__ = "fg_member_invitation"
    __table_args__ = (UniqueConstraint("study_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
