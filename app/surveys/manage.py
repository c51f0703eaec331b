"""Organisers' pages: the survey list, tracking dashboard, invitations and reminders, dates,
publishing, and the definition as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import func, select

from app.audit.services import record
from app.auth.decorators import role_required
from app.auth.roles import ADMIN, ORGANISER
from app.clock import LONDON, aware
from app.database import write_transaction
from app.extensions import db
from app.identifiers import parse_id
from app.jobs.runner import start_job
from app.numbers import json_safe, parse_whole_number
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys import bp
from app.surveys.authoring.definition import definition_problems
from app.surveys.invitations import (
    accepting_invitations,
    revoke_invitation,
    send_invitations,
    send_reminders,
)
from app.surveys.models import Invitation, Response, Survey
from app.surveys.services import find_survey, is_open, publish_draft, unique_slug
from app.surveys.tracking import build_dashboard
from app.uploads import JSON_LIMITS, UploadRefused, json_document, read_upload

MANAGERS = (ADMIN, ORGANISER)


def _survey(slug: str) -> Survey:
    survey = find_survey(slug)
    if survey is None:
        abort(404)
    return survey


@bp.route("/manage/")
@role_required(*MANAGERS)
def manage_index():
    """Every survey, with its state and how many organisations have submitted."""
    surveys = db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())).all()
    counts = dict(
        db.session.execute(
            select(Response.survey_id, func.count(Response.id))
            .where(Response.status == "submitted")
            .group_by(Response.survey_id)
        ).all()
    )
    return render_template("surveys/manage/index.html", surveys=surveys, counts=counts, is_open=is_open)


@bp.route("/manage/<slug>/")
@role_required(*MANAGERS)
def dashboard(slug: str):
    """Tracking: response rates by region and council type, non-responders, funnel and KPIs."""
    survey = _survey(slug)
    return render_template(
        "surveys/manage/dashboard.html",
        survey=survey,
        board=build_dashboard(survey),
        open=is_open(survey),
        accepting=accepting_invitations(survey),
        form=FlaskForm(),
    )


def _filtered_organisations(args) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    regions = [r for r in args.getlist("region") if r in REGIONS]
    types = [t for t in args.getlist("council_type") if t in COUNCIL_TYPES]
    if regions:
        query = query.where(Organisation.region.in_(regions))
    if types:
        query = query.where(Organisation.council_type.in_(types))
    return db.session.scalars(query).all()


@bp.route("/manage/<slug>/invite", methods=["GET", "POST"])
@role_required(*MANAGERS)
def invite(slug: str):
    """Choose organisations (all, or by region and council type) and send their invitations."""
    survey = _survey(slug)
    if not accepting_invitations(survey):
        flash("Invitations can only be sent while the survey is published and not closed.", "important")
        return redirect(url_for("surveys.dashboard", slug=slug))
    form = FlaskForm()
    organisations = _filtered_organisations(request.args)
    invited = {
        i.organisation_id: i for i in db.session.scalars(select(Invitation).where(Invitation.survey_id == survey.id))
    }
    error = None
    if request.method == "POST" and form.validate_on_submit():
        chosen = {number for v in request.form.getlist("organisation") if (number := parse_id(v)) is not None}
        known = {o.id for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(chosen)))}
        if not known:
            error = "Select at least one organisation to invite"
        else:
            job = start_job(
                "invitations",
                f"Sending invitations to '{survey.title}'",
                len(known),
                _invitation_work,
                survey.id,
                sorted(known),
                current_user.id,
                created_by=current_user,
                return_url=url_for("surveys.dashboard", slug=slug),
            )
            return redirect(url_for("jobs.show", job_id=job.id))
    return render_template(
        "surveys/manage/invite.html",
        survey=survey,
        organisations=organisations,
        invited=invited,
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
        form=form,
        error=error,
        selected_regions=request.args.getlist("region"),
        selected_types=request.args.getlist("council_type"),
    )


def _invitation_work(progress, survey_id: int, organisation_ids: list[int], user_id: int) -> dict:
    from app.auth.models import User

    survey = db.session.get(Survey, survey_id)
    return send_invitations(survey, organisation_ids, by=db.session.get(User, user_id), progress=progress).as_dict()


def _reminder_work(progress, survey_id: int, user_id: int) -> dict:
    from app.auth.models import User

    survey = db.session.get(Survey, survey_id)
    return {"reminded": send_reminders(survey, by=db.session.get(User, user_id), progress=progress)}


@bp.route("/manage/<slug>/remind", methods=["POST"])
@role_required(*MANAGERS)
def remind(slug: str):
    """Remind every organisation that has not submitted (none contacted in the last 48 hours)."""
    survey = _survey(slug)
    from app.surveys.invitations import due_for_reminder

    due = due_for_reminder(survey)
    if not is_open(survey) or not due:
        flash(
            "No organisations are due a reminder: each is reminded at most once every 48 hours, "
            "and only while the survey is open.",
            "important",
        )
        return redirect(url_for("surveys.dashboard", slug=slug))
    job = start_job(
        "reminders",
        f"Sending reminders for '{survey.title}'",
        len(due),
        _reminder_work,
        survey.id,
        current_user.id,
        created_by=current_user,
        return_url=url_for("surveys.dashboard", slug=slug),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/manage/<slug>/invitations/<int:organisation_id>/revoke", methods=["GET", "POST"])
@role_required(*MANAGERS)
def revoke(slug: str, organisation_id: int):
    """Confirm, then stop an organisation's invitation link working."""
    survey = _survey(slug)
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.survey_id == survey.id, Invitation.organisation_id == organisation_id)
    )
    if invitation is None or invitation.revoked_at is not None:
        abort(404)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        revoke_invitation(invitation, by=current_user)
        flash(f"{invitation.organisation.name}'s invitation link no longer works.", "success")
        return redirect(url_for("surveys.dashboard", slug=slug))
    return render_template("surveys/manage/revoke.html", survey=survey, invitation=invitation, form=FlaskForm())


