"""Organisers set up a study: its settings, discussion guide and candidate slots."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.audit.services import record
from app.auth.decorators import role_required
from app.auth.roles import ADMIN, ORGANISER
from app.clock import from_london, london
from app.extensions import db
from app.focus_groups import bp
from app.focus_groups.composition.planning import current_groups
from app.focus_groups.forms import GuideQuestionForm, SlotForm, StudyForm
from app.focus_groups.models import GuideQuestion, Placement, Slot, Study, Volunteer
from app.focus_groups.services import add_slot, create_study, slot_or_404, study_or_404
from app.identifiers import get_or_404

MANAGERS = (ADMIN, ORGANISER)
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
    studies = db.session.scalars(select(Study).order_by(Study.id.desc())).all()
    volunteers = dict(
        db.session.execute(
            select(Volunteer.study_id, func.count(Volunteer.id))
            .where(Volunteer.withdrawn_at.is_(None))
            .group_by(Volunteer.study_id)
        ).all()
    )
    confirmed = dict(
        db.session.execute(
            select(Slot.study_id, func.count(Slot.id)).where(Slot.status == "confirmed").group_by(Slot.study_id)
        ).all()
    )
    return render_template("focus_groups/setup/index.html", studies=studies, volunteers=volunteers, confirmed=confirmed)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def create():
    """Start a study; it comes with the brief's four-question discussion guide."""
    form = StudyForm()
    if request.method == "GET":
        form.title.data = "Who are our users?"
    if form.validate_on_submit():
        study = create_study(
            form.title.data,
            theme=form.theme.data or "",
            target_groups=form.target_groups.data,
            min_size=form.min_size.data,
            target_size=form.target_size.data,
            max_size=form.max_size.data,
            places_per_reserve=form.places_per_reserve.data,
            by=current_user,
        )
        study.one_per_organisation = form.one_per_organisation.data
        study.recruiting = form.recruiting.data
        db.session.commit()
        flash(f"Study ‘{study.title}’ created. Next, add the candidate slots.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id))
    return render_template("focus_groups/setup/settings.html", form=form, study=None)


@bp.route("/<int:study_id>")
@role_required(*MANAGERS)
def study(study_id: int):
    """A study at a glance: settings, guide, slots, volunteers and groups."""
    study = study_or_404(study_id)
    volunteer_count = db.session.scalar(
        select(func.count(Volunteer.id)).where(Volunteer.study_id == study.id, Volunteer.withdrawn_at.is_(None))
    )
    availability = _availability_counts(study)
    return render_template(
        "focus_groups/setup/study.html",
        study=study,
        volunteer_count=volunteer_count,
        availability=availability,
        groups=current_groups(study),
        london=london,
    )


def _availability_counts(study: Study) -> dict[int, dict[str, int]]:
    from app.focus_groups.models import Availability

    counts: dict[int, dict[str, int]] = {slot.id: {"yes": 0, "if_need_be": 0} for slot in study.slots}
    rows = db.session.execute(
        select(Availability.slot_id, Availability.answer, func.count())
        .join(Volunteer, Volunteer.id == Availability.volunteer_id)
        .where(Volunteer.study_id == study.id, Volunteer.withdrawn_at.is_(None))
        .group_by(Availability.slot_id, Availability.answer)
    ).all()
    for slot_id, answer, count in rows:
        if slot_id in counts and answer in counts[slot_id]:
            counts[slot_id][answer] = count
    return counts


@bp.route("/<int:study_id>/settings", methods=["GET", "POST"])
@role_required(*MANAGERS)
def settings(study_id: int):
    """Change a study's title, theme and group settings, or open and close recruitment."""
    study = study_or_404(study_id)
    form = StudyForm(obj=study)
    if form.validate_on_submit():
        changes = {}
        for name in SETTINGS:
            value = getattr(form, name).data
            if name == "theme":
                value = value or ""
            if getattr(study, name) != value:
                changes[name] = value
                setattr(study, name, value)
        record("focus_groups.study_changed", study, changed=sorted(changes))
        db.session.commit()
        flash("Study settings saved.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id))
    return render_template("focus_groups/setup/settings.html", form=form, study=study)


@bp.route("/<int:study_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_study(study_id: int):
    """Delete a study with everything in it, after confirmation; refused once a group is confirmed."""
    study = study_or_404(study_id)
    confirmed = any(slot.status == "confirmed" for slot in study.slots)
    if request.method == "POST" and not confirmed:
        title = study.title
        record("focus_groups.study_deleted", study, title=title)
        db.session.delete(study)
        db.session.commit()
        flash(f"Study ‘{title}’ deleted.", "success")
        return redirect(url_for("focus_groups.index"))
    return render_template("focus_groups/setup/delete_study.html", study=study, confirmed=confirmed)


# The discussion guide ---------------------------------------------------------------------------


@bp.route("/<int:study_id>/guide/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def add_guide_question(study_id: int):
    """Add a question to the end of the discussion guide."""
    study = study_or_404(study_id)
    form = GuideQuestionForm()
    if form.validate_on_submit():
        position = max((q.position for q in study.questions), default=0) + 1
        question = GuideQuestion(study=study, position=position, text=form.text.data, prompts=form.prompts.data or "")
        db.session.add(question)
        db.session.flush()
        record("focus_groups.guide_question_added", question, study=study.id)
        db.session.commit()
        flash("Question added to the guide.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")
    return render_template("focus_groups/setup/guide_question.html", form=form, study=study, question=None)


@bp.route("/<int:study_id>/guide/<int:guide_question_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_guide_question(study_id: int, guide_question_id: int):
    """Change a guide question or its prompts."""
    study = study_or_404(study_id)
    question = _question_or_404(study, guide_question_id)
    form = GuideQuestionForm(obj=question)
    if form.validate_on_submit():
        question.text = form.text.data
        question.prompts = form.prompts.data or ""
        record("focus_groups.guide_question_changed", question, study=study.id)
        db.session.commit()
        flash("Question saved.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")
    return render_template("focus_groups/setup/guide_question.html", form=form, study=study, question=question)


@bp.route("/<int:study_id>/guide/<int:guide_question_id>/move", methods=["POST"])
@role_required(*MANAGERS)
def move_guide_question(study_id: int, guide_question_id: int):
    """Move a guide question up or down one place."""
    study = study_or_404(study_id)
    question = _question_or_404(study, guide_question_id)
    questions = list(study.questions)
    index = questions.index(question)
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
        for position, item in enumerate(questions, start=1):
            item.position = position
        record("focus_groups.guide_question_moved", question, study=study.id)
        db.session.commit()
    return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")


@bp.route("/<int:study_id>/guide/<int:guide_question_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_guide_question(study_id: int, guide_question_id: int):
    """Remove a question from the guide, after confirmation."""
    study = study_or_404(study_id)
    question = _question_or_404(study, guide_question_id)
    if request.method == "POST":
        record("focus_groups.guide_question_deleted", question, study=study.id, text=question.text[:200])
        db.session.delete(question)
        db.session.flush()
        for position, item in enumerate(sorted(study.questions, key=lambda q: q.position), start=1):
            item.position = position
        db.session.commit()
        flash("Question removed from the guide.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#guide")
    return render_template("focus_groups/setup/delete_guide_question.html", study=study, question=question)


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
            starts_at = from_london(local)
            online = form.online.data == "online"
            if slot is None:
                slot = add_slot(
                    study,
                    starts_at,
                    location=form.location.data,
                    online=online,
                    capacity=form.capacity.data,
                    duration_minutes=form.duration_minutes.data,
                )
                flash("Slot added.", "success")
            else:
                slot.starts_at = starts_at
                slot.location = form.location.data
                slot.online = online
                slot.capacity = form.capacity.data
                slot.duration_minutes = form.duration_minutes.data
                record("focus_groups.slot_changed", slot, study=study.id)
                flash("Slot saved.", "success")
            db.session.commit()
            return redirect(url_for("focus_groups.study", study_id=study.id) + "#slots")
    return render_template("focus_groups/setup/slot.html", form=form, study=study, slot=slot)


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
    proposed = db.session.scalar(select(func.count(Placement.id)).where(Placement.slot_id == slot.id))
    if request.method == "POST" and slot.status == "candidate":
        record("focus_groups.slot_deleted", slot, study=study.id)
        db.session.delete(slot)
        db.session.commit()
        flash("Slot removed.", "success")
        return redirect(url_for("focus_groups.study", study_id=study.id) + "#slots")
    return render_template(
        "focus_groups/setup/delete_slot.html", study=study, slot=slot, proposed=proposed, london=london
    )
