"""Demo analysis for `flask demo-data`: the demo study fed by the default survey, read and tagged, so
that every analysis page has passages and suggestions to review for a newcomer."""

from __future__ import annotations

from sqlalchemy import select

from app.analysis.services import link_surveys, tag_study
from app.analysis.studies import linked_survey_ids
from app.extensions import db
from app.focus_groups.demo import DEMO_STUDY_TITLE
from app.focus_groups.models import Study
from app.surveys.services import DEFAULT_SLUG, find_survey


def load_demo_analysis() -> int:
    """Link the default survey to the demo study (once) and read and tag it; returns the passages tagged."""
    study = db.session.scalar(select(Study).where(Study.title == DEMO_STUDY_TITLE))
    survey = find_survey(DEFAULT_SLUG)
    if study is None:
        return 0
    if survey is not None and survey.id not in linked_survey_ids(study):
        link_surveys(study, linked_survey_ids(study) | {survey.id})
    return tag_study(study.id).tagged
