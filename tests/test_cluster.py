"""The production profile, in short: app nodes under gunicorn on the test run's own database.

- Two nodes on one database: members whose requests alternate between the nodes (as a load balancer
  sends them) each submit, and every response is in the database exactly once, as sent.
- SQLite with concurrent members on one node: nothing lost, and "database is locked" reaches nobody.
- Sign-in limits kept in Redis hold across the two nodes: failed attempts spread over both count as one.

`bench/cluster.py` and `bench/sqlite_concurrency.py` do the same at full size (with nginx, 300 members and
faults); these tests keep each run under a few seconds. Redis missing skips the limit test, unless
REQUIRE_REDIS=1 (CI) makes that a failure.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import select

from app.extensions import db
from app.surveys.models import Response
from app.surveys.sample_answers import NO_SCHOOLS
from app.surveys.services import ensure_default_survey
from bench.cluster_checks import expected_answers, normalised
from bench.cluster_servers import gunicorn_command
from bench.harness import free_port
from bench.survey_forms import CSRF, hidden_fields
from tests.conftest import PASSWORD

REPO_ROOT = Path(__file__).resolve().parent.parent
SURVEY = "/surveys/schools-ict"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
READY_SECONDS = 60


@contextlib.contextmanager
def app_nodes(database_url: str, count: int, workers: int = 1, **settings: str) -> Iterator[list[str]]:
    """`count` gunicorn nodes serving the app on the test database; yields their base URLs."""
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(36),
        "MAIL_SERVER": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_LIMIT_PER_IP": "100000 per minute",  # every simulated person comes from 127.0.0.1
        **settings,
    }
    with tempfile.TemporaryDirectory(prefix="socitm-nodes-") as tmp:
        processes, bases = [], []
        try:
            for number in range(count):
                port = free_port()
                command = gunicorn_command(port, workers, 4, Path(tmp) / f"node{number}.log")
                processes.append(subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL))  # noqa: S603
                bases.append(f"http://127.0.0.1:{port}")
            for process, base in zip(processes, bases, strict=True):
                _wait_ready(process, base)
            yield bases
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        logs = "\n".join(p.read_text(errors="replace") for p in Path(tmp).glob("node*.log"))
    assert "Traceback" not in logs, logs[-3000:]


def _wait_ready(process: subprocess.Popen, base: str) -> None:
    """Poll /healthz until it answers 200 (bounded)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the node on {base} exited"
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"the node on {base} did not answer /healthz within {READY_SECONDS} s")


class Member:
    """A person in a browser whose every request may go to a different node."""

    def __init__(self, bases: list[str], email: str):
        self.nodes = itertools.cycle(bases)
        self.email = email
        self.session = requests.Session()
        self.bodies: list[tuple[int, str]] = []

    def request(self, method: str, path: str, expect: int, data: dict | None = None) -> requests.Response:
        response = self.session.request(method, next(self.nodes) + path, data=data, allow_redirects=False, timeout=60)
        self.bodies.append((response.status_code, response.text))
        assert response.status_code == expect, f"{method} {path}: {response.status_code}\n{response.text[:1500]}"
        return response

    def token(self, path: str) -> str:
        return CSRF.search(self.request("GET", path, 200).text).group(1)

    def sign_in(self, password: str = PASSWORD, expect: int = 302) -> requests.Response:
        form = {"csrf_token": self.token("/sign-in"), "email": self.email, "password": password}
        return self.request("POST", "/sign-in", expect, data=form)

    def answer_survey(self, pages: dict[str, dict]) -> str:
        """Sign in, start, answer every page, submit; returns the reference the done page shows."""
        self.sign_in()
        location = self.request("POST", f"{SURVEY}/start", 302, {"csrf_token": self.token(f"{SURVEY}/")}).headers[
            "Location"
        ]
        for page_id, fields in pages.items():
            assert location.endswith(f"/questions/{page_id}"), location
            page = self.request("GET", location, 200).text
            form = {**hidden_fields(page), **fields, "action": "continue"}
            location = self.request("POST", location, 302, form).headers["Location"]
        assert location.endswith("/check"), location
        page = self.request("GET", f"{SURVEY}/check", 200).text
        reference = re.search(r'name="response_ref" value="([^"]+)"', page).group(1)
        form = {"csrf_token": CSRF.search(page).group(1), "response_ref": reference}
        done = self.request("POST", f"{SURVEY}/submit", 302, form).headers["Location"]
        assert reference in self.request("GET", done, 200).text
        return reference


