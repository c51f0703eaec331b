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
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section
from bench.run import (
    SERVERS,
    Settings,
    bench_environment,
    get,
    git_commit,
    load_average,
    log,
    machine,
    read_tail,
    run_command,
    serve,
)
from bench.survey_db import emails

SECTION = "survey"
RESULTS_DIR = REPO_ROOT / "bench" / "results" / SECTION  # raw Locust CSVs and logs (git-ignored)
SURVEY_LOCUSTFILE = REPO_ROOT / "bench" / "survey_locustfile.py"
HELLO_LOCUSTFILE = REPO_ROOT / "bench" / "locustfile.py"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_APP_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
BARRIER_ALLOWANCE = 150  # seconds Locust may take to sign every page user in before measuring
WARMUP_REQUESTS = 10
SIGN_IN = ("POST /sign-in",)  # argon2 on purpose: shown apart as well as in the totals

# The targets.
TARGET_GET_SHARE = 0.50  # page GET: at least this share of hello world's requests/s
TARGET_POST_SHARE = 0.25  # page POST
TARGET_P95_MS = 100.0  # with --members members answering the whole survey
TARGET_P99_MS = 250.0


@dataclass(frozen=True)
class SurveySettings:
    """How long, how many and how fast."""

    seconds: int
    members: int
    users: int
    workers: int
    threads: int
    spawn_rate: float
    member_limit: int
    postgres: bool

    def command_line(self) -> str:
        """The options that give these settings."""
        options = [f"--seconds {self.seconds}", f"--members {self.members}"]
        defaults = {"users": 20, "workers": 2, "threads": 4, "spawn_rate": 10, "member_limit": 150}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                options.append(f"--{name.replace('_', '-')} {getattr(self, name):g}")
        if not self.postgres:
            options.append("--no-postgres")
        return " ".join(options)

    @property
    def server(self) -> Settings:
        """The baseline harness's settings: the same gunicorn options for every server."""
        return Settings(seconds=self.seconds, users=self.users, workers=self.workers, threads=self.threads)


@dataclass(frozen=True)
class Row:
    """One row of a Locust `_stats.csv` (times in milliseconds)."""

    name: str
    method: str
    requests: int
    failures: int
    rps: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class Run:
    """One Locust run: every row of its statistics, and what its users wrote down."""

    rows: dict[str, Row]
    client_cpu: float
    wall: float
    out: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # Locust's failure messages, with counts
    load: tuple[float, float] = (float("nan"), float("nan"))  # 1-minute load average before and after

    @property
    def load_text(self) -> str:
        """The load average before and after the run: other work on the machine skews its figures."""
        return f"{self.load[0]:.1f} / {self.load[1]:.1f}"

    def row(self, name: str) -> Row:
        """The row called `name` (a row with nothing in it when Locust never recorded that name)."""
        nan = float("nan")
        return self.rows.get(name, Row(name, "", 0, 0, 0.0, nan, nan, nan, nan, nan))


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


# --- databases -----------------------------------------------------------------------------------


def postgres_problem() -> str | None:
    """Why PostgreSQL on 127.0.0.1:5432 cannot be used, or None when it can."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable ({str(exc).strip().splitlines()[0]})"
    return None


@contextlib.contextmanager
def postgres_database() -> Iterator[tuple[str, str]]:
    """A fresh, empty PostgreSQL database for the app; dropped afterwards whatever happens."""
    import psycopg
    from psycopg import sql

    name = f"socitm_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"created PostgreSQL database {name}")
    try:
        yield POSTGRES_APP_URL.format(name=name), f"PostgreSQL {version}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        log(f"dropped PostgreSQL database {name}")


@contextlib.contextmanager
def sqlite_database(workdir: Path) -> Iterator[tuple[str, str]]:
    """A fresh SQLite file in the temporary directory (removed with it)."""
    import sqlite3

    yield f"sqlite:///{workdir / 'survey.db'}", f"SQLite {sqlite3.sqlite_version} (WAL)"


def app_environment(workdir: Path, database_url: str, password: str) -> dict[str, str]:
    """The baseline's environment, on this database, with the per-IP sign-in limit out of the way."""
    env = bench_environment(workdir)
    env.update(
        {
            "DATABASE_URL": database_url,
            # Every simulated member signs in from 127.0.0.1.
            "LOGIN_LIMIT_PER_IP": "100000 per minute",
            "BENCH_MEMBER_PASSWORD": password,
        }
    )
    return env


