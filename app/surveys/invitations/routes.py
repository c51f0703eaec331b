"""Organisers' invitation pages: the tracking dashboard, inviting organisations, reminders, and revoking
or resending an organisation's invitation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.auth.decorators import role_required
from app.auth.roles import MANAGERS
from app.extensions import db
from app.jobs.runner import start_job
from app.organisations.invitations import chosen_organisation_ids, organisations_matching
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys import bp
from app.surveys.invitations.services import (
    accepting_invitations,
    invitations_by_organisation,
    never_invited,
    organisations_part_way,
    response_status_by_organisation,
    revoke_invitation,
    send_invitations,
    send_reminders,
)
from app.surveys.invitations.tracking import build_dashboard
from app.surveys.models import Invitation, Survey
from app.surveys.services import is_open, survey_dates, survey_or_404


@bp.route("/manage/<slug>/")
@role_required(*MANAGERS)
def dashboard(slug: str):
    """Tracking: response rates by region and council type, non-responders, funnel and KPIs."""
    survey = survey_or_404(slug)
    return render_template(
        "surveys/invitations/dashboard.html",
        survey=survey,
        board=build_dashboard(survey),
        dates=survey_dates(survey),
        open=is_open(survey),
        accepting=accepting_invitations(survey),
        form=FlaskForm(),
    )


@bp.route("/manage/<slug>/invite", methods=["GET", "POST"])
@role_required(*MANAGERS)
def invite(slug: str):
    """Choose organisations (at first those never invited; filter by region and council type) and send their
    invitations; sending to organisations part-way through is confirmed first, as it retires their link."""
    survey = survey_or_404(slug)
    if not accepting_invitations(survey):
        flash("Invitations can only be sent while the survey is published and not closed.", "important")
        return redirect(url_for("surveys.dashboard", slug=slug))
    form = FlaskForm()
    organisations = organisations_matching(request.args.getlist("region"), request.args.getlist("council_type"))
    chosen, error = never_invited(survey, organisations), None
    if request.method == "POST" and form.validate_on_submit():
        chosen = chosen_organisation_ids(request.form.getlist("organisation"))
        part_way = organisations_part_way(survey, chosen)
        if chosen and part_way and request.form.get("confirmed") != "yes":
            return _confirm_resending(survey, chosen, part_way, url_for("surveys.invite", slug=slug))
        if chosen:
            return _sending_invitations(survey, chosen)
        error = "Select at least one organisation to invite"
    return render_template(
        "surveys/invitations/invite.html",
        survey=survey,
        organisations=organisations,
        invited=invitations_by_organisation(survey),
        statuses=response_status_by_organisation(survey),
        chosen=set(chosen),
        regions=REGIONS,
        council_types=COUNCIL_TYPES,
        form=form,
        error=error,
        selected_regions=request.args.getlist("region"),
        selected_types=request.args.getlist("council_type"),
    )


def _confirm_resending(survey: Survey, chosen: list[int], part_way: list[Organisation], action: str):
    """The page that asks before a new link retires the one organisations part-way through are using."""
    return render_template(
        "surveys/invitations/confirm_resend.html",
        survey=survey,
        chosen=chosen,
        part_way=part_way,
        action=action,
        form=FlaskForm(),
    )


def _sending_invitations(survey: Survey, organisation_ids: list[int]):
    """Send the chosen organisations their invitations in the background, and show the job's progress."""
    job = start_job(
        "invitations",
        f"Sending invitations to '{survey.title}'",
        len(organisation_ids),
        _invitation_work,
        survey.id,
        organisation_ids,
        current_user.id,
        created_by=current_user,
        return_url=url_for("surveys.dashboard", slug=survey.slug),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


def _invitation_work(progress, survey_id: int, organisation_ids: list[int], user_id: int) -> dict:
    from app.auth.models import User

    survey = db.session.get(Survey, survey_id)
    by = db.session.get(User, user_id)
    # Run twice (a restart, or "Try again"), the job skips whom it already invited.
    since = getattr(progress, "batch_started", None)
    return send_invitations(survey, organisation_ids, by=by, progress=progress, sent_since=since).as_dict()


def _reminder_work(progress, survey_id: int, user_id: int) -> dict:
    from app.auth.models import User

    survey = db.session.get(Survey, survey_id)
    return {"reminded": send_reminders(survey, by=db.session.get(User, user_id), progress=progress)}


@bp.route("/manage/<slug>/remind", methods=["GET", "POST"])
@role_required(*MANAGERS)
def remind(slug: str):
    """List the organisations due a reminder (not submitted, none contacted in the last 48 hours), then,
    once confirmed, remind them."""
    survey = survey_or_404(slug)
    from app.surveys.invitations.services import due_for_reminder

    due = due_for_reminder(survey)
    if not is_open(survey) or not due:
        flash(
            "No organisations are due a reminder: each is reminded at most once every 48 hours, "
            "and only while the survey is open.",
            "important",
        )
        return redirect(url_for("surveys.dashboard", slug=slug))
    if request.method == "GET":
        return render_template("surveys/invitations/remind.html", survey=survey, due=due, form=FlaskForm())
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
    survey = survey_or_404(slug)
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
    return render_template("surveys/invitations/revoke.html", survey=survey, invitation=invitation, form=FlaskForm())


@bp.route("/manage/<slug>/invitations/<int:organisation_id>/resend", methods=["POST"])
@role_required(*MANAGERS)
def resend(slug: str, organisation_id: int):
    """Send an organisation a new invitation (the old link stops working); asks first when it is part-way through."""
    survey = survey_or_404(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    part_way = organisations_part_way(survey, [organisation.id])
    if part_way and request.form.get("confirmed") != "yes":
        return _confirm_resending(survey, [organisation.id], part_way, request.path)
    from app.surveys.invitations.services import invite_organisation

    reason = invite_organisation(survey, organisation, by=current_user)
    if reason:
        flash(f"No invitation sent to {organisation.name}: {reason}.", "important")
    else:
        flash(f"A new invitation has been sent to {organisation.name}.", "success")
    return redirect(url_for("surveys.dashboard", slug=slug))
