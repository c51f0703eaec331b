"""The survey feature's shared core, used by every part of it (answering, invitations, authoring, results):
finding a survey, its published definitions, whether it is open, the default survey, publishing, who may
answer, the organisation's response, and forgetting an erased person's part in surveys. Saving and
submitting answers live in `app.surveys.answering.services`."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from pathlib import Path

from flask import abort
from sqlalchemy import ColumnElement, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from app.audit.services import record
from app.auth.erasure import Erasure, erasure_step
from app.auth.models import User
from app.clock import LONDON, aware, utcnow
from app.database import write_transaction
from app.extensions import db
from app.organisations.invitations import recipient_for
from app.surveys.authoring.definition import Definition, load_definition
from app.surveys.models import Answer, Invitation, PageVisit, Response, ResponseSnapshot, Survey, SurveyVersion

DEFAULT_SLUG = "schools-ict"
DEFAULT_DEFINITION = Path(__file__).parent / "authoring" / "definitions" / "schools-ict.json"
# Fingerprints (`definition_fingerprint`) of the default definitions shipped before the current one. A
# default survey still running one of them, untouched by organisers, is brought up to date by publishing
# the shipped definition as its next version (`update_default_survey`).
EARLIER_DEFAULT_DEFINITIONS = frozenset(
    {
        # Version 1: before the two questions on counting users and on groups given a different service.
        "2ecceb14bb812c12e9692aaf620f033216d6ca292aadce5a90ae63c8e48ea0e4",
        # Version 2: its focus-group page said the groups were "online, for about an hour", which the study's
        # slots (90 minutes, one in person) contradicted; the study's own pages now say how sessions run.
        "01f17a3274b4579c612f4ec89ddc6af72498b343c1827b8fd5a6b2bc9ea60f50",
    }
)


def is_open(survey: Survey, now: datetime | None = None) -> bool:
    """True when the survey has a published version and today is inside its dates."""
    now = now or utcnow()
    if survey.current_version is None:
        return False
    if survey.opens_at and now < aware(survey.opens_at):
        return False
    return not (survey.closes_at and now >= aware(survey.closes_at))


@dataclass(frozen=True)
class SurveyDates:
    """When a survey opens (or opened) and closes (or closed), as its tracking page states them."""

    opens_label: str  # "Opens" before that moment, "Opened" after it
    opens_at: datetime | None  # its opening date, else when it was first published; None for a draft with none
    closes_label: str  # "Closes" or "Closed"
    closes_at: datetime | None  # None: no closing date


def survey_dates(survey: Survey, now: datetime | None = None) -> SurveyDates:
    """The survey's opening and closing moments, from its dates and its first publication: a survey published
    without an opening date opened when it was first published; a draft's opening is "when published"."""
    now = now or utcnow()
    opens, closes = aware(survey.opens_at), aware(survey.closes_at)
    if survey.versions:  # it opened (or opens) on its opening date, but not before it was first published
        opens = max(moment for moment in (opens, aware(survey.versions[0].published_at)) if moment)
    elif opens and opens <= now:  # a draft past its opening date opens when it is published
        opens = None
    return SurveyDates(
        opens_label="Opened" if opens and opens <= now else "Opens",
        opens_at=opens,
        closes_label="Closed" if closes and closes <= now else "Closes",
        closes_at=closes,
    )


def ensure_default_survey(published_by=None) -> Survey:
    """Create "Delivery of ICT services to schools" with a published first version, if missing."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == DEFAULT_SLUG))
    if survey is not None:
        return survey
    data = json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    load_definition(data)  # refuse to install a broken default
    published_by_id = getattr(published_by, "id", None)  # read before the write transaction expires it
    with write_transaction():
        survey = Survey(slug=DEFAULT_SLUG, title=data["title"], draft=data)
        survey.versions.append(SurveyVersion(number=1, definition=data, published_by_id=published_by_id))
        db.session.add(survey)
    return survey


def definition_fingerprint(data: dict) -> str:
    """A fingerprint of a definition's content, the same however its keys are ordered or stored."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def update_default_survey(by=None) -> SurveyVersion | None:
    """Publish the shipped definition of the default survey as its next version, when the survey still runs
    an earlier shipped definition that organisers have not changed (its draft neither); returns the new
    version, or None when there is nothing to update or organisers have made the survey their own.

    Responses keep the version they answered, as with any publication (`publish_draft`)."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == DEFAULT_SLUG))
    if survey is None or survey.current_version is None:
        return None
    current = definition_fingerprint(survey.current_version.definition)
    if current not in EARLIER_DEFAULT_DEFINITIONS or definition_fingerprint(survey.draft) != current:
        return None
    data = json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    load_definition(data)  # refuse to publish a broken default
    with write_transaction():
        survey.draft = data
    return publish_draft(survey, by=by)


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
    with write_transaction():
        number = (survey.current_version.number if survey.current_version else 0) + 1
        version = SurveyVersion(
            survey_id=survey.id, number=number, definition=survey.draft, published_by_id=getattr(by, "id", None)
        )
        db.session.add(version)
        survey.title = survey.draft["title"]
        db.session.flush()
        record("surveys.published", survey, actor=by, version=number)
    db.session.refresh(survey)
    return version


def set_survey_access(survey: Survey, open_to_all: bool, by=None) -> None:
    """Open the survey to every member, or only to invited organisations (the default)."""
    with write_transaction():
        survey.open_to_all_members = open_to_all
        record("surveys.access_changed", survey, actor=by, open_to_all_members=survey.open_to_all_members)


def set_dates(survey: Survey, opens: date | None, closes: date | None, by=None) -> None:
    """Open the survey at the start of `opens` and close it at the end of `closes` (London days; None: no date)."""
    with write_transaction():
        survey.opens_at = datetime.combine(opens, time(), tzinfo=LONDON).astimezone(UTC) if opens else None
        survey.closes_at = datetime.combine(closes, time(23, 59, 59), tzinfo=LONDON).astimezone(UTC) if closes else None
        record(
            "surveys.dates_changed",
            survey,
            actor=by,
            opens=str(opens) if opens else None,
            closes=str(closes) if closes else None,
        )


def record_definition_export(survey: Survey, by=None) -> None:
    """Keep a record that the survey's definition was downloaded."""
    with write_transaction():
        record("surveys.definition_exported", survey, actor=by)


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


def survey_or_404(slug: str) -> Survey:
    """The survey with this slug, or a 404 page (for routes, as `app.identifiers.get_or_404` is for ids)."""
    survey = find_survey(slug)
    if survey is None:
        abort(404)
    return survey


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


@erasure_step
def forget_in_surveys(erasure: Erasure) -> None:
    """An erased account holder's part in surveys: the answers they changed are credited to their
    anonymous label, an answer that names them or gives their address (as typed, in the answers and
    in the copies kept of each submission) says the label instead, and an invitation addressed to them
    goes to their organisation's contact (or next member) instead, or to their erased address when
    there is nobody else. The caller commits."""

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
