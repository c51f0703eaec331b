"""Figures for the organiser's dashboard: coverage by region and council type, the completion
funnel, time to complete, device mix, and the GDS service KPIs."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.clock import aware
from app.extensions import db
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering.pages import without_placeholders
from app.surveys.models import Invitation, PageVisit, Response, Survey
from app.surveys.services import definition_for


@dataclass
class CoverageRow:
    """One region or council type: how many organisations, invited, started and submitted."""

    label: str
    organisations: int = 0
    invited: int = 0
    started: int = 0
    submitted: int = 0

    @property
    def rate(self) -> float | None:
        """Submitted as a share of organisations (None when there are none)."""
        return self.submitted / self.organisations if self.organisations else None


@dataclass
class NonResponder:
    """An invited organisation that has not submitted."""

    organisation: Organisation
    invitation: Invitation
    status: str  # "Not started" or "In progress"


@dataclass
class Dashboard:
    """Everything on the survey's tracking page."""

    overall: CoverageRow
    by_region: list[CoverageRow]
    by_council_type: list[CoverageRow]
    non_responders: list[NonResponder]
    funnel: list[tuple[str, int]]
    median_minutes: float | None
    devices: list[tuple[str, int]]
    completion_rate: float | None
    digital_take_up: float | None
    satisfaction: float | None
    satisfaction_n: int
    extra: dict = field(default_factory=dict)
    routed_steps: frozenset[str] = frozenset()  # funnel pages shown only to organisations whose answers call for them


def _minutes(response: Response) -> float:
    return (aware(response.submitted_at) - aware(response.started_at)).total_seconds() / 60


def build_dashboard(survey: Survey) -> Dashboard:
    """Work out the dashboard's figures (a handful of queries, whatever the number of responses)."""
    organisations = db.session.scalars(select(Organisation)).all()
    invitations = {
        i.organisation_id: i for i in db.session.scalars(select(Invitation).where(Invitation.survey_id == survey.id))
    }
    responses = {
        r.organisation_id: r for r in db.session.scalars(select(Response).where(Response.survey_id == survey.id))
    }

    overall = CoverageRow("All member organisations")
    regions = {slug: CoverageRow(label) for slug, label in REGIONS.items()}
    types = {slug: CoverageRow(label) for slug, label in COUNCIL_TYPES.items()}
    for org in organisations:
        response = responses.get(org.id)
        for row in (overall, regions[org.region], types[org.council_type]):
            row.organisations += 1
            row.invited += org.id in invitations
            row.started += response is not None
            row.submitted += bool(response and response.status == "submitted")

    non_responders = [
        NonResponder(org, invitations[org.id], "In progress" if responses.get(org.id) else "Not started")
        for org in sorted(organisations, key=lambda o: o.name)
        if org.id in invitations and not (responses.get(org.id) and responses[org.id].status == "submitted")
    ]

    started = list(responses.values())
    submitted = [r for r in started if r.status == "submitted"]
    funnel: list[tuple[str, int]] = [("Invited", len(invitations)), ("Started", len(started))]
    routed: set[str] = set()
    if survey.current_version is not None:
        visits = dict(
            db.session.execute(
                select(PageVisit.page_id, func.count(PageVisit.id))
                .join(Response, Response.id == PageVisit.response_id)
                .where(Response.survey_id == survey.id)
                .group_by(PageVisit.page_id)
            ).all()
        )
        definition = definition_for(survey.current_version)
        for page in definition.pages:
            title = page.title or without_placeholders(page.questions[0].label)
            funnel.append((f"Reached: {title}", visits.get(page.id, 0)))
            if page.show_if or all(q.show_if for q in page.questions):
                routed.add(f"Reached: {title}")
    funnel.append(("Submitted", len(submitted)))

    ratings = [r.satisfaction for r in started if r.satisfaction]
    devices = Counter(r.device or "unknown" for r in started)
    return Dashboard(
        overall=overall,
        by_region=list(regions.values()),
        by_council_type=list(types.values()),
        non_responders=non_responders,
        funnel=funnel,
        median_minutes=statistics.median(_minutes(r) for r in submitted) if submitted else None,
        devices=sorted(devices.items(), key=lambda pair: (-pair[1], pair[0])),
        completion_rate=len(submitted) / len(started) if started else None,
        digital_take_up=len(started) / len(invitations) if invitations else None,
        satisfaction=sum(1 for r in ratings if r >= 4) / len(ratings) if ratings else None,
        satisfaction_n=len(ratings),
        routed_steps=frozenset(routed),
    )
