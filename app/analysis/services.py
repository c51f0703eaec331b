"""The analysis' units of work: codebook versions, re-reading and tagging a study, and review decisions.

Each function that writes is one transaction (`write_transaction`) and records an audit event; none
reads the request or the signed-in user (routes pass `by`). Suggestions are codes with status
"suggested": they count in no figure until an analyst accepts them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.analysis.codebook import Codebook, codebook_from_dict, codebook_to_dict, default_codebook
from app.analysis.learning import ThemeModels, train
from app.analysis.models import AnalysisPassage, Code, CodebookVersion, StudySurvey
from app.analysis.sources import SyncReport, sync_study
from app.analysis.tagging import THRESHOLD, Tagger
from app.audit.services import record
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study

TAG_CHUNK = 500


class ReviewError(Exception):
    """A decision that cannot be recorded, in words for the analyst (e.g. a theme not in the codebook)."""


# Codebook versions


def current_version(study: Study) -> CodebookVersion:
    """The study's latest saved codebook version; before any is saved, the default codebook as version 1
    (not saved: reading a page changes nothing; `saved_version` saves it when work starts to use it)."""
    version = db.session.scalar(
        select(CodebookVersion)
        .where(CodebookVersion.study_id == study.id)
        .order_by(CodebookVersion.number.desc())
        .limit(1)
    )
    if version is not None:
        return version
    return CodebookVersion(
        study_id=study.id, number=1, document=codebook_to_dict(default_codebook()), note="The default codebook"
    )


def saved_version(study: Study) -> CodebookVersion:
    """The study's latest codebook version, saving the default codebook as version 1 if none is saved yet."""
    version = current_version(study)
    if version.id is None:
        with write_transaction():
            db.session.add(version)
    return version


def codebook_of(version: CodebookVersion) -> Codebook:
    """The codebook a version holds (read once per saved version: a saved version never changes)."""
    if version.id is None:
        return _default_codebook()
    return _saved_codebook(version.id, version.number, version.study_id, json.dumps(version.document, sort_keys=True))


@lru_cache(maxsize=1)
def _default_codebook() -> Codebook:
    return default_codebook()


@lru_cache(maxsize=32)
def _saved_codebook(_id: int, _number: int, _study_id: int, document: str) -> Codebook:
    # Keyed by the document itself too, so a database rebuilt with the same ids (as tests do) never
    # gets another codebook back.
    return codebook_from_dict(json.loads(document))


class StaleCodebook(Exception):
    """Someone saved another version of the codebook at the same moment: nothing was saved."""


def save_codebook(study: Study, codebook: Codebook, note: str, by=None) -> CodebookVersion:
    """Save `codebook` as the study's next version (earlier versions are kept, and codes keep theirs).

    Two saves at the same instant cannot both take the next number (the database refuses the second):
    the second raises StaleCodebook, saving nothing."""
    saved_version(study)
    try:
        with write_transaction():
            latest = db.session.scalar(
                select(func.max(CodebookVersion.number)).where(CodebookVersion.study_id == study.id)
            )
            version = CodebookVersion(
                study_id=study.id,
                number=(latest or 0) + 1,
                document=codebook_to_dict(codebook),
                note=note[:500],
                created_by_id=getattr(by, "id", None),
            )
            db.session.add(version)
            db.session.flush()
            record("analysis.codebook_saved", study, actor=by, version=version.number, note=note[:200])
    except IntegrityError as error:
        raise StaleCodebook from error
    return version


def link_surveys(study: Study, survey_ids: set[int], by=None) -> None:
    """Set which surveys' free-text answers feed the study's analysis."""
    with write_transaction():
        current = set(db.session.scalars(select(StudySurvey.survey_id).where(StudySurvey.study_id == study.id)))
        for survey_id in current - survey_ids:
            db.session.delete(db.session.get(StudySurvey, (study.id, survey_id)))
        for survey_id in sorted(survey_ids - current):
            db.session.add(StudySurvey(study_id=study.id, survey_id=survey_id))
        record("analysis.surveys_linked", study, actor=by, surveys=sorted(survey_ids))


