"""Run slow work in the background, recording progress in the database so any page can show it.

The work is a module-level function `work(progress, *args)` with plain-data arguments (ids, not records);
it calls `progress(done, message)` as it goes and returns a JSON-able result. The job records the work's
import path and its arguments (JSON), so that it can run anywhere and be tried again:

- with REDIS_URL set, `start_job` puts it on an RQ queue (JOBS_QUEUE) and `flask jobs worker`, on any
  node, runs it (app/jobs/worker.py);
- without, it runs in a thread of the web process; with JOBS_INLINE (the tests) in the request itself.

A job is run once: a runner first claims it (queued -> running, in one conditional update), so a job
delivered twice runs once. While it runs it is heard from (its progress, and a heartbeat every
JOBS_HEARTBEAT_SECONDS); `recover_jobs` marks one not heard from for JOBS_STALE_SECONDS as interrupted
(its owner can try it again) and starts again one that was queued but never taken. A file the work
leaves at `job_file_path` is moved into the database when the work ends, so any node can serve it.
See docs/jobs.md.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select, update

from app.clock import aware, utcnow
from app.database import write_transaction
from app.extensions import db
from app.jobs.models import Job, JobFile

log = logging.getLogger(__name__)
_threads: dict[int, threading.Thread] = {}

INTERRUPTED = "This was interrupted before it finished."
FAILED = "Something went wrong. Nothing after this point was done."
QUEUE_DOWN = "The job queue could not be reached, so this did not start. Try again in a few minutes."
WAITING_ON_RQ = {"queued", "started", "deferred", "scheduled"}


class JobFileTooLarge(Exception):
    """The file a job made is over JOB_FILE_MAX_BYTES, so it is not kept."""


# --- How a job's work and arguments are recorded -----------------------------------------------------


def work_path(work: Callable[..., Any]) -> str:
    """The import path ("module:function") of a job's work; refuses what another process could not import."""
    path = f"{work.__module__}:{work.__qualname__}"
    if "<locals>" in path or "<lambda>" in path or resolve(path) is not work:
        raise ValueError(f"A job's work must be a module-level function, not {path}")
    return path


def resolve(path: str) -> Any:
    """The function (or class) an import path names."""
    module, _, name = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def encode_args(values: tuple | list) -> list:
    """A job's arguments as JSON: plain values, lists, tuples, dicts and dataclasses of them (a filter).
    Records (ORM objects) and anything else are refused: pass ids."""
    return [_encode(value) for value in values]


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__dict__": {key: _encode(item) for key, item in value.items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        fields = {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value) if field.init}
        return {"__dataclass__": f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    raise TypeError(f"A job's arguments must be plain data (pass ids, not records): {type(value).__name__}")


def decode_args(values: list) -> list:
    """The arguments `encode_args` recorded, as the work receives them."""
    return [_decode(value) for value in values or []]


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_decode(item) for item in value["__tuple__"])
        if "__dataclass__" in value:
            fields = {key: _decode(item) for key, item in value["fields"].items()}
            return resolve(value["__dataclass__"])(**fields)
        return {key: _decode(item) for key, item in value["__dict__"].items()}
    return value


# --- Starting a job ----------------------------------------------------------------------------------


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
        work=work_path(work),
        args=encode_args(args),
        created_at=utcnow(),  # the batch's moment: a send job run again skips whom it reached since
    )
    with write_transaction():  # jobs start from GET requests too (an export)
        db.session.add(job)
        db.session.flush()
    # From here the request holds no transaction (nor, on SQLite, the write lock) until it touches the
    # database again, so the job's own session can write straight away, in a thread or inline.
    dispatch(job.id)
    return job


def runner_kind(app: Flask) -> str:
    """Which runner this app uses: "rq" (REDIS_URL set), "inline" (JOBS_INLINE) or "thread"."""
    if app.config.get("REDIS_URL"):
        return "rq"
    return "inline" if app.config.get("JOBS_INLINE") else "thread"


