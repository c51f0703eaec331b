"""Focus-group studies: the discussion guide, candidate slots, volunteers and how they are placed.

A *slot* is a candidate date and time; the groups are the slots the composition chooses. A
*placement* puts one volunteer in one slot as a participant or a reserve; it carries their
invitation's state, their pseudonym (P1, P2, ...) within the session and, afterwards, attendance.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import in_list
from app.extensions import db
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS

AVAILABILITY = {"yes": "Yes", "if_need_be": "If need be", "no": "No"}
PLACEMENT_ROLES = {"participant": "Participant", "reserve": "Reserve"}
PLACEMENT_STATUSES = {
    "proposed": "Proposed",
    "invited": "Invited",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "cancelled": "Cancelled",
}
ATTENDANCE = {"attended": "Attended", "no_show": "Did not attend", "withdrew": "Withdrew"}
SLOT_STATUSES = {"candidate": "Candidate", "confirmed": "Confirmed", "cancelled": "Cancelled"}


class Study(db.Model):
    """A focus-group study: its theme, discussion guide, group sizes and candidate slots."""

    __tablename__ = "fg_study"
    __table_args__ = (
        CheckConstraint("target_groups >= 2", name="at_least_two_groups"),
        CheckConstraint("min_size >= 2 AND min_size <= target_size AND target_size <= max_size", name="sizes_ordered"),
        CheckConstraint("max_size <= 12", name="max_size_sane"),
        CheckConstraint("places_per_reserve >= 1", name="reserve_ratio_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(Text, default="", server_default="")
    target_groups: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    min_size: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    target_size: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    max_size: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    # Over-recruitment: one reserve for every this many places (default one per five).
    places_per_reserve: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # At most one person per organisation across the whole study (always at most one per group).
    one_per_organisation: Mapped[bool] = mapped_column(default=True, server_default=true())
    recruiting: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The last composition's explanation (coverage per group, who was not placed and why).
    composition_report: Mapped[dict | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    questions: Mapped[list[GuideQuestion]] = relationship(
        back_populates="study", order_by="GuideQuestion.position", cascade="all, delete-orphan", passive_deletes=True
    )
    slots: Mapped[list[Slot]] = relationship(
        back_populates="study", order_by="Slot.starts_at", cascade="all, delete-orphan", passive_deletes=True
    )
    volunteers: Mapped[list[Volunteer]] = relationship(
        back_populates="study", order_by="Volunteer.id", cascade="all, delete-orphan", passive_deletes=True
    )


class GuideQuestion(db.Model):
    """One question of the discussion guide, with the facilitator's prompts (one per line)."""

    __tablename__ = "fg_guide_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    prompts: Mapped[str] = mapped_column(Text, default="", server_default="")

    study: Mapped[Study] = relationship(back_populates="questions")

    @property
    def prompt_list(self) -> list[str]:
        """The prompts, one per line, blank lines dropped."""
        return [line.strip() for line in self.prompts.splitlines() if line.strip()]


