"""Review-queue benchmark: the analyst's review page over a study of 20,000 passages.

Run from the repository root with `.venv/bin/python -m bench.review_queue [--passages 20000]`.

What it does, all locally, in one process:

1. makes a fresh SQLite database in a temporary directory and migrates it;
2. creates a study and stores `--passages` passages of about 40 words (the deterministic passages of
   `bench.tagging`), then tags them all with `tag_study` (the same work as "Re-read and tag"), timed;
3. signs in an analyst through the Flask test client and, `--decisions` times, opens the review page
   (timed), and accepts or rejects the suggestion it shows (timed), so every page shows a new item;
4. in the same run, times the app's health check (`/healthz`, one small query) the same way, as the
   baseline a page cannot beat;
5. prints the percentiles and writes them into the `review-queue` section of docs/performance.md.

Target (from the issue): the review queue over 20,000 passages, p95 at most 150 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import git_commit, load_average, log, machine
from bench.report import REPO_ROOT, write_section

SECTION = "review-queue"
DEFAULT_PASSAGES = 20_000
DEFAULT_DECISIONS = 200
TARGET_P95_MS = 150.0
ANALYST_EMAIL = "bench-analyst@bench.example"
ANALYST_PASSWORD = "bench-review-analyst-password-8Tq"  # noqa: S105 - a throwaway benchmark database
CODE_ID = re.compile(r'name="code_id" value="(\d+)"')


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def build_app(database: Path):
    """The app on the benchmark database, CSRF off so the test client can post."""
    from app import create_app
    from config import DevelopmentConfig

    config = type(
        "ReviewBenchConfig",
        (DevelopmentConfig,),
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
    )
    return create_app(config)


def seed(app, count: int) -> tuple[int, float, int]:
    """A study whose one session holds `count` notes of about 40 words, read and tagged as "Re-read and
    tag" does; returns the study's id and the seconds reading and tagging took."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app.analysis.services import tag_study
    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.clock import utcnow
    from app.extensions import db
    from app.focus_groups.notes.models import Note
    from app.focus_groups.studies.services import add_slot, create_study
    from bench.tagging import passages

    with app.app_context():
        upgrade()
        user = User(email=ANALYST_EMAIL, name="Bench analyst", password_hash=hash_password(ANALYST_PASSWORD))
        db.session.add(user)
        user.set_roles({"analyst"})
        db.session.commit()
        study = create_study("Review benchmark")
        slot = add_slot(study, utcnow(), location="https://meet.example.org/bench")
        db.session.commit()
        now = utcnow()
        rows = [
            {
                "slot_id": slot.id,
                "kind": "observation",
                "text": text,
                "pseudonyms": [],
                "names_replaced": [],
                "created_at": now,
                "minutes_since_start": 0,
                "version": 1,
            }
            for text in passages(count)
        ]
        for offset in range(0, len(rows), 5000):
            db.session.execute(insert(Note), rows[offset : offset + 5000])
        db.session.commit()
        started = time.perf_counter()
        report = tag_study(study.id)
        seconds = time.perf_counter() - started
        if report.tagged < count:
            raise RuntimeError(f"tagged {report.tagged} passages from {count} notes")
        study_id = study.id
        db.session.remove()
    return study_id, seconds, report.tagged


def timed(fetch) -> tuple[float, object]:
    """Milliseconds one request took (body read in full), and its response."""
    started = time.perf_counter()
    response = fetch()
    response.get_data()
    return (time.perf_counter() - started) * 1000, response


