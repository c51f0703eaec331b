"""The survey benchmark's correctness checks: what was measured on each database, and whether it holds.

`check_members` compares what each simulated member sent (their Locust user writes it down) with what
the database holds afterwards; `tracebacks` counts the app's unhandled exceptions in the server log.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from bench.harness import Row, Run
from bench.report import REPO_ROOT
from bench.survey_db import emails


@dataclass
class Members:
    """The members' run, and what the database holds afterwards."""

    run: Run
    expected_members: int
    finished: int
    unfinished: list[str]
    submitted_in_db: int
    expected_answers: int
    stored_answers: int
    mismatched: list[str]
    routes: dict[str, int]
    minutes: float

    @property
    def total(self) -> Row:
        return self.run.row("Aggregated")

    def times(self, leave_out: tuple[str, ...] = ()) -> list[float]:
        """Every response time of the run in milliseconds, sorted (without the requests named in `leave_out`)."""
        timings = self.run.out.get("timings", {})
        return sorted(ms for name, rows in timings.items() if name not in leave_out for ms, _failed in rows)

    def percentile(self, share: float, leave_out: tuple[str, ...] = ()) -> float:
        """The nearest-rank percentile of the response times (NaN when there are none)."""
        times = self.times(leave_out)
        if not times:
            return float("nan")
        return times[max(0, math.ceil(share * len(times)) - 1)]

    @property
    def errors(self) -> int:
        """Failed requests, plus members who never got to submit."""
        return self.total.failures + len(self.unfinished)

    @property
    def answers_ok(self) -> bool:
        """Every answer sent is stored, and every submitted response holds exactly what was sent."""
        return self.stored_answers == self.expected_answers and not self.mismatched

    @property
    def submissions_ok(self) -> bool:
        """Every member submitted, and the database has exactly one submitted response for each who was told so."""
        return self.submitted_in_db == self.finished == self.expected_members


@dataclass
class Engine:
    """Everything measured on one database."""

    name: str
    detail: str = ""
    skipped: str = ""
    hello: Run | None = None
    floor: Run | None = None  # the app's /healthz: what every request of the app costs at least
    page_get: Run | None = None
    page_post: Run | None = None
    members: Members | None = None
    server_errors: Counter = field(default_factory=Counter)  # (exception, where in app/) -> how many


APP_FRAME = re.compile(r'File "' + re.escape(str(REPO_ROOT)) + r'/(app/[^"]+)", line (\d+), in (\S+)')


def tracebacks(text: str) -> Counter:
    """The app's unhandled exceptions in a server log: (exception, deepest frame in app/) -> how many."""
    found: Counter = Counter()
    for block in text.split("Traceback (most recent call last):")[1:]:
        if "The above exception was the direct cause" in block or "During handling of the above" in block:
            continue  # the cause of an exception reported in the next block
        lines = block.splitlines()
        frames = APP_FRAME.findall(block)
        where = f"{frames[-1][0]}:{frames[-1][1]} in {frames[-1][2]}" if frames else "outside app/"
        exception = next((line for line in lines[1:] if line and not line.startswith((" ", "["))), "?")
        found[(exception.strip()[:160], where)] += 1
    return found


def check_members(run: Run, database: dict[str, dict], count: int) -> Members:
    """Compare what each member sent with what the database holds."""
    sent: dict[str, dict] = run.out.get("members", {})
    finished = [email for email, record in sent.items() if record.get("submitted")]
    unfinished = [
        f"{email}: {sent[email]['error'] if email in sent else 'never started'}"
        for email in emails("member", count)
        if not sent.get(email, {}).get("submitted")
    ]
    expected_answers = stored_answers = 0
    mismatched: list[str] = []
    for email in emails("member", count):
        keys = sorted({key for page in sent.get(email, {}).get("pages", {}).values() for key in page})
        held = database.get(email, {})
        expected_answers += len(keys)
        stored_answers += len(held.get("answers", []))
        if held.get("answers", []) != keys:
            mismatched.append(f"{email}: stored {held.get('answers')} but sent {keys}")
        if held.get("status") == "submitted" and (
            held.get("submitted_answers") != keys or held.get("submission_count") != 1
        ):
            mismatched.append(
                f"{email}: submitted {held.get('submitted_answers')} "
                f"({held.get('submission_count')} submissions) but sent {keys}"
            )
    submitted_in_db = sum(
        1 for email in emails("member", count) if database.get(email, {}).get("status") == "submitted"
    )
    routes: dict[str, int] = {}
    for email in finished:
        routes[sent[email]["route"]] = routes.get(sent[email]["route"], 0) + 1
    seconds = [record["seconds"] for record in sent.values() if record.get("submitted") and record.get("seconds")]
    return Members(
        run=run,
        expected_members=count,
        finished=len(finished),
        unfinished=unfinished,
        submitted_in_db=submitted_in_db,
        expected_answers=expected_answers,
        stored_answers=stored_answers,
        mismatched=mismatched,
        routes=routes,
        minutes=(sum(seconds) / len(seconds) / 60) if seconds else float("nan"),
    )
