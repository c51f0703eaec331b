"""The responses that results, exports and the impact model read: one row per organisation, with its
region, council type and answers, filtered the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPE_GROUPS, COUNCIL_TYPES, REGIONS
from app.surveys.models import Response, Survey, SurveyVersion


@dataclass(frozen=True)
class Filters:
    """Which organisations a result covers: regions, council types, and whether they provide education services."""

    regions: tuple[str, ...] = ()
    council_types: tuple[str, ...] = ()
    education: str = ""  # "yes", "no" or "" for both

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from a query string, ignoring values that are not known."""
        return cls(
            regions=tuple(r for r in args.getlist("region") if r in REGIONS),
            council_types=tuple(t for t in args.getlist("council_type") if t in COUNCIL_TYPES),
            education=args.get("education", "") if args.get("education") in ("yes", "no") else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.regions or self.council_types or self.education)

    def describe(self) -> str:
        """What the figures cover, in words, for headings and printouts."""
        parts = []
        if self.council_types:
            parts.append(" or ".join(COUNCIL_TYPE_GROUPS[t] for t in self.council_types))
        else:
            parts.append("organisations")
        if self.regions:
            parts.append("in " + " or ".join(REGIONS[r] for r in self.regions))
        if self.education == "yes":
            parts.append("that provide ICT services to schools or pupils")
        elif self.education == "no":
            parts.append("that provide no ICT services to schools or pupils")
        text = " ".join(parts)
        return ("All responding " + text) if not self.active else ("Responding " + text)

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for links that keep them)."""
        args: dict[str, Any] = {}
        if self.regions:
            args["region"] = list(self.regions)
        if self.council_types:
            args["council_type"] = list(self.council_types)
        if self.education:
            args["education"] = self.education
        return args


@dataclass
class Row:
    """One organisation's response, as results and exports see it."""

    response_id: int
    reference: str
    organisation_id: int
    organisation: str
    region: str
    council_type: str
    status: str
    started_at: datetime | None
    submitted_at: datetime | None
    version: int
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def provides_education(self) -> bool:
        return self.answers.get("provides_education") == "yes"


def submitted_rows(survey: Survey, filters: Filters | None = None, chunk: int = 2000) -> Iterator[Row]:
    """Submitted responses (their answers as last submitted), filtered, read a chunk at a time."""
    filters = filters or Filters()
    query = (
        select(
            Response.id,
            Response.reference,
            Response.organisation_id,
            Organisation.name,
            Organisation.region,
            Organisation.council_type,
            Response.status,
            Response.started_at,
            Response.submitted_at,
            SurveyVersion.number,
            Response.submitted_answers,
        )
        .join(Organisation, Organisation.id == Response.organisation_id)
        .join(SurveyVersion, SurveyVersion.id == Response.version_id)
        .where(Response.survey_id == survey.id, Response.status == "submitted")
        .order_by(Response.id)
        .execution_options(yield_per=chunk)
    )
    if filters.regions:
        query = query.where(Organisation.region.in_(filters.regions))
    if filters.council_types:
        query = query.where(Organisation.council_type.in_(filters.council_types))
    for values in db.session.execute(query):
        row = Row(*values[:10], answers=values[10] or {})
        if filters.education and (row.answers.get("provides_education") == "yes") != (filters.education == "yes"):
            continue
        yield row
