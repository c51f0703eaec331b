"""Tidying background work for `flask retention apply` (app/privacy/retention.py holds the schedule):
files jobs made, kept in the database or left in the scratch folder (`job_files_folder`: a file a crash
left there on its way to the database), and job records with their files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select

from app.database import write_transaction
from app.extensions import db
from app.jobs.models import Job, JobFile
from app.jobs.runner import job_files_folder

_KEPT = "kept:"  # a job's file kept in the database (job_file), by id; other items name files in the folder


def due_job_files(cutoff: datetime, now: datetime) -> list[str]:
    """Kept files made before `cutoff` ("kept:<id>"), and scratch files last changed before it (by name)."""
    kept = db.session.scalars(select(JobFile.id).where(JobFile.created_at < cutoff).order_by(JobFile.id))
    due = [f"{_KEPT}{file_id}" for file_id in kept]
    folder = job_files_folder()
    if folder.is_dir():
        limit = cutoff.timestamp()
        due += sorted(path.name for path in folder.iterdir() if path.is_file() and path.stat().st_mtime < limit)
    return due


def delete_job_files(cutoff: datetime) -> Callable[[Sequence[str], datetime], int]:
    """Deletes the files `due_job_files` listed that are still past `cutoff`."""

    def apply(names: Sequence[str], now: datetime) -> int:
        kept = [int(name.removeprefix(_KEPT)) for name in names if name.startswith(_KEPT)]
        deleted = 0
        if kept:
            with write_transaction():
                deleted = db.session.execute(
                    delete(JobFile)
                    .where(JobFile.id.in_(kept), JobFile.created_at < cutoff)
                    .execution_options(synchronize_session=False)
                ).rowcount
        folder = job_files_folder()
        for name in names:
            path = folder / Path(name).name
            if not name.startswith(_KEPT) and path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    return apply


def old_job(cutoff: datetime):
    """A job that ended (or, never ending, began) before `cutoff`."""
    return func.coalesce(Job.finished_at, Job.created_at) < cutoff


def delete_jobs(cutoff: datetime) -> Callable[[Sequence[int], datetime], int]:
    """Deletes the jobs by id that are still past `cutoff`, with their files."""

    def apply(ids: Sequence[int], now: datetime) -> int:
        folder = job_files_folder()
        with write_transaction():
            jobs = db.session.scalars(select(Job).where(Job.id.in_(ids), old_job(cutoff))).all()
            for job in jobs:
                # Its kept file (job_file) goes with it; a local copy a crash left behind goes too.
                name = (job.result or {}).get("file")
                if isinstance(name, str) and name:
                    (folder / Path(name).name).unlink(missing_ok=True)
                db.session.execute(delete(JobFile).where(JobFile.job_id == job.id))
                db.session.delete(job)
            return len(jobs)

    return apply