def own_answers(number: int) -> dict[str, dict]:
    """The short route's answers, with this member's own figures on the size page."""
    pages = {page: dict(fields) for page, fields in NO_SCHOOLS.items()}
    pages["size"] = {"ict_revenue_spend": f"{1_000_000 + number:,}", "ict_staff_fte": f"{number}.5"}
    return pages


@pytest.fixture
def members(app, make_user):
    """Members of their own organisations, and the survey open to them all."""
    survey = ensure_default_survey()
    survey.open_to_all_members = True
    db.session.commit()

    def make(count: int) -> list:
        return [make_user("member", email=f"member{n}-{secrets.token_hex(3)}@example.org") for n in range(count)]

    return make


def assert_each_submitted_once_as_sent(people: list, sent: dict[int, dict]) -> None:
    db.session.commit()  # a fresh transaction: see what the nodes wrote
    for number, person in enumerate(people):
        responses = db.session.scalars(select(Response).where(Response.organisation_id == person.organisation_id)).all()
        assert len(responses) == 1
        (response,) = responses
        assert (response.status, response.submission_count) == ("submitted", 1)
        expected = expected_answers(sent[number])
        assert {key: normalised(value) for key, value in response.answer_values().items()} == expected
        assert {key: normalised(value) for key, value in response.submitted_answers.items()} == expected


def test_members_alternating_between_two_nodes_each_submit_exactly_once(app, database_url, members):
    people = members(4)
    sent = {n: own_answers(n) for n in range(len(people))}
    with app_nodes(database_url, 2) as bases:
        references = {Member(bases, p.email).answer_survey(sent[n]) for n, p in enumerate(people)}
    assert len(references) == len(people)
    assert_each_submitted_once_as_sent(people, sent)


def test_sqlite_concurrent_members_lose_nothing_and_never_see_locked(app, database_url, members):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL has no database-wide write lock")
    people = members(16)
    sent = {n: own_answers(n) for n in range(len(people))}
    with app_nodes(database_url, 1, workers=2) as (base,):
        walkers = [Member([base], p.email) for p in people]
        with ThreadPoolExecutor(max_workers=len(walkers)) as pool:
            references = set(pool.map(lambda pair: pair[1].answer_survey(sent[pair[0]]), enumerate(walkers)))
    assert len(references) == len(people)
    assert not [body for walker in walkers for _, body in walker.bodies if "database is locked" in body]
    assert_each_submitted_once_as_sent(people, sent)


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"no Redis at {REDIS_URL} (REQUIRE_REDIS=1 makes this a failure)")


def test_failed_sign_ins_spread_over_two_nodes_are_limited_as_one(app, database_url, make_user):
    _redis_or_skip()
    person = make_user("member", email=f"limited-{secrets.token_hex(4)}@example.org")  # its own limiter keys
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT_CLIENT"].split()[0])  # 5 per 15 minutes
    with app_nodes(database_url, 2, RATELIMIT_STORAGE_URI=REDIS_URL) as bases:
        attacker = Member(bases, person.email)  # every attempt goes to the other node
        for _ in range(allowed):
            page = attacker.sign_in("not the password", expect=200).text
            assert "Enter a correct email address and password" in page
        # Each node has seen fewer than `allowed` attempts, yet both refuse the next, right password or not.
        assert "Too many attempts" in attacker.sign_in(PASSWORD, expect=429).text
        assert "Too many attempts" in attacker.sign_in(PASSWORD, expect=429).text
