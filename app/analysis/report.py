"""The study report: one plain `Report` tree assembled from the live data, read by both outputs (the
print-friendly page and the DOCX in `report_docx.py`).

What it holds, in order: the method (the survey's invitations and responses by region and council type,
the focus groups' sessions and participants by region and council type, the coding: codebook version,
coders, agreement in the double-coding rounds), each linked survey's headline with its interval, the level
of service pupils receive and the impact model, the findings per theme (accepted codes only, the latest
written summary, the chosen quotes in order), the recommendation (the newest decision per outcome and the
newest sign-off) and the codebook as an appendix.

No personal data: participants appear by pseudonym, organisations by region and council type only, and
staff by role ("the lead analyst"), never by name. Every figure is formatted here once, as text, so the
two outputs cannot disagree. Charts carry their numbers (`Chart.table`) and a description for alt text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.analysis.codebook import Codebook
from app.analysis.models import (
    DECISIONS,
    OUTCOMES,
    SOURCE_KINDS,
    AnalysisPassage,
    ChosenQuote,
    Code,
    CodingRound,
    OutcomeDecision,
    SignOff,
    ThemeSummary,
)
from app.analysis.queries import theme_figures
from app.analysis.rounds import round_agreement, round_codebook
from app.analysis.services import codebook_of, current_version
from app.analysis.studies import linked_survey_ids
from app.audit.services import record
from app.auth.models import User
from app.auth.roles import ADMIN, ANALYST, LEAD_ANALYST
from app.clock import london, utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Study
from app.jobs.runner import job_file_path
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.invitations.tracking import CoverageRow, build_dashboard
from app.surveys.models import Response, Survey
from app.surveys.results.dataset import submitted_rows
from app.surveys.results.headline import Proportion, headline
from app.surveys.results.impact.model import DEFINITIONS, ImpactModel, impact
from app.surveys.results.impact.weight import default_weight
from app.surveys.results.impact.wording import evidence
from app.surveys.services import definition_for

Progress = Callable[[int, str], None]


# --- the tree ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells: a caption, column headers, and rows (the first cell names the row)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A chart and the numbers it draws. `kind` "bar": `values` are (label, value); "interval": (label,
    percent, low %, high %) on a 0-100 axis. `description` is the alt text; `table` holds every number."""

    kind: str
    title: str
    description: str
    values: tuple[tuple, ...]
    table: Table
    unit: str = "%"
    maximum: float | None = None


@dataclass(frozen=True)
class SurveyMethod:
    """One linked survey's reach: invited and responded overall, by region and by council type."""

    title: str
    organisations: int
    invited: int
    responded: int
    rate: str
    by_region: Table
    by_council_type: Table
    chart: Chart


@dataclass(frozen=True)
class FocusGroupMethod:
    """The focus groups held: sessions, and participants by region and council type."""

    sessions: int
    participants: int
    session_dates: tuple[str, ...]
    by_region: Table
    by_council_type: Table


@dataclass(frozen=True)
class RoundSummary:
    """One double-coding round's agreement figures."""

    title: str
    coders: str
    items: int
    alpha: str
    identical: str
    themes: Table


@dataclass(frozen=True)
class CodingMethod:
    """How the passages were coded: codebook version, passages, accepted codes, coders, agreement."""

    codebook_version: int
    codebook_note: str
    passages: int
    accepted: int
    coders: int
    coder_roles: str
    rounds: tuple[RoundSummary, ...]


@dataclass(frozen=True)
class SurveyFindings:
    """One linked survey's answer to the brief: the headline share with its interval, the level of service
    pupils receive, and the impact model's sentences and figures."""

    title: str
    responses: int
    headline: str
    verdict: str
    interval: str
    charts: tuple[Chart, ...]
    service_note: str
    weight_explanation: str
    impact_sentences: tuple[str, ...]
    impact_table: Table | None


@dataclass(frozen=True)
class Quote:
    """A chosen verbatim quote: the passage's words, who (pseudonyms), their council type, and the source."""

    text: str
    pseudonyms: str
    council_type: str
    source: str


