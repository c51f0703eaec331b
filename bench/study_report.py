"""Study-report benchmark: how long the report of the demo study takes, on the page and as a Word document.

Run from the repository root with `.venv/bin/python -m bench.study_report [--rounds 10] [--dry-run]`.

What it does, all locally, in one process:

1. makes a fresh SQLite database in a temporary directory, migrates it and loads the demo data
   (`flask demo-data`: the demo survey's responses and the demo study, read and tagged), then accepts
   every suggestion so every theme has findings to report;
2. signs in an analyst through the Flask test client and, `--rounds` times, times in the same round:
   the study's overview page (the baseline: a page analysts already wait on, reading the same study),
   `build_report` alone, the print page, and the Word download (`report.docx`, built in the request);
3. prints the percentiles and the report's size (`report_size`: passages plus survey responses) with the
   milliseconds of `build_report` per unit of size, the figure `BACKGROUND_FROM` in
   app/analysis/report_routes.py rests on (the document adds a near-fixed cost: its charts);
4. writes them into the `study-report` section of docs/performance.md (not with `--dry-run`).

Target (from the issue): the demo study's report generated in under 5 seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import git_commit, load_average, log, machine
from bench.report import REPO_ROOT, write_section
from bench.review_queue import build_app, percentile

SECTION = "study-report"
DEFAULT_ROUNDS = 10
TARGET_SECONDS = 5.0
PASSWORD = "bench-report-demo-password-5Kx"  # noqa: S105 - a throwaway benchmark database


def seed(app) -> tuple[int, int]:
    """The demo data, every suggestion accepted; returns the demo study's id and its report size."""
    from flask_migrate import upgrade
    from sqlalchemy import select, update

    from app.analysis.models import Code
    from app.analysis.report import report_size
    from app.demo import load_demo_data
    from app.extensions import db
    from app.focus_groups.demo import DEMO_STUDY_TITLE
    from app.focus_groups.models import Study

    with app.app_context():
        upgrade()
        load_demo_data(PASSWORD)
        study = db.session.scalar(select(Study).where(Study.title == DEMO_STUDY_TITLE))
        db.session.execute(update(Code).where(Code.study_id == study.id).values(status="accepted"))
        db.session.commit()
        study_id, size = study.id, report_size(study)
        db.session.remove()
    return study_id, size


def timed(fetch) -> float:
    """Milliseconds one call took (a response's body read in full)."""
    started = time.perf_counter()
    result = fetch()
    if hasattr(result, "get_data"):
        result.get_data()
        if result.status_code != 200:
            raise RuntimeError(f"HTTP {result.status_code}")
    return (time.perf_counter() - started) * 1000


def measure(app, study_id: int, rounds: int) -> dict[str, list[float]]:
    """Each of the four timings, `rounds` times, interleaved so load affects them alike."""
    from app.analysis.report import build_report
    from app.demo import demo_email
    from app.extensions import db
    from app.focus_groups.models import Study

    client = app.test_client()
    signed_in = client.post("/sign-in", data={"email": demo_email("analyst"), "password": PASSWORD})
    if signed_in.status_code != 302:
        raise RuntimeError(f"the analyst could not sign in (HTTP {signed_in.status_code})")
    urls = {
        "overview": f"/analysis/{study_id}/",
        "page": f"/analysis/{study_id}/report",
        "docx": f"/analysis/{study_id}/report.docx",
    }
    client.get(urls["overview"]), client.get(urls["page"]), client.get(urls["docx"])  # warm up
    times: dict[str, list[float]] = {"overview": [], "build": [], "page": [], "docx": []}
    for _ in range(rounds):
        times["overview"].append(timed(lambda: client.get(urls["overview"])))
        with app.app_context():
            times["build"].append(timed(lambda: build_report(db.session.get(Study, study_id))))
            db.session.remove()
        times["page"].append(timed(lambda: client.get(urls["page"])))
        times["docx"].append(timed(lambda: client.get(urls["docx"])))
    return times


LABELS = {
    "overview": "Baseline: the study's overview page",
    "build": "`build_report` (the Report tree alone)",
    "page": "Print page (GET /analysis/<id>/report)",
    "docx": "Word document (GET /analysis/<id>/report.docx, built in the request)",
}


def markdown_section(times: dict, size: int, rounds: int, when: datetime, load: str) -> str:
    """The study-report section of docs/performance.md."""
    rows = "\n".join(
        f"| {LABELS[name]} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} | {max(values):.0f} |"
        for name, values in times.items()
    )
    docx = percentile(times["docx"], 0.95) / 1000
    verdict = "PASS" if docx < TARGET_SECONDS else "FAIL"
    per_unit = statistics.median(times["build"]) / size
    return f"""## Study report: the demo study as a page and as a Word document

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}. One process, the Flask test client, SQLite.
- The demo data (`flask demo-data`) with every suggestion accepted; report size {size:,} (present passages
  plus submitted survey responses). {rounds} rounds, each timing the four in turn.

| Request | p50 ms | p95 ms | max ms |
| --- | ---: | ---: | ---: |
{rows}

Target (from the issue): the demo study's report in under {TARGET_SECONDS:.0f} s.

- {verdict}: the Word document's p95 is {docx:.2f} s.
- Building the tree takes about {per_unit:.2f} ms per unit of report size; the document adds a near-fixed
  cost (drawing its charts). `BACKGROUND_FROM` in app/analysis/report_routes.py sends larger studies to a
  background job with progress.

Reproduce with `.venv/bin/python -m bench.study_report --rounds {rounds}`.
"""


def main(argv: list[str] | None = None) -> int:
    """Measure and write docs/performance.md; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.study_report", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help=f"default {DEFAULT_ROUNDS}")
    parser.add_argument("--dry-run", action="store_true", help="print the figures; leave docs/performance.md alone")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("SECRET_KEY", "bench-report-" + "x" * 40)
    when, load = datetime.now(UTC), load_average()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as workdir:
        app = build_app(Path(workdir) / "report.db")
        app.config["JOBS_INLINE"] = True
        log("loading the demo data")
        study_id, size = seed(app)
        log(f"timing {args.rounds} rounds (report size {size:,})")
        times = measure(app, study_id, args.rounds)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    for name, values in times.items():
        print(f"{name}: p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 0.95):.0f} ms")
    print(f"report size {size:,}: building the tree takes {statistics.median(times['build']) / size:.3f} ms per unit")
    docx = percentile(times["docx"], 0.95) / 1000
    verdict = "PASS" if docx < TARGET_SECONDS else "FAIL"
    print(f"{verdict}: Word document p95 {docx:.2f} s (target {TARGET_SECONDS:.0f} s)")
    if not args.dry_run:
        path = write_section(SECTION, markdown_section(times, size, args.rounds, when, load))
        log(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0 if docx < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
