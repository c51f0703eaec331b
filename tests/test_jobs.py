"""Background jobs: progress recorded as the work goes, failures reported, the page for the owner."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from app import create_app
from app.clock import utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.runner import (
    decode_args,
    encode_args,
    job_file_path,
    recover_jobs,
    run_job,
    start_job,
    try_again,
    wait_for,
)
from app.surveys.invitations.routes import _invitation_work
from app.surveys.results.dataset import Filters
from app.surveys.services import ensure_default_survey
from config import TestingConfig
from tests.conftest import page_text, sign_in


def _count_to_three(progress):
    for number in range(1, 4):
        progress(number, f"step {number}")
    return {"counted": 3}


def _explode(progress):
    progress(1, "first")
    raise RuntimeError("broken")


def test_a_background_job_runs_in_its_thread_and_records_progress(app):
    app.config["JOBS_INLINE"] = False
    job = start_job("count", "Counting", 3, _count_to_three)
    wait_for(job.id)
    db.session.rollback()  # end this test's read snapshot to see what the job's thread committed
    finished = db.session.get(Job, job.id)
    assert (finished.status, finished.done, finished.message, finished.result) == ("done", 3, "step 3", {"counted": 3})
    assert finished.percent == 100 and finished.finished_at is not None


def test_a_failed_job_says_so_on_its_page(client, signed_in):
    user = signed_in("organiser")
    job = start_job("count", "Counting", 3, _explode, created_by=user)
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "This did not finish" in page and "1 of 3 were done" in page
    assert 'http-equiv="refresh"' not in page  # finished pages stop refreshing


def test_a_running_job_page_refreshes_itself(client, signed_in):
    user = signed_in("organiser")
    job = Job(kind="count", title="Counting", total=10, done=4, status="running", created_by_id=user.id, result={})
    db.session.add(job)
    db.session.commit()
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert '<meta http-equiv="refresh" content="2">' in page and "4 of 10 done" in page
    assert 'value="40"' in page


# --- Recorded work, recovery after a restart, trying again, files kept in the database ---------------


def _write_numbers(progress, upto: int, filters) -> dict:
    """A job that makes a file, as the exports do (job_file_path, then "file" in the result)."""
    path = job_file_path("numbers.csv")
    path.write_text("".join(f"{n},{filters.education}\n" for n in range(1, upto + 1)))
    progress(upto, "numbers written")
    return {"file": path.name, "download_name": "numbers.csv", "rows": upto}


def _running_since(minutes: int, user=None) -> Job:
    """A job its runner took, then was not heard from for `minutes` (its process ended in a restart)."""
    then = utcnow() - timedelta(minutes=minutes)
    job = Job(
        kind="count",
        title="Counting",
        total=3,
        done=1,
        status="running",
        created_by_id=getattr(user, "id", None),
        result={},
        work="tests.test_jobs:_count_to_three",
        args=[],
        runner="thread",
        worker="web-1:4242",
        attempts=1,
        started_at=then,
        heartbeat_at=then,
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_work_must_be_importable_and_its_arguments_plain_data(app):
    with pytest.raises(ValueError, match="module-level"):
        start_job("count", "Counting", 3, lambda progress: {})
    with pytest.raises(TypeError, match="pass ids"):
        start_job("count", "Counting", 3, _count_to_three, Job(kind="x", title="x"))
    filters = Filters(regions=("london", "wales"), education="yes")
    assert decode_args(encode_args((1, "a", [2, 3], {"k": (4,)}, filters, None))) == [
        1,
        "a",
        [2, 3],
        {"k": (4,)},
        filters,
        None,
    ]


def test_a_file_a_job_made_is_kept_in_the_database_and_another_app_serves_it(
    app, database_url, client, signed_in, tmp_path
):
    user = signed_in("organiser")
    app.instance_path = str(tmp_path / "node-1")
    job = start_job("export", "Numbers", 3, _write_numbers, 3, Filters(education="no"), created_by=user)
    assert list((tmp_path / "node-1" / "job-files").iterdir()) == []  # nothing left on this node's disk
    # A second node: its own app object and instance folder, the same database.
    other = create_app(type("OtherNode", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    other.instance_path = str(tmp_path / "node-2")
    browser = other.test_client()
    assert sign_in(browser, user.email).status_code == 302
    response = browser.get(f"/jobs/{job.id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=numbers.csv"
    assert response.get_data(as_text=True) == "1,no\n2,no\n3,no\n"
    with other.app_context():
        db.engine.dispose()


def test_a_file_over_the_size_bound_is_not_kept_and_the_job_says_why(app, client, signed_in, tmp_path):
    user = signed_in("organiser")
    app.instance_path = str(tmp_path)
    app.config["JOB_FILE_MAX_BYTES"] = 5
    job = start_job("export", "Numbers", 3, _write_numbers, 3, Filters(), created_by=user)
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "This did not finish" in page and "The file was too large to keep" in page
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_an_interrupted_job_says_so_and_its_owner_can_try_again(app, client, signed_in):
    user = signed_in("organiser")
    job = _running_since(10, user)
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "This did not finish" in page and "This was interrupted before it finished. 1 of 3 were done." in page
    assert "Try again" in page and 'http-equiv="refresh"' not in page
    response = client.post(f"/jobs/{job.id}/try-again")
    assert response.status_code == 302 and response.headers["Location"] == f"/jobs/{job.id}"
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "Done" in page and "3 of 3 done: step 3" in page and "Try again" not in page
    db.session.expire_all()
    assert db.session.get(Job, job.id).attempts == 2


def test_a_job_heard_from_lately_is_left_running(app, client, signed_in):
    user = signed_in("organiser")
    job = _running_since(1, user)
    page = page_text(client.get(f"/jobs/{job.id}"))
    assert "1 of 3 done" in page and "Try again" not in page and 'http-equiv="refresh"' in page


def test_only_the_owner_or_an_admin_can_try_again_and_only_with_the_form(app, client, signed_in, make_user):
    owner = make_user("organiser")
    job = _running_since(10, owner)
    signed_in("organiser")
    assert client.post(f"/jobs/{job.id}/try-again").status_code == 403
    admin_client = app.test_client()
    admin = make_user("admin")
    assert sign_in(admin_client, admin.email).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    recover_jobs()
    assert admin_client.post(f"/jobs/{job.id}/try-again").status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "failed"


def test_flask_jobs_recover_fails_the_interrupted_and_starts_the_never_started(app, runner):
    interrupted = _running_since(10)
    never_started = Job(
        kind="count",
        title="Counting",
        total=3,
        result={},
        work="tests.test_jobs:_count_to_three",
        args=[],
        runner="thread",
        created_at=utcnow() - timedelta(minutes=10),
        heartbeat_at=utcnow() - timedelta(minutes=10),
    )
    db.session.add(never_started)
    db.session.commit()
    result = runner.invoke(args=["jobs", "recover"])
    assert result.exit_code == 0, result.output
    assert "1 interrupted job marked as failed" in result.output and "1 queued job started again" in result.output
    db.session.expire_all()
    assert db.session.get(Job, interrupted.id).status == "failed"
    assert db.session.get(Job, never_started.id).result == {"counted": 3}


def test_a_job_delivered_twice_runs_once(app):
    job = start_job("count", "Counting", 3, _count_to_three)
    assert run_job(job.id) == "skipped"


def test_sending_invitations_twice_sends_each_email_once(app, mailbox, make_organisation, make_user):
    survey = ensure_default_survey()
    organisers = make_user("organiser")
    organisations = [make_organisation(contact_email=f"ict{n}@example.org") for n in range(3)]
    ids = [organisation.id for organisation in organisations]
    job = start_job("invitations", "Sending", 3, _invitation_work, survey.id, ids, organisers.id, created_by=organisers)
    assert len(mailbox) == 3
    # The job is run again, as after a restart part-way through: "Try again" on the failed job.
    db.session.execute(update(Job).where(Job.id == job.id).values(status="failed"))
    db.session.commit()
    assert try_again(job.id)
    db.session.expire_all()
    again = db.session.get(Job, job.id)
    assert again.status == "done" and sorted(again.result["sent"]) == sorted(o.name for o in organisations)
    assert sorted(message["To"] for message in mailbox) == ["ict0@example.org", "ict1@example.org", "ict2@example.org"]
    # A new batch (another press of the button) does send again: only a batch's own sends are skipped.
    start_job("invitations", "Sending", 1, _invitation_work, survey.id, ids[:1], organisers.id)
    assert len(mailbox) == 4