@dataclass(frozen=True)
class ThemeFinding:
    """One theme's findings: its accepted codes, the latest written summary, and the chosen quotes."""

    slug: str
    name: str
    accepted: int
    passages: int
    summary: str
    summary_version: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class OutcomeLine:
    """The current decision on one outcome, with its rationale (decision "" when none is recorded)."""

    slug: str
    label: str
    decision: str
    rationale: str
    decided: str


@dataclass(frozen=True)
class Recommendation:
    """The decisions on the four outcomes and whether the recommendation is signed off."""

    outcomes: tuple[OutcomeLine, ...]
    signed_off: bool
    sign_off: str


@dataclass(frozen=True)
class AppendixTheme:
    """One theme of the codebook as the appendix lists it."""

    slug: str
    name: str
    definition: str
    include: str
    exclude: str


@dataclass(frozen=True)
class Report:
    """Everything the report says, in reading order (see the module docstring)."""

    study_id: int
    title: str
    generated: str
    survey_methods: tuple[SurveyMethod, ...]
    focus_groups: FocusGroupMethod
    coding: CodingMethod
    surveys: tuple[SurveyFindings, ...]
    theme_chart: Chart | None
    findings: tuple[ThemeFinding, ...]
    recommendation: Recommendation
    appendix: tuple[AppendixTheme, ...]


# --- formatting ----------------------------------------------------------------------------------------


def percent(value: float | None, places: int = 0) -> str:
    """A percentage for the report ("42%"), or "–" when there is nothing to divide by."""
    return "–" if value is None else f"{value:.{places}f}%"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def _date(moment: datetime | None) -> str:
    return london(moment).strftime("%-d %B %Y") if moment else ""


def _figure(value: float | None, places: int = 2) -> str:
    return "undefined" if value is None else f"{value:.{places}f}"


def role_of(user: User | None) -> str:
    """A member of staff as the report names them: by role only, never by name."""
    if user is None:
        return "a former member of staff"
    if user.has_role(LEAD_ANALYST):
        return "the lead analyst"
    if user.has_role(ADMIN):
        return "an administrator"
    if user.has_role(ANALYST):
        return "an analyst"
    return "a member of staff"


# --- method ----------------------------------------------------------------------------------------------


def _coverage_table(caption: str, first: str, rows: list[CoverageRow]) -> Table:
    return Table(
        caption,
        (first, "Organisations", "Invited", "Responded", "Response rate"),
        tuple(
            (r.label, f"{r.organisations:,}", f"{r.invited:,}", f"{r.submitted:,}", percent(_rate(r)))
            for r in rows
            if r.organisations
        ),
    )


def _rate(row: CoverageRow) -> float | None:
    return None if row.rate is None else 100 * row.rate


def survey_method(survey: Survey) -> SurveyMethod:
    """A survey's reach from its tracking figures (response rate: responded as a share of member organisations)."""
    board = build_dashboard(survey)
    shown = [r for r in board.by_council_type if r.organisations]
    chart = Chart(
        "bar",
        f"Response rate by council type: {survey.title}",
        "Horizontal bars: the share of member organisations of each council type that responded, "
        + "; ".join(f"{r.label} {percent(_rate(r))}" for r in shown)
        + ".",
        tuple((r.label, _rate(r)) for r in shown),
        _coverage_table("Response rate by council type", "Council type", board.by_council_type),
        maximum=100,
    )
    o = board.overall
    return SurveyMethod(
        title=survey.title,
        organisations=o.organisations,
        invited=o.invited,
        responded=o.submitted,
        rate=percent(_rate(o)),
        by_region=_coverage_table("Invited and responded by region", "Region", board.by_region),
        by_council_type=_coverage_table("Invited and responded by council type", "Council type", board.by_council_type),
        chart=chart,
    )


def _breakdown(caption: str, first: str, counts: Counter, labels: dict[str, str]) -> Table:
    return Table(
        caption,
        (first, "Participants"),
        tuple((label, f"{counts[slug]:,}") for slug, label in labels.items() if counts[slug]),
    )


