"""The progress page for a background job."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.roles import ADMIN
from app.extensions import db
from app.jobs import bp
from app.jobs.models import Job


@bp.route("/<int:job_id>")
@role_required()
def show(job_id: int):
    """How far a job has got; the page refreshes itself (no JavaScript needed) until it ends."""
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    if job.created_by_id != current_user.id and not current_user.has_role(ADMIN):
        abort(403)
    return render_template("jobs/show.html", job=job)
