"""The recommendation: scores and evidence per outcome, the analysts' decisions, the lead's sign-off.

Nothing here decides on its own. `assess` scores the four outcomes with the study's current rules and
gathers the evidence; analysts record a decision per outcome with a rationale (`record_decision`); the
lead analyst signs the recommendation off once every outcome has a decision (`sign_off`), which locks it
until a lead reopens it with a reason (`reopen`). Scoring rules are versioned per study: version 0 is
the shipped file; a lead saves the next version (`save_rules`), the earlier ones stay readable.

Every change adds a row (decisions, sign-offs and rules are append-only), is audit-logged, and runs in
one `write_transaction`; the lock is checked inside that transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app.analysis.evidence import Quote, measure_keys, outcome_themes, study_measures, theme_quotes
from app.analysis.models import DECISIONS, OUTCOMES, OutcomeDecision, ScoringRules, SignOff
from app.analysis.scoring import Measure, OutcomeScore, Rule, RulesError, parse_rules, score, shipped_document
from app.analysis.services import codebook_of, current_version
from app.analysis.summaries import study_organisations
from app.audit.services import record
from app.auth.roles import ANALYSIS_LEADS
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study

RATIONALE_LIMIT = 5000
NOTE_LIMIT = 2000
RULES_NOTE_LIMIT = 500


class RecommendationError(Exception):
    """A change the recommendation refuses, said in words the person can act on."""


@dataclass(frozen=True)
class RulesVersion:
    """A version of a study's scoring rules: 0 is the shipped file (no author, no date)."""

    number: int
    document: str
    note: str = ""
    created_at: datetime | None = None
    created_by: object = None


@dataclass
class Assessment:
    """What the recommendation page shows: the rules, every measure, each outcome's score and quotes."""

    version: RulesVersion
    rules: list[Rule]
    problems: list[str]  # why the rules could not be read (then nothing is scored)
    measures: dict[str, Measure]
    scores: dict[str, OutcomeScore]
    themes: dict[str, str]  # slug -> name, the study's current codebook
    quotes: dict[str, list[Quote]] = field(default_factory=dict)  # per outcome
    quote_themes: dict[str, list[str]] = field(default_factory=dict)  # per outcome: the themes its rules use


# --- reading -----------------------------------------------------------------------------------------


def rules_versions(study: Study) -> list[RulesVersion]:
    """Every version of the study's rules, newest first, ending with the shipped file (version 0)."""
    saved = db.session.scalars(
        select(ScoringRules).where(ScoringRules.study_id == study.id).order_by(ScoringRules.number.desc())
    ).all()
    return [
        *(_version(row) for row in saved),
        RulesVersion(0, shipped_document(), "The rules shipped with the platform"),
    ]


def _version(row: ScoringRules) -> RulesVersion:
    return RulesVersion(row.number, row.document, row.note, row.created_at, row.created_by)


def current_rules(study: Study) -> RulesVersion:
    """The study's newest saved rules, or the shipped file when none is saved."""
    row = db.session.scalar(
        select(ScoringRules).where(ScoringRules.study_id == study.id).order_by(ScoringRules.number.desc()).limit(1)
    )
    return (
        _version(row) if row is not None else RulesVersion(0, shipped_document(), "The rules shipped with the platform")
    )


def rules_version(study: Study, number: int) -> RulesVersion | None:
    """One version of the study's rules (0: the shipped file), or None."""
    if number == 0:
        return RulesVersion(0, shipped_document(), "The rules shipped with the platform")
    row = db.session.scalar(
        select(ScoringRules).where(ScoringRules.study_id == study.id, ScoringRules.number == number)
    )
    return _version(row) if row is not None else None


def study_themes(study: Study) -> dict[str, str]:
    """The themes of the study's current codebook, slug -> name."""
    return {theme.slug: theme.name for theme in codebook_of(current_version(study)).themes}


def known_measures(study: Study) -> dict[str, str]:
    """Every measure the study's rules may use, key -> label."""
    return measure_keys(list(study_themes(study).items()))


def assess(study: Study, document: str | None = None, with_quotes: bool = True) -> Assessment:
    """The four outcomes scored with the study's current rules (or `document`, for a preview), with evidence."""
    version = current_rules(study) if document is None else RulesVersion(-1, document)
    themes = study_themes(study)
    known = measure_keys(list(themes.items())) if document is not None else None
    try:
        rules, problems = parse_rules(version.document, known), []
    except RulesError as error:
        rules, problems = [], error.messages
    measures = study_measures(study, list(themes.items()))
    assessment = Assessment(version, rules, problems, measures, score(rules, measures), themes)
    if with_quotes:
        organisations = study_organisations(study.id)
        for outcome in OUTCOMES:
            slugs = [slug for slug in outcome_themes(rules, outcome) if slug in themes]
            assessment.quote_themes[outcome] = slugs
            assessment.quotes[outcome] = [
                quote for slug in slugs for quote in theme_quotes(study, slug, organisations=organisations)
            ]
    return assessment


def current_decisions(study: Study) -> dict[str, OutcomeDecision]:
    """The newest decision per outcome (outcomes without one are absent)."""
    newest = (
        select(func.max(OutcomeDecision.id))
        .where(OutcomeDecision.study_id == study.id)
        .group_by(OutcomeDecision.outcome)
        .scalar_subquery()
    )
    rows = db.session.scalars(select(OutcomeDecision).where(OutcomeDecision.id.in_(newest))).all()
    return {row.outcome: row for row in rows}