def took_part(placement: Placement) -> bool:
    """A participant counted in the report: accepted (or attended), not marked absent, and not withdrawn
    (a withdrawn person keeps only their pseudonym, so nothing else about them is reported)."""
    return (
        placement.role == "participant"
        and (placement.status == "accepted" or placement.attendance == "attended")
        and placement.attendance in (None, "attended")
        and placement.status != "withdrawn"
        and placement.volunteer.withdrawn_at is None
    )


def focus_group_method(study: Study) -> FocusGroupMethod:
    """The study's confirmed sessions and who took part, by region and council type."""
    slots = db.session.scalars(
        select(Slot).where(Slot.study_id == study.id, Slot.status == "confirmed").order_by(Slot.starts_at)
    ).all()
    people = [p for slot in slots for p in slot.placements if took_part(p)]
    regions = Counter(p.volunteer.region for p in people)
    types = Counter(p.volunteer.council_type for p in people)
    return FocusGroupMethod(
        sessions=len(slots),
        participants=len(people),
        session_dates=tuple(_date(slot.starts_at) for slot in slots),
        by_region=_breakdown("Participants by region", "Region", regions, REGIONS),
        by_council_type=_breakdown("Participants by council type", "Council type", types, COUNCIL_TYPES),
    )


def _round_summary(coding_round: CodingRound) -> RoundSummary:
    codebook = round_codebook(coding_round)
    report = round_agreement(coding_round, codebook)
    rows = []
    for theme in report.themes:
        name = codebook.theme(theme.slug).name if theme.slug in codebook.slugs else theme.slug
        rows.append((name, f"{theme.items:,}", percent(theme.percent_agreement), _figure(theme.kappa), theme.verdict))
    return RoundSummary(
        title=coding_round.title,
        coders=f"{role_of(coding_round.coder_a)} and {role_of(coding_round.coder_b)}",
        items=report.items,
        alpha=_figure(report.alpha),
        identical=percent(report.percent_identical),
        themes=Table(
            f"Agreement per theme: {coding_round.title}",
            ("Theme", "Passages", "Agreement", "Cohen's kappa", "Verdict"),
            tuple(rows),
        ),
    )


def coding_method(study: Study) -> CodingMethod:
    """The codebook version, the passages and accepted codes, who coded, and each round's agreement."""
    version = current_version(study)
    passages = db.session.scalar(
        select(func.count())
        .select_from(AnalysisPassage)
        .where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
    )
    accepted = db.session.scalar(
        select(func.count())
        .select_from(Code)
        .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
        .where(Code.study_id == study.id, Code.status == "accepted", AnalysisPassage.present.is_(True))
    )
    coder_ids = set(
        db.session.scalars(
            select(Code.coder_id).where(
                Code.study_id == study.id, Code.status == "accepted", Code.coder_id.is_not(None)
            )
        )
    )
    rounds = db.session.scalars(
        select(CodingRound).where(CodingRound.study_id == study.id).order_by(CodingRound.created_at, CodingRound.id)
    ).all()
    for coding_round in rounds:
        coder_ids |= {i for i in (coding_round.coder_a_id, coding_round.coder_b_id) if i}
    coders = db.session.scalars(select(User).where(User.id.in_(coder_ids))).all() if coder_ids else []
    roles = Counter(role_of(user) for user in coders)
    return CodingMethod(
        codebook_version=version.number,
        codebook_note=version.note or "",
        passages=passages,
        accepted=accepted,
        coders=len(coders),
        coder_roles=", ".join(role if n == 1 else f"{n} × {role}" for role, n in sorted(roles.items())),
        rounds=tuple(_round_summary(r) for r in rounds),
    )


# --- the survey's findings -------------------------------------------------------------------------------


def _interval_rows(groups: list[Proportion]) -> tuple[tuple, ...]:
    return tuple(
        (g.label, g.percent, None if g.low is None else 100 * g.low, None if g.high is None else 100 * g.high)
        for g in groups
    )


