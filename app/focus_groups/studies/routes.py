"""Organisers set up a study: its settings, discussion guide and candidate slots. Each page parses its
form and calls one service (app/focus_groups/studies/services.py), which owns the transaction."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.roles import MANAGERS
from app.clock import from_london, london
from app.focus_groups import bp
from app.focus_groups.composition.planning import current_groups
from app.focus_groups.models import GuideQuestion, Slot, Study
from app.focus_groups.services import slot_or_404, study_or_404
from app.focus_groups.studies import services
from app.focus_groups.studies.forms import GuideQuestionForm, SlotForm, StudyForm
from app.identifiers import get_or_404

SETTINGS = (
    "title",
    "theme",
    "target_groups",
    "min_size",
    "target_size",
    "max_size",
    "places_per_reserve",
    "one_per_organisation",
    "recruiting",
)


def _question_or_404(study: Study, guide_question_id: int) -> GuideQuestion:
    question = get_or_404(GuideQuestion, guide_question_id)
    if question.study_id != study.id:
        abort(404)
    return question


@bp.route("/")
@role_required(*MANAGERS)
def index():
    """Every study, newest first, with its volunteers and groups."""
    studies, volunteers, confirmed = services.studies_overview()
    return render_template(
        "focus_groups/studies/index.html", studies=studies, volunteers=volunteers, confirmed=confirmed
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def create():
    """Start a study; it comes with the brief's four-question discussion guide."""
    form = StudyForm()
    if request.method == "GET":
        form.title.data = "Who are our users?"
    if form.validate_on_submit():
        study = services.start_study(
            form.title.data,
            theme=form.theme.data or "",
            target_groups=form.target_groups.data,
            min_size=form.min_size.data,
            target_size=form.target_size.data,
            max_size=form.max_size.data,
            places_per_reserve=form.places_per_reserve.data,
            one_per_organisation=form.one_per_organisation.data,
            recruiting=form.recruiting.data,
            by=current_user,
        )
        flash(f"Study ‘{study.title}’ created. Next, add the candidate slots.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id))
    return render_template("focus_groups/studies/settings.html", form=form, study=None)


@bp.route("/<int:study_id>")
@role_required(*MANAGERS)
def study(study_id: int):
    """A study at a glance: settings, guide, slots, volunteers and groups."""
    study = study_or_404(study_id)
    return render_template(
        "focus_groups/studies/study.html",
        study=study,
        volunteer_count=services.volunteer_count(study),
        availability=services.availability_counts(study),
        groups=current_groups(study),
        london=london,
    )


@bp.route("/<int:study_id>/settings", methods=["GET", "POST"])
@role_required(*MANAGERS)
def settings(study_id: int):
    """Change a study's title, theme and group settings, or open and close recruitment."""
    study = study_or_404(study_id)
    form = StudyForm(obj=study)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in SETTINGS}
        values["theme"] = values["theme"] or ""
        services.change_settings(study, values)
        flash("Study settings saved.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id))
    return render_template("focus_groups/studies/settings.html", form=form, study=study)


@bp.route("/<int:study_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_study(study_id: int):
    """Delete a study with everything in it, after confirmation; refused once a group is confirmed."""
    study = study_or_404(study_id)
    confirmed = services.has_confirmed_group(study)
    if request.method == "POST" and not confirmed:
        title = services.delete_study(study)
        flash(f"Study ‘{title}’ deleted.", "success")
        return redirect(url_for("focus_groups.index"))
    return render_template("focus_groups/studies/delete_study.html", study=study, confirmed=confirmed)


# The discussion guide ---------------------------------------------------------------------------


@bp.route("/<int:study_id>/guide/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def add_guide_question(study_id: int):
    """Add a question to the end of the discussion guide."""
    study = study_or_404(study_id)
    form = GuideQuestionForm()
    if form.validate_on_submit():
        services.add_guide_question(study, form.text.data, form.prompts.data or "")
        flash("Question added to the guide.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")
    return render_template("focus_groups/studies/guide_question.html", form=form, study=study, question=None)


@bp.route("/<int:study_id>/guide/<int:guide_question_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_guide_question(study_id: int, guide_question_id: int):
    """Change a guide question or its prompts."""
    study = study_or_404(study_id)
    question = _question_or_404(study, guide_question_id)
    form = GuideQuestionForm(obj=question)
    if form.validate_on_submit():
        services.change_guide_question(study, question, form.text.data, form.prompts.data or "")
        flash("Question saved.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")
    return render_template("focus_groups/studies/guide_question.html", form=form, study=study, question=question)


@bp.route("/<int:study_id>/guide/<int:guide_question_id>/move", methods=["POST"])
@role_required(*MANAGERS)
def move_guide_question(study_id: int, guide_question_id: int):
    """Move a guide question up or down one place."""
    study = study_or_404(study_id)
    question = _question_or_404(study, guide_question_id)
    services.move_guide_question(study, question, up=request.form.get("direction") == "up")
    return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")


@bp.route("/<int:study_id>/guide/<int:guide_question_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_guide_question(study_id: int, guide_question_id: int):
    """Remove a question from the guide, after confirmation."""
    study = study_or_404(study_id)
    question = _question_or_404(study, guide_question_id)
    if request.method == "POST":
        services.delete_guide_question(study, question)
        flash("Question removed from the guide.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")
    return render_template("focus_groups/studies/delete_guide_question.html", study=study, question=question)


# Candidate slots -------------------------------------------------------------------------------


def _slot_page(study: Study, slot: Slot | None):
    form = SlotForm(obj=slot)
    if request.method == "GET" and slot is not None:
        local = london(slot.starts_at)
        form.day.data, form.month.data, form.year.data = local.day, local.month, local.year
        form.start_time.data = local.strftime("%H:%M")
        form.online.data = "online" if slot.online else "venue"
    if request.method == "POST":
        valid = form.validate()
        local = form.starts_at_local()
        if valid and local is not None:
            services.save_slot(
                study,
                slot,
                from_london(local),
                location=form.location.data,
                online=form.online.data == "online",
                capacity=form.capacity.data,
                duration_minutes=form.duration_minutes.data,
            )
            flash("Slot added." if slot is None else "Slot saved.", "success")
            return redirect(url_for("focus_groups.study", study_id=study.id) + "#slots")
    return render_template("focus_groups/studies/slot.html", form=form, study=study, slot=slot)


@bp.route("/<int:study_id>/slots/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def add_slot_page(study_id: int):
    """Add a candidate slot (date and time in UK time)."""
    return _slot_page(study_or_404(study_id), None)


@bp.route("/<int:study_id>/slots/<int:slot_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_slot(study_id: int, slot_id: int):
    """Change a candidate slot; a confirmed session is rescheduled from its session page instead."""
    study = study_or_404(study_id)
    slot = slot_or_404(study, slot_id)
    if slot.status == "cancelled":
        flash("This session was cancelled, so it cannot be changed. Add a new slot instead.", "important")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#slots")
    if slot.status != "candidate":
        flash("This session is confirmed: reschedule it from its session page, so participants are told.", "important")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#slots")
    return _slot_page(study, slot)


@bp.route("/<int:study_id>/slots/<int:slot_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_slot(study_id: int, slot_id: int):
    """Remove a candidate slot, after confirmation (with anyone proposed for it)."""
    study = study_or_404(study_id)
    slot = slot_or_404(study, slot_id)
    proposed = services.proposed_count(slot)
    if request.method == "POST" and slot.status == "candidate":
        services.delete_slot(study, slot)
        flash("Slot removed.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#slots")
    return render_template(
        "focus_groups/studies/delete_slot.html", study=study, slot=slot, proposed=proposed, london=london
    )
