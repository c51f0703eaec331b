"""Answering the survey: start, one page at a time, check answers, submit, confirmation."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.audit.services import record
from app.auth.decorators import public, role_required
from app.auth.roles import MEMBER
from app.database import reads_first, write_transaction
from app.email.sender import external_url, send_email
from app.extensions import db
from app.hooks import SURVEY_CONFIRMATION, collect
from app.numbers import NumberError, parse_whole_number
from app.surveys import answering, bp
from app.surveys.access import Respondent, grant_invitation, invitation_is_live, respondent_required
from app.surveys.answering import (
    DONT_KNOW,
    TamperedAnswer,
    display_value,
    field_id,
    first_unanswered_page,
    form_values,
    other_key,
    page_applies,
    pipe,
    previous_page,
    question_has_error,
    read_page,
    relevant_answers,
    route,
    visible_questions,
)
from app.surveys.invitations import token_hash
from app.surveys.models import Invitation, Survey
from app.surveys.services import (
    ResponseIncomplete,
    SurveyClosed,
    answer_revisions,
    definition_for,
    device_from_user_agent,
    is_open,
    note_page_visit,
    record_satisfaction,
    response_and_visit,
    response_for,
    save_answers,
    start_response,
    submit_response,
    surveys_for_organisation,
)

FIXED_FIELDS = {"csrf_token", "action", "response_ref"}
PAGE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")  # as survey-definition.schema.json allows


def _refuse(survey: Survey, respondent: Respondent, reason: str):
    """A request no page of ours could have sent: refuse it and keep a record."""
    with write_transaction():
        record(
            "survey-tampered-request",
            object_type="survey",
            object_id=survey.id,
            actor=respondent.user,
            reason=reason[:200],
            organisation_id=respondent.organisation.id,
        )
    current_app.logger.warning("Refused tampered survey request: %s", reason)
    abort(400)


def _closed_page(survey: Survey, respondent: Respondent):
    return render_template("surveys/closed.html", survey=survey, respondent=respondent), 200


def _revision(text: str) -> int:
    """An answer's revision as the page was rendered with (0, so a conflict, when it is not one)."""
    try:
        return parse_whole_number(text, minimum=0, thousands=False)
    except NumberError:
        return 0


def _allowed_fields(page) -> set[str]:
    names: set[str] = set()
    for question in page.questions:
        qid = question.id
        names |= {qid, other_key(qid), f"{qid}.{DONT_KNOW}", f"rev-{qid}", f"rev-{other_key(qid)}"}
        names |= {f"{qid}-{part}" for part in ("day", "month", "year")}
        names |= {f"{qid}.{item.id}" for item in (*question.rows, *question.categories)}
    return names


@bp.route("/")
@role_required(MEMBER)
def index():
    """The surveys a member's organisation is asked to answer, and how far it has got."""
    if not current_user.organisation_id:
        return render_template("surveys/index.html", items=[], organisation=None)
    items = surveys_for_organisation(current_user.organisation_id)
    return render_template("surveys/index.html", items=items, organisation=current_user.organisation, is_open=is_open)


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
        "surveys/start.html",
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


def _back_url(survey, definition, answers, page) -> str:
    if request.args.get("return") == "check":
        return url_for("surveys.check", slug=survey.slug)
    back = previous_page(definition, answers, page.id)
    if back is None:
        return url_for("surveys.start", slug=survey.slug)
    return url_for("surveys.page", slug=survey.slug, page_id=back.id)