def _interval_chart(title: str, first: str, groups: list[Proportion]) -> Chart:
    rows = _interval_rows(groups)
    return Chart(
        "interval",
        title,
        "Dots with 95% interval lines on a 0 to 100% axis, half marked: "
        + "; ".join(f"{label} {percent(p)} ({percent(low)} to {percent(high)})" for label, p, low, high in rows)
        + ".",
        rows,
        Table(
            title,
            (first, "Support pupils", "Answered", "Share", "95% interval"),
            tuple(
                (
                    g.label + (" (fewer than 5)" if g.small else ""),
                    f"{g.supporting:,}",
                    f"{g.n:,}",
                    percent(g.percent),
                    f"{percent(low)} to {percent(high)}" if low is not None else "–",
                )
                for g, (_l, _p, low, high) in zip(groups, rows, strict=True)
            ),
        ),
    )


def survey_findings(survey: Survey) -> SurveyFindings:
    """A published survey's headline, the service pupils receive, and the impact model at the default weight."""
    rows = list(submitted_rows(survey))
    definition = definition_for(survey.current_version)
    result = headline(definition, rows)
    o = result.overall
    if o.n:
        text = (
            f"{o.supporting:,} of the {_plural(o.n, 'responding organisation')} that answered "
            f"({percent(o.percent)}) provide ICT services to pupils."
        )
        interval = f"95% confidence interval: {percent(100 * o.low)} to {percent(100 * o.high)} (Wilson)."
    else:
        text, interval = "No organisation has answered whether it provides ICT services to pupils yet.", ""
    charts = []
    if result.by_council_type:
        charts.append(
            _interval_chart(
                "Share that provide services to pupils, by council type", "Council type", result.by_council_type
            )
        )
    if result.by_region:
        charts.append(_interval_chart("Share that provide services to pupils, by region", "Region", result.by_region))
    if result.pupil_service_n:
        shares = result.pupil_service
        charts.append(
            Chart(
                "bar",
                "Level of service pupils receive",
                "Horizontal bars: " + "; ".join(f"{s.label} {percent(s.percent)}" for s in shares) + ".",
                tuple((s.label, s.percent) for s in shares),
                Table(
                    "Level of service pupils receive, compared with corporate users",
                    ("Level of service", "Organisations", "Share"),
                    tuple((s.label, f"{s.count:,}", percent(s.percent)) for s in shares),
                ),
                maximum=100,
            )
        )
        service_note = f"Of the {_plural(result.pupil_service_n, 'organisation')} that support pupils and answered."
    else:
        service_note = "No organisation that supports pupils has said what level of service they receive yet."
    derivation = default_weight(rows)
    model = impact(rows, derivation.weight)
    table = _impact_table(model) if model.n else None
    if table is not None:
        charts.append(_impact_chart(model, table))
    return SurveyFindings(
        title=survey.title,
        responses=len(rows),
        headline=text,
        verdict=f"On this evidence, organisations that support pupils are {result.verdict}." if o.n else "",
        interval=interval,
        charts=tuple(charts),
        service_note=service_note,
        weight_explanation=derivation.explanation,
        impact_sentences=tuple(evidence(model)) if model.n else (),
        impact_table=table,
    )


def _impact_table(model: ImpactModel) -> Table:
    """The impact model's medians under each definition of a user (at the model's pupil weight)."""
    return Table(
        "Median ICT spend per user and users per ICT staff FTE under each definition of a user",
        ("Definition", "Organisations", "Median spend per user", "Median users per FTE"),
        tuple(
            (
                f"{n}. {d.label}",
                f"{model.result(d.key, 'spend_per_user').overall.n:,}",
                _money(model.result(d.key, "spend_per_user").overall.median),
                _amount(model.result(d.key, "users_per_fte").overall.median),
            )
            for n, d in enumerate(DEFINITIONS, start=1)
        ),
    )


def _impact_chart(model: ImpactModel, table: Table) -> Chart:
    """Median spend per user by definition, as bars, with the table's numbers."""
    values = tuple(
        (row[0], model.result(d.key, "spend_per_user").overall.median)
        for row, d in zip(table.rows, DEFINITIONS, strict=True)
    )
    return Chart(
        "bar",
        "Median ICT spend per user under each definition of a user",
        "Horizontal bars, in pounds: " + "; ".join(f"{row[0]} {row[2]}" for row in table.rows) + ".",
        values,
        Table(
            "Median ICT spend per user by definition",
            ("Definition", "Organisations", "Median spend per user"),
            tuple(row[:3] for row in table.rows),
        ),
        unit="£",
    )


