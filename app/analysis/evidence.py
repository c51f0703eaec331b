"""The evidence the recommendation weighs: measures computed from live data, and supporting quotes.

Measures (each a percentage with its n of N and a link to where it comes from; `scoring.Measure`):

- survey figures from the study's linked surveys (submitted answers; an organisation that answered more
  than one linked survey counts once, by its latest submission);
- the 'service user' impact model: the share of organisations whose ICT spend per user moves by more than
  20% under any alternative definition of a user (`definition_movers`);
- themes: per theme of the study's codebook, the share of organisations that mention it among the
  organisations with any coded passage (accepted codes only, each organisation counted once through
  `AnalysisPassage.organisations`), with the passages counted too.

Quotes: for the themes an outcome's rules use, the analysts' chosen quotes, or when none are chosen for a
theme, its most confident accepted passages. Quotes carry pseudonyms, council type and source, never names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from app.analysis.models import SOURCE_KINDS, AnalysisPassage, ChosenQuote, Code
from app.analysis.scoring import Measure, Rule
from app.analysis.studies import linked_survey_ids
from app.analysis.summaries import NOT_KNOWN, Organisations
from app.extensions import db
from app.focus_groups.models import Study
from app.organisations.vocabulary import COUNCIL_TYPES
from app.surveys.answering.pages import DONT_KNOW
from app.surveys.models import Survey
from app.surveys.results.dataset import Row, submitted_rows
from app.surveys.results.impact.model import DEFINITION_KEYS, OrganisationImpact, impact
from app.surveys.results.impact.weight import default_weight
from app.wording import plural

MOVE_THRESHOLD = 0.20  # a per-user cost moving by more than this fraction counts as moved
QUOTES_PER_THEME = 3
STRAIN_QUESTIONS = (
    "incidents_school_staff",
    "incidents_pupils",
    "share_devices",
    "share_licences",
    "share_staff_time",
    "share_spend",
)
AGREE = ("agree", "strongly-agree")
PUPIL_LEVELS = ("same", "separate", "best-efforts", "none")

# key -> label: the measures that do not depend on the codebook (themes add "theme.<slug>").
SURVEY_MEASURES = {
    "survey.supports_pupils": "Organisations that provide ICT services to schools or pupils",
    "survey.strain_not_known": "Organisations that do not know how the load splits between groups of users",
    "survey.pupils_should_count": "Organisations agreeing that pupils should be counted as users",
    "survey.pupils_in_benchmark": "Organisations that already count pupils in their benchmarking return",
    "survey.pupils_different_service": "Organisations whose pupils get another level of service than corporate users",
    "impact.spend_per_user_movers": "Organisations whose ICT spend per user moves by over 20% under another definition",
}


def measure_keys(themes: list[tuple[str, str]]) -> dict[str, str]:
    """Every measure a rule may use, key -> label, for a codebook with these themes (slug, name)."""
    return {
        **SURVEY_MEASURES,
        **{f"theme.{slug}": f"Organisations mentioning the theme {name}" for slug, name in themes},
    }


def _share(key: str, numerator: int, denominator: int, detail: str, sources, extra: str = "") -> Measure:
    value = 100.0 * numerator / denominator if denominator else None
    return Measure(key, SURVEY_MEASURES.get(key, key), value, numerator, denominator, detail, tuple(sources), extra)


# --- survey figures ----------------------------------------------------------------------------------


def study_rows(study: Study) -> tuple[list[Row], list[Survey]]:
    """The submitted rows of the study's linked surveys, one per organisation (its latest submission)."""
    ids = linked_survey_ids(study)
    surveys = list(db.session.scalars(select(Survey).where(Survey.id.in_(ids)).order_by(Survey.id))) if ids else []
    latest: dict[int, Row] = {}
    for survey in surveys:
        for row in submitted_rows(survey):
            held = latest.get(row.organisation_id)
            if held is None or (row.submitted_at, row.response_id) > (held.submitted_at, held.response_id):
                latest[row.organisation_id] = row
    return [latest[key] for key in sorted(latest)], surveys


def _strain_not_known(rows: list[Row]) -> tuple[int, int]:
    """(organisations answering "I do not know" to at least one strain question, organisations answering any)."""
    asked = [r for r in rows if any(q in r.answers for q in STRAIN_QUESTIONS)]
    return sum(1 for r in asked if any(r.answers.get(q) == DONT_KNOW for q in STRAIN_QUESTIONS)), len(asked)


