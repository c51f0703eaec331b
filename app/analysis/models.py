"""What the analysis keeps: codebook versions, the passages it has read, codes, and double-coding rounds.

The analysis works on a *study* (a focus-group study, `fg_study`): the study's session notes and
debriefs, and the free-text answers of the surveys an analyst links to it. Passages are copies of the
features' `app.passages.Passage` hand-over, kept so that codes have something stable to point at; the
features' own tables are never written here.

A *code* is one theme on one passage. Suggestions from the tagger are codes with status "suggested";
an analyst accepts or rejects them, or codes a passage by hand ("accepted", origin "hand"). Only
accepted codes count in any figure. Every code records its coder, when, its origin and the codebook
version it was made under.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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

CODE_STATUSES = {"suggested": "Suggested", "accepted": "Accepted", "rejected": "Rejected"}
CODE_ORIGINS = {
    "suggested": "Suggested by the tagger",
    "model": "Suggested by the trained model",
    "hand": "Coded by hand",
}
SOURCE_KINDS = {"survey": "Survey answer", "note": "Session note", "debrief": "Session debrief"}


class CodebookVersion(db.Model):
    """One saved version of a study's codebook (never changed once saved; editing saves the next number)."""

    __tablename__ = "analysis_codebook_version"
    __table_args__ = (UniqueConstraint("study_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)  # app.analysis.codebook.codebook_to_dict
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class StudySurvey(db.Model):
    """A survey whose free-text answers feed a study's analysis."""

    __tablename__ = "analysis_study_survey"

    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True, index=True)

    survey = relationship("Survey")


class AnalysisPassage(db.Model):
    """A sentence the analysis has read from a study's sources (a copy of an `app.passages.Passage`).

    `key` is the passage's stable id. `source_key` names the source text it came from ("note:40",
    "response:12:q7", "debrief:5:summary") and `position` its sentence number there, so that when a
    sentence is edited the codes of the old wording can be carried to the new one for re-review.
    `present` is false once the sentence is no longer in its source (edited, deleted, withdrawn).
    """

    __tablename__ = "analysis_passage"
    __table_args__ = (
        UniqueConstraint("study_id", "key"),
        CheckConstraint(in_list("source_kind", SOURCE_KINDS), name="source_kind_known"),
        Index("ix_analysis_passage_study_present", "study_id", "present"),
        Index("ix_analysis_passage_source", "study_id", "source_key", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    source_kind: Mapped[str] = mapped_column(String(10))
    source_key: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    source_ref: Mapped[dict] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(80))
    section_label: Mapped[str] = mapped_column(Text, default="", server_default="")
    region: Mapped[str | None] = mapped_column(String(40))
    council_type: Mapped[str | None] = mapped_column(String(40))
    supports_schools: Mapped[bool | None] = mapped_column(Boolean)
    pseudonyms: Mapped[list] = mapped_column(JSON, default=list)
    note_kind: Mapped[str | None] = mapped_column(String(20))
    # Keys of the organisations the passage speaks for ("org:12", "person:P3"; see app.passages): figures
    # count each organisation once. Never shown: pages show anonymous codes.
    organisations: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    present: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The codebook version the tagger last read this passage with (None: not tagged yet).
    tagged_version: Mapped[int | None] = mapped_column(Integer)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    codes: Mapped[list[Code]] = relationship(
        back_populates="passage", cascade="all, delete-orphan", passive_deletes=True, order_by="Code.id"
    )


class Code(db.Model):
    """One theme on one passage: a suggestion awaiting review, or an analyst's accepted or rejected code."""

    __tablename__ = "analysis_code"
    __table_args__ = (
        UniqueConstraint("passage_id", "theme"),
        CheckConstraint(in_list("status", CODE_STATUSES), name="status_known"),
        CheckConstraint(in_list("origin", CODE_ORIGINS), name="origin_known"),
        # The review queue: the least certain suggestion first, straight from an index (no sort).
        Index("ix_analysis_code_queue", "study_id", "status", "uncertainty", "id"),
        Index("ix_analysis_code_queue_theme", "study_id", "status", "theme", "uncertainty", "id"),
        Index("ix_analysis_code_recheck", "study_id", "needs_review"),
        # Each theme's figures (accepted, rejected, pending; by origin) from the index alone.
        Index("ix_analysis_code_theme", "study_id", "theme", "status", "origin", "passage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"))
    passage_id: Mapped[int] = mapped_column(ForeignKey("analysis_passage.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="suggested", server_default="suggested")
    origin: Mapped[str] = mapped_column(String(10), default="suggested", server_default="suggested")
    confidence: Mapped[float | None] = mapped_column(Float)
    # How far the confidence lies from the tagger's threshold: the review queue shows the smallest first.
    uncertainty: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # [[start, end], ...] into the passage's text
    codebook_version: Mapped[int] = mapped_column(Integer)
    # True when the sentence this code was made on has since changed: the code awaits a fresh decision.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    passage: Mapped[AnalysisPassage] = relationship(back_populates="codes")
    coder = relationship("User")


class CodingRound(db.Model):
    """A blind double-coding round: a sample of passages coded independently by two analysts."""

    __tablename__ = "analysis_round"
    __table_args__ = (
        CheckConstraint("sample_size >= 1", name="sample_size_positive"),
        CheckConstraint("coder_a_id IS NULL OR coder_b_id IS NULL OR coder_a_id <> coder_b_id", name="two_coders"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    sample_size: Mapped[int] = mapped_column(Integer)
    coder_a_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    coder_b_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    codebook_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    coder_a = relationship("User", foreign_keys=[coder_a_id])
    coder_b = relationship("User", foreign_keys=[coder_b_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    items: Mapped[list[RoundItem]] = relationship(
        back_populates="round", cascade="all, delete-orphan", passive_deletes=True, order_by="RoundItem.position"
    )


class RoundItem(db.Model):
    """One passage of a double-coding round: each coder's themes, and the resolution of a disagreement."""

    __tablename__ = "analysis_round_item"
    __table_args__ = (UniqueConstraint("round_id", "passage_id"), UniqueConstraint("round_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("analysis_round.id", ondelete="CASCADE"), index=True)
    passage_id: Mapped[int] = mapped_column(ForeignKey("analysis_passage.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    themes_a: Mapped[list | None] = mapped_column(JSON)  # None: not coded yet by coder A
    coded_a_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    themes_b: Mapped[list | None] = mapped_column(JSON)
    coded_b_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_themes: Mapped[list | None] = mapped_column(JSON)
    resolution_note: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    round: Mapped[CodingRound] = relationship(back_populates="items")
    passage: Mapped[AnalysisPassage] = relationship()
    resolved_by = relationship("User")


# --- Findings: themed summaries, chosen quotes, the framework matrix, the recommendation ---------------

# The four outcomes the study's recommendation chooses among (../shared/DOMAIN.md), in the brief's order.
OUTCOMES = {
    "amend-definition": 'Amend the definition of "users"',
    "collect-additional-data": 'Collect additional data about "users"',
    "amend-reporting": 'Amend reporting to better express the effect of pupils as "users"',
    "education-module": "Develop a new module focusing on ICT provision to education",
}
DECISIONS = {
    "recommend": "Recommend",
    "do-not-recommend": "Do not recommend",
    "needs-more-evidence": "Needs more evidence",
}
SIGN_OFF_ACTIONS = {"signed-off": "Signed off", "reopened": "Reopened"}
FRAMEWORK_ROWS = {"participant": "Participant", "organisation": "Organisation"}


class ThemeSummary(db.Model):
    """One version of an analyst's written summary of a theme (never changed; editing saves the next number)."""

    __tablename__ = "analysis_theme_summary"
    __table_args__ = (
        UniqueConstraint("study_id", "theme", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(80))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    codebook_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class ChosenQuote(db.Model):
    """A passage an analyst chose as one of a theme's strongest verbatim quotes, in the analyst's order."""

    __tablename__ = "analysis_chosen_quote"
    __table_args__ = (UniqueConstraint("study_id", "theme", "passage_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(80))
    passage_id: Mapped[int] = mapped_column(ForeignKey("analysis_passage.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    passage: Mapped[AnalysisPassage] = relationship()
    chosen_by = relationship("User")


class FrameworkCell(db.Model):
    """An analyst's summary in one cell of the framework matrix: a participant or organisation x a theme.

    `row_key` is a pseudonym ("P3") for a participant row or an organisation key ("org:12") for an
    organisation row. Each save adds a row; the newest per cell is the current text (who and when kept).
    """

    __tablename__ = "analysis_framework_cell"
    __table_args__ = (
        CheckConstraint(in_list("row_kind", FRAMEWORK_ROWS), name="row_kind_known"),
        Index("ix_analysis_framework_cell", "study_id", "row_kind", "row_key", "theme", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"))
    row_kind: Mapped[str] = mapped_column(String(20))
    row_key: Mapped[str] = mapped_column(String(60))
    theme: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class ScoringRules(db.Model):
    """One saved version of a study's scoring rules (the TOML text as written; never changed once saved).

    With none saved, the study is scored with the rules file shipped with the platform."""

    __tablename__ = "analysis_scoring_rules"
    __table_args__ = (UniqueConstraint("study_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class OutcomeDecision(db.Model):
    """An analyst's decision on one outcome, with the rationale. Each change adds a row; the newest per
    outcome is the current decision, and the history stays (who and when)."""

    __tablename__ = "analysis_outcome_decision"
    __table_args__ = (
        CheckConstraint(in_list("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(in_list("decision", DECISIONS), name="decision_known"),
        Index("ix_analysis_outcome_decision", "study_id", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(30))
    rationale: Mapped[str] = mapped_column(Text)
    # The scoring rules version (0: the shipped file) and the score shown when the decision was made.
    rules_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class SignOff(db.Model):
    """The lead analyst signing off a study's recommendation, or reopening it. The newest row says whether
    the recommendation is locked ("signed-off") or open; every row stays."""

    __tablename__ = "analysis_sign_off"
    __table_args__ = (
        CheckConstraint(in_list("action", SIGN_OFF_ACTIONS), name="action_known"),
        Index("ix_analysis_sign_off", "study_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by = relationship("User")


class PendingUpload(db.Model):
    """A REFI-QDA project a lead uploaded for import, kept until they confirm it (`app.analysis.pending_uploads`).

    In the database rather than on the disk of the node that took the upload, so any node can take the
    confirmation. `key` is random (never a name the uploader chose); only its uploader may use it, for its
    study, for UPLOAD_LIFETIME. Deleted when the import is confirmed, with its uploader or study, and by
    `flask retention apply` once that hour has passed.
    """

    __tablename__ = "analysis_pending_upload"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("fg_study.id", ondelete="CASCADE"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
