"""Demo analysis for `flask demo-data`: the demo study fed by the default survey, read and tagged, then
carried through review to a signed-off recommendation, so that every analysis page is populated for a
newcomer — while leaving the least certain suggestions in the review queue to try.

What the demo's analysts wrote is in demo_findings.py."""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher

from sqlalchemy import select, update

from app.analysis.demo_findings import DECISIONS, SIGN_OFF_NOTE, THEME_SUMMARIES
from app.analysis.models import AnalysisPassage, Code, OutcomeDecision
from app.analysis.recommendation import record_decision, sign_off
from app.analysis.services import current_version, link_surveys, tag_study
from app.analysis.studies import linked_survey_ids
from app.analysis.summaries import theme_findings
from app.analysis.summaries_editing import choose_quote, save_summary
from app.auth.models import User
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.demo import DEMO_STUDY_TITLE
from app.focus_groups.models import Study
from app.surveys.services import DEFAULT_SLUG, find_survey

# The demo analyst accepts the suggestions the tagger is surest of; the rest stay in the review queue for a
# newcomer to try.
ACCEPTED_SHARE = 0.6
QUOTES_PER_THEME = 3
REPEAT_SIMILARITY = 0.8  # two quotes whose words match this much say the same thing


def load_demo_analysis() -> int:
    """Link the default survey to the demo study (once), read and tag it, and take it through to a signed-off
    recommendation (once); returns the passages tagged."""
    study = db.session.scalar(select(Study).where(Study.title == DEMO_STUDY_TITLE))
    survey = find_survey(DEFAULT_SLUG)
    if study is None:
        return 0
    if survey is not None and survey.id not in linked_survey_ids(study):
        link_surveys(study, linked_survey_ids(study) | {survey.id})
    tagged = tag_study(study.id).tagged
    load_demo_findings(study)
    return tagged


def _demo_user(role: str) -> User | None:
    from app.demo import demo_email

    return db.session.scalar(select(User).where(User.email == demo_email(role)))


def load_demo_findings(study: Study) -> None:
    """Review, summaries, quotes, the four decisions and the sign-off, unless decisions are already there."""
    if db.session.scalar(select(OutcomeDecision.id).where(OutcomeDecision.study_id == study.id).limit(1)):
        return
    analyst, lead = _demo_user("analyst"), _demo_user("lead_analyst")
    if analyst is None or lead is None:
        return
    _review(study, analyst)
    version = current_version(study).number
    for theme, text in THEME_SUMMARIES.items():
        findings = theme_findings(study, theme)
        for quote in _distinct(findings.suggested_quotes)[:QUOTES_PER_THEME]:
            choose_quote(study, theme, db.session.get(AnalysisPassage, quote.passage_id), by=analyst)
        save_summary(study, theme, text, base_number=0, codebook_version=version, by=analyst)
    for outcome, (decision, rationale) in DECISIONS.items():
        record_decision(study, outcome, decision, rationale, by=analyst)
    sign_off(study, SIGN_OFF_NOTE, by=lead)


def _distinct(quotes: list) -> list:
    """The quotes without repeats: the demo's survey answers reuse phrases across organisations, and an analyst
    would not choose the same words three times. Two quotes repeat when their words are mostly the same."""
    kept: list = []
    for quote in quotes:
        words = " ".join(re.sub(r"[^a-z' ]+", " ", quote.text.lower()).split())
        if all(SequenceMatcher(None, words, other).ratio() < REPEAT_SIMILARITY for _kept, other in kept):
            kept.append((quote, words))
    return [quote for quote, _words in kept]


def _review(study: Study, analyst: User) -> None:
    """Decide the clearer suggestions of each theme in one go, as the demo analyst: the surest ACCEPTED_SHARE
    of each theme's suggestions are accepted (the tagger's confidence is not comparable across themes)."""
    now = utcnow()
    rows = db.session.execute(
        select(Code.id, Code.theme)
        .where(Code.study_id == study.id, Code.status == "suggested")
        .order_by(Code.theme, Code.confidence.desc(), Code.id)
    ).all()
    by_theme: dict[str, list[int]] = {}
    for code_id, theme in rows:
        by_theme.setdefault(theme, []).append(code_id)
    accepted = [i for ids in by_theme.values() for i in ids[: math.ceil(len(ids) * ACCEPTED_SHARE)]]
    with write_transaction() as session:
        for start in range(0, len(accepted), 500):
            session.execute(
                update(Code)
                .where(Code.id.in_(accepted[start : start + 500]))
                .values(status="accepted", coder_id=analyst.id, decided_at=now, needs_review=False)
            )
