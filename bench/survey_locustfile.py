"""Locust users for `bench.survey`: signed-in members on the schools ICT survey.

Pick the user class on Locust's command line; the rest comes from environment variables set by `bench.survey`:

BENCH_EMAILS    a file with one account email per line; each Locust user takes the next one
BENCH_PASSWORD  the password of every account
BENCH_USERS     how many Locust users there are (the barrier and the finish line wait for all of them)
BENCH_SECONDS   PageGetUser / PagePostUser: how long to measure once every user has signed in
BENCH_OUT       a JSON file this locustfile writes when Locust quits (what each user did)

PageGetUser   signs in, starts its organisation's response, then GETs one question page in a loop.
PagePostUser  the same, then POSTs valid answers to that page in a loop (two sets of values in turn,
              so every POST changes and writes both answers).
MemberUser    signs in, answers every page on its route with think time, checks its answers, submits
              once and stops. Even-numbered accounts take the short route (no services to schools),
              odd-numbered the full route.

Only a 302 counts as a saved page: the app answers 200 when it shows the page again (a validation
error, or a conflict with a colleague's save).

For the page benchmarks, the sign-in and set-up requests are not measured: every user waits at a
barrier until all have signed in, the statistics are reset, and Locust quits BENCH_SECONDS later.
"""

from __future__ import annotations

import json
import os
import re
import time
from itertools import count
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gevent
from gevent.event import Event
from locust import FastHttpUser, between, constant, events, task
from locust.exception import StopUser

from bench.survey_forms import CSRF, FULL_ROUTE, SHORT_ROUTE, SIZE_VALUES, hidden_fields

