"""Surveys, their published versions, invitations, and each organisation's response."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class Survey(db.Model):
    """A survey: a stable slug, its draft definition, and the window in which it is open."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)  # the definition being edited (loaded when read)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Members see their answers beside the medians once enough have answered (organisers switch it on).
    member_comparison: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Every member may answer, invited or not (organisers switch it on); otherwise only invited organisations.
    open_to_all_members: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> SurveyVersion | None:
        """The newest published version, which new responses answer."""
        return self.versions[-1] if self.versions else None


class SurveyVersion(db.Model):
    """A published definition. It never changes: a response records the version it answered."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # Loaded only when read: answering pages use the cached, parsed copy (services.definition_for).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    survey: Mapped[Survey] = relationship(back_populates="versions")


class Invitation(db.Model):
    """An organisation's invitation to a survey: a single-use-per-organisation, expiring access link."""

    __tablename__ = "survey_invitation"
    __table_args__ = (UniqueConstraint("survey_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # The link's token is derived from SECRET_KEY and this salt, so reminders can repeat the same
    # link without the token being stored; a new salt (resend, revoke) retires the old link.
    salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    survey: Mapped[Survey] = relationship()
    organisation = relationship("Organisation")


class Response(db.Model):
    """One organisation's response to one survey (the database allows no second one)."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "organisation_id"),
        CheckConstraint("status IN ('in_progress', 'submitted')", name="status_known"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="in_progress", server_default="in_progress")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submission_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed_since_submission: Mapped[bool] = mapped_column(default=False, server_default=false())
    device: Mapped[str | None] = mapped_column(String(10))  # mobile / tablet / desktop, when started
    via_invitation: Mapped[bool] = mapped_column(default=False, server_default=false())
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    # The answers as last submitted (only those on the respondent's route): what results and exports read.
    submitted_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    survey: Mapped[Survey] = relationship()
    version: Mapped[SurveyVersion] = relationship()
    organisation = relationship("Organisation")
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    page_visits: Mapped[list[PageVisit]] = relationship(cascade="all, delete-orphan")

    def answer_values(self) -> dict[str, Any]:
        """Every stored answer, by question id."""
        return {a.question_id: a.value for a in self.answers}


class Answer(db.Model):
    """One answer in a response; `revision` goes up on each change so concurrent edits are caught."""

    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_by_label: Mapped[str | None] = mapped_column(String(120))

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseSnapshot(db.Model):
    """The answers exactly as submitted, one per submission, so earlier versions are kept after changes."""

    __tablename__ = "survey_response_snapshot"
    __table_args__ = (UniqueConstraint("response_id", "submission_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    submission_number: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)


class PageVisit(db.Model):
    """The first time a response reached a page: the completion funnel counts these."""

    __tablename__ = "survey_page_visit"
    __table_args__ = (UniqueConstraint("response_id", "page_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[str] = mapped_column(String(80))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


__all__ = ["Answer", "Invitation", "PageVisit", "Response", "ResponseSnapshot", "Survey", "SurveyVersion"]
