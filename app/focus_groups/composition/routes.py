"""Organisers plan the groups: run the optimiser, read its explanation, lock people in or out, move by hand.

Each view parses the form and calls one service in planning.py, which owns its transaction."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.roles import MANAGERS
from app.focus_groups import bp
from app.focus_groups.composition.forms import ComposeForm, LockForm, MoveForm
from app.focus_groups.composition.optimiser import CompositionError
from app.focus_groups.composition.planning import (
    active_volunteers,
    current_groups,
    locks_for,
    move_volunteer,
    not_placed,
    plan_warnings,
    preload,
    propose_groups,
    propose_groups_job,
    set_lock,
    slot_label,
)
from app.focus_groups.services import slot_or_404, study_or_404, volunteer_or_404
from app.jobs.runner import start_job
from app.numbers import requested_page
from app.organisations.vocabulary import COUNCIL_TYPES

NOT_PLACED_PER_PAGE = 50
BACKGROUND_ABOVE = 300  # volunteers: larger pools are composed in a background job with a progress page


def _destinations(study) -> list[tuple[str, str]]:
    """Where a volunteer can be moved by hand: a candidate slot as participant or reserve, or out."""
    choices = [("out", "Not in a group")]
    for slot in study.slots:
        if slot.status == "candidate":
            choices.append((f"{slot.id}:participant", f"{slot_label(slot)}: participant"))
            choices.append((f"{slot.id}:reserve", f"{slot_label(slot)}: reserve"))
    return choices


@bp.route("/<int:study_id>/groups")
@role_required(*MANAGERS)
def groups(study_id: int):
    """The plan: each group with its coverage and reserves, the rules it breaks, and who is not placed."""
    study = study_or_404(study_id)
    preload(study)
    leftovers = not_placed(study)
    page = requested_page(request.args)
    pages = max((len(leftovers) + NOT_PLACED_PER_PAGE - 1) // NOT_PLACED_PER_PAGE, 1)
    page = min(page, pages)
    shown = leftovers[(page - 1) * NOT_PLACED_PER_PAGE : page * NOT_PLACED_PER_PAGE]
    report = study.composition_report or {}
    return render_template(
        "focus_groups/composition/plan.html",
        study=study,
        groups=current_groups(study),
        warnings=plan_warnings(study),
        leftovers=shown,
        leftover_count=len(leftovers),
        page=page,
        pages=pages,
        report=report,
        run_at=datetime.fromisoformat(report["run_at"]) if report.get("run_at") else None,
        missing_types=[COUNCIL_TYPES.get(t, t) for t in report.get("council_types_missing", [])],
        locks=locks_for(study),
        destinations=_destinations(study),
        compose_form=ComposeForm(),
        slot_label=slot_label,
    )


@bp.route("/<int:study_id>/groups/compose", methods=["POST"])
@role_required(*MANAGERS)
def compose(study_id: int):
    """Run the optimiser over the candidate slots (confirmed groups stay as they are)."""
    study = study_or_404(study_id)
    if not ComposeForm().validate_on_submit():
        flash("Nothing was changed: try again.", "important")
        return redirect(url_for("focus_groups.groups", study_id=study.id))
    if len(active_volunteers(study)) > BACKGROUND_ABOVE:
        job = start_job(
            "composition",
            f"Proposing groups for ‘{study.title}’",
            3,
            propose_groups_job,
            study.id,
            current_user.id,
            created_by=current_user,
            return_url=url_for("focus_groups.groups", study_id=study.id),
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    outcome = propose_groups(study, current_user)
    flash(outcome["message"], "success" if outcome["ok"] else "important")
    return redirect(url_for("focus_groups.groups", study_id=study.id))


@bp.route("/<int:study_id>/groups/move", methods=["POST"])
@role_required(*MANAGERS)
def move(study_id: int):
    """Move a volunteer by hand; the plan page then shows any rule the move breaks."""
    study = study_or_404(study_id)
    form = MoveForm()
    form.destination.choices = [value for value, _ in _destinations(study)]
    if not form.validate_on_submit():
        flash("Choose a volunteer and where to move them.", "important")
        return redirect(url_for("focus_groups.groups", study_id=study.id))
    volunteer = volunteer_or_404(study, form.volunteer_id.data)
    slot, role = None, "participant"
    if form.destination.data != "out":
        slot_id, _, role = form.destination.data.partition(":")
        slot = slot_or_404(study, int(slot_id))
    try:
        move_volunteer(study, volunteer, slot, role, by=current_user)
    except CompositionError as exc:
        flash(str(exc), "important")
    else:
        where = f"{slot_label(slot)} as a {role}" if slot else "out of the groups"
        flash(f"{volunteer.display_name} moved {where}.", "success")
    return redirect(url_for("focus_groups.groups", study_id=study.id))


@bp.route("/<int:study_id>/groups/lock", methods=["POST"])
@role_required(*MANAGERS)
def lock(study_id: int):
    """Lock a volunteer into or out of a group for the next run of the optimiser."""
    study = study_or_404(study_id)
    form = LockForm()
    if not form.validate_on_submit():
        flash("Choose a volunteer, a group and a lock.", "important")
        return redirect(url_for("focus_groups.groups", study_id=study.id))
    volunteer = volunteer_or_404(study, form.volunteer_id.data)
    slot = slot_or_404(study, form.slot_id.data)
    kind = None if form.kind.data == "none" else form.kind.data
    set_lock(study, volunteer, slot, kind, by=current_user)
    words = {"in": "will be kept in", "out": "will be kept out of", None: "is no longer locked to"}
    flash(f"{volunteer.display_name} {words[kind]} {slot_label(slot)} when groups are next proposed.", "success")
    return redirect(url_for("focus_groups.groups", study_id=study.id))
