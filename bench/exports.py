"""Export benchmark: CSV export time and peak memory growth for 1,000 to 100,000 submitted responses.

Run from the repository root with `.venv/bin/python -m bench.exports [--sizes 1000,10000,100000]`.

What it does, all locally:

1. makes a fresh SQLite database in a temporary directory and migrates it (`flask db upgrade`);
2. for each size, in increasing order, tops the database up to that many organisations, each with one
   submitted response to the default survey whose answers are generated from its definition (every
   question: choices, numbers with some "I do not know", matrix, user grid, "please specify" and free
   text, some of it starting with "=" so neutralising is exercised), inserted in bulk with executemany;
3. runs `export_to_file(survey, "csv", ...)` in a fresh subprocess and measures its wall time and the
   growth of the process's peak resident memory (ru_maxrss after the export minus before it); JSON and
   XLSX are measured the same way, for information, for sizes up to 10,000;
4. prints a table and writes it, with pass/fail lines against the targets, into the `exports` section
   of docs/performance.md.

Targets: the CSV export of 100,000 responses takes at most 10 s and grows peak memory by under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import bench_environment, git_commit, load_average, log, machine, run_command
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section

SECTION = "exports"
DEFAULT_SIZES = (1000, 10000, 100000)
TARGET_SIZE = 100_000
TARGET_SECONDS = 10.0
TARGET_MEMORY_MB = 300.0
OTHER_FORMATS_UP_TO = 10_000  # JSON and XLSX are measured too, for information, up to this size
SEED_BATCH = 5000
NAME_PREFIX = "Bench export council"
TEXTS = (
    "We charge schools through a traded service agreement.",
    "Pupils use separate devices, managed by the schools themselves, with their own filtering.",
    '=HYPERLINK("http://example.invalid")',  # neutralised on export
    "Hard to say, because the academies left, and the maintained schools buy less each year.",
    "-",
    "",
)


# --- synthetic answers ----------------------------------------------------------------------------


def synthetic_answers(definition: Any, rng: random.Random) -> dict[str, Any]:  # noqa: C901 - one branch per type
    """Plausible answers to every question of a definition, kept to the respondent's route as on submission."""
    from app.surveys.answering.pages import DONT_KNOW, other_key, relevant_answers

    answers: dict[str, Any] = {}
    for q in definition.questions:
        kind = q.type
        if kind in ("single_choice", "yes_no"):
            option = rng.choice(q.options)
            answers[q.id] = option.value
            if option.specify:
                answers[other_key(q.id)] = rng.choice(TEXTS) or "Something else"
        elif kind == "multiple_choice":
            chosen = rng.sample(q.options, k=rng.randint(1, min(4, len(q.options))))
            answers[q.id] = [o.value for o in q.options if o in chosen]
            if any(o.specify for o in chosen):
                answers[other_key(q.id)] = rng.choice(TEXTS) or "Another kind"
        elif kind in ("integer", "decimal", "percentage", "money"):
            if q.dont_know and rng.random() < 0.1:
                answers[q.id] = DONT_KNOW
            elif kind == "integer":
                answers[q.id] = rng.randint(0, 400)
            elif kind == "percentage":
                answers[q.id] = round(rng.uniform(0, 100), 1)
            elif kind == "money":
                answers[q.id] = round(rng.uniform(1e5, 5e7), 2)
            else:
                answers[q.id] = round(rng.uniform(1, 400), 1)
        elif kind == "matrix":
            answers[q.id] = {r.id: rng.choice(q.scale).value for r in q.rows}
        elif kind == "user_grid":
            answers[q.id] = {c.id: rng.randint(0, 30000) for c in q.categories}
        elif kind == "date":
            answers[q.id] = (date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))).isoformat()
        else:
            text = rng.choice(TEXTS)
            if text:
                answers[q.id] = text
    return relevant_answers(definition, answers)


# --- subprocess steps (run against the benchmark database only) -----------------------------------


