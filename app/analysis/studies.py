"""Studies as the analysis sees them: lookups, the surveys that feed each, and what awaits review."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from app.analysis.models import AnalysisPassage, Code, StudySurvey
from app.auth.roles import ANALYSTS
from app.extensions import db
from app.focus_groups.models import Study
from app.hooks import Prompt
from app.wording import plural


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


def home_prompt(user) -> Prompt | None:
    """For analysts' home page: the analysis, with how many suggestions await review in all studies."""
    if not user.has_role(*ANALYSTS):
        return None
    summaries = study_summaries()
    pending = sum(item.pending for item in summaries)
    if not summaries:
        text = "There are no studies to analyse yet."
    elif pending:
        codes = plural(pending, "suggested code")
        studies = f"{len(summaries)} stud{'y' if len(summaries) == 1 else 'ies'}"
        text = f"{codes} await review across {studies}. Review them, code passages by hand and check that coders agree."
    else:
        text = (
            "Read each study's notes and free-text answers, code them against the codebook and check that coders agree."
        )
    return Prompt(heading="Analysis", text=text, link_text="Go to the analysis", url=url_for("analysis.index"))


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