SLUG = "schools-ict"
SURVEY = f"/surveys/{SLUG}"
PAGE_UNDER_TEST = "size"
EMAILS = [
    line.strip() for line in Path(os.environ.get("BENCH_EMAILS", "/dev/null")).read_text().splitlines() if line.strip()
]
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
USERS = int(os.environ.get("BENCH_USERS", "1"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
OUT = os.environ.get("BENCH_OUT", "")
BARRIER_TIMEOUT = 120  # seconds the page benchmark waits for every user to sign in
MAX_PAGES = 30  # no route has more pages than this: a longer walk is a loop
SIGN_IN_ATTEMPTS = 3
# gunicorn closes a keep-alive connection after 2 s idle (its default). A browser notices and opens a new
# one; geventhttpclient may reuse the closed socket and fail the next request with status 0, which is
# the load generator's fault, not the app's. After a think time this long, the member's connections
# are closed first, so the next request opens a fresh one, as a browser's would be.
IDLE_CLOSE_SECONDS = 1.5
TIMINGS = os.environ.get("BENCH_TIMINGS") == "1"  # keep every response time (the members' run)

_accounts = count()
_ready = Event()
_state: dict = {
    "arrived": 0,
    "setup_failures": [],
    "members": {},
    "finished": 0,
    "measure_started": None,
    "timings": {},  # request name -> [[milliseconds, failed], ...]
}


class FlowError(Exception):
    """A step of the survey did not answer as a browser would expect."""


def stored_keys(form: dict[str, str | list[str]]) -> list[str]:
    """The answer keys the app stores for a page's form fields that hold something.

    `users.pupils` and `service_level.pupils` belong to `users` and `service_level`; `share_spend.dont_know`
    to `share_spend`; `education_settings__other` is kept under its own key.
    """
    keys = {name.split(".", 1)[0] for name, value in form.items() if value not in ("", [], None)}
    return sorted(keys)


def route_for(email: str) -> tuple[str, dict[str, dict[str, str | list[str]]]]:
    """Even-numbered accounts take the short route, odd-numbered the full route."""
    number = int(re.search(r"-(\d+)@", email).group(1))
    return ("full", FULL_ROUTE) if number % 2 else ("short", SHORT_ROUTE)


def csrf_token(html: str) -> str:
    """The CSRF token in a page, or a FlowError."""
    found = CSRF.search(html or "")
    if not found:
        raise FlowError("no csrf_token in the page")
    return found.group(1)


def path_of(location: str) -> str:
    """The path (and query) of a Location header, absolute or relative."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class SurveyUser(FastHttpUser):
    """A member of one organisation, with the browser steps every scenario needs."""

    abstract = True

    def think(self) -> None:
        """Think time (the user class's wait_time); afterwards, drop connections the server has closed."""
        started = time.monotonic()
        self.wait()
        if time.monotonic() - started >= IDLE_CLOSE_SECONDS:
            self.client.client.close()

    def take_account(self) -> None:
        """Claim the next unused account."""
        index = next(_accounts)
        if index >= len(EMAILS):
            raise StopUser(f"only {len(EMAILS)} accounts for user {index + 1}")
        self.email = EMAILS[index]

    def expect(
        self,
        method: str,
        path: str,
        name: str,
        status: int | tuple[int, ...],
        *,
        data=None,
        contains: str = "",
        goes_to: str = "",
    ) -> tuple[str, str]:
        """One request without following redirects; anything unexpected fails it and raises FlowError.

        `status`: the status (or statuses) that count as success. `data` is sent as a browser sends a form
        (a list value becomes one field per item). `contains`: text a 200's body must hold; `goes_to`: how the
        path of a redirect's Location must start (a redirect to the sign-in page is a 302 too, but not a
        success). Returns the body and the Location path.
        """
        wanted = status if isinstance(status, tuple) else (status,)
        headers = None
        if data is not None:
            data = urlencode(data, doseq=True)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        with self.client.request(
            method, path, name=name, data=data, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            body = response.text or ""
            if response.status_code not in wanted:
                problem = f"{name}: status {response.status_code}, expected {status}"
                if response.status_code == 0:
                    problem += f" ({type(response.error).__name__}: {response.error})"
                response.failure(problem)
                raise FlowError(problem)
            if contains and response.status_code == 200 and contains not in body:
                problem = f"{name}: body lacks {contains!r}"
                response.failure(problem)
                raise FlowError(problem)
            location = path_of(response.headers.get("Location", "") or "")
            if goes_to and not location.startswith(goes_to):
                problem = f"{name}: redirected to {location!r}, expected {goes_to}..."
                response.failure(problem)
                raise FlowError(problem)
            response.success()
            return body, location

    def sign_in(self, think: bool = False, attempts: int = SIGN_IN_ATTEMPTS) -> None:
        """The sign-in page, then the form; a browser follows the redirect to the home page.

        A person whose sign-in fails (an error page) tries again, up to `attempts` times in all; every
        failed attempt stays counted as a failure.
        """
        for attempt in range(1, attempts + 1):
            page, location = self.expect("GET", "/sign-in", "GET /sign-in", (200, 302), contains="Sign in")
            if location:
                # The failed attempt signed the member in after all: the app redirects from the sign-in page.
                self.expect("GET", location, "GET / (home, signed in)", 200, contains="Sign out")
                return
            if think:
                self.think()
            form = {"csrf_token": csrf_token(page), "email": self.email, "password": PASSWORD}
            try:
                _, location = self.expect("POST", "/sign-in", "POST /sign-in", 302, data=form, goes_to="/")
            except FlowError:
                if attempt == attempts:
                    raise
                gevent.sleep(0.5)
                continue
            if location.startswith("/sign-in"):
                raise FlowError(f"POST /sign-in sent the member back to {location!r}")
            self.expect("GET", location, "GET / (home, signed in)", 200, contains="Sign out")
            return

    def start_response(self, think: bool = False) -> str:
        """The survey's start page and its Start button; returns where the app sends the member next."""
        page, _ = self.expect("GET", f"{SURVEY}/", "GET start page", 200)
        if think:
            self.think()
        _, location = self.expect(
            "POST", f"{SURVEY}/start", "POST start", 302, data={"csrf_token": csrf_token(page)}, goes_to=SURVEY
        )
        return location

    def answer(self, path: str, fields: dict, think: bool = True) -> str:
        """GET a question page, think, POST its answers; returns where the app sends the member next."""
        html, _ = self.expect("GET", path, "GET question page", 200, contains='name="response_ref"')
        if think:
            self.think()
        form = {**hidden_fields(html), **fields, "action": "continue"}
        _, location = self.expect("POST", path, "POST question page", 302, data=form, goes_to=f"{SURVEY}/")
        return location

    def submit(self, think: bool = True, resume_submitted: bool = False) -> None:
        """Check answers, think, submit; the confirmation page must show the response's reference.

        With `resume_submitted` (a try again after a fault), an earlier try may have gone through without its
        answer arriving (its worker killed after the commit): check answers then says so, with the reference,
        and the member goes to the confirmation page. Without it, that page is a failure."""
        html, _ = self.expect("GET", f"{SURVEY}/check", "GET check answers", 200)
        already = re.search(r"Submitted on [^(<]*\(reference ([^)<]+)\)", html)
        if resume_submitted and already and 'name="response_ref"' not in html:
            self.expect("GET", f"{SURVEY}/done", "GET done", 200, contains=already.group(1))
            return
        if 'name="response_ref"' not in html:
            raise FlowError("GET check answers: neither a Submit button nor a submitted response")
        if "Some questions still need an answer" in html:
            raise FlowError("check answers says questions still need an answer")
        reference = re.search(r'name="response_ref" value="([^"]+)"', html).group(1)
        if think:
            self.think()
        form = {"csrf_token": csrf_token(html), "response_ref": reference}
        _, done = self.expect("POST", f"{SURVEY}/submit", "POST submit", 302, data=form, goes_to=f"{SURVEY}/done")
        self.expect("GET", done, "GET done", 200, contains=reference)


def page_on_route(location: str, pages: dict, seen: dict, kind: str) -> str:
    """The question page `location` names; a FlowError if it is off the member's route or shown twice."""
    page_id = location.rsplit("/", 1)[1].split("?", 1)[0]
    if page_id not in pages:
        raise FlowError(f"routed to {page_id!r}, not on the {kind} route")
    if page_id in seen:
        raise FlowError(f"routed to {page_id!r} again")
    return page_id


def _release_barrier(environment) -> None:
    """Every page user has signed in (or failed to): measure from now, for BENCH_SECONDS."""
    if _ready.is_set():
        return
    _state["setup_failures_before_reset"] = environment.runner.stats.total.num_failures
    environment.runner.stats.reset_all()
    _state["measure_started"] = time.time()
    _ready.set()
    gevent.spawn_later(SECONDS, environment.runner.quit)


class PageUser(SurveyUser):
    """Signs in and reaches the page under test; then waits for the others before measuring."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        self.take_account()
        self.page_path = f"{SURVEY}/questions/{PAGE_UNDER_TEST}"
        try:
            self.sign_in(attempts=5)  # set-up only: the sign-in is not what this benchmark measures
            self.start_response()
            self.refresh()
            ok = True
        except FlowError as exc:
            _state["setup_failures"].append(f"{self.email}: {exc}")
            ok = False
        _state["arrived"] += 1  # no other greenlet runs between these lines: no lock needed
        if _state["arrived"] >= USERS:
            _release_barrier(self.environment)
        if not _ready.wait(timeout=BARRIER_TIMEOUT):
            _release_barrier(self.environment)
        if not ok:
            raise StopUser()  # not signed in: it would measure the redirect to the sign-in page

    def refresh(self, name: str = "GET page (set-up)") -> None:
        """Read the page's hidden fields (CSRF token, response reference and answer revisions)."""
        page, _ = self.expect("GET", self.page_path, name, 200, contains='name="response_ref"')
        self.hidden = hidden_fields(page)


class PageGetUser(PageUser):
    """GET the question page as fast as it answers."""

    @task
    def get_page(self) -> None:
        try:
            self.expect("GET", self.page_path, "GET question page", 200, contains='name="response_ref"')
        except FlowError:
            pass  # already counted as a failure


class PagePostUser(PageUser):
    """POST the question page as fast as it answers: valid answers that differ from the stored ones."""

    turn = 0

    @task
    def post_page(self) -> None:
        values = SIZE_VALUES[self.turn % 2]
        self.turn += 1
        form = {**self.hidden, **values, "action": "continue"}
        try:
            self.expect("POST", self.page_path, "POST question page", 302, data=form, goes_to=f"{SURVEY}/")
        except FlowError:
            # A page shown again (conflict or error) or a server error: read the page afresh.
            try:
                self.refresh("GET page (re-read after a failed POST)")
            except FlowError:
                pass
            return
        # The app saved both answers, one revision each: what the page would now carry.
        for key in values:
            name = f"rev-{key}"
            self.hidden[name] = str(int(self.hidden.get(name, "0")) + 1)


class MemberUser(SurveyUser):
    """One member answering the whole survey, with think time before every form they send."""

    wait_time = between(1, 3)

    @task
    def answer_survey(self) -> None:
        self.take_account()
        kind, pages = route_for(self.email)
        record = {"route": kind, "pages": {}, "submitted": False, "error": None, "seconds": None}
        _state["members"][self.email] = record
        started = time.monotonic()
        try:
            self.sign_in(think=True)
            location = self.start_response(think=True)
            for _ in range(MAX_PAGES):
                if not location.startswith(f"{SURVEY}/questions/"):
                    break
                page_id = page_on_route(location, pages, record["pages"], kind)
                location = self.answer(location, pages[page_id])
                record["pages"][page_id] = stored_keys(pages[page_id])
            else:
                raise FlowError(f"more than {MAX_PAGES} pages")
            if location != f"{SURVEY}/check":
                raise FlowError(f"ended at {location!r}, not check answers")
            missing = sorted(set(pages) - set(record["pages"]))
            if missing:
                raise FlowError(f"never shown {missing}")
            self.submit()
            record["submitted"] = True
        except FlowError as exc:
            record["error"] = str(exc)
        finally:
            record["seconds"] = round(time.monotonic() - started, 1)
            _state["finished"] += 1
            if _state["finished"] >= USERS:
                gevent.spawn(self.environment.runner.quit)  # everyone is done: no need to wait for --run-time
        raise StopUser()


@events.request.add_listener
def _keep_timing(name: str, response_time: float, exception=None, **_kwargs) -> None:
    """Every response time of the members' run, so percentiles can be worked out exactly afterwards."""
    if TIMINGS:
        _state["timings"].setdefault(name, []).append([round(response_time, 2), exception is not None])


@events.quitting.add_listener
def _write_out(environment, **_kwargs) -> None:
    """What every user did, for bench.survey to check against the database."""
    if not OUT:
        return
    stats = environment.runner.stats if environment.runner else None
    summary = {
        "setup_failures": _state["setup_failures"],
        "setup_failures_before_reset": _state.get("setup_failures_before_reset", 0),
        "measure_started": _state["measure_started"],
        "last_request": stats.last_request_timestamp if stats else None,
        "members": _state["members"],
        "timings": _state["timings"],
    }
    Path(OUT).write_text(json.dumps(summary, indent=1), encoding="utf-8")