def _money(value: float | None) -> str:
    return "–" if value is None else f"£{value:,.0f}"


def _amount(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


# --- findings, recommendation, appendix -------------------------------------------------------------------


def _quotes(study_id: int) -> dict[str, list[Quote]]:
    chosen = db.session.scalars(
        select(ChosenQuote)
        .join(AnalysisPassage, AnalysisPassage.id == ChosenQuote.passage_id)
        .where(ChosenQuote.study_id == study_id)
        .order_by(ChosenQuote.theme, ChosenQuote.position, ChosenQuote.id)
    ).all()
    quotes: dict[str, list[Quote]] = {}
    for item in chosen:
        passage = item.passage
        quotes.setdefault(item.theme, []).append(
            Quote(
                text=passage.text,
                pseudonyms=", ".join(passage.pseudonyms or []),
                council_type=COUNCIL_TYPES.get(passage.council_type or "", "Several or unknown council types"),
                source=SOURCE_KINDS.get(passage.source_kind, passage.source_kind),
            )
        )
    return quotes


def _latest_summaries(study_id: int) -> dict[str, ThemeSummary]:
    latest: dict[str, ThemeSummary] = {}
    for summary in db.session.scalars(
        select(ThemeSummary).where(ThemeSummary.study_id == study_id).order_by(ThemeSummary.number)
    ):
        latest[summary.theme] = summary
    return latest


def _passages_per_theme(study_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Code.theme, func.count(func.distinct(Code.passage_id)))
            .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
            .where(Code.study_id == study_id, Code.status == "accepted", AnalysisPassage.present.is_(True))
            .group_by(Code.theme)
        ).all()
    )


def theme_findings(study: Study, codebook: Codebook) -> tuple[ThemeFinding, ...]:
    """Each theme of the codebook: accepted codes (only those count), the latest summary, the chosen quotes."""
    summaries = _latest_summaries(study.id)
    quotes = _quotes(study.id)
    passages = _passages_per_theme(study.id)
    findings = []
    for figure in theme_figures(study.id, codebook):
        summary = summaries.get(figure.slug)
        findings.append(
            ThemeFinding(
                slug=figure.slug,
                name=figure.name,
                accepted=figure.accepted,
                passages=passages.get(figure.slug, 0),
                summary=summary.text if summary else "",
                summary_version=f"Summary version {summary.number}, {_date(summary.created_at)}" if summary else "",
                quotes=tuple(quotes.get(figure.slug, ())),
            )
        )
    return tuple(findings)


def _theme_chart(findings: tuple[ThemeFinding, ...]) -> Chart | None:
    if not any(f.accepted for f in findings):
        return None
    return Chart(
        "bar",
        "Passages coded with each theme",
        "Horizontal bars: " + "; ".join(f"{f.name} {f.passages:,}" for f in findings) + ".",
        tuple((f.name, float(f.passages)) for f in findings),
        Table(
            "Passages coded with each theme (accepted codes only)",
            ("Theme", "Passages"),
            tuple((f.name, f"{f.passages:,}") for f in findings),
        ),
        unit="passages",
    )


def recommendation(study: Study) -> Recommendation:
    """The newest decision on each outcome and the newest sign-off (staff by role only)."""
    newest = (
        select(func.max(OutcomeDecision.id))
        .where(OutcomeDecision.study_id == study.id)
        .group_by(OutcomeDecision.outcome)
        .scalar_subquery()
    )
    decisions = {
        d.outcome: d for d in db.session.scalars(select(OutcomeDecision).where(OutcomeDecision.id.in_(newest)))
    }
    lines = []
    for slug, label in OUTCOMES.items():
        decision = decisions.get(slug)
        lines.append(
            OutcomeLine(
                slug=slug,
                label=label,
                decision=DECISIONS.get(decision.decision, decision.decision) if decision else "",
                rationale=decision.rationale if decision else "",
                decided=f"Decided {_date(decision.created_at)} by {role_of(decision.created_by)}" if decision else "",
            )
        )
    sign_off = db.session.scalar(
        select(SignOff).where(SignOff.study_id == study.id).order_by(SignOff.id.desc()).limit(1)
    )
    if sign_off is None:
        state, text = False, "The recommendation has not been signed off: it is still open."
    elif sign_off.action == "signed-off":
        state, text = True, f"Signed off by {role_of(sign_off.created_by)} on {_date(sign_off.created_at)}."
    else:
        state, text = False, f"Reopened by {role_of(sign_off.created_by)} on {_date(sign_off.created_at)}: open."
    return Recommendation(outcomes=tuple(lines), signed_off=state, sign_off=text)


