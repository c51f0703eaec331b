"""Pages for running sessions: confirming a group, changing or cancelling it, staff and attendance
(organisers); the sessions a facilitator works on; and volunteers' own links to answer an
invitation or leave the study, which need no account. Each page parses its request and calls one
service of the scheduling package, which owns its transaction."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth.decorators import public, role_required
from app.auth.roles import ADMIN, FACILITATOR, MANAGERS, ORGANISER
from app.clock import from_london, london, utcnow
from app.focus_groups import bp
from app.focus_groups.models import ATTENDANCE, PLACEMENT_ROLES, PLACEMENT_STATUSES, SLOT_STATUSES, Placement, Slot
from app.focus_groups.scheduling.access import can_see_session, sessions_for
from app.focus_groups.scheduling.changes import (
    attendance_rows,
    cancel_slot,
    record_attendance,
    reschedule_slot,
    set_names_visible,
    set_staff,
)
from app.focus_groups.scheduling.invitations import confirm_slot, respond, send_session_emails, to_invite
from app.focus_groups.scheduling.placements import (
    ATTENDING,
    has_started,
    is_upcoming_session,
    participants,
    waiting_reserves,
)
from app.focus_groups.scheduling.staff import facilitators
from app.focus_groups.scheduling.withdrawal import leave_study
from app.focus_groups.services import slot_ends_at, slot_or_404, study_or_404, volunteer_by_token, volunteer_token
from app.focus_groups.studies.forms import SlotForm
from app.identifiers import get_or_404, parse_id
from app.jobs.runner import start_job

SESSION_STAFF = (FACILITATOR, ORGANISER, ADMIN)


def _email_job(slot, kind: str, placement_ids: list[int], title: str):
    """Send a session's emails in the background and show the progress page."""
    job = start_job(
        "fg_session_emails",
        title,
        len(placement_ids),
        _email_work,
        slot.id,
        kind,
        placement_ids,
        current_user.id,
        created_by=current_user,
        return_url=url_for("focus_groups.slot_detail", study_id=slot.study_id, slot_id=slot.id),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


def _email_work(progress, slot_id: int, kind: str, placement_ids: list[int], by_id: int) -> dict:
    since = getattr(progress, "batch_started", None)  # run twice, the job skips whom it already emailed
    return send_session_emails(slot_id, kind, placement_ids, by_id=by_id, progress=progress, since=since)


def _slot_context(slot) -> dict:
    return {
        "study": slot.study,
        "slot": slot,
        "starts_at": london(slot.starts_at),
        "ends_at": london(slot_ends_at(slot)),
        "statuses": SLOT_STATUSES,
        "placement_statuses": PLACEMENT_STATUSES,
        "roles": PLACEMENT_ROLES,
        "attendance": ATTENDANCE,
    }


# --- Organisers: one session ------------------------------------------------------------------


@bp.route("/<int:study_id>/slots/<int:slot_id>")
@role_required(*MANAGERS)
def slot_detail(study_id: int, slot_id: int):
    """A session for organisers: when and where, its staff, its people and what can be done next."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    people = sorted(slot.placements, key=lambda p: (p.role != "participant", p.reserve_rank or 0, p.id))
    return render_template(
        "focus_groups/scheduling/slot.html",
        people=people,
        staff=facilitators(),
        started=has_started(slot),
        upcoming=is_upcoming_session(slot),
        form=FlaskForm(),
        **_slot_context(slot),
    )


@bp.route("/<int:study_id>/slots/<int:slot_id>/staff", methods=["POST"])
@role_required(*MANAGERS)
def slot_staff(study_id: int, slot_id: int):
    """Choose the session's facilitator and note-taker from the people with the facilitator role."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    if slot.status != "confirmed":
        flash("Choose the facilitator and note-taker once the group is confirmed.", "important")
        return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
    allowed = {person.id for person in facilitators()}
    chosen = []
    for field in ("facilitator", "note_taker"):
        value = request.form.get(field, "")
        person_id = parse_id(value)
        if value and person_id not in allowed:
            flash("Choose someone with the facilitator role, or nobody.", "important")
            return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
        chosen.append(person_id if value else None)
    set_staff(slot, chosen[0], chosen[1], by=current_user)
    flash("Facilitator and note-taker saved.", "success")
    return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))


