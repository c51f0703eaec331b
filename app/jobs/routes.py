"""The progress page for a background job."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template, send_from_directory
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.roles import ADMIN
from app.identifiers import get_or_404
from app.jobs import bp
from app.jobs.models import Job


def _job(job_id: int) -> Job:
    job = get_or_404(Job, job_id)
    if job.created_by_id != current_user.id and not current_user.has_role(ADMIN):
        abort(403)
    return job


@bp.route("/<int:job_id>")
@role_required()
def show(job_id: int):
    """How far a job has got; the page refreshes itself (no JavaScript needed) until it ends."""
    return render_template("jobs/show.html", job=_job(job_id))


@bp.route("/<int:job_id>/download")
@role_required()
def download(job_id: int):
    """The file a finished job produced (its owner, or an admin)."""
    job = _job(job_id)
    name = (job.result or {}).get("file")
    folder = Path(current_app.instance_path) / "job-files"
    if job.status != "done" or not name or not (folder / name).is_file():
        abort(404)
    return send_from_directory(folder, name, as_attachment=True, download_name=job.result.get("download_name", name))