def seed(start: int, stop: int) -> dict[str, int]:
    """Add organisations start+1..stop, each with one submitted response to the default survey."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.organisations.models import Organisation
    from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
    from app.surveys.models import Response
    from app.surveys.services import definition_for, ensure_default_survey
    from wsgi import app

    rng = random.Random(start)  # noqa: S311 - synthetic data
    regions, council_types = list(REGIONS), list(COUNCIL_TYPES)
    with app.app_context():
        survey = ensure_default_survey()
        version = survey.current_version
        definition = definition_for(version)
        base = datetime(2025, 3, 1, tzinfo=UTC)
        for first in range(start + 1, stop + 1, SEED_BATCH):
            numbers = range(first, min(first + SEED_BATCH, stop + 1))
            organisations = [
                {
                    "id": n,
                    "name": f"{NAME_PREFIX} {n:06d}",
                    "region": rng.choice(regions),
                    "council_type": rng.choice(council_types),
                }
                for n in numbers
            ]
            db.session.execute(insert(Organisation), organisations)
            responses = []
            for n in numbers:
                started = base + timedelta(minutes=n)
                responses.append(
                    {
                        "survey_id": survey.id,
                        "version_id": version.id,
                        "organisation_id": n,
                        "reference": f"BEX-{n:06d}",
                        "status": "submitted",
                        "started_at": started,
                        "updated_at": started,
                        "submitted_at": started + timedelta(hours=2),
                        "submission_count": 1,
                        "submitted_answers": synthetic_answers(definition, rng),
                    }
                )
            db.session.execute(insert(Response), responses)
            db.session.commit()
    return {"added": stop - start}


def measure(size: int, fmt: str, output: Path) -> dict[str, Any]:
    """Export the default survey in a fresh process; time it and measure its peak memory growth."""
    from app.surveys.results.export_columns import columns, export_definition
    from app.surveys.results.exports import export_to_file
    from app.surveys.services import DEFAULT_SLUG, find_survey
    from wsgi import app

    with app.app_context():
        survey = find_survey(DEFAULT_SLUG)
        column_count = len(columns(export_definition(survey)))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        started = time.perf_counter()
        rows = export_to_file(survey, fmt, output)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if rows != size:
        raise RuntimeError(f"exported {rows} rows, expected {size}")
    return {
        "size": size,
        "format": fmt,
        "rows": rows,
        "columns": column_count,
        "seconds": seconds,
        "memory_mb": (after - before) / 1024,
        "peak_mb": after / 1024,
        "file_mb": output.stat().st_size / 1e6,
    }


# --- the driver -----------------------------------------------------------------------------------


def run_step(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one step of this module in a subprocess and read its JSON answer."""
    output = run_command([sys.executable, "-m", "bench.exports", *args], env)
    return json.loads(output.strip().splitlines()[-1])


def verdict(results: list[dict[str, Any]]) -> list[str]:
    """Pass/fail lines against the targets (a target not measured says so)."""
    target = next((r for r in results if r["size"] == TARGET_SIZE and r["format"] == "csv"), None)
    if target is None:
        return [f"- NOT MEASURED: the targets are for {TARGET_SIZE:,} responses; run with that size."]
    time_ok = target["seconds"] <= TARGET_SECONDS
    memory_ok = target["memory_mb"] < TARGET_MEMORY_MB
    lines = [
        f"- {'PASS' if time_ok else 'FAIL'}: CSV export of {TARGET_SIZE:,} responses took "
        f"{target['seconds']:.1f} s (target: at most {TARGET_SECONDS:.0f} s).",
        f"- {'PASS' if memory_ok else 'FAIL'}: peak memory grew by {target['memory_mb']:.0f} MB "
        f"(target: under {TARGET_MEMORY_MB:.0f} MB).",
    ]
    if not (time_ok and memory_ok):
        lines.append("- **A target was missed.**")
    return lines


def table(results: list[dict[str, Any]]) -> list[list[str]]:
    """Results as table cells."""
    return [
        [
            f"{r['size']:,}",
            r["format"].upper(),
            str(r["columns"]),
            f"{r['seconds']:.2f}",
            f"{r['rows'] / r['seconds']:,.0f}" if r["seconds"] > 0 else "n/a",
            f"{r['memory_mb']:.1f}",
            f"{r['peak_mb']:.0f}",
            f"{r['file_mb']:.1f}",
        ]
        for r in results
    ]


HEADINGS = ["responses", "format", "columns", "seconds", "rows/s", "peak memory growth MB", "peak RSS MB", "file MB"]


