"""The survey's part of the study report: each linked survey's reach (invited and responded, by region and
council type, from the tracking figures), its headline with the Wilson interval, the level of service
pupils receive, and the impact model at the default pupil weight. Organisations appear only in counts.
"""

from __future__ import annotations

from app.analysis.report_tree import Chart, SurveyFindings, SurveyMethod, Table, percent
from app.surveys.invitations.tracking import CoverageRow, build_dashboard
from app.surveys.models import Survey
from app.surveys.results.dataset import submitted_rows
from app.surveys.results.headline import Proportion, headline
from app.surveys.results.impact.model import DEFINITIONS, ImpactModel, impact
from app.surveys.results.impact.weight import default_weight
from app.surveys.results.impact.wording import evidence
from app.surveys.services import definition_for
from app.wording import plural

# --- reach ----------------------------------------------------------------------------------------------


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
            f"{o.supporting:,} of the {plural(o.n, 'responding organisation')} that answered "
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
        service_note = (
            "The level of service pupils receive, compared with corporate users, is from the "
            f"{plural(result.pupil_service_n, 'organisation')} that support pupils and answered the question."
        )
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
