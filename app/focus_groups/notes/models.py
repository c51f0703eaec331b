"""Session notes: each note its own record with its history, the proportion grid, the debrief and the lock.

A *note* belongs to one session (a slot), optionally to one question of the discussion guide, and
concerns zero or more participants by pseudonym. Notes are never overwritten: an edit names the
version it started from (optimistic locking through SQLAlchemy's version counter), every change is
kept as a revision, and deletion is soft. The browser gives each note a `client_id` so a note resent
after a network drop is stored once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import in_list as _in_list
from app.extensions import db

NOTE_KINDS = {
    "observation": "Observation",
    "quote": "Verbatim quote",
    "key_point": "Key point",
    "action": "Action",
}
NOTE_MAX_LENGTH = 2000
DEBRIEF_MAX_LENGTH = 10000
REVISION_ACTIONS = {"created": "Added", "edited": "Changed", "deleted": "Deleted", "restored": "Restored"}
SESSION_PARTS = {"debrief": "Debrief", "proportions": "Proportion of users"}

# The user categories of shared/DOMAIN.md, with the survey's ids (app/surveys/authoring/definitions/schools-ict.json).
USER_CATEGORIES = {
    "office_staff": "Office-based staff",
    "frontline_staff": "Frontline and mobile staff",
    "councillors": "Councillors",
    "school_staff": "School staff",
    "pupils": "Pupils",
    "partners": "Partner-organisation staff",
    "contractors": "Contractors and temporary staff",
    "volunteers": "Volunteers",
    "residents": "Residents using council ICT",
}


class SessionNotes(db.Model):
    """A session's notes as a whole: the facilitator's debrief and whether the notes are complete (locked)."""

    __tablename__ = "fg_session_notes"
    __table_args__ = (
        CheckConstraint("debrief_version >= 0", name="debrief_version_positive"),
        CheckConstraint("grid_version >= 0", name="grid_version_positive"),
    )

    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_slot.id", ondelete="CASCADE"), primary_key=True)
    debrief: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The debrief is versioned like a note: a save that started from an older version is refused.
    debrief_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    debrief_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    debrief_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The proportion grid as a whole is versioned too: a save from a page rendered before someone
    # else's save is refused (both versions shown), so blank cells on a stale page wipe nothing.
    grid_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    debrief_updated_by = relationship("User", foreign_keys=[debrief_updated_by_id])
    completed_by = relationship("User", foreign_keys=[completed_by_id])


class Note(db.Model):
    """One note typed in a session: its text, guide question, kind, the pseudonyms it concerns and when."""

    __tablename__ = "fg_note"
    __table_args__ = (
        UniqueConstraint("slot_id", "client_id"),
        CheckConstraint(_in_list("kind", NOTE_KINDS), name="kind_known"),
        CheckConstraint(f"length(text) BETWEEN 1 AND {NOTE_MAX_LENGTH}", name="text_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_slot.id", ondelete="CASCADE"), index=True)
    # NULL: a general note, not placed against a question (also when its question is removed from the guide).
    guide_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("fg_guide_question.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12), default="observation", server_default="observation")
    text: Mapped[str] = mapped_column(Text)
    pseudonyms: Mapped[list] = mapped_column(db.JSON, default=list)  # ["P1", "P3"], sorted by number
    # The pseudonyms whose names were replaced in the text when it was last saved.
    names_replaced: Mapped[list] = mapped_column(db.JSON, default=list)
    client_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # wall-clock time, UTC
    minutes_since_start: Mapped[int] = mapped_column(Integer)  # negative before the session starts
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    slot = relationship("Slot")
    guide_question = relationship("GuideQuestion")
    created_by = relationship("User", foreign_keys=[created_by_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    revisions: Mapped[list[NoteRevision]] = relationship(
        back_populates="note", order_by="NoteRevision.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def kind_label(self) -> str:
        return NOTE_KINDS.get(self.kind, self.kind)

    def snapshot(self) -> dict:
        """What a revision keeps of the note: everything a person can change."""
        return {
            "text": self.text,
            "kind": self.kind,
            "guide_question_id": self.guide_question_id,
            "pseudonyms": list(self.pseudonyms or []),
        }


class NoteRevision(db.Model):
    """One change to a note: who, when, what it was before and after (nothing is overwritten)."""

    __tablename__ = "fg_note_revision"
    __table_args__ = (CheckConstraint(_in_list("action", REVISION_ACTIONS), name="action_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("fg_note.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)  # the note's version after this change
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)

    note: Mapped[Note] = relationship(back_populates="revisions")

    @property
    def action_label(self) -> str:
        return REVISION_ACTIONS.get(self.action, self.action)


class SessionRevision(db.Model):
    """One save of the debrief or of the proportion grid: who, when, what it was before and after.

    For the debrief, before/after are {"text": ...}; for the grid, {"<placement id>": {category: share}}
    of the cells that changed.
    """

    __tablename__ = "fg_session_revision"
    __table_args__ = (CheckConstraint(_in_list("part", SESSION_PARTS), name="part_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_session_notes.slot_id", ondelete="CASCADE"), index=True)
    part: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)  # the part's version after this save
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)

    @property
    def part_label(self) -> str:
        return SESSION_PARTS.get(self.part, self.part)


class ProportionEstimate(db.Model):
    """A participant's estimate of the share (%) of their ICT users in one user category."""

    __tablename__ = "fg_proportion"
    __table_args__ = (
        CheckConstraint("share >= 0 AND share <= 100", name="share_percentage"),
        CheckConstraint(_in_list("category", USER_CATEGORIES), name="category_known"),
    )

    placement_id: Mapped[int] = mapped_column(ForeignKey("fg_placement.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("fg_slot.id", ondelete="CASCADE"), index=True)
    share: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
