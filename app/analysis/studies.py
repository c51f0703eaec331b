"""Studies as the analysis sees them: lookups, the surveys that feed each, and what awaits review (on the
analysis' list of studies and, through the hook `HOME`, on analysts' home pages)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from app.analysis.models import AnalysisPassage, Code, CodingRound, RoundItem, StudySurvey
from app.auth.roles import ANALYST, LEAD_ANALYST
from app.extensions import db
from app.focus_groups.models import Study
from app.hooks import HOME_ORDER, HomeSection

HOME_STUDIES_SHOWN = 5


@dataclass(frozen=True)
class StudySummary:
    """One line of the analysis' list of studies."""

    study: Study
    passages: int
    pending: int
    accepted: int


def study_summaries() -> list[StudySummary]:
    """Every study, newest first, with its passages read, suggestions awaiting review and accepted codes."""
    passages = dict(
        db.session.execute(
            select(AnalysisPassage.study_id, func.count())
            .where(AnalysisPassage.present.is_(True))
            .group_by(AnalysisPassage.study_id)
        ).all()
    )
    codes = {
        (study_id, status): count
        for study_id, status, count in db.session.execute(
            select(Code.study_id, Code.status, func.count())
            .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
            .where(AnalysisPassage.present.is_(True))
            .group_by(Code.study_id, Code.status)
        )
    }
    studies = db.session.scalars(select(Study).order_by(Study.created_at.desc(), Study.id.desc())).all()
    return [
        StudySummary(
            study=study,
            passages=passages.get(study.id, 0),
            pending=codes.get((study.id, "suggested"), 0),
            accepted=codes.get((study.id, "accepted"), 0),
        )
        for study in studies
    ]


def linked_survey_ids(study: Study) -> set[int]:
    """The surveys whose free-text answers feed the study's analysis."""
    return set(db.session.scalars(select(StudySurvey.survey_id).where(StudySurvey.study_id == study.id)))


@dataclass(frozen=True)
class StudyWork:
    """A study on an analyst's home page: what awaits review in it, and what awaits the analyst themself."""

    summary: StudySummary
    recheck: int  # decided codes whose sentence has changed since
    to_double_code: int  # passages the analyst has still to code in the study's double-coding rounds

    @property
    def to_review(self) -> int:
        """Everything the review queue holds: suggestions, and codes to decide again."""
        return self.summary.pending + self.recheck


def analyst_work(user, limit: int = HOME_STUDIES_SHOWN) -> list[StudyWork]:
    """The newest studies (at most `limit`) with what awaits review and what `user` has to double-code."""
    summaries = study_summaries()[:limit]
    ids = [item.study.id for item in summaries]
    recheck = dict(
        db.session.execute(
            select(Code.study_id, func.count())
            .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
            .where(Code.study_id.in_(ids), Code.needs_review.is_(True), AnalysisPassage.present.is_(True))
            .group_by(Code.study_id)
        ).all()
    )
    mine = or_(
        and_(CodingRound.coder_a_id == user.id, RoundItem.coded_a_at.is_(None)),
        and_(CodingRound.coder_b_id == user.id, RoundItem.coded_b_at.is_(None)),
    )
    double_coding = dict(
        db.session.execute(
            select(CodingRound.study_id, func.count(RoundItem.id))
            .join(RoundItem, RoundItem.round_id == CodingRound.id)
            .where(CodingRound.study_id.in_(ids), mine)
            .group_by(CodingRound.study_id)
        ).all()
    )
    return [StudyWork(item, recheck.get(item.study.id, 0), double_coding.get(item.study.id, 0)) for item in summaries]


def home_section(user) -> HomeSection | None:
    """For analysts' home page: each study with what awaits review, and the analysis' other pages."""
    if not user.has_role(ANALYST, LEAD_ANALYST):
        return None
    return HomeSection(
        heading="Analysis",
        template="analysis/home.html",
        order=HOME_ORDER["analysis"],
        context={"items": analyst_work(user), "total": db.session.scalar(select(func.count(Study.id)))},
    )


def study_slug(study: Study) -> str:
    """A study's short name for the command line: its title in lower case, words joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", study.title.lower())) or f"study-{study.id}"


class StudyNotFound(LookupError):
    """No study answers to the reference given (the message says which there are)."""


def find_study(reference: str | None) -> Study:
    """The study named by `reference`: its slug (see `study_slug`) or its number. With no reference, the
    only study there is. Raises StudyNotFound, saying which studies there are, when that is not one study."""
    studies = db.session.scalars(select(Study).order_by(Study.id)).all()
    known = ", ".join(f"{study_slug(s)} ({s.id})" for s in studies) or "none"
    if reference is None:
        if len(studies) == 1:
            return studies[0]
        raise StudyNotFound(f"There are {len(studies)} studies: name one with --study. Studies: {known}.")
    wanted = reference.strip().lower()
    for study in studies:
        if study_slug(study) == wanted or (wanted.isdigit() and len(wanted) < 12 and int(wanted) == study.id):
            return study
    raise StudyNotFound(f"No study is called {reference[:80]!r}. Studies: {known}.")
