"""What `bench.cluster` and `bench.sqlite_concurrency` check after a run: every response the members
were told was submitted is in the database exactly once, holding the answers they sent, and nothing
else was stored; how the requests fared (statuses, percentiles); what the servers logged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bench.survey_checks import tracebacks

LOCKED = "database is locked"


def normalised(value: Any) -> Any:
    """A value as a form sends it or as the database holds it, in one comparable shape.

    "4,200,000" and 4200000 are one number; a checkbox list is compared in any order.
    """
    if isinstance(value, dict):
        return {key: normalised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return sorted((normalised(item) for item in value), key=repr)
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip()
    try:
        return Decimal(text.replace(",", "")).normalize()
    except InvalidOperation:
        return text


def expected_answers(pages: dict[str, dict]) -> dict[str, Any]:
    """The answers the app should store for the forms sent: `users.pupils` goes under `users`, empty
    fields store nothing, a ticked "I do not know" (`share_spend.dont_know`) is stored as "dont_know"."""
    expected: dict[str, Any] = {}
    for fields in pages.values():
        for name, value in fields.items():
            if value in ("", [], None):
                continue
            if name.endswith(".dont_know"):  # the "I do not know" box of a number question
                expected[name.split(".", 1)[0]] = "dont_know"
            elif "." in name:
                key, part = name.split(".", 1)
                expected.setdefault(key, {})[part] = value
            else:
                expected[name] = value
    return {key: normalised(value) for key, value in expected.items()}


@dataclass
class Verdict:
    """The database against what the members sent."""

    members: int
    submitted: int = 0  # members told their response was submitted
    lost: list[str] = field(default_factory=list)  # told so, but not submitted in the database
    duplicated: list[str] = field(default_factory=list)  # submitted more than once
    wrong: list[str] = field(default_factory=list)  # an answer stored that differs from what was sent
    unfinished: list[str] = field(default_factory=list)  # members who gave up, with why
    retries: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.wrong)


def verify(sent: dict[str, dict], database: dict[str, dict], emails: list[str]) -> Verdict:
    """Compare each member's forms (`sent`, as the Locust users wrote them down) with the database."""
    verdict = Verdict(members=len(emails))
    for email in emails:
        record = sent.get(email)
        held = database.get(email, {})
        if record is None:
            verdict.unfinished.append(f"{email}: never started")
            continue
        verdict.retries += record.get("retries", 0)
        stored = {key: normalised(value) for key, value in (held.get("values") or {}).items()}
        answered = expected_answers(record.get("sent", {}))
        tried = expected_answers(record.get("tried", {}))
        for key, value in stored.items():  # nothing stored that was not sent, and nothing stored half
            if key not in tried or value != tried[key]:
                verdict.wrong.append(f"{email}: {key} stored as {value!r}, sent {tried.get(key, '(nothing)')!r}")
        for key in answered:
            if key not in stored:
                verdict.wrong.append(f"{email}: {key} sent and acknowledged but not stored")
        if record.get("submitted"):
            verdict.submitted += 1
            if held.get("status") != "submitted":
                verdict.lost.append(f"{email}: told it was submitted, but the database says {held.get('status')}")
            elif held.get("submission_count") != 1:
                verdict.duplicated.append(f"{email}: submitted {held.get('submission_count')} times")
            submitted = {key: normalised(value) for key, value in (held.get("submitted_values") or {}).items()}
            if held.get("status") == "submitted" and submitted != answered:
                verdict.wrong.append(f"{email}: submitted answers {sorted(submitted)} differ from those sent")
        else:
            verdict.unfinished.append(f"{email}: {record.get('error')}")
            if held.get("status") == "submitted":
                verdict.duplicated.append(f"{email}: submitted in the database, but the member was never told")
    return verdict


def percentile(times: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted `times` (NaN when empty)."""
    if not times:
        return float("nan")
    return times[max(0, math.ceil(share * len(times)) - 1)]


def member_times(out: dict, leave_out: tuple[str, ...] = ()) -> list[float]:
    """Every response time of the members' requests (not the organiser's, nor those named in `leave_out`), sorted."""
    return sorted(
        ms
        for name, rows in out.get("timings", {}).items()
        if not name.startswith("organiser") and name not in leave_out
        for ms, _ in rows
    )


ACCESS = re.compile(r'^(\d{3}) (\S+) (\S+) ([\d.]+) "')


def balancer_log(path: Path) -> tuple[Counter, Counter]:
    """nginx's access log: how many responses per status, and per node (upstream address)."""
    statuses: Counter = Counter()
    upstreams: Counter = Counter()
    if not path.exists():
        return statuses, upstreams
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        found = ACCESS.match(line)
        if found:
            statuses[int(found.group(1))] += 1
            for address in found.group(2).split(","):
                upstreams[address.strip()] += 1
    return statuses, upstreams


@dataclass
class ServerLogs:
    """What the app servers logged: unhandled exceptions, and "database is locked"."""

    exceptions: Counter
    locked_lines: int


def server_logs(paths: list[Path]) -> ServerLogs:
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths if p.exists())
    return ServerLogs(exceptions=tracebacks(text), locked_lines=text.count(LOCKED))
