"""Survey rules: the default survey, starting and saving responses without lost or overwritten
answers, submission that happens exactly once, and access to an organisation's response."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.audit.services import record
from app.auth.erasure import Erasure, erasure_step
from app.auth.models import User
from app.clock import aware, utcnow
from app.database import write_transaction
from app.extensions import db
from app.surveys.answering import PageResult, first_unanswered_page, relevant_answers
from app.surveys.authoring.definition import Definition, load_definition
from app.surveys.models import Answer, Invitation, PageVisit, Response, ResponseSnapshot, Survey, SurveyVersion

DEFAULT_SLUG = "schools-ict"
DEFAULT_DEFINITION = Path(__file__).parent / "authoring" / "definitions" / "schools-ict.json"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class SurveyClosed(Exception):
    """The survey is not open for answers now."""


class ResponseIncomplete(Exception):
    """A page on the response's route still needs an answer (a colleague's change can add one)."""

    def __init__(self, page) -> None:
        super().__init__(page.id)
        self.page = page


def is_open(survey: Survey, now: datetime | None = None) -> bool:
    """True when the survey has a published version and today is inside its dates."""
    now = now or utcnow()
    if survey.current_version is None:
        return False
    if survey.opens_at and now < aware(survey.opens_at):
        return False
    return not (survey.closes_at and now >= aware(survey.closes_at))


def ensure_default_survey(published_by=None) -> Survey:
    """Create "Delivery of ICT services to schools" with a published first version, if missing."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == DEFAULT_SLUG))
    if survey is not None:
        return survey
    data = json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    load_definition(data)  # refuse to install a broken default
    survey = Survey(slug=DEFAULT_SLUG, title=data["title"], draft=data)
    survey.versions.append(SurveyVersion(number=1, definition=data, published_by_id=getattr(published_by, "id", None)))
    db.session.add(survey)
    db.session.commit()
    return survey


def unique_slug(title: str) -> str:
    """A URL slug from a title, made unique with -2, -3 ... when taken."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50] or "survey"
    slug, number = base, 1
    while db.session.scalar(select(Survey.id).where(Survey.slug == slug)):
        number += 1
        slug = f"{base}-{number}"
    return slug


def publish_draft(survey: Survey, by=None) -> SurveyVersion:
    """Publish the draft as the next version. Earlier versions, and responses to them, are untouched."""
    load_definition(survey.draft)
    number = (survey.current_version.number if survey.current_version else 0) + 1
    version = SurveyVersion(
        survey_id=survey.id, number=number, definition=survey.draft, published_by_id=getattr(by, "id", None)
    )
    db.session.add(version)
    survey.title = survey.draft["title"]
    db.session.flush()
    record("survey-published", survey, actor=by, version=number)
    db.session.commit()
    db.session.refresh(survey)
    return version


@lru_cache(maxsize=64)
def _definition_for_version(version_id: int, _published_at: datetime) -> Definition:
    version = db.session.get(SurveyVersion, version_id)
    return load_definition(version.definition)


def definition_for(version: SurveyVersion) -> Definition:
    """The loaded definition of a published version (cached: a published version never changes).

    The publication time is part of the key, so a database rebuilt with the same ids (as tests do)
    never gets another survey's definition back.
    """
    return _definition_for_version(version.id, version.published_at)


# The answering pages' queries, built once on first use (building a statement costs more than running
# it on SQLite).


@cache
def _survey_by_slug():
    # With its (few) published versions, which every answering page reads, in the same query.
    return select(Survey).where(Survey.slug == bindparam("slug")).options(joinedload(Survey.versions))


@cache
def _response_query(with_visit: bool):
    # The organisation's response with its answers, which every answering page reads, in the same
    # query; and whether it has reached a page before.
    query = (
        select(Response)
        .where(Response.survey_id == bindparam("survey_id"), Response.organisation_id == bindparam("organisation_id"))
        .options(joinedload(Response.answers))
    )
    if with_visit:
        visited = select(PageVisit.id).where(
            PageVisit.response_id == Response.id, PageVisit.page_id == bindparam("page_id")
        )
        query = query.add_columns(visited.exists())
    return query


def find_survey(slug: str) -> Survey | None:
    """The survey with this slug."""
    return db.session.execute(_survey_by_slug(), {"slug": slug}).unique().scalar_one_or_none()


@cache
def _survey_for_organisation():
    # The survey, its versions and whether the organisation may answer it (`answerable_by`), in one query:
    # every page a member answers asks both.
    may_answer = answerable_by(bindparam("organisation_id")).label("may_answer")
    return _survey_by_slug().add_columns(may_answer)


def find_survey_for_organisation(slug: str, organisation_id: int) -> tuple[Survey | None, bool]:
    """The survey with this slug, and whether the organisation's members may answer it."""
    params = {"slug": slug, "organisation_id": organisation_id}
    row = db.session.execute(_survey_for_organisation(), params).unique().first()
    return (row[0], bool(row[1])) if row is not None else (None, False)


