"""The survey and session figures that bear on each theme, for the themed summaries (`summaries.py`).

Which figures relate to which theme is a small, deliberate mapping (`RELATED`), read against the
themes of `../shared/DOMAIN.md`:

- "headline": the share of responding organisations that support pupils, with its 95% interval
  (`app.surveys.results.headline`), for the themes about pupils, schools and users' definition;
- "impact": the impact model's plain-English sentences on how counting pupils changes the benchmarks
  (`app.surveys.results.impact.wording.evidence`), for definitions, demand and benchmarking;
- "proportions": the proportion-grid summary the facilitators recorded in the sessions
  (`app.focus_groups.notes.proportions.proportion_summary`), for user categories, definitions, demand;
- "users_counting" / "service_differences": the answers to the survey's two free-text questions,
  for the themes they ask about.

A theme of another codebook (a slug not in `RELATED`) has no related figures, and the page says so.
The figures are computed once per study (`study_figures`) and filtered per theme (`figures_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.analysis.studies import linked_survey_ids
from app.extensions import db
from app.focus_groups.models import Study
from app.focus_groups.notes.proportions import proportion_summary
from app.surveys.models import Survey
from app.surveys.results.dataset import submitted_rows
from app.surveys.results.figures import SMALL_GROUP
from app.surveys.results.headline import Proportion, headline
from app.surveys.results.impact.model import impact
from app.surveys.results.impact.weight import default_weight
from app.surveys.results.impact.wording import evidence
from app.surveys.services import definition_for

FREE_TEXT_QUESTIONS = ("users_counting", "service_differences")
RELATED: dict[str, tuple[str, ...]] = {
    "user-definitions": ("headline", "impact", "proportions", "users_counting"),
    "user-categories": ("proportions", "users_counting"),
    "pupils-and-schools": ("headline", "impact", "proportions"),
    "service-quality-differences": ("service_differences",),
    "demand-and-strain": ("impact", "proportions", "service_differences"),
    "benchmarking-and-reporting": ("impact", "users_counting"),
    "data-availability": ("users_counting", "proportions"),
    "new-technology-and-external-users": ("service_differences",),
}


@dataclass
class FreeTextFigure:
    """How many responding organisations answered one free-text question (examples are per theme)."""

    question_id: str
    label: str
    answered: int
    responding: int


@dataclass
class SurveyFigures:
    """One survey feeding the study: its headline share with interval, the impact sentences, free text."""

    slug: str
    title: str
    pupils: Proportion
    verdict: str
    evidence: list[str]
    free_text: dict[str, FreeTextFigure] = field(default_factory=dict)


@dataclass
class ProportionFigure:
    """One user category of the sessions' proportion grids: how many gave a share, median and range (%)."""

    category: str
    label: str
    n: int
    median: float | None
    low: float | None
    high: float | None

    @property
    def small(self) -> bool:
        return 0 < self.n < SMALL_GROUP


@dataclass
class StudyFigures:
    """Every related figure of a study, computed once (pass it to `theme_findings` for many themes)."""

    surveys: list[SurveyFigures]
    proportions: list[ProportionFigure]


@dataclass
class RelatedFigures:
    """The figures one theme relates to (`kinds`, from `RELATED`), with the study's values."""

    kinds: tuple[str, ...]
    surveys: list[SurveyFigures]
    proportions: list[ProportionFigure]

    @property
    def any(self) -> bool:
        return bool(self.kinds)

    def shows(self, kind: str) -> bool:
        return kind in self.kinds


def _given(answer: object) -> bool:
    return isinstance(answer, str) and bool(answer.strip())


def _survey_figures(survey: Survey) -> SurveyFigures:
    definition = definition_for(survey.current_version)
    rows = list(submitted_rows(survey))
    top = headline(definition, rows)
    model = impact(rows, default_weight(rows).weight)
    free_text = {}
    for question_id in FREE_TEXT_QUESTIONS:
        question = definition.question(question_id)
        if question is None:
            continue
        answered = len([r for r in rows if _given(r.answers.get(question_id))])
        free_text[question_id] = FreeTextFigure(question_id, question.label, answered, len(rows))
    return SurveyFigures(survey.slug, survey.title, top.overall, top.verdict, evidence(model), free_text)


def study_figures(study: Study) -> StudyFigures:
    """The figures of the surveys feeding `study` (published ones only) and of its sessions' proportion grids."""
    surveys = db.session.scalars(
        db.select(Survey).where(Survey.id.in_(linked_survey_ids(study))).order_by(Survey.title)
    ).all()
    proportions = [
        ProportionFigure(category, item["label"], item["n"], item["median"], item["low"], item["high"])
        for category, item in proportion_summary(study).items()
    ]
    return StudyFigures(
        surveys=[_survey_figures(survey) for survey in surveys if survey.current_version is not None],
        proportions=proportions,
    )


def figures_for(theme: str, figures: StudyFigures) -> RelatedFigures:
    """The figures related to `theme` (none for a theme the mapping does not name)."""
    kinds = RELATED.get(theme, ())
    return RelatedFigures(kinds=kinds, surveys=figures.surveys, proportions=figures.proportions)
