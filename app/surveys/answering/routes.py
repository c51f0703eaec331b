"""Answering the survey: start, one page at a time, check answers, submit, confirmation."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.auth.decorators import public, role_required
from app.auth.roles import MEMBER
from app.database import reads_first
from app.extensions import db
from app.hooks import SURVEY_CONFIRMATION, collect
from app.surveys import bp
from app.surveys.answering.access import Respondent, grant_invitation, invitation_is_live, respondent_required
from app.surveys.answering.check import check_sections
from app.surveys.answering.interest import QUESTION as FOCUS_GROUP_QUESTION
from app.surveys.answering.pages import (
    DONT_KNOW,
    display_value,
    field_id,
    first_unanswered_page,
    form_values,
    other_key,
    page_applies,
    pipe,
    previous_page,
    route,
    visible_questions,
)
from app.surveys.answering.services import (
    ResponseIncomplete,
    SurveyClosed,
    TamperedRequest,
    answer_revisions,
    device_from_user_agent,
    note_page_visit,
    page_keys,
    record_satisfaction,
    record_tampered_request,
    start_response,
    submit_and_confirm,
    submit_page,
    surveys_for_organisation,
)
from app.surveys.invitations.services import token_hash
from app.surveys.models import Invitation, Survey
from app.surveys.services import definition_for, is_open, response_and_visit, response_for

PAGE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")  # as survey-definition.schema.json allows


def _refuse(survey: Survey, respondent: Respondent, reason: str):
    """A request no page of ours could have sent: refuse it and keep a record."""
    record_tampered_request(survey, respondent, reason)
    current_app.logger.warning("Refused tampered survey request: %s", reason)
    abort(400)


def _closed_page(survey: Survey, respondent: Respondent):
    return render_template("surveys/answering/closed.html", survey=survey, respondent=respondent), 200


@bp.route("/")
@role_required(MEMBER)
def index():
    """The surveys a member's organisation is asked to answer, and how far it has got."""
    if not current_user.organisation_id:
        return render_template("surveys/answering/index.html", items=[], organisation=None)
    items = surveys_for_organisation(current_user.organisation_id)
    return render_template(
        "surveys/answering/index.html", items=items, organisation=current_user.organisation, is_open=is_open
    )


@bp.route("/<slug>/")
@respondent_required
def start(survey: Survey, respondent: Respondent):
    """The survey's start page: what it is for, and start, continue or change answers."""
    response = response_for(survey, respondent.organisation.id)
    version = response.version if response else survey.current_version
    definition = definition_for(version) if version else None
    resume_page = None
    if response is not None and definition is not None:
        resume_page = first_unanswered_page(definition, response.answer_values())
    return render_template(
        "surveys/answering/start.html",
        survey=survey,
        respondent=respondent,
        response=response,
        definition=definition,
        resume_page=resume_page,
        open=is_open(survey),
        form=FlaskForm(),
    )