# Reading and tagging


@dataclass(frozen=True)
class TagReport:
    """What re-reading and tagging a study did."""

    sync: SyncReport
    tagged: int
    suggestions: int
    codebook_version: int


def trained_models(study_id: int) -> ThemeModels:
    """Models trained on the study's accepted and rejected codes (a theme takes part once it has enough)."""
    rows = db.session.execute(
        select(AnalysisPassage.text, Code.theme, Code.status)
        .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
        .where(Code.study_id == study_id, Code.status.in_(("accepted", "rejected")), Code.needs_review.is_(False))
        .order_by(Code.id)
    ).all()
    return train([(text, theme, status == "accepted") for text, theme, status in rows])


def tag_study(
    study_id: int, progress: Callable[..., None] | None = None, everything: bool = False, by=None
) -> TagReport:
    """Re-read the study's sources, then tag every passage not yet tagged with the current codebook
    (or every passage, with `everything`). Decided codes are never changed; pending suggestions are
    replaced by the new ones. `progress(done, message)` is told as chunks finish."""
    study = db.session.get(Study, study_id)
    report = sync_study(study)
    version = saved_version(study)
    tagger = Tagger(codebook_of(version))
    models = trained_models(study_id)
    query = select(AnalysisPassage.id).where(AnalysisPassage.study_id == study_id, AnalysisPassage.present.is_(True))
    if not everything:
        query = query.where(
            (AnalysisPassage.tagged_version.is_(None)) | (AnalysisPassage.tagged_version != version.number)
        )
    ids = list(db.session.scalars(query.order_by(AnalysisPassage.id)))
    suggestions = 0
    for offset in range(0, len(ids), TAG_CHUNK):
        chunk = ids[offset : offset + TAG_CHUNK]
        suggestions += _tag_chunk(study_id, chunk, tagger, models, version.number)
        if progress:
            done = min(offset + TAG_CHUNK, len(ids))
            progress(done, f"Tagged {done} of {len(ids)} passages", total=len(ids))
    with write_transaction():
        record("analysis.study_tagged", study, actor=by, passages=len(ids), version=version.number)
    return TagReport(sync=report, tagged=len(ids), suggestions=suggestions, codebook_version=version.number)


def set_confidence(code: Code, confidence: float) -> None:
    """Record the tagger's confidence in a code, and how uncertain that is (distance from the threshold)."""
    code.confidence = round(confidence, 4)
    code.uncertainty = round(abs(code.confidence - THRESHOLD), 4)


def _tag_chunk(study_id: int, ids: list[int], tagger: Tagger, models: ThemeModels, version: int) -> int:
    with write_transaction():
        passages = db.session.scalars(select(AnalysisPassage).where(AnalysisPassage.id.in_(ids))).all()
        existing: dict[tuple[int, str], Code] = {
            (code.passage_id, code.theme): code
            for code in db.session.scalars(select(Code).where(Code.passage_id.in_(ids)))
        }
        made = 0
        for passage in passages:
            found = models.rerank(passage.text, tagger.tag(passage.text), tagger.scores(passage.text))
            wanted = {suggestion.slug: suggestion for suggestion in found}
            for (passage_id, theme), code in list(existing.items()):
                if passage_id == passage.id and code.status == "suggested" and theme not in wanted:
                    db.session.delete(code)
            for slug, suggestion in wanted.items():
                code = existing.get((passage.id, slug))
                evidence = [list(span) for span in suggestion.evidence]
                origin = "suggested" if suggestion.evidence else "model"
                if code is None:
                    code = Code(
                        study_id=study_id,
                        passage_id=passage.id,
                        theme=slug,
                        status="suggested",
                        origin=origin,
                        evidence=evidence,
                        codebook_version=version,
                    )
                    set_confidence(code, suggestion.confidence)
                    db.session.add(code)
                    made += 1
                elif code.status == "suggested":
                    set_confidence(code, suggestion.confidence)
                    code.evidence = evidence
                    code.origin = origin
                    code.codebook_version = version
                    made += 1
                elif code.confidence is None or not code.evidence:
                    # A decided code keeps its decision; the tagger's view of it still orders the figures.
                    set_confidence(code, suggestion.confidence)
                    code.evidence = code.evidence or evidence
            passage.tagged_version = version
    return made


