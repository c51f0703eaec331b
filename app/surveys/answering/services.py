"""Saving and submitting an organisation's response: starting it, saving a page's answers without lost or
overwritten answers, submission that happens exactly once, and the emails that confirm them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.clock import aware, utcnow
from app.database import write_transaction
from app.email.sender import external_url, send_email
from app.extensions import db
from app.numbers import NumberError, parse_whole_number
from app.surveys.answering.pages import (
    DONT_KNOW,
    PageResult,
    TamperedAnswer,
    first_unanswered_page,
    next_page,
    other_key,
    question_has_error,
    read_page,
    relevant_answers,
)
from app.surveys.authoring.definition import Definition, Page
from app.surveys.models import Answer, PageVisit, Response, ResponseSnapshot, Survey
from app.surveys.services import answerable_by, definition_for, is_open, response_for

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class SurveyClosed(Exception):
    """The survey is not open for answers now."""


class ResponseIncomplete(Exception):
    """A page on the response's route still needs an answer (a colleague's change can add one)."""

    def __init__(self, page) -> None:
        super().__init__(page.id)
        self.page = page


def surveys_for_organisation(organisation_id: int) -> list[tuple[Survey, Response | None]]:
    """Every published survey the organisation may answer, with its response to each (None if not started)."""
    surveys = db.session.scalars(
        select(Survey).where(answerable_by(organisation_id)).order_by(Survey.created_at.desc(), Survey.id.desc())
    ).all()
    responses = {
        r.survey_id: r for r in db.session.scalars(select(Response).where(Response.organisation_id == organisation_id))
    }
    return [(s, responses.get(s.id)) for s in surveys if s.current_version is not None]


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
            record("surveys.response_started", response, actor=user, organisation_id=organisation_id)
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
        action = "surveys.response_submitted" if response.submission_count == 1 else "surveys.response_changed"
        record(action, response, actor=user, reference=response.reference, submission=response.submission_count)
    return True


class TamperedRequest(Exception):
    """A request no page of ours could have sent (the reason says what was wrong with it)."""


FIXED_FIELDS = {"csrf_token", "action", "response_ref"}


def record_tampered_request(survey: Survey, respondent, reason: str) -> None:
    """Keep a record of a request no page of ours could have sent."""
    with write_transaction():
        record(
            "surveys.tampered_request",
            object_type="survey",
            object_id=survey.id,
            actor=respondent.user,
            reason=reason[:200],
            organisation_id=respondent.organisation.id,
        )


def _allowed_fields(page: Page) -> set[str]:
    names: set[str] = set()
    for question in page.questions:
        qid = question.id
        names |= {qid, other_key(qid), f"{qid}.{DONT_KNOW}", f"rev-{qid}", f"rev-{other_key(qid)}"}
        names |= {f"{qid}-{part}" for part in ("day", "month", "year")}
        names |= {f"{qid}.{item.id}" for item in (*question.rows, *question.categories)}
    return names


def _revision(text: str) -> int:
    """An answer's revision as the page was rendered with (0, so a conflict, when it is not one)."""
    try:
        return parse_whole_number(text, minimum=0, thousands=False)
    except NumberError:
        return 0


def page_keys(page: Page) -> list[str]:
    """The answer keys a page's questions store (each question and its "other, specify")."""
    return [k for q in page.questions for k in (q.id, other_key(q.id))]


@dataclass
class PageOutcome:
    """What submitting a page did, for the route to render.

    `status` is "invalid" (answers with problems: show `errors`), "conflict" (a colleague changed some
    of them: show `conflicts` beside the stored `answers`), "saved" (go on to `following`, or the check
    page when it is None), "back" (saved what was valid: go to the page before) or "exited" (saved what
    was valid and sent the resume email; `unsaved` when some answers had a problem and were not kept).
    """

    status: str
    result: PageResult
    answers: dict[str, Any]
    revisions: dict[str, int]
    conflicts: list[Conflict] = ()
    following: Page | None = None
    unsaved: bool = False

    @property
    def errors(self) -> dict[str, str]:
        return self.result.errors if self.status == "invalid" else {}


def email_respondent(respondent, subject: str, template: str, **context) -> None:
    """Send the person answering an email about their response (when there is an address to send it
    to), and keep it in the outbox in its own transaction."""
    if not respondent.email:
        return
    sent = send_email(
        respondent.email,
        subject,
        template,
        add_to_session=False,
        organisation=respondent.organisation,
        **context,
    )
    with write_transaction():
        db.session.add(sent)


def submit_page(
    survey: Survey, respondent, response: Response, definition: Definition, page: Page, form, *, action: str
) -> PageOutcome:
    """Read and save a page's answers as Continue, Back or Save and come back later (`action`).

    Leaving the page (Back, or Save and come back later) keeps what is valid and leaves anything with a
    problem as it was; Continue saves only when every answer is valid. An answer a colleague changed
    since the page was loaded is not overwritten. Raises TamperedRequest for a form no page of ours
    sends, and SurveyClosed when the survey has closed.
    """
    if form.get("response_ref") != response.reference:
        raise TamperedRequest("response reference does not match the organisation's response")
    unknown = set(form) - FIXED_FIELDS - _allowed_fields(page)
    if unknown:
        raise TamperedRequest(f"fields not on page {page.id}: {sorted(unknown)[:5]}")
    answers = response.answer_values()
    try:
        result = read_page(definition, page, form, answers)
    except TamperedAnswer as exc:
        raise TamperedRequest(str(exc)) from exc
    keys = page_keys(page)
    loaded = {key: _revision(form.get(f"rev-{key}", "0")) for key in keys}
    leaving = action in ("save_exit", "back")
    bad: set[str] = set()
    if leaving:
        bad = {q.id for q in page.questions if question_has_error(q.id, result.errors)}
        result.values = {k: v for k, v in result.values.items() if k.split("__")[0] not in bad}
    elif not result.ok:
        return PageOutcome("invalid", result, answers, loaded)
    conflicts = save_answers(response, result, loaded_revisions=loaded, user=respondent.user, label=respondent.label)
    if conflicts or action == "back":
        db.session.expire(response)
        fresh = response.answer_values()
        if conflicts:
            return PageOutcome("conflict", result, fresh, answer_revisions(response, keys), conflicts)
        return PageOutcome("back", result, fresh, {})
    if leaving:
        email_respondent(
            respondent,
            f"Your answers to '{survey.title}' are saved",
            "survey_resume",
            survey=survey,
            link=external_url("surveys.start", slug=survey.slug),
            closes_at=survey.closes_at,
            via_invitation=respondent.user is None,
        )
        return PageOutcome("exited", result, answers, {}, unsaved=bool(bad))
    # Saved without conflicts: what is stored is what was loaded with this page's answers on top, so
    # the next page is worked out without reading everything again (saving expired what was loaded).
    answers = {**answers, **{k: v for k, v in result.values.items() if v is not None or k in answers}}
    return PageOutcome("saved", result, answers, {}, following=next_page(definition, answers, page.id))


def submit_and_confirm(survey: Survey, respondent, response: Response) -> None:
    """Submit the response (see `submit_response`) and, when this call submitted it, email a receipt."""
    if submit_response(response, user=respondent.user):
        email_respondent(
            respondent,
            f"We have your answers to '{survey.title}'",
            "survey_receipt",
            survey=survey,
            reference=response.reference,
            changed=response.submission_count > 1,
            link=external_url("surveys.start", slug=survey.slug),
        )


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