@bp.route("/<slug>/start", methods=["POST"])
@reads_first
@respondent_required
def begin(survey: Survey, respondent: Respondent):
    """Start the organisation's response (or join the one a colleague started)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        response = start_response(
            survey,
            respondent.organisation.id,
            user=respondent.user,
            device=device_from_user_agent(request.headers.get("User-Agent", "")),
            via_invitation=respondent.invitation is not None,
        )
    except SurveyClosed:
        return _closed_page(survey, respondent)
    definition = definition_for(response.version)
    page = first_unanswered_page(definition, response.answer_values())
    if page is None:
        return redirect(url_for("surveys.check", slug=survey.slug))
    return redirect(url_for("surveys.page", slug=survey.slug, page_id=page.id))


def _progress(definition, answers, page) -> dict:
    on_route = {p.id for p in route(definition, answers)}
    sections = [s for s in definition.sections if any(p.id in on_route for p in s.pages)]
    number = next((i for i, s in enumerate(sections, start=1) if s.id == page.section_id), 1)
    section = definition.sections[definition.section_number(page.section_id) - 1]
    return {"number": number, "total": len(sections), "title": section.title}


def _back_url(slug: str, definition, answers, page) -> str:
    if request.args.get("return") == "check":
        return url_for("surveys.check", slug=slug)
    back = previous_page(definition, answers, page.id)
    if back is None:
        return url_for("surveys.start", slug=slug)
    return url_for("surveys.page", slug=slug, page_id=back.id)


def _render_page(
    survey, respondent, response, definition, page, answers, raw, errors, revisions, conflicts=(), status=200
):
    back_url = _back_url(survey.slug, definition, answers, page)
    questions = visible_questions(page, answers)
    error_list = [(f"#{key}", message) for key, message in errors.items()]
    return render_template(
        "surveys/answering/page.html",
        survey=survey,
        respondent=respondent,
        response=response,
        definition=definition,
        page=page,
        questions=questions,
        raw=raw,
        errors=errors,
        error_list=error_list,
        revisions=revisions,
        conflicts=conflicts,
        back_url=back_url,
        progress=_progress(definition, answers, page),
        label=lambda text: pipe(text, definition, answers),
        field_id=field_id,
        other_key=other_key,
        DONT_KNOW=DONT_KNOW,
        form=FlaskForm(),
        display_value=display_value,
    ), status


@bp.route("/<slug>/questions/<page_id>", methods=["GET", "POST"])
@reads_first
@respondent_required
def page(survey: Survey, respondent: Respondent, page_id: str):
    """One page of questions. Leaving it with Continue, or Save and come back later, saves it."""
    posted = request.method == "POST"
    if not PAGE_ID.fullmatch(page_id):  # no page of any survey is called that (and it is not sent to the database)
        if posted:
            _refuse(survey, respondent, f"unknown page {page_id[:80]!r}")
        abort(404)
    if posted:
        response, visited = response_for(survey, respondent.organisation.id), True
    else:
        response, visited = response_and_visit(survey, respondent.organisation.id, page_id)
    if response is None:
        return redirect(url_for("surveys.start", slug=survey.slug))
    if not is_open(survey):
        return _closed_page(survey, respondent)
    definition = definition_for(response.version)
    current = definition.page(page_id)
    if current is None:
        if posted:
            _refuse(survey, respondent, f"unknown page {page_id!r}")
        abort(404)
    answers = response.answer_values()
    if not page_applies(current, answers) or not visible_questions(current, answers):
        return redirect(url_for("surveys.check", slug=survey.slug))
    if not posted:
        if not visited:
            note_page_visit(response, current.id)
        revisions = answer_revisions(response, page_keys(current))
        shown = (form_values(current, answers), {}, revisions)
        return _render_page(survey, respondent, response, definition, current, answers, *shown)
    return _page_submitted(survey, respondent, response, definition, current)


def _page_submitted(survey: Survey, respondent: Respondent, response, definition, current):
    """Save the posted page (see `submit_page`) and show what that did."""
    # Read before saving: the save's commit expires the survey, and reading it again would cost a query.
    slug = survey.slug
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        outcome = submit_page(
            survey,
            respondent,
            response,
            definition,
            current,
            request.form,
            action=request.form.get("action", "continue"),
        )
    except TamperedRequest as exc:
        _refuse(survey, respondent, str(exc))
    except SurveyClosed:
        return _closed_page(survey, respondent)
    if outcome.status in ("invalid", "conflict"):
        shown = (outcome.answers, outcome.result.raw, outcome.errors, outcome.revisions)
        return _render_page(survey, respondent, response, definition, current, *shown, conflicts=outcome.conflicts)
    if outcome.status == "back":
        return redirect(_back_url(slug, definition, outcome.answers, current))
    if outcome.status == "exited":
        return render_template(
            "surveys/answering/saved.html", survey=survey, respondent=respondent, unsaved=outcome.unsaved
        )
    if request.args.get("return") == "check" or outcome.following is None:
        return redirect(url_for("surveys.check", slug=slug))
    return redirect(url_for("surveys.page", slug=slug, page_id=outcome.following.id))


@bp.route("/<slug>/check")
@respondent_required
def check(survey: Survey, respondent: Respondent):
    """Check your answers, with Change links back to each page."""
    response = response_for(survey, respondent.organisation.id)
    if response is None:
        return redirect(url_for("surveys.start", slug=survey.slug))
    definition = definition_for(response.version)
    answers = response.answer_values()
    sections = check_sections(definition, answers)
    missing = first_unanswered_page(definition, answers)
    return render_template(
        "surveys/answering/check.html",
        survey=survey,
        respondent=respondent,
        response=response,
        sections=sections,
        missing=missing,
        open=is_open(survey),
        form=FlaskForm(),
    )


@bp.route("/<slug>/submit", methods=["POST"])
@reads_first
@respondent_required
def submit(survey: Survey, respondent: Respondent):
    """Submit the response: once only, however often the button is pressed."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    response = response_for(survey, respondent.organisation.id)
    if response is None:
        return redirect(url_for("surveys.start", slug=survey.slug))
    if request.form.get("response_ref") != response.reference:
        _refuse(survey, respondent, "response reference does not match the organisation's response")
    definition = definition_for(response.version)
    missing = first_unanswered_page(definition, response.answer_values())
    if missing is not None:
        flash("Some questions still need an answer. Answer them, then submit.", "important")
        return redirect(url_for("surveys.page", slug=survey.slug, page_id=missing.id))
    try:
        submit_and_confirm(survey, respondent, response)
    except SurveyClosed:
        return _closed_page(survey, respondent)
    except ResponseIncomplete as incomplete:
        flash("Some questions still need an answer. Answer them, then submit.", "important")
        return redirect(url_for("surveys.page", slug=survey.slug, page_id=incomplete.page.id))
    return redirect(url_for("surveys.done", slug=survey.slug))


@bp.route("/<slug>/done", methods=["GET", "POST"])
@reads_first
@respondent_required
def done(survey: Survey, respondent: Respondent):
    """The confirmation page with the reference number, and one question on satisfaction."""
    response = response_for(survey, respondent.organisation.id)
    if response is None or response.status != "submitted":
        return redirect(url_for("surveys.start", slug=survey.slug))
    form = FlaskForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        rating = request.form.get("satisfaction", "")
        if rating in {"1", "2", "3", "4", "5"}:
            record_satisfaction(response, int(rating))
            flash("Thank you for your feedback.", "success")
            return redirect(url_for("surveys.done", slug=survey.slug))
        error = "Select how satisfied you are with this survey"
    return render_template(
        "surveys/answering/done.html",
        survey=survey,
        respondent=respondent,
        response=response,
        form=form,
        error=error,
        prompts=collect(
            SURVEY_CONFIRMATION,
            organisation_id=respondent.organisation.id,
            interest=(response.submitted_answers or {}).get(FOCUS_GROUP_QUESTION),
            personal=respondent.user is not None,
        ),
    )


@bp.route("/invitation/<token>")
@public
def invitation(token: str):
    """An organisation's invitation link: lets whoever holds it answer for that organisation."""
    found = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if not invitation_is_live(found):
        return render_template("surveys/answering/invitation_invalid.html"), 404
    grant_invitation(found)
    return redirect(url_for("surveys.start", slug=found.survey.slug))