def prepare(env: dict[str, str], settings: SurveySettings, label: str) -> None:
    """Migrate, load the demo data, and add the benchmark's organisations and members."""
    flask = [sys.executable, "-m", "flask"]
    log(f"{label}: migrating")
    run_command([*flask, "db", "upgrade"], env)
    log(f"{label}: loading demo data")
    run_command([*flask, "demo-data", "--password", secrets.token_urlsafe(12)], env)
    log(f"{label}: adding {settings.users} + {settings.members} organisations with one member each")
    run_command(
        [
            sys.executable,
            "-m",
            "bench.survey_db",
            "create",
            "--pages",
            str(settings.users),
            "--members",
            str(settings.members),
        ],
        env,
    )


def inspect(env: dict[str, str]) -> dict[str, dict]:
    """Each benchmark account's response as the database holds it."""
    return json.loads(run_command([sys.executable, "-m", "bench.survey_db", "inspect"], env))


# --- Locust --------------------------------------------------------------------------------------


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def read_rows(path: Path) -> dict[str, Row]:
    """Every row of a Locust `_stats.csv`, by name."""
    rows: dict[str, Row] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            rows[line["Name"]] = Row(
                name=line["Name"],
                method=line["Type"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=float(line["Requests/s"]),
                mean_ms=float(line["Average Response Time"]),
                p50_ms=_number(line["50%"]),
                p95_ms=_number(line["95%"]),
                p99_ms=_number(line["99%"]),
                max_ms=_number(line["Max Response Time"]),
            )
    return rows


def read_failures(path: Path) -> list[str]:
    """Locust's failure messages with their counts."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [f"{line['Occurrences']} x {line['Name']}: {line['Error']}" for line in csv.DictReader(handle)]


def locust(
    label: str,
    base: str,
    workdir: Path,
    *,
    locustfile: Path,
    user_class: str | None,
    users: int,
    spawn_rate: float,
    run_time: int,
    extra_env: dict[str, str],
) -> Run:
    """One headless Locust run, bounded by `run_time` (and a subprocess timeout beyond it)."""
    prefix = workdir / label
    out = workdir / f"{label}_out.json"
    env = dict(os.environ, BENCH_USERS=str(users), BENCH_OUT=str(out), **extra_env)
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        "5",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if user_class:
        args.append(user_class)
    output = Path(f"{prefix}_locust.log")
    load_before = _load()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        with output.open("wb") as sink:
            # Locust exits 1 when any request failed; failures are counted from its CSVs instead.
            subprocess.run(
                args,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=run_time + 60,
                check=False,
            )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"Locust did not finish {label} in {run_time + 60} s") from exc
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for produced in workdir.glob(f"{label}_*"):
        shutil.copy(produced, RESULTS_DIR / produced.name)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"Locust wrote no {stats.name} for {label}:\n{read_tail(output)}")
    return Run(
        rows=read_rows(stats),
        client_cpu=cpu / wall if wall > 0 else float("nan"),
        wall=wall,
        out=json.loads(out.read_text(encoding="utf-8")) if out.exists() else {},
        failures=read_failures(Path(f"{prefix}_failures.csv")),
        load=(load_before, _load()),
    )


def warm_up(base: str, path: str, expect: str) -> None:
    """A few requests before measuring, which also check the server answers as it should."""
    for _ in range(WARMUP_REQUESTS):
        status, body = get(base + path)
        if status != 200 or expect not in body:
            raise RuntimeError(f"{path} answered {status} without {expect!r}")


def write_emails(workdir: Path, group: str, count: int) -> Path:
    """The accounts Locust users sign in as, one per line."""
    path = workdir / f"{group}-emails.txt"
    path.write_text("\n".join(emails(group, count)) + "\n", encoding="utf-8")
    return path


# --- one database --------------------------------------------------------------------------------


def measure_hello(engine: Engine, settings: SurveySettings, env: dict[str, str], workdir: Path) -> None:
    """Hello world, right before the app on this database: the baseline for its percentages."""
    with serve("hello", SERVERS["hello"], env, settings.server, workdir) as base:
        warm_up(base, "/", "Hello, World!")
        log(f"{engine.name}: hello world for {settings.seconds} s with {settings.users} users")
        engine.hello = locust(
            f"{engine.name}_hello",
            base,
            workdir,
            locustfile=HELLO_LOCUSTFILE,
            user_class=None,
            users=settings.users,
            spawn_rate=settings.users,
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
                locustfile=HELLO_LOCUSTFILE,
                user_class=None,
                users=settings.users,
                spawn_rate=settings.users,
                run_time=settings.seconds,
                extra_env={"BENCH_PATH": "/healthz", "BENCH_EXPECT": '"status":"ok"'},
            )
            for attribute, user_class in (("page_get", "PageGetUser"), ("page_post", "PagePostUser")):
                log(f"{engine.name}: {user_class} for {settings.seconds} s with {settings.users} signed-in members")
                run = locust(
                    f"{engine.name}_{attribute}",
                    base,
                    workdir,
                    locustfile=SURVEY_LOCUSTFILE,
                    user_class=user_class,
                    users=settings.users,
                    spawn_rate=settings.users,
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


# --- the report ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "n/a" if value != value else f"{value:.0f}"  # NaN is the only value unequal to itself


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def _table(header: list[str], lines: list[list[str]]) -> str:
    rule = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(line) + " |" for line in [header, rule, *lines])


PAGE_HEADER = [
    "database",
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
    "load avg before / after",
]
PAGE_SCENARIOS = [
    ("hello", "Aggregated", "hello world GET /"),
    ("floor", "Aggregated", "app GET /healthz (floor)"),
    ("page_get", "GET question page", "GET question page"),
    ("page_post", "POST question page", "POST question page (302s)"),
]


def page_table(engines: list[Engine]) -> str:
    """Requests/s and latency of each scenario on each database."""
    lines = []
    for engine in engines:
        if engine.hello is None:
            continue
        hello = engine.hello.row("Aggregated")
        for attribute, row_name, label in PAGE_SCENARIOS:
            run = getattr(engine, attribute)
            if run is None:
                continue
            row = run.row(row_name)
            share = _share(row.rps, hello.rps)
            # A failed POST is counted, then the page is read again: the re-reads are not in this row.
            lines.append(
                [
                    engine.name,
                    label,
                    f"{row.rps:.0f}",
                    "n/a" if share != share else f"{100 * share:.0f}%",
                    _ms(row.p50_ms),
                    _ms(row.p95_ms),
                    _ms(row.p99_ms),
                    f"{row.mean_ms:.1f}",
                    str(row.requests),
                    str(row.failures),
                    _ms(100 * run.client_cpu) + "%",
                    run.load_text,
                ]
            )
    return _table(PAGE_HEADER, lines)


MEMBER_HEADER = [
    "database",
    "members finished",
    "requests",
    "failures",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "p95 / p99 ms without POST /sign-in",
    "responses submitted (db)",
    "answers sent",
    "answers stored",
    "mismatches",
    "minutes per member",
    "run s",
    "load avg before / after",
]


def members_table(engines: list[Engine]) -> str:
    """The members' run on each database, with the database counts afterwards."""
    lines = []
    for engine in engines:
        members = engine.members
        if members is None:
            continue
        total = members.total
        lines.append(
            [
                engine.name,
                f"{members.finished} of {members.expected_members}",
                str(total.requests),
                str(total.failures),
                _ms(members.percentile(0.50)),
                _ms(members.percentile(0.95)),
                _ms(members.percentile(0.99)),
                _ms(total.max_ms),
                f"{_ms(members.percentile(0.95, SIGN_IN))} / {_ms(members.percentile(0.99, SIGN_IN))}",
                str(members.submitted_in_db),
                str(members.expected_answers),
                str(members.stored_answers),
                str(len(members.mismatched)),
                f"{members.minutes:.1f}",
                f"{members.run.wall:.0f}",
                members.run.load_text,
            ]
        )
    return _table(MEMBER_HEADER, lines)


REQUEST_HEADER = ["database", "request", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def requests_table(engines: list[Engine]) -> str:
    """The members' run broken down by request, slowest p95 first."""
    lines = []
    for engine in engines:
        if engine.members is None:
            continue
        rows = [row for name, row in engine.members.run.rows.items() if name != "Aggregated"]
        for row in sorted(rows, key=lambda r: -(r.p95_ms if r.p95_ms == r.p95_ms else 0)):
            lines.append(
                [
                    engine.name,
                    row.name,
                    str(row.requests),
                    str(row.failures),
                    _ms(row.p50_ms),
                    _ms(row.p95_ms),
                    _ms(row.p99_ms),
                    _ms(row.max_ms),
                ]
            )
    return _table(REQUEST_HEADER, lines)


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def targets(engine: Engine, settings: SurveySettings) -> list[tuple[bool, str]]:
    """Each of the issue's targets on this database: (met, one line saying so with the figure)."""
    found: list[tuple[bool, str]] = []
    if engine.hello and engine.page_get and engine.page_post:
        hello = engine.hello.row("Aggregated").rps
        got = engine.page_get.row("GET question page")
        posted = engine.page_post.row("POST question page")
        for label, row, target in (("page GET", got, TARGET_GET_SHARE), ("page POST", posted, TARGET_POST_SHARE)):
            share = _share(row.rps, hello)
            ok = share >= target and row.failures == 0
            failures = f"; {row.failures} failed" if row.failures else ""
            found.append(
                (
                    ok,
                    f"{label} at least {100 * target:.0f}% of hello world's requests/s: "
                    f"{100 * share:.0f}% ({row.rps:.0f} of {hello:.0f} req/s{failures})",
                )
            )
    members = engine.members
    if members is not None:
        total = members.total
        for share, target in ((0.95, TARGET_P95_MS), (0.99, TARGET_P99_MS)):
            measured = members.percentile(share)
            found.append(
                (
                    measured <= target,
                    f"p{100 * share:.0f} at most {target:.0f} ms with {settings.members} members: "
                    f"{_ms(measured)} ms over all {total.requests} requests "
                    f"({_ms(members.percentile(share, SIGN_IN))} ms leaving out POST /sign-in)",
                )
            )
        found.append(
            (
                members.errors == 0,
                f"0 errors: {total.failures} failed requests, "
                f"{len(members.unfinished)} of {members.expected_members} members did not submit",
            )
        )
        found.append(
            (
                members.submissions_ok,
                f"submitted responses = members who finished: {members.submitted_in_db} submitted responses in "
                f"the database; {members.finished} of {members.expected_members} members saw the confirmation page",
            )
        )
        found.append(
            (
                members.answers_ok,
                f"every submitted answer present: {members.stored_answers} answers stored of "
                f"{members.expected_answers} sent; {len(members.mismatched)} responses differing from what was sent",
            )
        )
    return found


def problems(engines: list[Engine]) -> list[str]:
    """Failures worth reading in full (first few of each kind)."""
    lines: list[str] = []
    for engine in engines:
        for attribute in ("page_get", "page_post"):
            run = getattr(engine, attribute)
            if run is None:
                continue
            setup = run.out.get("setup_failures", [])
            lines += [f"{engine.name} {attribute}: set-up failed for {f}" for f in setup][:5]
            lines += [f"{engine.name} {attribute}: {f}" for f in run.failures][:5]
        if engine.members:
            lines += [f"{engine.name} members: {f}" for f in engine.members.run.failures][:10]
            lines += [f"{engine.name} did not submit: {u}" for u in engine.members.unfinished][:5]
            lines += [f"{engine.name} answers: {m}" for m in engine.members.mismatched][:5]
        for (exception, where), times in engine.server_errors.most_common(5):
            lines.append(f"{engine.name} server: {times} x `{exception}` at `{where}`")
    return lines


def markdown_section(engines: list[Engine], settings: SurveySettings, when: datetime, load: str) -> str:
    """The survey section of docs/performance.md."""
    verdicts = []
    for engine in engines:
        if engine.skipped:
            verdicts.append(f"- {engine.name}: not measured. {engine.skipped}")
            continue
        for ok, line in targets(engine, settings):
            verdicts.append(f"- {_verdict(ok)} {engine.name}: {line}")
    databases = "; ".join(f"{e.name}: {e.detail or e.skipped}" for e in engines)
    problem_lines = problems(engines)
    problem_text = "\n".join(f"- {line}" for line in problem_lines) if problem_lines else "- none"
    return f"""## Survey: members answering the schools ICT survey

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}; the tables give the 1-minute load
  average before and after each part, since other work on the machine (a test suite, say) skews the figures.
  Locust runs on the same machine as the servers and competes with them for CPU.
- Servers: gunicorn `--worker-class gthread --workers {settings.workers} --threads {settings.threads}` for
  hello world and the app alike, one at a time on 127.0.0.1; `APP_ENV=development` (CSRF on),
  `LOGIN_LIMIT_PER_IP="100000 per minute"` because every simulated member signs in from 127.0.0.1.
- Databases, each fresh, migrated and loaded with `flask demo-data`, plus one organisation and one
  member account per simulated person (`bench/survey_db.py`): {databases}.
- Page benchmark: {settings.users} Locust users (FastHttpUser, no think time), each signed in as a member of
  its own organisation, for {settings.seconds} s per scenario once all have signed in (sign-in and set-up are
  not measured). Hello world is measured right before the app on each database. The page is
  `/surveys/schools-ict/questions/size`; the POST sends the CSRF token, response reference, answer
  revisions and two valid answers, alternating between two sets so every POST writes both answers; only the
  302 to the next page counts as a success (a conflict or error shows the page again with 200). Revisions
  are kept as the server keeps them (+1 per saved answer), and the page is read again after a failed POST.
  "app GET /healthz (floor)" is the app's cheapest request, served by the same app server right before
  the page: no session, no signed-in person, no template, one `SELECT 1`; what the app's middleware
  (security headers, throttling, the database session) costs on every request, and so about the most
  of hello world's requests/s that any page of the app reading the database can reach.
- Members: {settings.members} Locust users, started {settings.spawn_rate:g} a second, each a member of its own
  organisation: sign in, start, every page of the short route (even-numbered: no services to schools,
  6 pages) or the full route (odd-numbered: 12 pages), check answers, submit once, then stop. Think time 1-3 s
  before each form is sent; redirects are followed as a browser would, each as its own request. Limit
  {settings.member_limit} s. Afterwards the database is counted: submitted responses, and for each member the
  question ids of the stored and submitted answers against the ones their forms carried.
  A member whose sign-in fails tries again (up to 3 times), as a person would; every failed attempt is
  counted as an error. After a think time of 1.5 s or more the member's idle connections are closed, so
  the next request opens a new one (gunicorn drops keep-alive connections idle for 2 s; a browser notices,
  Locust's client may not and would report its own failure).
- Latencies in milliseconds. The members' p50/p95/p99 are exact (nearest rank over every response time);
  the other figures are Locust's (rounded to whole ms below 100 ms, to 10 ms above).

### Targets

{chr(10).join(verdicts)}

### Page benchmark

{page_table(engines)}

### {settings.members} members answering the whole survey

{members_table(engines)}

By request (the members' run):

{requests_table(engines)}

### Failures and problems

{problem_text}

Reproduce with `.venv/bin/python -m bench.survey {settings.command_line()}`;
raw Locust CSVs and the gunicorn logs are left in `bench/results/{SECTION}/` (not committed).
"""


# --- running it ----------------------------------------------------------------------------------


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
