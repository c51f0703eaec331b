"""The RQ worker that runs the app's queued jobs: each job inside an app context (docs/jobs.md)."""

from __future__ import annotations

import os

from flask import Flask
from rq.worker import SimpleWorker, Worker

from app.extensions import db


class _AppContextWorker:
    """Runs each RQ job inside the Flask app's context, with its own database session.

    A forked work horse first drops the connections it inherited from the parent (without closing them:
    they are the parent's), so the two processes never share one.
    """

    app: Flask
    parent_pid: int

    def perform_job(self, job, queue) -> bool:
        with self.app.app_context():
            if os.getpid() != self.parent_pid:
                db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


class JobWorker(_AppContextWorker, Worker):
    """The production worker: each job in a forked work horse (a crash or a timeout ends only that job)."""


class InProcessJobWorker(_AppContextWorker, SimpleWorker):
    """Runs each job in the worker's own process (tests, and hosts where forking is unwelcome)."""


def make_worker(app: Flask, *, fork: bool = True) -> Worker:
    """A worker for the app's queue (JOBS_QUEUE on REDIS_URL)."""
    from app.jobs.runner import job_queue, redis_connection

    kind = JobWorker if fork else InProcessJobWorker
    worker = kind([job_queue(app)], connection=redis_connection(app))
    worker.app = app
    worker.parent_pid = os.getpid()
    return worker
