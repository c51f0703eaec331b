"""`flask jobs worker` runs queued jobs (with REDIS_URL); `flask jobs recover` finds interrupted ones."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.wording import plural


@click.group("jobs", cls=AppGroup)
def jobs() -> None:
    """Background jobs: the worker, and recovery after a restart."""


def _recover() -> None:
    from app.jobs.runner import recover_jobs

    outcome = recover_jobs()
    click.echo(
        f"{plural(len(outcome['interrupted']), 'interrupted job')} marked as failed (their owners can try again); "
        f"{plural(len(outcome['restarted']), 'queued job')} started again."
    )


@jobs.command("recover")
def recover_command() -> None:
    """Mark jobs whose runner has gone as interrupted, and queue again those never started (safe to repeat)."""
    _recover()


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--no-fork", is_flag=True, help="Run each job in this process rather than a forked work horse.")
def worker_command(burst: bool, no_fork: bool) -> None:
    """Run jobs from the queue (REDIS_URL, JOBS_QUEUE), each in the app's context; recovers first."""
    from app.jobs.worker import make_worker

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs then run inside the web process, with no worker.")
    _recover()
    click.echo(f"Working on the queue '{app.config['JOBS_QUEUE']}'{' until it is empty' if burst else ''}.")
    make_worker(app, fork=not no_fork).work(burst=burst)


def register_cli(app: Flask) -> None:
    """Add `flask jobs` to the app's commands."""
    app.cli.add_command(jobs)