@bp.route("/manage/<slug>/invitations/<int:organisation_id>/resend", methods=["POST"])
@role_required(*MANAGERS)
def resend(slug: str, organisation_id: int):
    """Send an organisation a new invitation (the old link stops working)."""
    survey = _survey(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    from app.surveys.invitations import invite_organisation

    reason = invite_organisation(survey, organisation, by=current_user)
    if reason:
        flash(f"No invitation sent to {organisation.name}: {reason}.", "important")
    else:
        flash(f"A new invitation has been sent to {organisation.name}.", "success")
    return redirect(url_for("surveys.dashboard", slug=slug))


def _parse_date(prefix: str, form, errors: dict) -> date | None:
    parts = [form.get(f"{prefix}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (parse_whole_number(part, minimum=1, maximum=9999, thousands=False) for part in parts)
        return date(year, month, day)
    except ValueError:  # NumberError is one
        errors[f"{prefix}-day"] = f"The {'opening' if prefix == 'opens' else 'closing'} date must be a real date"
        return None


@bp.route("/manage/<slug>/access", methods=["POST"])
@role_required(*MANAGERS)
def set_open_to_all_members(slug: str):
    """Open the survey to every member, or only to invited organisations (the default)."""
    survey = _survey(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    survey.open_to_all_members = request.form.get("open") == "yes"
    record("survey-access-changed", survey, open_to_all_members=survey.open_to_all_members)
    db.session.commit()
    if survey.open_to_all_members:
        flash("Every member can now answer this survey for their organisation.", "success")
    else:
        flash("Only invited organisations can now answer this survey.", "success")
    return redirect(url_for("surveys.dashboard", slug=survey.slug))


@bp.route("/manage/<slug>/dates", methods=["GET", "POST"])
@role_required(*MANAGERS)
def dates(slug: str):
    """Set the opening and closing dates (the survey opens at the start and closes at the end of the day)."""
    survey = _survey(slug)
    form = FlaskForm()
    errors: dict[str, str] = {}
    values = {}
    for prefix, moment in (("opens", survey.opens_at), ("closes", survey.closes_at)):
        local = aware(moment).astimezone(LONDON).date() if moment else None
        for part in ("day", "month", "year"):
            values[f"{prefix}-{part}"] = str(getattr(local, part)) if local else ""
    if request.method == "POST" and form.validate_on_submit():
        values = {k: request.form.get(k, "") for k in values}
        opens = _parse_date("opens", request.form, errors)
        closes = _parse_date("closes", request.form, errors)
        if opens and closes and closes < opens:
            errors["closes-day"] = "The closing date must be the same as or after the opening date"
        if not errors:
            survey.opens_at = datetime.combine(opens, time(), tzinfo=LONDON).astimezone(UTC) if opens else None
            survey.closes_at = (
                datetime.combine(closes, time(23, 59, 59), tzinfo=LONDON).astimezone(UTC) if closes else None
            )
            record(
                "survey-dates-changed",
                survey,
                opens=str(opens) if opens else None,
                closes=str(closes) if closes else None,
            )
            db.session.commit()
            flash("Dates saved.", "success")
            return redirect(url_for("surveys.dashboard", slug=slug))
    return render_template("surveys/manage/dates.html", survey=survey, form=form, errors=errors, values=values)


@bp.route("/manage/<slug>/publish", methods=["GET", "POST"])
@role_required(*MANAGERS)
def publish(slug: str):
    """Confirm, then publish the draft as a new version (published versions never change)."""
    survey = _survey(slug)
    problems = definition_problems(survey.draft)
    unchanged = survey.current_version is not None and survey.current_version.definition == survey.draft
    if request.method == "POST" and not problems and not unchanged:
        if not FlaskForm().validate_on_submit():
            abort(400)
        version = publish_draft(survey, by=current_user)
        flash(f"Version {version.number} is published. New responses will answer it.", "success")
        return redirect(url_for("surveys.dashboard", slug=slug))
    return render_template(
        "surveys/manage/publish.html", survey=survey, problems=problems, unchanged=unchanged, form=FlaskForm()
    )


@bp.route("/manage/<slug>/definition.json")
@role_required(*MANAGERS)
def export_definition(slug: str):
    """Download the draft definition as JSON."""
    survey = _survey(slug)
    with write_transaction():  # a GET that writes
        record("survey-definition-exported", survey)
    return HttpResponse(
        json.dumps(json_safe(survey.draft), indent=2, ensure_ascii=False, allow_nan=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename={survey.slug}.json"},
    )


class ImportDefinitionForm(FlaskForm):
    """A JSON survey definition file."""

    file = FileField(
        "Upload a survey definition (JSON)",
        validators=[FileRequired("Select a JSON file"), FileAllowed(["json"], "The selected file must be a JSON file")],
    )


@bp.route("/manage/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
def import_definition():
    """Upload a JSON definition to create a new draft survey; every problem in it is listed."""
    form = ImportDefinitionForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            data = json_document(read_upload(form.file.data, JSON_LIMITS.max_bytes))
        except UploadRefused as refusal:  # the file as a whole: shown on the file field
            form.file.errors.append(str(refusal))
        else:
            problems = definition_problems(data)
            if not problems:
                survey = Survey(slug=unique_slug(data["title"]), title=data["title"], draft=data)
                db.session.add(survey)
                db.session.flush()
                record("survey-imported", survey, title=survey.title)
                db.session.commit()
                flash(f"Draft survey '{survey.title}' created. Check it, then publish it.", "success")
                return redirect(url_for("surveys.dashboard", slug=survey.slug))
    return render_template("surveys/manage/import.html", form=form, problems=problems)