def markdown_section(results: list[dict[str, Any]], when: datetime, load: str, seed_seconds: float) -> str:
    """The exports section of docs/performance.md."""
    header = "| " + " | ".join(HEADINGS) + " |"
    rule = "| " + " | ".join(["---:"] * len(HEADINGS)) + " |"
    body = "\n".join("| " + " | ".join(line) + " |" for line in table(results))
    sizes = ",".join(str(size) for size in dict.fromkeys(r["size"] for r in results))
    return f"""## Exports: submitted responses to CSV (and JSON, XLSX)

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}.
- Database: a fresh SQLite file, migrated, holding N organisations each with one submitted response to
  the default survey; answers generated from its definition for every question (providers of education
  services answer the education questions too). Inserting took {seed_seconds:.0f} s in all.
- Each export is `export_to_file(survey, fmt, path)` (read in chunks of 1,000, written as they come) in a
  fresh process; JSON and XLSX are measured for information up to {OTHER_FORMATS_UP_TO:,} responses (the
  targets are for CSV). "Peak memory growth" is the process's peak resident memory (ru_maxrss) after the export
  minus before it, with the app loaded; "peak RSS" is the whole process's peak.

{header}
{rule}
{body}

Targets for {TARGET_SIZE:,} responses as CSV: at most {TARGET_SECONDS:.0f} s, peak memory growth under \
{TARGET_MEMORY_MB:.0f} MB.

{chr(10).join(verdict(results))}

Reproduce with `.venv/bin/python -m bench.exports --sizes {sizes}`.
"""


def sizes_from(text: str) -> list[int]:
    """A comma-separated list of sizes, checked and sorted."""
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers: {text!r}") from exc
    if not sizes or sizes[0] < 1 or sizes[-1] > 1_000_000:
        raise argparse.ArgumentTypeError("sizes must be between 1 and 1,000,000")
    return sizes


def run(sizes: list[int]) -> int:
    """Set up the database, then top it up and measure one size at a time."""
    when, load = datetime.now(UTC), load_average()
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    seed_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="socitm-bench-exports-") as tmp:
        workdir = Path(tmp)
        env = bench_environment(workdir)
        log("migrating a fresh SQLite database")
        run_command([sys.executable, "-m", "flask", "db", "upgrade"], env)
        have = 0
        for size in sizes:
            log(f"inserting responses {have + 1:,} to {size:,}")
            seeding = time.monotonic()
            run_step(["seed", "--start", str(have), "--stop", str(size)], env)
            seed_seconds += time.monotonic() - seeding
            have = size
            for fmt in ("csv", "json", "xlsx"):
                if fmt != "csv" and size > OTHER_FORMATS_UP_TO:
                    continue
                log(f"exporting {size:,} responses as {fmt.upper()}")
                output = workdir / f"export-{size}.{fmt}"
                result = run_step(["measure", "--size", str(size), "--format", fmt, "--output", str(output)], env)
                results.append(result)
                log(f"{size:,} {fmt}: {result['seconds']:.2f} s, peak memory +{result['memory_mb']:.1f} MB")
                output.unlink()
    widths = [max(len(h), *(len(row[i]) for row in table(results))) for i, h in enumerate(HEADINGS)]
    print("  ".join(h.rjust(w) for h, w in zip(HEADINGS, widths, strict=True)))
    for row in table(results):
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    lines = verdict(results)
    print("\n".join(lines))
    path = write_section(SECTION, markdown_section(results, when, load, seed_seconds), PERFORMANCE_DOC)
    log(f"wrote {path.relative_to(REPO_ROOT)} in {time.monotonic() - started:.0f} s total")
    return 1 if any(line.startswith("- FAIL") for line in lines) else 0


def main(argv: list[str] | None = None) -> int:
    """Command line: the benchmark, or one of its subprocess steps."""
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes_from, default=list(DEFAULT_SIZES), help="default 1000,10000,100000")
    steps = parser.add_subparsers(dest="step")
    seeding = steps.add_parser("seed", help=argparse.SUPPRESS)
    seeding.add_argument("--start", type=int, required=True)
    seeding.add_argument("--stop", type=int, required=True)
    measuring = steps.add_parser("measure", help=argparse.SUPPRESS)
    measuring.add_argument("--size", type=int, required=True)
    measuring.add_argument("--format", dest="fmt", default="csv", choices=["csv", "xlsx", "json"])
    measuring.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.step == "seed":
        print(json.dumps(seed(args.start, args.stop)))
        return 0
    if args.step == "measure":
        print(json.dumps(measure(args.size, args.fmt, args.output)))
        return 0
    return run(args.sizes)


if __name__ == "__main__":
    sys.exit(main())