@bp.route("/<int:study_id>/slots/<int:slot_id>/names", methods=["POST"])
@role_required(*MANAGERS)
def slot_names(study_id: int, slot_id: int):
    """Let the session's facilitator and note-taker see participants' names, or hide them again."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    if slot.status != "confirmed":
        flash("Names can be shown to the facilitator only for a confirmed session.", "important")
        return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
    visible = request.form.get("names_visible") == "yes"
    set_names_visible(slot, visible, by=current_user)
    flash(
        "The facilitator and note-taker can now see names." if visible else "Names are hidden: pseudonyms only.",
        "success",
    )
    return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))


@bp.route("/<int:study_id>/slots/<int:slot_id>/confirm", methods=["GET", "POST"], endpoint="confirm_slot")
@role_required(*MANAGERS)
def confirm_slot_route(study_id: int, slot_id: int):
    """Check who will be invited, then confirm the group and send their invitations."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    invitees = to_invite(slot) if slot.status == "candidate" else []
    problem = None
    if slot.status != "candidate":
        problem = "This group is already confirmed." if slot.status == "confirmed" else "This session was cancelled."
    elif has_started(slot):
        problem = "This slot's time has passed. Change the slot's date before confirming it."
    elif not invitees:
        problem = "Nobody is placed in this group yet. Compose the groups first."
    if request.method == "POST":
        if problem is None:
            try:
                placement_ids = confirm_slot(slot, by=current_user)
            except ValueError:  # someone else confirmed it a moment ago
                flash("This group has just been confirmed by someone else.", "important")
                return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
            return _email_job(slot, "invite", placement_ids, f"Sending invitations for {slot.label}")
    return render_template(
        "focus_groups/scheduling/confirm.html",
        invitees=invitees,
        reserves=waiting_reserves(slot),
        problem=problem,
        form=FlaskForm(),
        **_slot_context(slot),
    )


class RescheduleForm(SlotForm):
    """A confirmed session's new date, time, length and place: the set-up form's fields and date
    parser, without the number of places (the group is already chosen)."""

    capacity = None

    def fill_from(self, slot: Slot) -> None:
        """Show the session's current date, time, length and place, to be changed."""
        local = london(slot.starts_at)
        self.day.data, self.month.data, self.year.data = str(local.day), str(local.month), str(local.year)
        self.start_time.data = local.strftime("%H:%M")
        self.duration_minutes.data = slot.duration_minutes
        self.location.data = slot.location
        self.online.data = "online" if slot.online else "venue"


def _new_start(form: RescheduleForm) -> datetime | None:
    """The form's new start (UTC) when it is a real, future UK time; otherwise None, with the error on its field.

    `starts_at_local` (shared with setting up a slot) refuses impossible dates, far-off years and
    the hour the clocks skip in spring.
    """
    local = form.starts_at_local()
    if local is None:
        return None
    starts_at = from_london(local)
    if starts_at <= utcnow():
        form.day.errors = [*form.day.errors, "The new date and time must be in the future"]
        return None
    return starts_at


@bp.route("/<int:study_id>/slots/<int:slot_id>/reschedule", methods=["GET", "POST"])
@role_required(*MANAGERS)
def reschedule(study_id: int, slot_id: int):
    """Change a confirmed session's date, time, length or place, and send everyone invited an update."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    if not is_upcoming_session(slot):
        flash("Only a confirmed session that has not started can be changed.", "important")
        return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
    form = RescheduleForm()
    if request.method == "GET":
        form.fill_from(slot)
    else:
        valid = form.validate()
        starts_at = _new_start(form)
        if valid and starts_at is not None:
            try:
                placement_ids = reschedule_slot(
                    slot,
                    starts_at=starts_at,
                    duration_minutes=form.duration_minutes.data,
                    location=form.location.data,
                    online=form.online.data == "online",
                    by=current_user,
                )
            except ValueError:  # cancelled by someone else a moment ago
                flash("Only a confirmed session that has not started can be changed.", "important")
                return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
            if not placement_ids:
                flash("Saved. Nothing changed that participants need to hear about.", "success")
                return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
            return _email_job(slot, "update", placement_ids, f"Sending the changes to {slot.label}")
    return render_template(
        "focus_groups/scheduling/reschedule.html",
        form=form,
        told=participants(slot, ATTENDING),
        **_slot_context(slot),
    )


@bp.route("/<int:study_id>/slots/<int:slot_id>/cancel", methods=["GET", "POST"])
@role_required(*MANAGERS)
def cancel(study_id: int, slot_id: int):
    """Confirm, then cancel a session and send everyone invited a cancellation for their calendar."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    if not is_upcoming_session(slot):
        flash("Only a confirmed session that has not started can be cancelled.", "important")
        return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
    if request.method == "POST":
        try:
            placement_ids = cancel_slot(slot, by=current_user)
        except ValueError:  # cancelled by someone else a moment ago
            flash("This session has already been cancelled.", "important")
            return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
        return _email_job(slot, "cancel", placement_ids, f"Sending the cancellation of {slot.label}")
    return render_template(
        "focus_groups/scheduling/cancel.html",
        told=participants(slot, ATTENDING),
        form=FlaskForm(),
        **_slot_context(slot),
    )


