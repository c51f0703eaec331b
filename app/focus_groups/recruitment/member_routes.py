"""Organisers' page of the members who asked, in the survey, to hear about focus groups: choose, confirm, invite."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth.decorators import role_required
from app.auth.roles import MANAGERS
from app.focus_groups import bp
from app.focus_groups.recruitment.members import chosen_members, interested_members, invite_members
from app.focus_groups.services import study_or_404


def _members(count: int) -> str:
    return f"{count} member" if count == 1 else f"{count} members"


@bp.route("/<int:study_id>/recruit/members", methods=["GET", "POST"], endpoint="interested_members")
@role_required(*MANAGERS)
def interested_members_page(study_id: int):
    """The members who said yes in the survey: tick those to invite (all not yet invited, at first), then confirm."""
    study = study_or_404(study_id)
    form = FlaskForm()
    members = interested_members(study)
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = chosen_members(study, request.form.getlist("member"))
        if chosen and study.recruiting:
            return render_template(
                "focus_groups/recruitment/members_confirm.html", study=study, chosen=chosen, form=form
            )
        error = "Select at least one member to invite" if study.recruiting else None
    return render_template(
        "focus_groups/recruitment/members.html",
        study=study,
        members=members,
        form=form,
        error=error,
        ticked={m.user.id for m in members.to_invite} if error is None else set(),
    )


@bp.route("/<int:study_id>/recruit/members/invite", methods=["POST"])
@role_required(*MANAGERS)
def invite_interested_members(study_id: int):
    """Send the confirmed invitations (each member at most once per study), then list the members again."""
    study = study_or_404(study_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    chosen = [int(value) for value in request.form.getlist("member") if value.isdigit() and len(value) < 12]
    outcome = invite_members(study, chosen, by=current_user)
    if outcome.sent:
        flash(f"Invitations sent to {_members(len(outcome.sent))}: {', '.join(outcome.sent)}.", "success")
    if outcome.already_invited:
        flash(
            f"{_members(outcome.already_invited)} had already been invited to this study, "
            "so nothing more was sent to them.",
            "important",
        )
    if outcome.not_invitable:
        flash(f"{_members(outcome.not_invitable)} could not be invited: the list has changed.", "important")
    return redirect(url_for("focus_groups.interested_members", study_id=study.id))
