"""The surveys' parts of people's home pages (hook `HOME`): a member's open surveys, where their
organisation has got to and the one button that carries on; an organiser's open surveys with their
response rates. A handful of queries each, whatever the number of surveys and responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import selectinload

from app.auth.roles import MEMBER, ORGANISER
from app.clock import utcnow
from app.extensions import db
from app.hooks import HOME_ORDER, HomeSection
from app.organisations.models import Organisation
from app.surveys.answering.pages import first_unanswered_page
from app.surveys.models import Invitation, Response, Survey
from app.surveys.services import answerable_by, definition_for, is_open

# Where an organisation's response stands, as the member's home page names it.
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
CHANGES_NOT_SENT = "changes_not_sent"
SUBMITTED = "submitted"
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    CHANGES_NOT_SENT: "Changes not yet sent",
    SUBMITTED: "Submitted",
}


@dataclass(frozen=True)
class MemberSurvey:
    """One open survey on a member's home page: its response's state and where its button leads."""

    survey: Survey
    response: Response | None
    status: str
    button: str
    url: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def response_status(response: Response | None) -> str:
    """Not started, in progress, submitted with changes not yet sent, or submitted."""
    if response is None:
        return NOT_STARTED
    if response.status != "submitted":
        return IN_PROGRESS
    return CHANGES_NOT_SENT if response.changed_since_submission else SUBMITTED


def _next_step(survey: Survey, response: Response | None, status: str) -> tuple[str, str]:
    """The button's words and address: start, carry on where the organisation left off, or check and send."""
    if status == NOT_STARTED:
        return "Start now", url_for("surveys.start", slug=survey.slug)
    if status == IN_PROGRESS:
        page = first_unanswered_page(definition_for(response.version), response.answer_values())
        if page is not None:
            return "Continue", url_for("surveys.page", slug=survey.slug, page_id=page.id)
        return "Check and submit your answers", url_for("surveys.check", slug=survey.slug)
    if status == CHANGES_NOT_SENT:
        return "Check and send your changes", url_for("surveys.check", slug=survey.slug)
    return "View or change your answers", url_for("surveys.check", slug=survey.slug)


def member_surveys(organisation_id: int, now: datetime | None = None) -> list[MemberSurvey]:
    """The surveys open now that the organisation may answer, newest first, each with its response's state."""
    now = now or utcnow()
    surveys = db.session.scalars(
        select(Survey)
        .where(answerable_by(organisation_id))
        .options(selectinload(Survey.versions))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
    ).all()
    open_surveys = [survey for survey in surveys if is_open(survey, now)]
    responses = {
        response.survey_id: response
        for response in db.session.scalars(
            select(Response)
            .where(Response.organisation_id == organisation_id, Response.survey_id.in_([s.id for s in open_surveys]))
            .options(selectinload(Response.answers), selectinload(Response.version))
        )
    }
    found = []
    for survey in open_surveys:
        response = responses.get(survey.id)
        status = response_status(response)
        button, url = _next_step(survey, response, status)
        found.append(MemberSurvey(survey, response, status, button, url))
    return found


def member_home(user) -> HomeSection | None:
    """A member's part of their home page: their organisation's open surveys and what to do next."""
    if not user.has_role(MEMBER):
        return None
    organisation = user.organisation
    items = member_surveys(organisation.id) if organisation is not None else []
    return HomeSection(
        heading="Your organisation's survey" if len(items) == 1 else "Your organisation's surveys",
        template="surveys/home_member.html",
        order=HOME_ORDER["member"],
        context={"items": items, "organisation": organisation},
    )


@dataclass(frozen=True)
class SurveyProgress:
    """An open survey's response rate on an organiser's home page."""

    survey: Survey
    submitted: int
    in_progress: int
    asked: int  # organisations invited, or every member organisation when the survey is open to all
    asked_label: str  # "invited organisations" or "member organisations"

    @property
    def rate(self) -> int | None:
        """Submitted as a whole percentage of the organisations asked (None when none were)."""
        return round(100 * self.submitted / self.asked) if self.asked else None


def open_survey_progress(now: datetime | None = None) -> tuple[list[SurveyProgress], int]:
    """Every open survey with how many of the organisations asked have submitted and are part-way
    through, newest first; and how many other surveys there are (drafts, not open yet, closed)."""
    now = now or utcnow()
    surveys = db.session.scalars(
        select(Survey).options(selectinload(Survey.versions)).order_by(Survey.created_at.desc(), Survey.id.desc())
    ).all()
    open_surveys = [survey for survey in surveys if is_open(survey, now)]
    ids = [survey.id for survey in open_surveys]
    invited = dict(
        db.session.execute(
            select(Invitation.survey_id, func.count(Invitation.id))
            .where(Invitation.survey_id.in_(ids))
            .group_by(Invitation.survey_id)
        ).all()
    )
    was_invited = exists().where(
        Invitation.survey_id == Response.survey_id, Invitation.organisation_id == Response.organisation_id
    )
    submitted = Response.status == "submitted"
    counts = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(
                Response.survey_id,
                func.sum(case((submitted, 1), else_=0)),
                func.sum(case((~submitted, 1), else_=0)),
                func.sum(case((submitted & was_invited, 1), else_=0)),
                func.sum(case((~submitted & was_invited, 1), else_=0)),
            )
            .where(Response.survey_id.in_(ids))
            .group_by(Response.survey_id)
        )
    }
    organisations = db.session.scalar(select(func.count(Organisation.id))) if open_surveys else 0
    found = []
    for survey in open_surveys:
        done, started, done_invited, started_invited = (int(n or 0) for n in counts.get(survey.id, (0, 0, 0, 0)))
        if survey.open_to_all_members:
            found.append(SurveyProgress(survey, done, started, organisations, "member organisations"))
        else:
            found.append(
                SurveyProgress(
                    survey, done_invited, started_invited, invited.get(survey.id, 0), "invited organisations"
                )
            )
    return found, len(surveys) - len(open_surveys)


def organiser_home(user) -> HomeSection | None:
    """An organiser's surveys part of their home page: open surveys with their response rates."""
    if not user.has_role(ORGANISER):
        return None
    items, others = open_survey_progress()
    return HomeSection(
        heading="Surveys",
        template="surveys/home_organiser.html",
        order=HOME_ORDER["surveys"],
        context={"items": items, "others": others},
    )