def decision_history_query(study: Study, outcome: str | None = None):
    """Every decision recorded on the study (or one outcome), newest first (for pagination)."""
    query = select(OutcomeDecision).where(OutcomeDecision.study_id == study.id)
    if outcome:
        query = query.where(OutcomeDecision.outcome == outcome)
    return query.order_by(OutcomeDecision.id.desc())


def latest_sign_off(study: Study) -> SignOff | None:
    """The newest sign-off or reopening of the study's recommendation."""
    return db.session.scalar(select(SignOff).where(SignOff.study_id == study.id).order_by(SignOff.id.desc()).limit(1))


def locked_by(study: Study) -> SignOff | None:
    """The sign-off that locks the recommendation, or None when it is open."""
    latest = latest_sign_off(study)
    return latest if latest is not None and latest.action == "signed-off" else None


def sign_off_history(study: Study) -> list[SignOff]:
    """Every sign-off and reopening, newest first."""
    return list(db.session.scalars(select(SignOff).where(SignOff.study_id == study.id).order_by(SignOff.id.desc())))


def missing_decisions(study: Study) -> list[str]:
    """The outcomes (labels) that have no decision yet."""
    decided = current_decisions(study)
    return [label for slug, label in OUTCOMES.items() if slug not in decided]


# --- changes -----------------------------------------------------------------------------------------


def _lock_study(study: Study) -> None:
    """Take the study's row for the rest of the transaction (PostgreSQL), so two changes run in turn."""
    db.session.execute(select(Study.id).where(Study.id == study.id).with_for_update())


def _refuse_if_locked(study: Study) -> None:
    sign_off = locked_by(study)
    if sign_off is not None:
        raise RecommendationError("The recommendation is signed off: a lead analyst must reopen it before it changes")


def _require_lead(by) -> None:
    if by is None or not by.has_role(*ANALYSIS_LEADS):
        raise RecommendationError("Only a lead analyst can do this")


def record_decision(study: Study, outcome: str, decision: str, rationale: str, *, by) -> OutcomeDecision:
    """Record an analyst's decision on one outcome, with the score the current rules give it."""
    if outcome not in OUTCOMES or decision not in DECISIONS:
        raise RecommendationError("Choose an outcome and a decision from the lists")
    rationale = (rationale or "").strip()
    if not rationale or len(rationale) > RATIONALE_LIMIT:
        raise RecommendationError(f"Give the rationale in 1 to {RATIONALE_LIMIT:,} characters")
    assessment = assess(study, with_quotes=False)
    shown = assessment.scores[outcome].score if not assessment.problems else None
    with write_transaction():
        _lock_study(study)
        _refuse_if_locked(study)
        row = OutcomeDecision(
            study_id=study.id,
            outcome=outcome,
            decision=decision,
            rationale=rationale,
            rules_version=assessment.version.number,
            score=shown,
            created_by_id=by.id if by is not None else None,
        )
        db.session.add(row)
        db.session.flush()
        record(
            "analysis.decision_recorded",
            study,
            actor=by,
            outcome=outcome,
            decision=decision,
            rules_version=assessment.version.number,
            score=shown,
        )
    return row


def sign_off(study: Study, note: str, *, by) -> SignOff:
    """The lead analyst signs the recommendation off (every outcome needs a decision); it is then locked."""
    _require_lead(by)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise RecommendationError(f"The note must be {NOTE_LIMIT:,} characters or fewer")
    with write_transaction():
        _lock_study(study)
        _refuse_if_locked(study)
        missing = missing_decisions(study)
        if missing:
            raise RecommendationError(
                "Record a decision on every outcome before signing off. Missing: " + "; ".join(missing)
            )
        decisions = {slug: row.decision for slug, row in current_decisions(study).items()}
        row = SignOff(study_id=study.id, action="signed-off", note=note, created_by_id=by.id)
        db.session.add(row)
        db.session.flush()
        record("analysis.recommendation_signed_off", study, actor=by, decisions=decisions)
    return row


def reopen(study: Study, reason: str, *, by) -> SignOff:
    """A lead analyst reopens a signed-off recommendation, saying why; decisions and rules can change again."""
    _require_lead(by)
    reason = (reason or "").strip()
    if not reason or len(reason) > NOTE_LIMIT:
        raise RecommendationError(f"Say why the recommendation is reopened, in 1 to {NOTE_LIMIT:,} characters")
    with write_transaction():
        _lock_study(study)
        if locked_by(study) is None:
            raise RecommendationError("The recommendation is not signed off, so there is nothing to reopen")
        row = SignOff(study_id=study.id, action="reopened", note=reason, created_by_id=by.id)
        db.session.add(row)
        db.session.flush()
        record("analysis.recommendation_reopened", study, actor=by, reason=reason)
    return row


def save_rules(study: Study, document: str, note: str, *, by, base_version: int | None = None) -> ScoringRules:
    """Save the next version of the study's scoring rules (checked first; earlier versions are kept)."""
    _require_lead(by)
    note = (note or "").strip()
    if len(note) > RULES_NOTE_LIMIT:
        raise RecommendationError(f"The note must be {RULES_NOTE_LIMIT} characters or fewer")
    try:
        parse_rules(document, known_measures(study))
    except RulesError as error:
        raise RecommendationError("; ".join(error.messages)) from None
    with write_transaction():
        _lock_study(study)
        _refuse_if_locked(study)
        current = current_rules(study).number
        if base_version is not None and base_version != current:
            raise RecommendationError(
                f"Someone saved version {current} of the rules since you opened them: read it, then make your change"
            )
        row = ScoringRules(study_id=study.id, number=current + 1, document=document, note=note, created_by_id=by.id)
        db.session.add(row)
        db.session.flush()
        record("analysis.scoring_rules_saved", study, actor=by, number=row.number, previous=current, note=note)
    return row
