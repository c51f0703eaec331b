"""Survey benchmark: members answering the schools ICT survey, on SQLite and on PostgreSQL.

Run from the repository root with `.venv/bin/python -m bench.survey [--seconds 15] [--members 100]`.

For each database (a fresh SQLite file in a temporary directory; then a fresh PostgreSQL database
`socitm_bench_<random>` on 127.0.0.1:5432, dropped afterwards, skipped if PostgreSQL does not answer):

1. migrate it, load the demo data and add one organisation and one member account per simulated person
   (`bench.survey_db`; each organisation has exactly one response, so no two people share one);
2. serve `bench.hello:app` and measure hello world, the baseline; then serve `wsgi:app` with the same
   gunicorn settings and measure, with Locust users that each sign in as their own member first:
   - GET of a question page (`/surveys/schools-ict/questions/size`),
   - POST of that page: CSRF, validation and a database write (two sets of answers in turn, so that
     every POST changes both answers; only the 302 to the next page counts as a success);
3. let `--members` members answer the whole survey with 1-3 s of think time before each form they
   send: sign in, start, every page of the short route (even-numbered members) or the full route
   (odd-numbered), check answers, submit once, stop; then count in the database that every member who
   finished has a submitted response holding exactly the answers they sent.

Figures and pass/fail against the targets go to the `survey` section of docs/performance.md.
Nothing but 127.0.0.1 is contacted.

This module runs the steps; the set-up is in `bench.survey_setup`, the correctness checks in
`bench.survey_checks`, the report in `bench.survey_report`, and serving and Locust in `bench.harness`.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import SERVERS, load_average, locust, log, serve, warm_up
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section
from bench.survey_checks import Engine, check_members, tracebacks
from bench.survey_report import markdown_section
from bench.survey_setup import (
    RESULTS_DIR,
    SECTION,
    SurveySettings,
    app_environment,
    inspect,
    postgres_database,
    postgres_problem,
    prepare,
    sqlite_database,
    write_emails,
)

SURVEY_LOCUSTFILE = REPO_ROOT / "bench" / "survey_locustfile.py"
BARRIER_ALLOWANCE = 150  # seconds Locust may take to sign every page user in before measuring


def measure_hello(engine: Engine, settings: SurveySettings, env: dict[str, str], workdir: Path) -> None:
    """Hello world, right before the app on this database: the baseline for its percentages."""
    with serve("hello", SERVERS["hello"], env, settings.server, workdir) as base:
        warm_up(base, "/", "Hello, World!")
        log(f"{engine.name}: hello world for {settings.seconds} s with {settings.users} users")
        engine.hello = locust(
            f"{engine.name}_hello",
            base,
            workdir,
            results_dir=RESULTS_DIR,
            users=settings.users,
            run_time=settings.seconds,
            extra_env={"BENCH_PATH": "/", "BENCH_EXPECT": "Hello, World!"},
        )


def measure_app(engine: Engine, settings: SurveySettings, env: dict[str, str], workdir: Path) -> None:
    """The page GET and POST benchmarks, then the members answering the whole survey."""
    password = env["BENCH_MEMBER_PASSWORD"]
    page_emails = write_emails(workdir, "page", settings.users)
    member_emails = write_emails(workdir, "member", settings.members)
    label = f"app-{engine.name}"
    try:
        with serve(label, SERVERS["app"], env, settings.server, workdir, probe="/healthz", capture_output=True) as base:
            warm_up(base, "/sign-in", "Sign in")
            log(f"{engine.name}: the app's /healthz for {settings.seconds} s with {settings.users} users")
            engine.floor = locust(
                f"{engine.name}_floor",
                base,
                workdir,
                results_dir=RESULTS_DIR,
                users=settings.users,
                run_time=settings.seconds,
                extra_env={"BENCH_PATH": "/healthz", "BENCH_EXPECT": '"status":"ok"'},
            )
            for attribute, user_class in (("page_get", "PageGetUser"), ("page_post", "PagePostUser")):
                log(f"{engine.name}: {user_class} for {settings.seconds} s with {settings.users} signed-in members")
                run = locust(
                    f"{engine.name}_{attribute}",
                    base,
                    workdir,
                    results_dir=RESULTS_DIR,
                    locustfile=SURVEY_LOCUSTFILE,
                    user_class=user_class,
                    users=settings.users,
                    run_time=settings.seconds + BARRIER_ALLOWANCE,
                    extra_env={
                        "BENCH_EMAILS": str(page_emails),
                        "BENCH_PASSWORD": password,
                        "BENCH_SECONDS": str(settings.seconds),
                    },
                )
                setattr(engine, attribute, run)
            log(
                f"{engine.name}: {settings.members} members answer the survey "
                f"(spawn {settings.spawn_rate}/s, limit {settings.member_limit} s)"
            )
            run = locust(
                f"{engine.name}_members",
                base,
                workdir,
                results_dir=RESULTS_DIR,
                locustfile=SURVEY_LOCUSTFILE,
                user_class="MemberUser",
                users=settings.members,
                spawn_rate=settings.spawn_rate,
                run_time=settings.member_limit,
                extra_env={"BENCH_EMAILS": str(member_emails), "BENCH_PASSWORD": password, "BENCH_TIMINGS": "1"},
            )
    finally:
        server_log = workdir / f"gunicorn-{label}.log"
        if server_log.exists():
            engine.server_errors = tracebacks(server_log.read_text(encoding="utf-8", errors="replace"))
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copy(server_log, RESULTS_DIR / server_log.name)
    engine.members = check_members(run, inspect(env), settings.members)


def measure_engine(
    name: str, database: contextlib.AbstractContextManager, settings: SurveySettings, workdir: Path
) -> Engine:
    """Set up one database, measure hello world and the app on it, and count what it holds."""
    engine = Engine(name)
    engine_dir = workdir / name
    engine_dir.mkdir()
    password = secrets.token_urlsafe(16)
    try:
        with database as (url, detail):
            engine.detail = detail
            env = app_environment(engine_dir, url, password)
            prepare(env, settings, name)
            measure_hello(engine, settings, env, engine_dir)
            measure_app(engine, settings, env, engine_dir)
    except RuntimeError as exc:  # a set-up command, a server or Locust failed: report it, go on to the next
        log(f"{name}: {exc}")
        engine.skipped = f"The run failed: {str(exc).splitlines()[0]}"
    return engine


def measure(settings: SurveySettings) -> list[Engine]:
    """SQLite, then PostgreSQL when it answers."""
    engines: list[Engine] = []
    with tempfile.TemporaryDirectory(prefix="socitm-survey-bench-") as tmp:
        workdir = Path(tmp)
        engines.append(measure_engine("sqlite", sqlite_database(workdir), settings, workdir))
        problem = postgres_problem() if settings.postgres else "Skipped with --no-postgres."
        if problem:
            log(f"PostgreSQL part skipped: {problem}")
            engines.append(Engine("postgresql", skipped=problem))
        else:
            engines.append(measure_engine("postgresql", postgres_database(), settings, workdir))
    return engines


def parse_args(argv: list[str] | None = None) -> SurveySettings:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.survey", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="measuring time per page scenario (default 15)")
    parser.add_argument("--members", type=int, default=100, help="members answering the survey (default 100)")
    parser.add_argument("--users", type=int, default=20, help="Locust users in the page benchmark (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="members started per second (default 10)")
    parser.add_argument(
        "--member-limit", type=int, default=150, help="seconds the members' run may take at most (default 150)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args(argv)
    for option in ("seconds", "members", "users", "workers", "threads", "member_limit"):
        if not 1 <= getattr(args, option) <= 600:
            parser.error(f"--{option.replace('_', '-')} must be between 1 and 600")
    if not 0.1 <= args.spawn_rate <= 1000:
        parser.error("--spawn-rate must be between 0.1 and 1000")
    return SurveySettings(
        seconds=args.seconds,
        members=args.members,
        users=args.users,
        workers=args.workers,
        threads=args.threads,
        spawn_rate=args.spawn_rate,
        member_limit=args.member_limit,
        postgres=not args.no_postgres,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the survey benchmark, print the results and update docs/performance.md.

    Exits 1 when a request failed, a member could not submit or an answer went missing; missing a
    speed target is reported (FAIL in the report) but does not change the exit code.
    """
    settings = parse_args(argv)
    when = datetime.now(UTC)
    load = load_average()
    started = time.monotonic()
    engines = measure(settings)
    section = markdown_section(engines, settings, when, load)
    print(section, flush=True)
    path = write_section(SECTION, section, PERFORMANCE_DOC)
    log(f"wrote {path.relative_to(REPO_ROOT)} in {time.monotonic() - started:.0f} s total")
    broken = [
        e.name
        for e in engines
        if e.members is not None
        and (e.members.errors or not e.members.answers_ok or not e.members.submissions_ok)
        or any(run is not None and run.row("Aggregated").failures for run in (e.page_get, e.page_post))
    ]
    if broken:
        log(f"requests failed or answers went missing on: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