def measure(app, study_id: int, decisions: int) -> dict:
    """Open the review page and decide its suggestion, `decisions` times; and the health check as often."""
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"email": ANALYST_EMAIL, "password": ANALYST_PASSWORD})
    if signed_in.status_code != 302:
        raise RuntimeError(f"the analyst could not sign in (HTTP {signed_in.status_code})")
    url = f"/analysis/{study_id}/review"
    for _ in range(3):  # warm up: templates compiled, queries prepared
        client.get(url)
        client.get("/healthz")
    pages, posts, health, shown = [], [], [], set()
    for n in range(decisions):
        elapsed, response = timed(lambda: client.get(url))
        match = CODE_ID.search(response.get_data(as_text=True))
        if response.status_code != 200 or match is None:
            raise RuntimeError(f"the review page showed no suggestion (HTTP {response.status_code})")
        if match.group(1) in shown:
            raise RuntimeError("the review page showed a suggestion already decided")
        shown.add(match.group(1))
        pages.append(elapsed)
        decision = {"code_id": match.group(1), "action": "accept" if n % 2 == 0 else "reject"}
        elapsed, response = timed(lambda decision=decision: client.post(url, data=decision))
        if response.status_code != 302:
            raise RuntimeError(f"deciding a suggestion gave HTTP {response.status_code}")
        posts.append(elapsed)
        health.append(timed(lambda: client.get("/healthz"))[0])
    return {"page": pages, "decide": posts, "healthz": health}


def summary(values: list[float]) -> dict:
    """Median and percentiles of a list of milliseconds."""
    return {
        "p50": statistics.median(values),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": max(values),
    }


def markdown_section(
    result: dict, count: int, decisions: int, tagging: float, when: datetime, load: str, notes: int
) -> str:
    """The review-queue section of docs/performance.md."""
    rows = []
    for name, label in (
        ("healthz", "Baseline: `/healthz` (one small query)"),
        ("page", "Review page (next suggestion, least certain first)"),
        ("decide", "Accept or reject (POST, then redirect)"),
    ):
        figures = summary(result[name])
        rows.append(
            f"| {label} | {figures['p50']:.1f} | {figures['p95']:.1f} | {figures['p99']:.1f} | {figures['max']:.1f} |"
        )
    p95 = summary(result["page"])["p95"]
    verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
    table = "\n".join(rows)
    return f"""## Review queue: the analyst's next suggestion over {count:,} passages

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}. One process, the Flask test client, SQLite.
- Study: {notes:,} session notes of about 40 words (the passages of `bench.tagging`), {count:,} sentences,
  read and tagged by
  `tag_study` in {tagging:.1f} s ({count / tagging:,.0f} passages per second, reading the notes and
  writing every suggestion included).
- {decisions} rounds of: open the review page, then accept or reject what it shows (so each page is a new
  suggestion, chosen from every pending one by uncertainty); the baseline is timed in the same rounds.

| Request | p50 ms | p95 ms | p99 ms | max ms |
| --- | ---: | ---: | ---: | ---: |
{table}

Target (from the issue): the review queue over 20,000 passages with p95 at most {TARGET_P95_MS:.0f} ms.

- {verdict}: p95 {p95:.1f} ms.

Reproduce with `.venv/bin/python -m bench.review_queue --passages {count} --decisions {decisions}`.
"""


def main(argv: list[str] | None = None) -> int:
    """Measure and write docs/performance.md; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.review_queue", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--passages", type=int, default=DEFAULT_PASSAGES, help=f"notes of about 40 words (default {DEFAULT_PASSAGES:,})"
    )
    parser.add_argument("--decisions", type=int, default=DEFAULT_DECISIONS, help=f"default {DEFAULT_DECISIONS}")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("SECRET_KEY", "bench-review-queue-" + "x" * 40)
    when, load = datetime.now(UTC), load_average()
    with tempfile.TemporaryDirectory(prefix="bench-review-") as workdir:
        app = build_app(Path(workdir) / "review.db")
        log(f"storing and tagging {args.passages:,} passages")
        study_id, tagging, read = seed(app, args.passages)
        log(f"timing {args.decisions} review rounds")
        result = measure(app, study_id, args.decisions)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    for name in ("healthz", "page", "decide"):
        figures = summary(result[name])
        print(f"{name}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms")
    p95 = summary(result["page"])["p95"]
    print(f"{'PASS' if p95 <= TARGET_P95_MS else 'FAIL'}: review page p95 {p95:.1f} ms (target {TARGET_P95_MS:.0f} ms)")
    path = write_section(SECTION, markdown_section(result, read, args.decisions, tagging, when, load, args.passages))
    log(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0 if p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