def dispatch(job_id: int) -> None:
    """Hand a queued job to this app's runner: the RQ queue, a thread, or (tests) run it here and now."""
    app = current_app._get_current_object()
    kind = runner_kind(app)
    worker = ""
    if kind == "rq":
        # The RQ job's id names the queue, so a queue's jobs can be found (and a test's cleared) by name.
        worker = f"rq:{app.config['JOBS_QUEUE']}-job-{job_id}-{secrets.token_hex(4)}"
    with write_transaction():
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(runner=kind, worker=worker, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    if kind == "rq":
        _enqueue(app, job_id, worker.removeprefix("rq:"))
    elif kind == "inline":
        _run_in(app, job_id)
    else:
        thread = threading.Thread(target=_run_in, args=(app, job_id), name=f"job-{job_id}", daemon=True)
        _threads[job_id] = thread
        thread.start()


def _enqueue(app: Flask, job_id: int, rq_id: str) -> None:
    """Put the job on the RQ queue; if Redis cannot be reached, the job fails at once, saying so (its
    owner can try again), rather than the request failing."""
    try:
        job_queue(app).enqueue(
            run_job,
            job_id,
            job_id=rq_id,
            job_timeout=app.config["JOBS_TIMEOUT_SECONDS"],
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    except Exception:
        log.exception("Job %s could not be queued on %s", job_id, app.config["JOBS_QUEUE"])
        with write_transaction():
            db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="failed", message=QUEUE_DOWN, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )


def redis_connection(app: Flask):
    """The app's Redis connection for the job queue (one per app)."""
    from redis import Redis

    connection = app.extensions.get("jobs_redis")
    if connection is None:
        connection = app.extensions["jobs_redis"] = Redis.from_url(app.config["REDIS_URL"])
    return connection


def job_queue(app: Flask):
    """The RQ queue jobs go on (JOBS_QUEUE on REDIS_URL)."""
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=redis_connection(app))


# --- Running a job -----------------------------------------------------------------------------------


def process_identity() -> str:
    """Which process runs a job (host and process id), shown to whoever looks into a stuck one."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Progress:
    """The work's first argument: call it with (done, message[, total]) as the work goes.

    `batch_started` is when the job was first started (kept when it is tried again), so work that sends
    email can skip whom this job already reached.
    """

    def __init__(self, job_id: int, attempt: int, batch_started: datetime | None):
        self.job_id = job_id
        self.attempt = attempt
        self.batch_started = batch_started

    def __call__(self, done: int, message: str = "", total: int | None = None) -> None:
        # A job that learns how much there is only once it starts (re-reading a study) says so.
        values = {"done": done, "message": message[:500], "heartbeat_at": utcnow()}
        _set(self.job_id, self.attempt, **values, **({"total": total} if total else {}))


def _set(job_id: int, attempt: int, **values: Any) -> int:
    """Record this run's progress or outcome; a run that was since taken as interrupted and started again
    (another attempt) changes nothing."""
    with write_transaction():
        return db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, Job.status == "running")
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount


def _claim(job_id: int) -> int | None:
    """Take a queued job (queued -> running); the attempt's number, or None when it was not queued."""
    now = utcnow()
    with write_transaction():
        claimed = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                attempts=Job.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                worker=process_identity()[:200],
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return None
        return db.session.scalar(select(Job.attempts).where(Job.id == job_id))


