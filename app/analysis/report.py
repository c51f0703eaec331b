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
The tree's classes are in `report_tree.py`, the survey's part in `report_survey.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

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
from app.analysis.report_survey import survey_findings, survey_method
from app.analysis.report_tree import (
    AppendixTheme,
    Chart,
    CodingMethod,
    FocusGroupMethod,
    OutcomeLine,
    Quote,
    Recommendation,
    Report,
    RoundSummary,
    Table,
    ThemeFinding,
    date_of,
    decimal,
    percent,
    role_of,
)
from app.analysis.rounds import round_agreement, round_codebook
from app.analysis.services import codebook_of, current_version
from app.analysis.studies import linked_survey_ids
from app.audit.services import record
from app.auth.models import User
from app.clock import uk_time, utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Study
from app.jobs.runner import job_file_path
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.models import Response, Survey

Progress = Callable[[int, str], None]


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
        session_dates=tuple(date_of(slot.starts_at) for slot in slots),
        by_region=_breakdown("Participants by region", "Region", regions, REGIONS),
        by_council_type=_breakdown("Participants by council type", "Council type", types, COUNCIL_TYPES),
    )


def _round_summary(coding_round: CodingRound) -> RoundSummary:
    codebook = round_codebook(coding_round)
    report = round_agreement(coding_round, codebook)
    rows = []
    for theme in report.themes:
        name = codebook.theme(theme.slug).name if theme.slug in codebook.slugs else theme.slug
        rows.append((name, f"{theme.items:,}", percent(theme.percent_agreement), decimal(theme.kappa), theme.verdict))
    return RoundSummary(
        title=coding_round.title,
        coders=f"{role_of(coding_round.coder_a)} and {role_of(coding_round.coder_b)}",
        items=report.items,
        alpha=decimal(report.alpha),
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
                summary_version=f"Summary version {summary.number}, {date_of(summary.created_at)}" if summary else "",
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


def _score_text(decision: OutcomeDecision | None) -> str:
    if decision is None or decision.score is None:
        return ""
    rules = f"version {decision.rules_version}" if decision.rules_version else "as shipped (version 0)"
    return f"Evidence score when decided: {decision.score:g}, under the scoring rules {rules}."


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
                decided=f"Decided {date_of(decision.created_at)} by {role_of(decision.created_by)}" if decision else "",
                score=_score_text(decision),
            )
        )
    sign_off = db.session.scalar(
        select(SignOff).where(SignOff.study_id == study.id).order_by(SignOff.id.desc()).limit(1)
    )
    if sign_off is None:
        state, text = False, "The recommendation has not been signed off: it is still open."
    elif sign_off.action == "signed-off":
        state, text = True, f"Signed off by {role_of(sign_off.created_by)} on {date_of(sign_off.created_at)}."
    else:
        state, text = False, f"Reopened by {role_of(sign_off.created_by)} on {date_of(sign_off.created_at)}: open."
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
        generated=uk_time(utcnow()),
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
