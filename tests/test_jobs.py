"""Background jobs: progress recorded as the work goes, failures reported, the page for the owner."""

from app.extensions import db
from app.jobs.models import Job
from app.jobs.runner import start_job, wait_for
from tests.conftest import page_text


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