def _run_in(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def run_job(job_id: int) -> str:
    """Run a recorded job once (the function RQ calls; it needs an app context): claim it, run its work
    with progress and a heartbeat, keep the file it made, record the outcome. Returns the job's status."""
    attempt = _claim(job_id)
    if attempt is None:
        log.info("Job %s was not queued (already run, or taken by another worker): left alone", job_id)
        return "skipped"
    job = db.session.get(Job, job_id)
    kind, path, args, batch_started, runner = job.kind, job.work, job.args, job.created_at, job.runner
    db.session.rollback()  # end the read, so the work's own writes start afresh
    app = current_app._get_current_object()
    if runner != "inline":
        _heartbeat.add(app, job_id, attempt)
    try:
        result = resolve(path)(Progress(job_id, attempt, batch_started), *decode_args(args)) or {}
        kept = _kept_file(app, result)
    except Exception as error:
        log.exception("Job %s (%s) failed", job_id, kind)
        db.session.rollback()
        message = str(error) if isinstance(error, JobFileTooLarge) else FAILED
        _set(job_id, attempt, status="failed", message=message, finished_at=utcnow())
        return "failed"
    finally:
        _heartbeat.remove(job_id)
    with write_transaction():
        updated = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, Job.status == "running")
            .values(status="done", result=result, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if updated and kept is not None:
            db.session.add(JobFile(job_id=job_id, name=kept[0], size=len(kept[1]), data=kept[1], created_at=utcnow()))
    if kept is not None:
        kept[2].unlink(missing_ok=True)
    return "done"


def _kept_file(app: Flask, result: dict) -> tuple[str, bytes, Path] | None:
    """The file the work left for download (its result's "file"), read to be kept in the database."""
    name = result.get("file") if isinstance(result, dict) else None
    if not isinstance(name, str) or not name:
        return None
    path = job_files_folder(app) / Path(name).name
    limit = app.config["JOB_FILE_MAX_BYTES"]
    if path.stat().st_size > limit:
        path.unlink(missing_ok=True)
        raise JobFileTooLarge(
            f"The file was too large to keep (over {limit // (1024 * 1024)} MB): choose fewer rows and try again."
        )
    return str(result.get("download_name") or name)[:255], path.read_bytes(), path


class _Heartbeat:
    """One thread per process that records, every JOBS_HEARTBEAT_SECONDS, that its running jobs are alive."""

    def __init__(self) -> None:
        self.jobs: dict[int, tuple[Flask, int]] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def add(self, app: Flask, job_id: int, attempt: int) -> None:
        with self.lock:
            self.jobs[job_id] = (app, attempt)
            # A forked RQ work horse inherits the dictionary but not the thread.
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._beat, args=(app,), name="job-heartbeat", daemon=True)
                self.thread.start()

    def remove(self, job_id: int) -> None:
        with self.lock:
            self.jobs.pop(job_id, None)

    def _beat(self, app: Flask) -> None:
        stop = threading.Event()
        while not stop.wait(app.config["JOBS_HEARTBEAT_SECONDS"]):
            with self.lock:
                jobs = dict(self.jobs)
            for job_id, (job_app, attempt) in jobs.items():
                try:
                    with job_app.app_context():
                        _set(job_id, attempt, heartbeat_at=utcnow())
                        db.session.remove()
                except Exception:  # the heartbeat never stops for one failure
                    log.exception("Could not record job %s's heartbeat", job_id)


_heartbeat = _Heartbeat()


# --- Recovery and trying again -----------------------------------------------------------------------


def recover_jobs(job_id: int | None = None, now: datetime | None = None) -> dict[str, list[int]]:
    """Jobs whose runner has gone: those running but not heard from for JOBS_STALE_SECONDS are marked
    failed (interrupted; their owner can try again); those queued that long and no longer waiting on a
    queue are handed to this app's runner again. Only `job_id`, when given (the job's page checks its own).
    """
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    last_heard = func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)
    only = [Job.id == job_id] if job_id is not None else []
    with write_transaction():
        gone = list(db.session.scalars(select(Job.id).where(Job.status == "running", last_heard < stale, *only)))
        if gone:
            db.session.execute(
                update(Job)
                .where(Job.id.in_(gone), Job.status == "running", last_heard < stale)
                .values(status="failed", message=INTERRUPTED, finished_at=now)
                .execution_options(synchronize_session=False)
            )
    waiting = db.session.execute(
        select(Job.id, Job.runner, Job.worker).where(Job.status == "queued", last_heard < stale, *only)
    ).all()
    db.session.rollback()
    restarted = []
    for queued_id, runner, worker in waiting:
        if runner == "rq" and _still_on_queue(worker, now):
            continue
        log.warning("Job %s was queued but never started: starting it again", queued_id)
        dispatch(queued_id)
        restarted.append(queued_id)
    for interrupted_id in gone:
        log.warning("Job %s was interrupted (not heard from since %s)", interrupted_id, stale)
    return {"interrupted": gone, "restarted": restarted}