def _render_page(
    survey, respondent, response, definition, page, answers, raw, errors, revisions, conflicts=(), status=200
):
    back_url = _back_url(survey, definition, answers, page)
    questions = visible_questions(page, answers)
    error_list = [(f"#{key}", message) for key, message in errors.items()]
    return render_template(
        "surveys/page.html",
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
    slug = survey.slug
    if not PAGE_ID.fullmatch(page_id):  # no page of any survey is called that (and it is not sent to the database)
        if request.method == "POST":
            _refuse(survey, respondent, f"unknown page {page_id[:80]!r}")
        abort(404)
    if request.method == "GET":
        response, visited = response_and_visit(survey, respondent.organisation.id, page_id)
    else:
        response, visited = response_for(survey, respondent.organisation.id), True
    if response is None:
        return redirect(url_for("surveys.start", slug=survey.slug))
    if not is_open(survey):
        return _closed_page(survey, respondent)
    definition = definition_for(response.version)
    current = definition.page(page_id)
    if current is None:
        if request.method == "POST":
            _refuse(survey, respondent, f"unknown page {page_id!r}")
        abort(404)
    answers = response.answer_values()
    if not page_applies(current, answers) or not visible_questions(current, answers):
        return redirect(url_for("surveys.check", slug=survey.slug))
    keys = [k for q in current.questions for k in (q.id, other_key(q.id))]

    if request.method == "GET":
        if not visited:
            note_page_visit(response, current.id)
        return _render_page(
            survey,
            respondent,
            response,
            definition,
            current,
            answers,
            form_values(current, answers),
            {},
            answer_revisions(response, keys),
        )

    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("response_ref") != response.reference:
        _refuse(survey, respondent, "response reference does not match the organisation's response")
    unknown = set(request.form) - FIXED_FIELDS - _allowed_fields(current)
    if unknown:
        _refuse(survey, respondent, f"fields not on page {current.id}: {sorted(unknown)[:5]}")
    try:
        result = read_page(definition, current, request.form, answers)
    except TamperedAnswer as exc:
        _refuse(survey, respondent, str(exc))
    loaded = {key: _revision(request.form.get(f"rev-{key}", "0")) for key in keys}
    action = request.form.get("action", "continue")

    if action in ("save_exit", "back"):
        # Leaving the page keeps what is valid; anything with a problem is left as it was.
        bad = {q.id for q in current.questions if question_has_error(q.id, result.errors)}
        result.values = {k: v for k, v in result.values.items() if k.split("__")[0] not in bad}
        try:
            conflicts = save_answers(
                response, result, loaded_revisions=loaded, user=respondent.user, label=respondent.label
            )
        except SurveyClosed:
            return _closed_page(survey, respondent)
        if conflicts:
            db.session.expire(response)
            return _render_page(
                survey,
                respondent,
                response,
                definition,
                current,
                response.answer_values(),
                result.raw,
                {},
                answer_revisions(response, keys),
                conflicts=conflicts,
            )
        if action == "back":
            db.session.expire(response)
            return redirect(_back_url(survey, definition, response.answer_values(), current))
        if respondent.email:
            sent = send_email(
                respondent.email,
                f"Your answers to '{survey.title}' are saved",
                "survey_resume",
                add_to_session=False,
                survey=survey,
                organisation=respondent.organisation,
                link=external_url("surveys.start", slug=survey.slug),
                closes_at=survey.closes_at,
                via_invitation=respondent.user is None,
            )
            with write_transaction():
                db.session.add(sent)
        return render_template("surveys/saved.html", survey=survey, respondent=respondent, unsaved=bool(bad))

    if not result.ok:
        return _render_page(
            survey, respondent, response, definition, current, answers, result.raw, result.errors, loaded, status=200
        )
    try:
        conflicts = save_answers(
            response, result, loaded_revisions=loaded, user=respondent.user, label=respondent.label
        )
    except SurveyClosed:
        return _closed_page(survey, respondent)
    if conflicts:
        db.session.expire(response)
        fresh = response.answer_values()
        return _render_page(
            survey,
            respondent,
            response,
            definition,
            current,
            fresh,
            result.raw,
            {},
            answer_revisions(response, keys),
            conflicts=conflicts,
        )
    # Saved without conflicts: what is stored is what was loaded with this page's answers on top, so
    # the next page is worked out without reading everything again (saving expired what was loaded).
    answers = {**answers, **{k: v for k, v in result.values.items() if v is not None or k in answers}}
    if request.args.get("return") == "check":
        return redirect(url_for("surveys.check", slug=slug))
    following = answering.next_page(definition, answers, current.id)
    if following is None:
        return redirect(url_for("surveys.check", slug=slug))
    return redirect(url_for("surveys.page", slug=slug, page_id=following.id))


@bp.route("/<slug>/check")
@respondent_required
def check(survey: Survey, respondent: Respondent):
    """Check your answers, with Change links back to each page."""
    response = response_for(survey, respondent.organisation.id)
    if response is None:
        return redirect(url_for("surveys.start", slug=survey.slug))
    definition = definition_for(response.version)
    answers = response.answer_values()
    shown = relevant_answers(definition, answers)
    sections = []
    on_route = {p.id for p in route(definition, answers)}
    for section in definition.sections:
        rows = []
        for page_ in section.pages:
            if page_.id not in on_route:
                continue
            for question in visible_questions(page_, answers):
                value = display_value(question, shown.get(question.id))
                other = shown.get(other_key(question.id))
                if other:
                    value = f"{value} ({other})"
                rows.append(
                    {
                        "label": pipe(question.label, definition, answers),
                        "value": value,
                        "page": page_.id,
                        "question": question,
                    }
                )
        if rows:
            sections.append({"title": section.title, "rows": rows})
    missing = first_unanswered_page(definition, answers)
    return render_template(
        "surveys/check.html",
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
        submitted_now = submit_response(response, user=respondent.user)
    except SurveyClosed:
        return _closed_page(survey, respondent)
    except ResponseIncomplete as incomplete:
        flash("Some questions still need an answer. Answer them, then submit.", "important")
        return redirect(url_for("surveys.page", slug=survey.slug, page_id=incomplete.page.id))
    if submitted_now and respondent.email:
        sent = send_email(
            respondent.email,
            f"We have your answers to '{survey.title}'",
            "survey_receipt",
            add_to_session=False,
            survey=survey,
            organisation=respondent.organisation,
            reference=response.reference,
            changed=response.submission_count > 1,
            link=external_url("surveys.start", slug=survey.slug),
        )
        with write_transaction():
            db.session.add(sent)
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
        "surveys/done.html",
        survey=survey,
        respondent=respondent,
        response=response,
        form=form,
        error=error,
        prompts=collect(SURVEY_CONFIRMATION, organisation_id=respondent.organisation.id),
    )


@bp.route("/invitation/<token>")
@public
def invitation(token: str):
    """An organisation's invitation link: lets whoever holds it answer for that organisation."""
    found = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if not invitation_is_live(found):
        return render_template("surveys/invitation_invalid.html"), 404
    grant_invitation(found)
    return redirect(url_for("surveys.start", slug=found.survey.slug))