def _pupil_levels(rows: list[Row]) -> list[str]:
    levels = []
    for row in rows:
        grid = row.answers.get("service_level")
        if row.provides_education and isinstance(grid, dict) and grid.get("pupils") in PUPIL_LEVELS:
            levels.append(grid["pupils"])
    return levels


def survey_measures(rows: list[Row], sources: list[tuple[str, str, dict]]) -> list[Measure]:
    """The survey's figures over the rows (each organisation once)."""
    education = [r for r in rows if r.answers.get("provides_education") in ("yes", "no")]
    opinion = [r for r in rows if isinstance(r.answers.get("pupils_should_count"), str)]
    counting = [r for r in rows if isinstance(r.answers.get("counted_in_benchmark"), list)]
    counting = [r for r in counting if "no-return" not in r.answers["counted_in_benchmark"]]
    levels = _pupil_levels(rows)
    not_known, asked = _strain_not_known(rows)
    return [
        _share(
            "survey.supports_pupils",
            sum(1 for r in education if r.provides_education),
            len(education),
            "organisations answering yes, of those saying whether they provide any ICT services to schools or pupils",
            sources,
        ),
        _share(
            "survey.strain_not_known",
            not_known,
            asked,
            "organisations answering 'I do not know' to at least one share of incidents, devices, licences, staff "
            "time or spend, of those asked these questions",
            sources,
        ),
        _share(
            "survey.pupils_should_count",
            sum(1 for r in opinion if r.answers["pupils_should_count"] in AGREE),
            len(opinion),
            "organisations agreeing or strongly agreeing, of those answering whether pupils should count as users",
            sources,
        ),
        _share(
            "survey.pupils_in_benchmark",
            sum(1 for r in counting if "pupils" in r.answers["counted_in_benchmark"]),
            len(counting),
            "organisations counting pupils, of those saying which groups their benchmarking return counts",
            sources,
        ),
        _share(
            "survey.pupils_different_service",
            sum(1 for level in levels if level != "same"),
            len(levels),
            "organisations giving pupils other than the same service level as corporate users, of those serving "
            "pupils that said which level",
            sources,
        ),
    ]


# --- the impact model --------------------------------------------------------------------------------


def definition_movers(organisations: list[OrganisationImpact]) -> tuple[int, int]:
    """(organisations whose ICT spend per user moves by more than MOVE_THRESHOLD from what they count today
    under at least one definition of a user, organisations with a figure to compare).

    The same comparison as the impact page's movers table (`app.surveys.results.impact.movement`), taken
    over every definition in DEFINITION_KEYS at once, so a definition added to the model counts here too."""
    moved = total = 0
    for organisation in organisations:
        changes = [organisation.change(key, "spend_per_user") for key in DEFINITION_KEYS]
        changes = [change for change in changes if change is not None]
        if not changes:
            continue
        total += 1
        if any(round(abs(change), 9) > round(MOVE_THRESHOLD, 9) for change in changes):
            moved += 1
    return moved, total


def impact_measure(rows: list[Row], sources: list[tuple[str, str, dict]]) -> Measure:
    """The share of organisations whose spend per user moves by more than 20% (pupil weight as derived)."""
    derivation = default_weight(rows)
    weight = derivation.weight
    how = (
        "assumed: no organisation gave the figures to derive it"
        if derivation.assumed
        else "derived from the strain estimates"
    )
    moved, total = definition_movers(impact(rows, weight).organisations)
    return _share(
        "impact.spend_per_user_movers",
        moved,
        total,
        "organisations whose ICT spend per user changes by more than 20% from what they count today under "
        "at least one definition of a user, of those with a figure to compare",
        sources,
        extra=f"Pupil weight {weight:g} ({how})",
    )


# --- themes ------------------------------------------------------------------------------------------


