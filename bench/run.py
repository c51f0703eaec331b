"""Baseline benchmark: the app's /healthz and /sign-in against a bare Flask hello world.

Run from the repository root with `make bench` or `.venv/bin/python -m bench.run [--seconds N]`.

What it does, all on loopback and with nothing fetched from the network:

1. makes a fresh SQLite database in a temporary directory, migrates it and loads the demo data;
2. serves `bench.hello:app`, then `wsgi:app`, with gunicorn on 127.0.0.1 and the same worker settings
   (by default 2 gthread workers x 4 threads: one process per core on the 2-core machine);
3. drives each route with Locust, headless, for a fixed time and reads requests/s, latency
   percentiles and failures from Locust's CSV output;
4. stops each server (always, even on error), prints a table and writes the figures into the
   `baseline` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import (
    SERVERS,
    Run,
    Settings,
    bench_environment,
    git_commit,
    load_average,
    locust,
    log,
    machine,
    ms,
    prepare_database,
    serve,
    warm_up,
)
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section

SECTION = "baseline"
RESULTS_DIR = REPO_ROOT / "bench" / "results" / SECTION  # raw Locust CSVs (git-ignored)
WARMUP_REQUESTS = 20


@dataclass(frozen=True)
class Scenario:
    """One route on one server, and what a good answer contains."""

    name: str
    server: str  # "hello" or "app"
    path: str
    expect: str


@dataclass(frozen=True)
class Result:
    """Locust's aggregated figures for one scenario (times in milliseconds)."""

    scenario: Scenario
    requests: int
    failures: int
    rps: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    client_cpu: float  # Locust's CPU time over the run's wall time: near 1.0 means the client is the limit


SCENARIOS = [
    Scenario("hello world", "hello", "/", "Hello, World!"),
    Scenario("app /healthz", "app", "/healthz", '"status":"ok"'),
    Scenario("app /sign-in", "app", "/sign-in", "Sign in"),
]


def run_locust(base: str, scenario: Scenario, settings: Settings, workdir: Path) -> Result:
    """Load one route with Locust (headless, bounded time) and read its aggregated figures."""
    log(f"loading {scenario.name} for {settings.seconds} s with {settings.users} users")
    run = locust(
        scenario.name.replace(" ", "_").replace("/", ""),
        base,
        workdir,
        results_dir=RESULTS_DIR,
        users=settings.users,
        run_time=settings.seconds,
        extra_env={"BENCH_PATH": scenario.path, "BENCH_EXPECT": scenario.expect},
    )
    return result_of(run, scenario)


def result_of(run: Run, scenario: Scenario) -> Result:
    """The Aggregated row of a Locust run, for one scenario."""
    row = run.rows.get("Aggregated")
    if row is None:
        raise RuntimeError(f"no Aggregated row for {scenario.name}")
    return Result(
        scenario=scenario,
        requests=row.requests,
        failures=row.failures,
        rps=row.rps,
        mean_ms=row.mean_ms,
        p50_ms=row.p50_ms,
        p95_ms=row.p95_ms,
        p99_ms=row.p99_ms,
        client_cpu=run.client_cpu,
    )


def percent_of(result: Result, baseline: Result | None) -> str:
    """Requests/s as a percentage of the hello-world baseline."""
    if baseline is None or baseline.rps <= 0:
        return "n/a"
    return f"{100 * result.rps / baseline.rps:.0f}%"


ROWS = [
    "scenario",
    "req/s",
    "% of hello",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "mean ms",
    "requests",
    "failures",
    "Locust CPU",
]


def rows(results: list[Result]) -> list[list[str]]:
    """The results as table cells, with each route's rps relative to hello world in the same run."""
    baseline = next((r for r in results if r.scenario.server == "hello"), None)
    return [
        [
            r.scenario.name,
            f"{r.rps:.0f}",
            percent_of(r, baseline),
            ms(r.p50_ms),
            ms(r.p95_ms),
            ms(r.p99_ms),
            f"{r.mean_ms:.1f}",
            str(r.requests),
            str(r.failures),
            ms(100 * r.client_cpu) + "%",
        ]
        for r in results
    ]


def text_table(results: list[Result]) -> str:
    """A fixed-width table for the terminal."""
    table = [ROWS, *rows(results)]
    widths = [max(len(line[i]) for line in table) for i in range(len(ROWS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_section(results: list[Result], settings: Settings, when: datetime, load: str) -> str:
    """The baseline section of docs/performance.md."""
    header = "| " + " | ".join(ROWS) + " |"
    rule = "| " + " | ".join(["---"] + ["---:"] * (len(ROWS) - 1)) + " |"
    body = "\n".join("| " + " | ".join(line) + " |" for line in rows(results))
    return f"""## Baseline: app against a bare Flask hello world

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}.
  Locust runs on the same machine as the servers and competes with them for CPU.
- Servers: {settings.describe()}. Both servers run one at a time on 127.0.0.1.
- Database: a fresh SQLite file (WAL) migrated and loaded with `flask demo-data`; `APP_ENV=development`.
- Routes: hello world `/` (`bench/hello.py`), the app's `/healthz` (one `SELECT 1`) and `/sign-in`
  (the sign-in page: template, CSRF token and session cookie).
- "% of hello" is each route's requests/s as a share of hello world's in the same run. Latencies are
  Locust's, in milliseconds, rounded to whole milliseconds below 100 ms (use the mean for finer detail).
- "Locust CPU" is the load generator's CPU time over its wall time (one gevent process, so about 100%
  means one core is flat out and the client, not the server, may be what limits that row's requests/s).

{header}
{rule}
{body}

Reproduce with `make bench` (or `.venv/bin/python -m bench.run --seconds {settings.seconds}`); raw Locust CSVs
are left in `bench/results/{SECTION}/` (not committed).
"""


def measure(settings: Settings) -> list[Result]:
    """Set up the database, then serve and load every scenario, one server at a time."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="socitm-bench-") as tmp:
        workdir = Path(tmp)
        env = bench_environment(workdir)
        prepare_database(env)
        for server, target in SERVERS.items():
            with serve(server, target, env, settings, workdir) as base:
                for scenario in (s for s in SCENARIOS if s.server == server):
                    warm_up(base, scenario.path, scenario.expect, WARMUP_REQUESTS)
                    results.append(run_locust(base, scenario, settings, workdir))
    return results


def parse_args(argv: list[str] | None = None) -> Settings:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="load time per route (default 15)")
    parser.add_argument("--users", type=int, default=20, help="concurrent Locust users (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    args = parser.parse_args(argv)
    for option in ("seconds", "users", "workers", "threads"):
        if not 1 <= getattr(args, option) <= 600:
            parser.error(f"--{option} must be between 1 and 600")
    return Settings(seconds=args.seconds, users=args.users, workers=args.workers, threads=args.threads)


def main(argv: list[str] | None = None) -> int:
    """Run the baseline benchmark, print the table and update docs/performance.md."""
    settings = parse_args(argv)
    when = datetime.now(UTC)
    load = load_average()
    started = time.monotonic()
    results = measure(settings)
    print(text_table(results), flush=True)
    path = write_section(SECTION, markdown_section(results, settings, when, load), PERFORMANCE_DOC)
    log(f"wrote {path.relative_to(REPO_ROOT)} in {time.monotonic() - started:.0f} s total")
    failures = sum(r.failures for r in results)
    if failures:
        log(f"{failures} requests failed: see bench/results/{SECTION}/*_failures.csv")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
