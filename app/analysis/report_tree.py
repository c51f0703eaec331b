"""The study report's tree: plain, frozen dataclasses holding already formatted text (built by
`app.analysis.report.build_report`, read by the print page and `report_docx.py`), and the few formatting
helpers every part of the report shares, so that the two outputs cannot disagree.

Staff appear by role (`role_of`), never by name; participants by pseudonym; organisations by region and
council type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.auth.models import User
from app.auth.roles import ADMIN, ANALYST, LEAD_ANALYST
from app.clock import london

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
    score: str = ""  # the evidence score shown to the analyst when deciding, and under which rules


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


def date_of(moment: datetime | None) -> str:
    return london(moment).strftime("%-d %B %Y") if moment else ""


def decimal(value: float | None, places: int = 2) -> str:
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