def answerable_by(organisation_id: int) -> ColumnElement[bool]:
    """SQL condition on `Survey`: the organisation's members may answer it. It is open to all members,
    or the organisation holds an invitation that was not revoked, or has already started a response."""
    return or_(
        Survey.open_to_all_members.is_(True),
        exists().where(
            Invitation.survey_id == Survey.id,
            Invitation.organisation_id == organisation_id,
            Invitation.revoked_at.is_(None),
        ),
        exists().where(Response.survey_id == Survey.id, Response.organisation_id == organisation_id),
    )


def surveys_for_organisation(organisation_id: int) -> list[tuple[Survey, Response | None]]:
    """Every published survey the organisation may answer, with its response to each (None if not started)."""
    surveys = db.session.scalars(
        select(Survey).where(answerable_by(organisation_id)).order_by(Survey.created_at.desc(), Survey.id.desc())
    ).all()
    responses = {
        r.survey_id: r for r in db.session.scalars(select(Response).where(Response.organisation_id == organisation_id))
    }
    return [(s, responses.get(s.id)) for s in surveys if s.current_version is not None]


def response_for(survey: Survey, organisation_id: int) -> Response | None:
    """The organisation's response to the survey, if it has started one."""
    params = {"survey_id": survey.id, "organisation_id": organisation_id}
    return db.session.execute(_response_query(False), params).unique().scalar_one_or_none()


def response_and_visit(survey: Survey, organisation_id: int, page_id: str) -> tuple[Response | None, bool]:
    """The organisation's response (as `response_for`) and whether it has reached the page before,
    in one query: showing a question page needs both."""
    params = {"survey_id": survey.id, "organisation_id": organisation_id, "page_id": page_id}
    row = db.session.execute(_response_query(True), params).unique().first()
    return (row[0], bool(row[1])) if row is not None else (None, False)


def _new_reference(survey: Survey) -> str:
    prefix = "".join(part[0] for part in survey.slug.split("-"))[:3].upper() or "SRV"
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def start_response(
    survey: Survey, organisation_id: int, *, user=None, device: str | None = None, via_invitation: bool = False
) -> Response:
    """The organisation's response, started now if there is none (a colleague may have started it)."""
    existing = response_for(survey, organisation_id)
    if existing is not None:
        return existing
    if not is_open(survey):
        raise SurveyClosed
    try:
        with write_transaction():
            response = Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=organisation_id,
                reference=_new_reference(survey),
                device=device,
                via_invitation=via_invitation,
            )
            db.session.add(response)
            db.session.flush()
            record("survey-response-started", response, actor=user, organisation_id=organisation_id)
    except IntegrityError:
        # A colleague started it at the same moment: the database allows one response per organisation.
        db.session.rollback()
        return response_for(survey, organisation_id)
    return response


def note_page_visit(response: Response, page_id: str) -> None:
    """Record that the response has reached a page (for the completion funnel), the first time only:
    call it when `response_and_visit` says the page was not reached before."""
    response_id = response.id  # read before the write transaction expires it
    try:
        with write_transaction():
            db.session.add(PageVisit(response_id=response_id, page_id=page_id))
    except IntegrityError:
        db.session.rollback()  # reached at the same moment in another request: recorded once


@dataclass
class Conflict:
    """A colleague saved a different answer to the same question since this page was loaded."""

    question_id: str
    theirs: Any
    yours: Any
    by: str
    at: datetime


def answer_revisions(response: Response, keys) -> dict[str, int]:
    """The current revision of each answer (0 when not answered yet), to send with the page.

    Read from the response's answers, which the page has usually loaded already (no extra query).
    """
    found = {answer.question_id: answer.revision for answer in response.answers}
    return {key: found.get(key, 0) for key in keys}