def theme_measures(study: Study, themes: list[tuple[str, str]]) -> list[Measure]:
    """Per theme (slug, name): organisations mentioning it, of those with any coded passage; passages too."""
    coded = db.session.execute(
        select(Code.theme, AnalysisPassage.id, AnalysisPassage.organisations)
        .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
        .where(Code.study_id == study.id, Code.status == "accepted", AnalysisPassage.present.is_(True))
    ).all()
    everyone: set[str] = set()
    organisations: dict[str, set[str]] = defaultdict(set)
    passages: dict[str, set[int]] = defaultdict(set)
    for theme, passage_id, keys in coded:
        keys = {str(key) for key in keys or []}
        everyone |= keys
        organisations[theme] |= keys
        passages[theme].add(passage_id)
    result = []
    for slug, name in themes:
        count = len(passages[slug])
        link = ("analysis.passages", {"study_id": study.id, "theme": slug, "state": "coded"})
        result.append(
            Measure(
                key=f"theme.{slug}",
                label=f"Organisations mentioning the theme {name}",
                value=100.0 * len(organisations[slug]) / len(everyone) if everyone else None,
                numerator=len(organisations[slug]),
                denominator=len(everyone),
                detail="organisations with an accepted code of this theme, of those with any accepted code",
                sources=((f"Passages coded {name}", *link),),
                extra=f"{plural(count, 'passage')} coded with this theme",
            )
        )
    return result


def study_measures(study: Study, themes: list[tuple[str, str]]) -> dict[str, Measure]:
    """Every measure for the study, from its linked surveys, the impact model and its accepted codes."""
    rows, surveys = study_rows(study)
    results = [(f"Results of {s.title}", "surveys.results", {"slug": s.slug}) for s in surveys]
    models = [(f"Impact model of {s.title}", "surveys.results_impact", {"slug": s.slug}) for s in surveys]
    measures = [*survey_measures(rows, results), impact_measure(rows, models), *theme_measures(study, themes)]
    return {m.key: m for m in measures}


# --- quotes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """A passage quoted as evidence: pseudonyms or anonymous organisation codes, council type and source only,
    worded as the theme pages word them."""

    passage_id: int
    theme: str
    text: str
    pseudonyms: tuple[str, ...]
    council_type: str
    source: str
    chosen: bool  # an analyst chose it (otherwise: one of the theme's most confident accepted passages)
    organisations: tuple[str, ...] = ()  # anonymous codes (Org 007), as on the theme pages


def _quote(passage: AnalysisPassage, theme: str, chosen: bool, organisations: Organisations | None) -> Quote:
    source = SOURCE_KINDS.get(passage.source_kind, passage.source_kind)
    if passage.section_label:
        source = f"{source} – {passage.section_label}"
    return Quote(
        passage_id=passage.id,
        theme=theme,
        text=passage.text,
        pseudonyms=tuple(passage.pseudonyms or ()),
        council_type=COUNCIL_TYPES.get(passage.council_type or "", NOT_KNOWN),
        source=source,
        chosen=chosen,
        organisations=tuple(organisations.code(key) for key in passage.organisations or ()) if organisations else (),
    )


def theme_quotes(
    study: Study, theme: str, limit: int = QUOTES_PER_THEME, organisations: Organisations | None = None
) -> list[Quote]:
    """The theme's chosen quotes in the analyst's order, or its most confident accepted passages.

    `organisations` (from `study_organisations`) gives each quote its organisations' anonymous codes."""
    chosen = db.session.scalars(
        select(AnalysisPassage)
        .join(ChosenQuote, ChosenQuote.passage_id == AnalysisPassage.id)
        .where(ChosenQuote.study_id == study.id, ChosenQuote.theme == theme, AnalysisPassage.present.is_(True))
        .order_by(ChosenQuote.position, ChosenQuote.id)
        .limit(limit)
    ).all()
    if chosen:
        return [_quote(passage, theme, True, organisations) for passage in chosen]
    confident = db.session.scalars(
        select(AnalysisPassage)
        .join(Code, Code.passage_id == AnalysisPassage.id)
        .where(
            Code.study_id == study.id,
            Code.theme == theme,
            Code.status == "accepted",
            AnalysisPassage.present.is_(True),
        )
        .order_by(Code.confidence.desc().nulls_last(), AnalysisPassage.id)
        .limit(limit)
    ).all()
    return [_quote(passage, theme, False, organisations) for passage in confident]


def outcome_themes(rules: list[Rule], outcome: str) -> list[str]:
    """The themes an outcome's rules use, in the order the rules name them."""
    themes: list[str] = []
    for rule in rules:
        if rule.outcome == outcome and rule.measure.startswith("theme."):
            slug = rule.measure.removeprefix("theme.")
            if slug not in themes:
                themes.append(slug)
    return themes