def not_heard_from(job: Job, now: datetime | None = None) -> bool:
    """An unfinished job not heard from for JOBS_STALE_SECONDS (so worth `recover_jobs`; the page asks
    this first, so that showing a job that is fine writes nothing)."""
    last = aware(job.heartbeat_at or job.started_at or job.created_at)
    stale = timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    return not job.finished and (last is None or last < (now or utcnow()) - stale)


def _still_on_queue(worker: str, now: datetime) -> bool:
    """Whether the RQ job a queued job was handed to is still waiting or running on Redis (taken as yes
    when Redis cannot be asked: a job is never handed out twice on a guess)."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL") or not worker.startswith("rq:"):
        return False
    from redis.exceptions import RedisError
    from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as QueuedJob

    try:
        queued = QueuedJob.fetch(worker.removeprefix("rq:"), connection=redis_connection(app))
        status = queued.get_status()
    except NoSuchJobError:
        return False
    except RedisError as exc:
        log.warning("Could not ask the job queue about %s: %s", worker, exc)
        return True
    status = str(getattr(status, "value", status))
    if status == "started":
        # A worker took it but the job was never claimed (still queued here): it is waiting only if RQ has
        # heard from that worker lately (RQ beats for a running job every DEFAULT_JOB_MONITORING_INTERVAL,
        # 30 s); a worker killed between taking and claiming it leaves it "started" on RQ until the job's
        # timeout, hours away.
        quiet = max(app.config["JOBS_STALE_SECONDS"], 3 * DEFAULT_JOB_MONITORING_INTERVAL)
        beat = aware(queued.last_heartbeat)
        return beat is not None and beat > now - timedelta(seconds=quiet)
    return status in WAITING_ON_RQ


def try_again(job_id: int) -> bool:
    """Start a failed job's work again, with the same arguments, as the same job (so work that sends
    email skips whom it already reached). False when the job was not failed or cannot be run again."""
    with write_transaction():
        reset = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "failed", Job.work != "")
            .values(status="queued", done=0, message="", result={}, finished_at=None, started_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    if reset:
        dispatch(job_id)
    return bool(reset)


# --- Files -------------------------------------------------------------------------------------------


def job_files_folder(app: Flask | None = None) -> Path:
    """Where work leaves a file while it writes it (instance/job-files); moved into the database after."""
    return Path((app or current_app).instance_path) / "job-files"


def job_file_path(name: str) -> Path:
    """A fresh local path for a file a job produces; when the work ends the runner keeps it in the database
    (only its owner or an admin can download it) and deletes the local copy."""
    folder = job_files_folder()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - current_app.config["RETENTION_JOB_FILE_HOURS"] * 3600
    # Files a crash left behind are tidied here after RETENTION_JOB_FILE_HOURS.
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return folder / f"{secrets.token_hex(8)}-{Path(name).name}"


def job_file(job_id: int) -> JobFile | None:
    """The file a job made, if it is still kept."""
    return db.session.scalar(select(JobFile).where(JobFile.job_id == job_id))


def wait_for(job_id: int, timeout: float = 60) -> None:
    """Block until a background job's thread ends (used by tests and the CLI)."""
    thread = _threads.pop(job_id, None)
    if thread is not None:
        thread.join(timeout)
