"""Locust users for `bench.cluster` and `bench.sqlite_concurrency`: members answering the schools ICT
survey through a load balancer, while an organiser exports and sends reminders.

Environment variables (set by the benchmark):

BENCH_EMAILS      a file with one member email per line; each member takes the next one
BENCH_PASSWORD    every member's password
BENCH_MEMBERS     how many members there are (Locust quits once all of them have finished)
BENCH_THINK       "1" (default): 1-3 s of think time before each form, as people take; "0": none
BENCH_ORGANISER   the organiser's "email password", or empty for no organiser
BENCH_OUT         a JSON file written when Locust quits: what every member sent, what the organiser did

MemberUser     signs in, answers every page of its route, checks its answers, submits once, stops.
               Every member sends its own figures on the `size` page (its number is in them), so an
               answer stored under the wrong response would show. A request that fails with a 5xx or
               a dropped connection (a fault being injected) is counted as failed, then the member does
               what a person would: waits a moment and tries that step again (at most RETRIES times).
OrganiserUser  one organiser: an XLSX export (a background job, polled until done, then downloaded),
               reminders to every organisation that has not submitted, then another export every
               ORGANISER_PAUSE seconds until the members have finished.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import time
from collections import Counter
from itertools import count
from pathlib import Path

import gevent
from locust import between, constant, events, task
from locust.exception import StopUser

from bench import survey_locustfile
from bench.survey_locustfile import (
    MAX_PAGES,
    SURVEY,
    FlowError,
    SurveyUser,
    csrf_token,
    page_on_route,
    route_for,
)

EMAILS = [
    line.strip() for line in Path(os.environ.get("BENCH_EMAILS", "/dev/null")).read_text().splitlines() if line.strip()
]
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1"))
THINK = os.environ.get("BENCH_THINK", "1") != "0"
ORGANISER = os.environ.get("BENCH_ORGANISER", "")
OUT = os.environ.get("BENCH_OUT", "")
RETRIES = 10  # a step that fails for a server-side reason is tried again this many times (about 20 s)
RETRY_PAUSE = (1.0, 3.0)  # seconds a person waits before trying again
ORGANISER_PAUSE = 15  # seconds between the organiser's exports
JOB_POLLS = 120  # x 1 s: how long the organiser waits for a job
RESULTS = f"{SURVEY.replace('/surveys/', '/surveys/results/')}"
LOCKED = "database is locked"

# The survey benchmark's own report would overwrite this one's (both write BENCH_OUT).
events.quitting.remove_listener(survey_locustfile._write_out)
events.request.remove_listener(survey_locustfile._keep_timing)

_accounts = count()
_state: dict = {
    "members": {},
    "finished": 0,
    "organiser": {
        "exports": 0,
        "export_bytes": [],
        "export_times": [],
        "reminder_jobs": 0,
        "tried_again": 0,
        "in_job": False,  # waiting on a job (the run does not end in the middle of one)
        "errors": [],
    },
    "statuses": Counter(),  # status code -> how many responses (0: no response at all)
    "locked_bodies": 0,  # responses whose body says "database is locked"
    "error_pages": Counter(),  # "status: page title (traceback shown?)" for every 5xx -> how many
    "timings": {},
}


class Transient(FlowError):
    """A step failed for a server-side reason (a 5xx or no response): a person would try again."""


def member_values(email: str) -> tuple[str, dict[str, dict[str, str | list[str]]]]:
    """The route and form values of this member: the sample answers, with its own figures on `size`."""
    kind, pages = route_for(email)
    number = int(re.search(r"-(\d+)@", email).group(1))
    pages = {page: dict(fields) for page, fields in pages.items()}
    pages["size"] = {"ict_revenue_spend": f"{4_000_000 + number * 1_000:,}", "ict_staff_fte": f"{10 + number}.5"}
    return kind, pages


class ClusterUser(SurveyUser):
    """A user whose failed requests tell a server-side failure (worth a retry) from a wrong answer."""

    abstract = True

    def expect(self, method, path, name, status, **kwargs):
        try:
            return super().expect(method, path, name, status, **kwargs)
        except FlowError as exc:
            code = re.search(r"status (\d+)", str(exc))
            if code and (code.group(1) == "0" or code.group(1).startswith("5")):
                raise Transient(str(exc)) from exc
            raise

    def again(self, step, record: dict | None = None):
        """Run `step()`; after a transient failure wait as a person would and run it again."""
        for attempt in range(RETRIES + 1):
            try:
                return step()
            except Transient:
                if attempt == RETRIES:
                    raise
                if record is not None:
                    record["retries"] += 1
                self.client.client.close()
                gevent.sleep(random.uniform(*RETRY_PAUSE))  # noqa: S311 - think time, not a secret
        return None


class MemberUser(ClusterUser):
    """One member answering the whole survey, then stopping."""

    wait_time = between(1, 3) if THINK else constant(0)

    @task
    def answer_survey(self) -> None:
        index = next(_accounts)
        if index >= len(EMAILS):
            raise StopUser()
        self.email = EMAILS[index]
        kind, pages = member_values(self.email)
        record = {
            "route": kind,
            "tried": {},
            "sent": {},
            "submitted": False,
            "error": None,
            "retries": 0,
            "seconds": None,
        }
        _state["members"][self.email] = record
        started = time.monotonic()
        try:
            self.again(lambda: self.sign_in(think=THINK, attempts=1), record)
            location = self.again(lambda: self.start_response(think=THINK), record)
            for _ in range(MAX_PAGES):
                if not location.startswith(f"{SURVEY}/questions/"):
                    break
                page_id = page_on_route(location, pages, record["sent"], kind)
                record["tried"][page_id] = pages[page_id]  # may be stored even if the member never hears back
                location = self.again(
                    lambda page_id=page_id, path=location: self.answer(path, pages[page_id], think=THINK), record
                )
                record["sent"][page_id] = pages[page_id]
            else:
                raise FlowError(f"more than {MAX_PAGES} pages")
            if location != f"{SURVEY}/check":
                raise FlowError(f"ended at {location!r}, not check answers")
            self.again(lambda: self.submit(think=THINK, resume_submitted=True), record)
            record["submitted"] = True
        except FlowError as exc:
            record["error"] = str(exc)
        finally:
            record["seconds"] = round(time.monotonic() - started, 1)
            _state["finished"] += 1
            if _state["finished"] >= MEMBERS:
                gevent.spawn(_quit_when_settled, self.environment.runner)
        raise StopUser()


def _in_job(step):
    """Mark the organiser as in the middle of a job while `step` runs (the run does not end then)."""

    @functools.wraps(step)
    def wrapped(*args, **kwargs):
        _state["organiser"]["in_job"] = True
        try:
            return step(*args, **kwargs)
        finally:
            _state["organiser"]["in_job"] = False

    return wrapped


class OrganiserUser(ClusterUser):
    """The organiser: exports to Excel and sends reminders while the members answer."""

    abstract = not ORGANISER  # no organiser: Locust leaves this class out
    fixed_count = 1
    wait_time = constant(ORGANISER_PAUSE)

    def on_start(self) -> None:
        self.email = ORGANISER.split(" ", 1)[0]
        gevent.sleep(5)  # let the first members in
        organiser = _state["organiser"]
        try:
            self.again(lambda: self.sign_in(attempts=1))
            self.again(self.export)
            self.again(self.remind)
        except FlowError as exc:
            organiser["errors"].append(str(exc))

    def sign_in(self, think: bool = False, attempts: int = 1) -> None:
        page, location = self.expect("GET", "/sign-in", "organiser: GET /sign-in", (200, 302))
        if location:
            return
        form = {"csrf_token": csrf_token(page), "email": self.email, "password": ORGANISER.split(" ", 1)[1]}
        self.expect("POST", "/sign-in", "organiser: POST /sign-in", 302, data=form, goes_to="/")

    @task
    def export_again(self) -> None:
        try:
            self.again(self.export)
        except FlowError as exc:
            _state["organiser"]["errors"].append(str(exc))

    def wait_for_job(self, path: str, label: str) -> str:
        """Poll a job's progress page until it says Done; returns the page. A job interrupted by a killed
        worker says it did not finish: the organiser presses Try again (once) and goes on waiting."""
        tried_again = False
        for _ in range(JOB_POLLS):
            html, _ = self.expect("GET", path, f"organiser: GET {label} job page", 200)
            if "This did not finish" in html:
                if tried_again or ">Try again</button>" not in html:
                    raise FlowError(f"{label} job failed")
                self.expect(
                    "POST",
                    f"{path}/try-again",
                    f"organiser: POST {label} job try again",
                    302,
                    data={"csrf_token": csrf_token(html)},
                    goes_to=path,
                )
                tried_again = True
                _state["organiser"]["tried_again"] += 1
                continue
            if 'govuk-panel__title">Done' in html:
                return html
            gevent.sleep(1)
        raise FlowError(f"{label} job not done after {JOB_POLLS} s")

    @_in_job
    def export(self) -> None:
        """Start an XLSX export, wait for it, download the file."""
        _, job = self.expect(
            "GET", f"{RESULTS}/export?format=xlsx", "organiser: start XLSX export", 302, goes_to="/jobs/"
        )
        self.wait_for_job(job, "export")
        with self.client.get(f"{job}/download", name="organiser: download XLSX", catch_response=True) as response:
            if response.status_code != 200 or not (response.content or b"").startswith(b"PK"):
                response.failure(f"download: status {response.status_code}")
                raise (Transient if response.status_code in (0, 500, 502, 503, 504) else FlowError)("download failed")
            _state["organiser"]["export_bytes"].append(len(response.content))
        _state["organiser"]["exports"] += 1
        _state["organiser"]["export_times"].append(time.time())  # wall clock: the fault thread's is too

    @_in_job
    def remind(self) -> None:
        """The reminders page, then its Send button; wait for the job."""
        page, location = self.expect("GET", "/surveys/manage/schools-ict/remind", "organiser: GET remind", (200, 302))
        if location:
            return  # nobody due a reminder (already reminded, within 48 hours)
        _, job = self.expect(
            "POST",
            "/surveys/manage/schools-ict/remind",
            "organiser: POST remind",
            302,
            data={"csrf_token": csrf_token(page)},
            goes_to="/jobs/",
        )
        self.wait_for_job(job, "reminders")
        _state["organiser"]["reminder_jobs"] += 1


def _quit_when_settled(runner) -> None:
    """Quit once every member has finished and the organiser is not in the middle of a job (one a fault
    interrupted is seen through: noticed, tried again, downloaded), waiting at most JOB_POLLS seconds."""
    for _ in range(JOB_POLLS):
        if not _state["organiser"]["in_job"]:
            break
        gevent.sleep(1)
    runner.quit()


@events.request.add_listener
def _count(name: str, response_time: float, response=None, exception=None, **_kwargs) -> None:
    """Statuses, "database is locked" in any body, and every response time (exact percentiles later)."""
    status = getattr(response, "status_code", 0) or 0
    _state["statuses"][status] += 1
    body = getattr(response, "text", "") or ""
    if LOCKED in body:
        _state["locked_bodies"] += 1
    if status >= 500:
        title = re.search(r"<title>\s*([^<]*?)\s*</title>", body)
        shown = "a traceback shown" if "Traceback" in body else "no traceback"
        _state["error_pages"][f"{status}: {title.group(1) if title else body[:60]!r} ({shown})"] += 1
    _state["timings"].setdefault(name, []).append([round(response_time, 2), exception is not None])


@events.quitting.add_listener
def _write_out(environment, **_kwargs) -> None:
    """What every member sent and what the organiser did, for the benchmark to check against the database."""
    if OUT:
        summary = {**_state, "statuses": {str(k): v for k, v in _state["statuses"].items()}}
        summary["error_pages"] = dict(_state["error_pages"])
        Path(OUT).write_text(json.dumps(summary, indent=1), encoding="utf-8")