def appendix(codebook: Codebook) -> tuple[AppendixTheme, ...]:
    """The codebook: each theme's name, slug, definition, and when a passage is and is not coded with it."""
    return tuple(AppendixTheme(t.slug, t.name, t.definition, t.include, t.exclude) for t in codebook.themes)


# --- the whole report -------------------------------------------------------------------------------------


def linked_surveys(study: Study) -> list[Survey]:
    """The study's linked surveys that are published (the only ones with results), by title."""
    ids = linked_survey_ids(study)
    if not ids:
        return []
    surveys = db.session.scalars(select(Survey).where(Survey.id.in_(ids)).order_by(Survey.title, Survey.id)).all()
    return [s for s in surveys if s.current_version is not None]


def report_size(study: Study) -> int:
    """How much the report reads: the study's present passages plus its linked surveys' submitted responses
    (what its building time grows with; see BACKGROUND_FROM in report_routes.py)."""
    passages = db.session.scalar(
        select(func.count())
        .select_from(AnalysisPassage)
        .where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
    )
    ids = linked_survey_ids(study)
    responses = (
        db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.survey_id.in_(ids), Response.status == "submitted")
        )
        if ids
        else 0
    )
    return passages + responses


REPORT_STEPS = 5  # the progress a build reports: method, surveys, findings, recommendation, done


def build_report(study: Study, progress: Progress | None = None) -> Report:
    """The study's report from the live data; `progress(step, message)` is told after each part."""
    tell = progress or (lambda _done, _message: None)
    codebook = codebook_of(current_version(study))
    surveys = linked_surveys(study)
    methods = tuple(survey_method(s) for s in surveys)
    focus_groups = focus_group_method(study)
    coding = coding_method(study)
    tell(1, "Method written")
    survey_parts = tuple(survey_findings(s) for s in surveys)
    tell(2, "Survey results written")
    findings = theme_findings(study, codebook)
    tell(3, "Findings written")
    outcome = recommendation(study)
    tell(4, "Recommendation written")
    return Report(
        study_id=study.id,
        title=study.title,
        generated=london(utcnow()).strftime("%-d %B %Y at %H:%M"),
        survey_methods=methods,
        focus_groups=focus_groups,
        coding=coding,
        surveys=survey_parts,
        theme_chart=_theme_chart(findings),
        findings=findings,
        recommendation=outcome,
        appendix=appendix(codebook),
    )


# --- the document, directly or as a background job ----------------------------------------------------------


def report_filename(study: Study) -> str:
    """The download's file name: the study's slug and "report.docx"."""
    from app.analysis.studies import study_slug

    return f"{study_slug(study)}-report.docx"


def report_document(study: Study, by=None, progress: Progress | None = None) -> bytes:
    """The study's report as a .docx, its making recorded in the audit log (what was given out, and to whom)."""
    from app.analysis.report_docx import report_docx

    data = report_docx(build_report(study, progress))
    with write_transaction():
        record("analysis.report_downloaded", study, actor=by, size=len(data))
    return data


def report_job(progress: Progress, study_id: int, user_id: int | None) -> dict:
    """The background job behind a large study's report: build it, with progress, into a job file."""
    study = db.session.get(Study, study_id)
    user = db.session.get(User, user_id) if user_id else None
    data = report_document(study, by=user, progress=progress)
    name = report_filename(study)
    path = job_file_path(name)
    path.write_bytes(data)
    progress(REPORT_STEPS, "Report written")
    return {"file": path.name, "download_name": name}