@bp.route("/<int:study_id>/slots/<int:slot_id>/attendance", methods=["GET", "POST"])
@role_required(*MANAGERS)
def attendance(study_id: int, slot_id: int):
    """After a session has started, record who attended, who did not and who withdrew."""
    slot = slot_or_404(study_or_404(study_id), slot_id)
    rows = attendance_rows(slot)
    ready = slot.status == "confirmed" and has_started(slot)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not ready:
            abort(409)
        answers: dict[int, str | None] = {}
        for placement in rows:
            value = request.form.get(f"attendance-{placement.id}", "")
            if value and value not in ATTENDANCE:
                errors[f"attendance-{placement.id}"] = f"Select what happened for {placement.pseudonym}"
            answers[placement.id] = value or None
        if not errors:
            changed = record_attendance(slot, answers, by=current_user)
            flash(f"Attendance saved ({changed} changed).", "success")
            return redirect(url_for("focus_groups.slot_detail", study_id=study_id, slot_id=slot_id))
    return render_template(
        "focus_groups/scheduling/attendance.html",
        rows=rows,
        ready=ready,
        errors=errors,
        form=FlaskForm(),
        **_slot_context(slot),
    )


# --- Facilitators ------------------------------------------------------------------------------


@bp.route("/sessions")
@role_required(*SESSION_STAFF)
def my_sessions():
    """The sessions the signed-in person facilitates or takes notes in (organisers and admins: all)."""
    upcoming, past = sessions_for(current_user)
    return render_template(
        "focus_groups/scheduling/sessions/index.html",
        upcoming=upcoming,
        past=past,
        sees_all=current_user.has_role(*MANAGERS),
        statuses=SLOT_STATUSES,
    )


@bp.route("/sessions/<int:slot_id>")
@role_required(*SESSION_STAFF)
def session_detail(slot_id: int):
    """A session for its facilitator: the discussion guide and the participants, by pseudonym."""
    slot = get_or_404(Slot, slot_id)
    if not can_see_session(current_user, slot):
        abort(403)
    people = participants(slot, ("proposed", "invited", "accepted")) + [
        p for p in participants(slot, ("withdrawn",)) if p.attendance
    ]
    return render_template(
        "focus_groups/scheduling/sessions/detail.html",
        people=sorted(people, key=lambda p: (p.pseudonym is None, len(p.pseudonym or ""), p.pseudonym or "", p.id)),
        names_visible=slot.names_visible,
        is_manager=current_user.has_role(*MANAGERS),
        **_slot_context(slot),
    )


# --- Volunteers' own links ---------------------------------------------------------------------


def _link_not_working(kind: str):
    return render_template("focus_groups/scheduling/link_invalid.html", kind=kind), 404


@bp.route("/respond/<token>", methods=["GET", "POST"], endpoint="respond")
@public
def respond_page(token: str):
    """A participant's invitation: accept or decline, without an account. Answering twice is harmless."""
    volunteer = volunteer_by_token(token, "respond")
    if volunteer is None:
        return _link_not_working("respond")
    placement: Placement | None = volunteer.placement
    invited = placement is not None and placement.role == "participant" and placement.status != "proposed"
    can_answer = invited and placement.status in ("invited", "accepted") and is_upcoming_session(placement.slot)
    if request.method == "POST":
        answer = request.form.get("answer")
        if can_answer and answer in ("accept", "decline"):
            try:
                respond(placement, answer)
            except ValueError:  # the place changed a moment ago (declined in another tab, or cancelled)
                return redirect(url_for("focus_groups.respond", token=token))
            return redirect(url_for("focus_groups.respond", token=token, answered=answer))
        return redirect(url_for("focus_groups.respond", token=token))
    context = _slot_context(placement.slot) if invited else {}
    # Declining cannot be undone, so the button leads to a page that asks first (a GET: no JavaScript needed).
    template = "decline.html" if can_answer and request.args.get("step") == "decline" else "respond.html"
    return render_template(
        f"focus_groups/scheduling/{template}",
        volunteer=volunteer,
        placement=placement,
        invited=invited,
        can_answer=can_answer,
        answered=request.args.get("answered"),
        started=invited and has_started(placement.slot),
        token=token,
        form=FlaskForm(),
        **context,
    )


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@public
def withdraw(token: str):
    """A volunteer leaves the study: what happens first, then (on confirming) their details are erased."""
    volunteer = volunteer_by_token(token, "withdraw")
    if volunteer is None:
        return _link_not_working("withdraw")
    if request.method == "POST":
        leave_study(volunteer)
        return redirect(url_for("focus_groups.withdrawn"))
    placement = volunteer.placement
    return render_template(
        "focus_groups/scheduling/withdraw.html",
        volunteer=volunteer,
        study=volunteer.study,
        has_place=placement is not None and placement.role == "participant" and placement.status in ATTENDING,
        keep_link=url_for("focus_groups.respond", token=volunteer_token(volunteer, "respond")),
        form=FlaskForm(),
    )


@bp.route("/withdrawn")
@public
def withdrawn():
    """Confirmation that a volunteer has left the study."""
    return render_template("focus_groups/scheduling/withdrawn.html")
