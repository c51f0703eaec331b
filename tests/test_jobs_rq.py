"""Background jobs on RQ, against the real Redis at 127.0.0.1:6379: queued by the web app, run by the app's
worker (in burst mode, in this process), recovered when Redis lost them. Each test has its own queue."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.job import Job as QueuedJob
from rq.job import JobStatus

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.runner import job_file, recover_jobs, start_job
from app.jobs.worker import make_worker
from app.surveys.results.dataset import Filters
from tests.conftest import page_text
from tests.test_jobs import _count_to_three, _write_numbers

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def on_rq(app, tmp_path):
    """The app with REDIS_URL set and a queue of this test's own; its keys are deleted afterwards."""
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip("no Redis at 127.0.0.1:6379 (REQUIRE_REDIS=1 makes this a failure)")
    queue = f"test-jobs-{secrets.token_hex(6)}"
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue, JOBS_INLINE=False)
    app.instance_path = str(tmp_path)
    yield Queue(queue, connection=Redis.from_url(REDIS_URL))
    connection = app.extensions.pop("jobs_redis", None) or Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{queue}*"):
        connection.delete(key)
    connection.close()


def _work_off(app) -> None:
    """The worker `flask jobs worker --burst --no-fork` runs: every waiting job, then stop."""
    make_worker(app, fork=False).work(burst=True)
    db.session.rollback()  # see what the worker committed


def test_a_job_goes_on_the_queue_and_the_worker_runs_it(app, on_rq, client, signed_in):
    user = signed_in("organiser")
    job = start_job("count", "Counting", 3, _count_to_three, created_by=user)
    assert on_rq.count == 1
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "0 of 3 done" in page and 'http-equiv="refresh"' in page  # waiting for a worker
    _work_off(app)
    finished = db.session.get(Job, job.id)
    assert (finished.status, finished.runner, finished.result) == ("done", "rq", {"counted": 3})
    assert on_rq.count == 0
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "Done" in page and "3 of 3 done: step 3" in page


def test_a_file_made_by_the_worker_is_downloaded_from_the_database(app, on_rq, client, signed_in):
    user = signed_in("organiser")
    job = start_job("export", "Numbers", 2, _write_numbers, 2, Filters(education="yes"), created_by=user)
    _work_off(app)
    assert job_file(job.id).size == len("1,yes\n2,yes\n")
    response = client.get(f"/jobs/{job.id}/download")
    assert response.status_code == 200 and response.get_data(as_text=True) == "1,yes\n2,yes\n"


def test_a_job_redis_lost_is_queued_again_and_one_still_waiting_is_left(app, on_rq):
    lost = start_job("count", "Counting", 3, _count_to_three)
    waiting = start_job("count", "Counting", 3, _count_to_three)
    lost_id = db.session.get(Job, lost.id).worker.removeprefix("rq:")
    on_rq.remove(lost_id)  # Redis lost it (restarted without persistence)
    on_rq.connection.delete(f"rq:job:{lost_id}")
    app.config["JOBS_STALE_SECONDS"] = 0
    assert recover_jobs() == {"interrupted": [], "restarted": [lost.id]}
    assert on_rq.count == 2
    _work_off(app)
    assert [db.session.get(Job, job.id).status for job in (lost, waiting)] == ["done", "done"]


def test_a_job_taken_by_a_worker_that_died_before_claiming_it_is_queued_again(app, on_rq):
    """RQ marks a job started as a worker takes it; the worker then claims it here. A worker killed in
    between leaves it started on RQ (until its timeout, hours away) and queued here: once RQ has not heard
    from that worker for JOBS_STALE_SECONDS it is queued again; one whose worker RQ heard from is left."""
    orphaned = start_job("count", "Counting", 3, _count_to_three)
    taken = start_job("count", "Counting", 3, _count_to_three)
    for job, last_beat in ((orphaned, utcnow() - timedelta(minutes=10)), (taken, utcnow())):
        rq_id = db.session.get(Job, job.id).worker.removeprefix("rq:")
        on_rq.remove(rq_id)  # a worker took it off the queue
        rq_job = QueuedJob.fetch(rq_id, connection=on_rq.connection)
        rq_job.set_status(JobStatus.STARTED)
        rq_job.heartbeat(last_beat, ttl=600)
    app.config["JOBS_STALE_SECONDS"] = 60
    # A minute on, both are stale here; RQ heard from the first's worker 11 minutes before, the second's just now
    # (within three of RQ's 30 s beats).
    assert recover_jobs(now=utcnow() + timedelta(seconds=61)) == {"interrupted": [], "restarted": [orphaned.id]}
    assert on_rq.count == 1  # the orphan, queued again; the one being taken is left to its worker
    _work_off(app)
    assert [db.session.get(Job, job.id).status for job in (orphaned, taken)] == ["done", "queued"]


def test_a_queued_job_is_not_handed_out_again_while_redis_cannot_be_asked(app, client, signed_in):
    """Its page still shows (no error), and the job is left for when Redis answers: never run twice on a guess."""
    user = signed_in("organiser")
    job = start_job("count", "Counting", 3, _count_to_three, created_by=user)  # JOBS_INLINE: runs here...
    waiting = db.session.get(Job, job.id)  # ...so make it one waiting on a queue
    waiting.status, waiting.done, waiting.result = "queued", 0, {}
    waiting.runner, waiting.worker = "rq", "rq:lost-in-redis"
    db.session.commit()
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", JOBS_QUEUE="nowhere", JOBS_INLINE=False, JOBS_STALE_SECONDS=0)
    response = client.get(f"/jobs/{job.id}")
    assert response.status_code == 200 and "0 of 3 done" in page_text(response)
    assert recover_jobs() == {"interrupted": [], "restarted": []}
    assert db.session.get(Job, job.id).status == "queued"
    app.extensions.pop("jobs_redis").close()


def test_the_worker_command_says_it_needs_redis(app, runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_the_worker_command_recovers_then_works_off_the_queue(app, on_rq, runner):
    job = start_job("count", "Counting", 3, _count_to_three)
    result = runner.invoke(args=["jobs", "worker", "--burst", "--no-fork"])
    assert result.exit_code == 0, result.output
    assert "0 interrupted jobs marked as failed" in result.output and "Working on the queue" in result.output
    db.session.rollback()
    assert db.session.get(Job, job.id).status == "done"


def test_the_forking_worker_runs_a_job_in_its_work_horse(app, on_rq):
    job = start_job("count", "Counting", 3, _count_to_three)
    make_worker(app).work(burst=True)
    db.session.rollback()
    finished = db.session.get(Job, job.id)
    assert (finished.status, finished.result) == ("done", {"counted": 3})


def test_when_redis_cannot_be_reached_the_job_says_so_and_can_be_tried_again(app, client, signed_in):
    user = signed_in("organiser")
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", JOBS_QUEUE="nowhere", JOBS_INLINE=False)
    job = start_job("count", "Counting", 3, _count_to_three, created_by=user)
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "The job queue could not be reached, so this did not start." in page and "Try again" in page
    app.extensions.pop("jobs_redis").close()