class Slot(db.Model):
    """A candidate date and time for a group; once chosen and confirmed, a session."""

    __tablename__ = "fg_slot"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration_sane"),
        CheckConstraint(in_list("status", SLOT_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # stored in UTC
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    online: Mapped[bool] = mapped_column(default=True, server_default=true())
    location: Mapped[str] = mapped_column(String(500))  # the meeting link, or the venue's address
    capacity: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    status: Mapped[str] = mapped_column(String(20), default="candidate", server_default="candidate")
    # Calendar SEQUENCE: goes up on every change sent to attendees (reschedule, cancellation).
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note_taker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Facilitators see pseudonyms only, unless an organiser grants them names for this session.
    names_visible: Mapped[bool] = mapped_column(default=False, server_default=false())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    study: Mapped[Study] = relationship(back_populates="slots")
    facilitator = relationship("User", foreign_keys=[facilitator_id])
    note_taker = relationship("User", foreign_keys=[note_taker_id])
    placements: Mapped[list[Placement]] = relationship(
        back_populates="slot", order_by="Placement.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def label(self) -> str:
        """A short name for the slot: its number in the study's slots, by start time."""
        return f"Slot {self.study.slots.index(self) + 1}" if self in self.study.slots else f"Slot {self.id}"


class Volunteer(db.Model):
    """Someone who offered to take part, with the consent they gave; erased on withdrawal."""

    __tablename__ = "fg_volunteer"
    __table_args__ = (
        UniqueConstraint("study_id", "email"),
        CheckConstraint(in_list("region", REGIONS), name="region_known"),
        CheckConstraint(in_list("council_type", COUNCIL_TYPES), name="council_type_known"),
        CheckConstraint("source IN ('form', 'import', 'organiser')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    # Personal details: set to NULL when the volunteer withdraws and is erased.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    job_role: Mapped[str | None] = mapped_column(String(200))
    access_needs: Mapped[str | None] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    # What composition and analysis use, kept after erasure (not personal on their own).
    region: Mapped[str] = mapped_column(String(40))
    council_type: Mapped[str] = mapped_column(String(40))
    supports_schools: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Consent, as given: when, which version of the consent text, and the optional audio recording.
    consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_version: Mapped[str | None] = mapped_column(String(20))
    audio_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(20), default="form", server_default="form")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The volunteer's own links (accept, decline, withdraw) derive from SECRET_KEY and this salt.
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A keyed hash of the erased email address (services.email_fingerprint), so that an import of an
    # old spreadsheet cannot quietly bring back someone who withdrew; the address itself is gone.
    withdrawn_email_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    study: Mapped[Study] = relationship(back_populates="volunteers")
    organisation = relationship("Organisation")
    availability: Mapped[list[Availability]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan", passive_deletes=True
    )
    placement: Mapped[Placement | None] = relationship(back_populates="volunteer", uselist=False)

    @property
    def region_label(self) -> str:
        return REGIONS.get(self.region, self.region)

    @property
    def council_type_label(self) -> str:
        return COUNCIL_TYPES.get(self.council_type, self.council_type)

    @property
    def display_name(self) -> str:
        """The name, or a plain statement that it was erased."""
        return self.name or f"Withdrawn volunteer {self.id}"

    def answer_for(self, slot_id: int) -> str:
        """This volunteer's availability for a slot: yes, if_need_be or no."""
        for row in self.availability:
            if row.slot_id == slot_id:
                return row.answer
        return "no"


class Availability(db.Model):
    """A volunteer's answer for one candidate slot."""

    __tablename__ = "fg_availability"
    __table_args__ = (CheckConstraint(in_list("answer", AVAILABILITY), name="answer_known"),)

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("fg_volunteer.id", ondelete="CASCADE"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_slot.id", ondelete="CASCADE"), primary_key=True, index=True)
    answer: Mapped[str] = mapped_column(String(12))

    volunteer: Mapped[Volunteer] = relationship(back_populates="availability")


class Placement(db.Model):
    """A volunteer in a group (a slot) as a participant or a reserve: at most one per study."""

    __tablename__ = "fg_placement"
    __table_args__ = (
        UniqueConstraint("study_id", "volunteer_id"),
        UniqueConstraint("slot_id", "pseudonym"),
        CheckConstraint(in_list("role", PLACEMENT_ROLES), name="role_known"),
        CheckConstraint(in_list("status", PLACEMENT_STATUSES), name="status_known"),
        CheckConstraint(f"attendance IS NULL OR {in_list('attendance', ATTENDANCE)}", name="attendance_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_slot.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("fg_volunteer.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="participant", server_default="participant")
    reserve_rank: Mapped[int | None] = mapped_column(Integer)  # 1 = first to be promoted
    status: Mapped[str] = mapped_column(String(12), default="proposed", server_default="proposed")
    pseudonym: Mapped[str | None] = mapped_column(String(8))  # P1, P2, ... within the session
    if_need_be: Mapped[bool] = mapped_column(default=False, server_default=false())
    attendance: Mapped[str | None] = mapped_column(String(12))
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_week_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_day_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    slot: Mapped[Slot] = relationship(back_populates="placements")
    volunteer: Mapped[Volunteer] = relationship(back_populates="placement")


class CompositionLock(db.Model):
    """An organiser's decision the optimiser must respect: this volunteer in (or out of) this group."""

    __tablename__ = "fg_composition_lock"
    __table_args__ = (
        UniqueConstraint("volunteer_id", "slot_id"),
        CheckConstraint("kind IN ('in', 'out')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("fg_volunteer.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_slot.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    volunteer: Mapped[Volunteer] = relationship()
    slot: Mapped[Slot] = relationship()