def save_answers(
    response: Response, result: PageResult, *, loaded_revisions: dict[str, int], user=None, label: str | None = None
) -> list[Conflict]:
    """Save a page's answers in one transaction.

    An answer a colleague changed since this person loaded the page is not overwritten: it is
    returned as a Conflict (theirs and yours) and everything else is saved.
    """
    if not is_open(response.survey):
        raise SurveyClosed
    conflicts: list[Conflict] = []
    now = utcnow()
    who = label or (getattr(user, "name", None)) or "A colleague"
    # Read before the write transaction starts (which expires what the session holds), so that
    # taking the lock does not mean reloading the response and the person first.
    response_id = response.id
    user_id = getattr(user, "id", None)
    with write_transaction():
        current = {
            a.question_id: a
            for a in db.session.scalars(
                select(Answer).where(Answer.response_id == response_id, Answer.question_id.in_(list(result.values)))
            )
        }
        changed = False
        for key, value in result.values.items():
            answer = current.get(key)
            seen = loaded_revisions.get(key, 0)
            if answer is None:
                if value is None:
                    continue
                if seen:  # it existed when loaded and has since been removed: treat as changed by a colleague
                    pass
                db.session.add(
                    Answer(
                        response_id=response_id,
                        question_id=key,
                        value=value,
                        revision=1,
                        updated_at=now,
                        updated_by_id=user_id,
                        updated_by_label=who,
                    )
                )
                changed = True
                continue
            if answer.value == value:
                continue
            if answer.revision != seen:
                conflicts.append(
                    Conflict(
                        key, answer.value, value, answer.updated_by_label or "A colleague", aware(answer.updated_at)
                    )
                )
                continue
            answer.value = value
            answer.revision += 1
            answer.updated_at = now
            answer.updated_by_id = user_id
            answer.updated_by_label = who
            changed = True
        if changed:
            db.session.execute(
                update(Response)
                .where(Response.id == response_id)
                .values(updated_at=now, changed_since_submission=Response.status == "submitted")
            )
    return conflicts


def submit_response(response: Response, *, user=None) -> bool:
    """Submit (or re-submit after changes) exactly once, in one transaction.

    Returns True if this call submitted it; False if it was already submitted with nothing new
    (a double click or a resent form), which changes nothing. Raises ResponseIncomplete, changing
    nothing, when a page on the response's route has no answer as the write finds it.
    """
    if not is_open(response.survey):
        raise SurveyClosed
    definition = definition_for(response.version)
    with write_transaction():
        now = utcnow()
        result = db.session.execute(
            update(Response)
            .where(
                Response.id == response.id,
                (Response.status == "in_progress") | (Response.changed_since_submission.is_(True)),
            )
            .values(
                status="submitted",
                submitted_at=now,
                submitted_by_id=getattr(user, "id", None),
                submission_count=Response.submission_count + 1,
                changed_since_submission=False,
            )
        )
        if result.rowcount != 1:
            return False
        db.session.refresh(response)
        stored = response.answer_values()
        # Checked again inside the write: a colleague may have changed a routing answer since the
        # page was read, so that a page now on the route has no answer (rolled back, nothing submitted).
        missing = first_unanswered_page(definition, stored)
        if missing is not None:
            raise ResponseIncomplete(missing)
        answers = relevant_answers(definition, stored)
        response.submitted_answers = answers
        db.session.add(
            ResponseSnapshot(
                response_id=response.id,
                submission_number=response.submission_count,
                submitted_at=now,
                submitted_by_id=getattr(user, "id", None),
                answers=answers,
            )
        )
        action = "survey-response-submitted" if response.submission_count == 1 else "survey-response-changed"
        record(action, response, actor=user, reference=response.reference, submission=response.submission_count)
    return True


def record_satisfaction(response: Response, rating: int) -> None:
    """Keep the one-question satisfaction rating from the confirmation page."""
    with write_transaction():
        db.session.execute(update(Response).where(Response.id == response.id).values(satisfaction=rating))


def device_from_user_agent(user_agent: str) -> str:
    """mobile, tablet or desktop, from a User-Agent header (for the device mix)."""
    ua = (user_agent or "").lower()
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or "iphone" in ua or "android" in ua:
        return "mobile"
    return "desktop"


@erasure_step
def forget_in_surveys(erasure: Erasure) -> None:
    """An erased account holder's part in surveys: the answers they changed are credited to their
    anonymous label, an answer that names them or gives their address (as typed, in the answers and
    in the copies kept of each submission) says the label instead, and an invitation addressed to them
    goes to their organisation's contact (or next member) instead, or to their erased address when
    there is nobody else. The caller commits."""
    from app.surveys.invitations import recipient_for

    if erasure.user_id is None:
        return
    for model, column in (
        (Answer, Answer.value),
        (ResponseSnapshot, ResponseSnapshot.answers),
        (Response, Response.submitted_answers),
    ):
        for row in db.session.scalars(select(model).where(erasure.mentioned_in(column))):
            setattr(row, column.key, erasure.redact_json(getattr(row, column.key)))
            if model is Answer:
                row.revision += 1  # a page still showing the old answer cannot save it back unnoticed
    db.session.execute(
        update(Answer)
        .where(Answer.updated_by_id == erasure.user_id)
        .values(updated_by_label=erasure.label)
        .execution_options(synchronize_session=False)
    )
    if erasure.emails:
        invitations = select(Invitation).where(func.lower(Invitation.email).in_(erasure.emails))
        for invitation in db.session.scalars(invitations):
            user = db.session.get(User, erasure.user_id)
            invitation.email = recipient_for(invitation.organisation) or user.email