# Review


def decide(code: Code, accepted: bool, by=None) -> Code:
    """Accept or reject a code (a suggestion, or one flagged for re-review after its sentence changed)."""
    with write_transaction():
        code.status = "accepted" if accepted else "rejected"
        code.needs_review = False
        code.coder_id = getattr(by, "id", None)
        code.decided_at = utcnow()
        record("analysis.code_decided", code.passage, actor=by, theme=code.theme, status=code.status)
    return code


def change_theme(code: Code, theme: str, codebook: Codebook, version: int, by=None) -> Code:
    """Reject a suggestion and code its passage with another theme instead (by hand)."""
    if theme not in codebook.slugs:
        raise ReviewError("Choose a theme from the codebook.")
    if theme == code.theme:
        return decide(code, True, by=by)
    with write_transaction():
        code.status = "rejected"
        code.needs_review = False
        code.coder_id = getattr(by, "id", None)
        code.decided_at = utcnow()
        other = _hand_code(code.passage, theme, code.evidence or [], version, by)
        record("analysis.theme_changed", code.passage, actor=by, from_theme=code.theme, to_theme=theme)
    return other


def code_by_hand(
    passage: AnalysisPassage, theme: str, span: tuple[int, int] | None, codebook: Codebook, version: int, by=None
) -> Code:
    """Code a passage with a theme by hand, on the whole passage or on a span of its text (offsets)."""
    if theme not in codebook.slugs:
        raise ReviewError("Choose a theme from the codebook.")
    if span is not None:
        start, end = span
        if not (0 <= start < end <= len(passage.text)) or not passage.text[start:end].strip():
            raise ReviewError("Select some of the passage's text, or code the whole passage.")
    with write_transaction():
        code = _hand_code(passage, theme, [list(span)] if span else [], version, by)
        record("analysis.coded_by_hand", passage, actor=by, theme=theme, span=list(span) if span else None)
    return code


def _hand_code(passage: AnalysisPassage, theme: str, evidence: list, version: int, by) -> Code:
    code = db.session.scalar(select(Code).where(Code.passage_id == passage.id, Code.theme == theme))
    if code is None:
        code = Code(
            study_id=passage.study_id, passage_id=passage.id, theme=theme, origin="hand", codebook_version=version
        )
        db.session.add(code)
        code.evidence = list(evidence)
    elif evidence:
        spans = [list(span) for span in code.evidence or []]
        code.evidence = spans + [list(span) for span in evidence if list(span) not in spans]
    code.status = "accepted"
    code.needs_review = False
    code.coder_id = getattr(by, "id", None)
    code.decided_at = utcnow()
    code.codebook_version = version
    db.session.flush()
    return code


def uncode(code: Code, by=None) -> Code:
    """Take an accepted code off its passage (kept as rejected, with who and when)."""
    return decide(code, False, by=by)


def tag_job(progress: Callable[..., None], study_id: int, everything: bool, user_id: int | None) -> dict:
    """The background job behind "Re-read and tag": `tag_study`, with its report as the job's result."""
    from app.auth.models import User

    report = tag_study(study_id, progress, everything=everything, by=db.session.get(User, user_id) if user_id else None)
    return {
        "added": report.sync.added,
        "changed": report.sync.changed,
        "removed": report.sync.removed,
        "flagged": report.sync.codes_flagged,
        "tagged": report.tagged,
        "suggestions": report.suggestions,
        "version": report.codebook_version,
    }
