"""The progress page for a background job, its download, and trying a failed one again."""

from __future__ import annotations

import io
import mimetypes

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth.decorators import role_required
from app.auth.roles import ADMIN
from app.extensions import db
from app.identifiers import get_or_404
from app.jobs import bp
from app.jobs.models import Job
from app.jobs.runner import job_file, not_heard_from, recover_jobs, try_again


def _job(job_id: int) -> Job:
    job = get_or_404(Job, job_id)
    if job.created_by_id != current_user.id and not current_user.has_role(ADMIN):
        abort(403)
    return job


@bp.route("/<int:job_id>")
@role_required()
def show(job_id: int):
    """How far a job has got; the page refreshes itself (no JavaScript needed) until it ends. A job whose
    runner has gone is marked interrupted here (or started again if it never began)."""
    job = _job(job_id)
    if not_heard_from(job) and recover_jobs(job.id) != {"interrupted": [], "restarted": []}:
        db.session.refresh(job)
    return render_template("jobs/show.html", job=job, form=FlaskForm())


@bp.route("/<int:job_id>/try-again", methods=["POST"])
@role_required()
def retry(job_id: int):
    """Start a failed job's work again, with what it was asked to do (its owner, or an admin)."""
    job = _job(job_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not try_again(job.id):
        flash("This cannot be started again: it is not a failed job.", "important")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:job_id>/download")
@role_required()
def download(job_id: int):
    """The file a finished job produced (its owner, or an admin), from the database: any node serves it."""
    job = _job(job_id)
    kept = job_file(job.id) if job.status == "done" else None
    if kept is None:
        abort(404)
    kind = mimetypes.guess_type(kept.name)[0] or "application/octet-stream"
    return send_file(io.BytesIO(kept.data), mimetype=kind, as_attachment=True, download_name=kept.name)
