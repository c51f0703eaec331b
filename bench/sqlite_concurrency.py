"""SQLite under concurrent writers: one gunicorn node, many members submitting at once, no think time.

Run from the repository root with `.venv/bin/python -m bench.sqlite_concurrency [--clients 64]`.

A fresh SQLite file (WAL) is migrated, loaded with the demo data and given one invited organisation with
one member per client (`bench.survey_db`). One gunicorn node (4 gthread workers x 4 threads by default)
serves it on 127.0.0.1; --clients Locust users, all started at once and with no think time, each sign in,
answer every page of their route and submit (`bench/cluster_locustfile.py`). Afterwards:

- every member told their response was submitted has it submitted exactly once, with the answers sent;
- no response anyone received says "database is locked", and neither does the server's log.

The figures go to the `sqlite-concurrency` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.cluster import LOCUSTFILE, RESULTS_DIR, seed
from bench.cluster_checks import Verdict, member_times, percentile, server_logs, verify
from bench.cluster_servers import nodes
from bench.harness import Run, git_commit, load_average, locust, log, machine, ms
from bench.report import PERFORMANCE_DOC, write_section
from bench.survey_db import emails
from bench.survey_setup import app_environment, inspect

SECTION = "sqlite-concurrency"


@dataclass
class Outcome:
    run: Run
    verdict: Verdict
    locked_bodies: int
    locked_lines: int
    exceptions: int
    detail: str


def measure(clients: int, workers: int, threads: int, duration: int) -> Outcome:
    """Set up, load, check."""
    import sqlite3

    with tempfile.TemporaryDirectory(prefix="socitm-sqlite-concurrency-") as tmp:
        workdir = Path(tmp)
        password = secrets.token_urlsafe(16)
        env = app_environment(workdir, f"sqlite:///{workdir / 'concurrency.db'}", password)
        seed(env, clients)
        member_file = workdir / "member-emails.txt"
        member_file.write_text("\n".join(emails("member", clients)) + "\n", encoding="utf-8")
        with nodes(1, env, workdir, workers, threads) as (node,):
            log(f"{clients} members at once, no think time, on {node.base}")
            run = locust(
                SECTION,
                node.base,
                workdir,
                results_dir=RESULTS_DIR,
                locustfile=LOCUSTFILE,
                users=clients,
                spawn_rate=clients,
                run_time=duration,
                extra_env={
                    "BENCH_EMAILS": str(member_file),
                    "BENCH_PASSWORD": password,
                    "BENCH_MEMBERS": str(clients),
                    "BENCH_THINK": "0",
                    "BENCH_ORGANISER": "",
                },
            )
        logs = server_logs([node.log])
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{SECTION}-{node.log.name}").write_bytes(node.log.read_bytes())
        verdict = verify(run.out.get("members", {}), inspect(env), emails("member", clients))
    return Outcome(
        run=run,
        verdict=verdict,
        locked_bodies=run.out.get("locked_bodies", 0),
        locked_lines=logs.locked_lines,
        exceptions=sum(logs.exceptions.values()),
        detail=f"SQLite {sqlite3.sqlite_version} (WAL)",
    )


def passed(outcome: Outcome) -> bool:
    """0 lost, 0 duplicated, every answer as sent, nothing "database is locked" anywhere."""
    v = outcome.verdict
    return v.ok and v.submitted == v.members and outcome.locked_bodies == 0 and outcome.locked_lines == 0


def markdown_section(outcome: Outcome, clients: int, workers: int, threads: int, when: datetime, load: str) -> str:
    run, v = outcome.run, outcome.verdict
    total = run.row("Aggregated")
    times = member_times(run.out)
    statuses = run.out.get("statuses", {})
    fives = sum(n for status, n in statuses.items() if int(status) >= 500)
    lines = [
        "### SQLite: concurrent members on one node",
        "",
        f"Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}` with "
        f"`python -m bench.sqlite_concurrency --clients {clients}`. Machine: {machine()}; load average before: {load}.",
        "",
        f"- One gunicorn node, {workers} gthread workers x {threads} threads, on {outcome.detail}; {clients} members"
        " started at once with no think time, each signing in, answering every page of its route and submitting.",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| Requests | {total.requests:,} in {run.wall:.0f} s ({total.rps:.1f} req/s) |",
        f"| p50 / p95 / p99 (ms) | {ms(percentile(times, 0.5))} / {ms(percentile(times, 0.95))} / "
        f"{ms(percentile(times, 0.99))} |",
        f"| Failed requests / 5xx | {total.failures} / {fives} |",
        f"| Members who submitted | {v.submitted} of {v.members} |",
        f"| Lost / duplicated submissions / answers stored wrong | {len(v.lost)} / {len(v.duplicated)} / "
        f"{len(v.wrong)} |",
        f"| Responses saying 'database is locked' / such lines in the server log | {outcome.locked_bodies} / "
        f"{outcome.locked_lines} |",
        f"| Unhandled exceptions in the server log | {outcome.exceptions} |",
        "",
        f"- **{'PASS' if passed(outcome) else 'FAIL'}** 0 lost, 0 duplicated, every answer as sent, every member"
        " submitted, and 'database is locked' reached nobody",
    ]
    problems = v.lost + v.duplicated + v.wrong + v.unfinished
    if problems:
        lines += ["", f"Problems ({len(problems)}; the first 10):", ""] + [f"- {p}" for p in problems[:10]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_concurrency", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64, help="members submitting at once (default 64)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--duration", type=int, default=120, help="seconds the run may take at most (default 120)")
    parser.add_argument("--no-write", action="store_true", help="print the report, leave docs/performance.md alone")
    args = parser.parse_args(argv)
    for option in ("clients", "workers", "threads", "duration"):
        if not 1 <= getattr(args, option) <= 600:
            parser.error(f"--{option} must be between 1 and 600")
    when, load = datetime.now(UTC), load_average()
    outcome = measure(args.clients, args.workers, args.threads, args.duration)
    section = markdown_section(outcome, args.clients, args.workers, args.threads, when, load)
    print(section, flush=True)
    if not args.no_write:
        write_section(SECTION, section, PERFORMANCE_DOC)
    return 0 if passed(outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
