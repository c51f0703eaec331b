"""Run slow work in a background thread, recording progress in the database so any page can show it.

The work is a plain function `work(progress, *args)`; it calls `progress(done, message)` as it goes
and returns a JSON-able result. With JOBS_INLINE (the test configuration) the same function runs
in the request, start to finish, before the progress page is shown.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import update

from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.jobs.models import Job

log = logging.getLogger(__name__)
_threads: dict[int, threading.Thread] = {}


def _set(job_id: int, **values: Any) -> None:
    with write_transaction():
        db.session.execute(update(Job).where(Job.id == job_id).values(**values))


def start_job(
    kind: str, title: str, total: int, work: Callable[..., dict], *args: Any, created_by=None, return_url: str = "/"
) -> Job:
    """Record a job and start `work(progress, *args)` in the background; returns the job at once."""
    job = Job(
        kind=kind,
        title=title,
        total=total,
        created_by_id=getattr(created_by, "id", None),
        return_url=return_url,
        result={},
    )
    with write_transaction():  # jobs start from GET requests too (an export)
        db.session.add(job)
        db.session.flush()
        job_id = job.id
    # From here the request holds no transaction (nor, on SQLite, the write lock) until it touches the
    # database again, so the job's own session can write straight away, in a thread or inline.
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():

            def progress(done: int, message: str = "", total: int | None = None) -> None:
                # A job that learns how much there is only once it starts (re-reading a study) says so.
                _set(job_id, done=done, message=message[:500], **({"total": total} if total else {}))

            _set(job_id, status="running")
            try:
                result = work(progress, *args)
            except Exception:
                log.exception("Job %s (%s) failed", job_id, kind)
                db.session.rollback()
                _set(
                    job_id,
                    status="failed",
                    message="Something went wrong. Nothing after this point was done.",
                    finished_at=utcnow(),
                )
            else:
                _set(job_id, status="done", result=result or {}, finished_at=utcnow())
            finally:
                db.session.remove()

    if app.config.get("JOBS_INLINE"):
        run()
    else:
        thread = threading.Thread(target=run, name=f"job-{job_id}", daemon=True)
        _threads[job_id] = thread
        thread.start()
    return job


def job_file_path(name: str) -> Path:
    """A fresh path for a file a job produces (kept in instance/job-files; only its owner can download it)."""
    folder = Path(current_app.instance_path) / "job-files"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - current_app.config["RETENTION_JOB_FILE_HOURS"] * 3600
    # Downloads are kept for RETENTION_JOB_FILE_HOURS, then tidied away here and by `flask retention apply`.
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return folder / f"{secrets.token_hex(8)}-{Path(name).name}"


def wait_for(job_id: int, timeout: float = 60) -> None:
    """Block until a background job's thread ends (used by tests and the CLI)."""
    thread = _threads.pop(job_id, None)
    if thread is not None:
        thread.join(timeout)
