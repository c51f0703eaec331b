"""The production profile under load and faults: two app nodes behind nginx, on PostgreSQL and Redis.

Run from the repository root with `.venv/bin/python -m bench.cluster [--duration 90] [--members 300]
[--fault kill-worker|restart-postgres|restart-redis]` (`make bench-cluster` runs it without a fault).

1. A fresh PostgreSQL database (`socitm_bench_<random>` on 127.0.0.1:5432, dropped afterwards) is migrated,
   loaded with the demo data and given 300 invited organisations with one member each
   (`bench.survey_setup`, `bench.survey_db`).
2. Two gunicorn nodes on loopback ports (`gunicorn -c gunicorn.conf.py` when the repository has one; the
   port, 2 gthread workers and 4 threads each are given on the command line), Debian's nginx in front of
   them (round-robin, its own configuration and files in a temporary directory), one `flask jobs worker`
   when the app has that command, and Redis for the sign-in limits and the jobs queue (127.0.0.1:6379,
   database 13, emptied first).
3. Locust, headless: every member signs in, answers every page of its route with 1-3 s of think time,
   checks its answers and submits; meanwhile the organiser exports the responses to Excel (a background
   job, polled, downloaded) and sends reminders, through the app's pages. The run ends when every member
   has finished, or after --duration seconds.
4. The database is compared with what each member sent: every response a member was told was submitted
   is submitted exactly once and holds exactly the answers sent; nothing is stored that was not sent.

Faults (`--fault`), injected --fault-at seconds into the run; each uses servers the benchmark owns, so the
machine's shared PostgreSQL and Redis are never stopped:
- kill-worker: SIGKILL one gunicorn worker of node 1 (the master starts another). Requests it was
  serving fail (nginx answers 502); the members try again, as a person would.
- restart-postgres: a private PostgreSQL cluster is stopped for --down seconds, then started again.
  Meanwhile /healthz must answer 503 and pages show the error page (no traceback); afterwards the
  nodes must serve again without being restarted.
- restart-redis: a private Redis is stopped for --down seconds, then started again. Sign-in must go on
  working (the limits fall back to each process's memory, `RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`).

Figures go to the `cluster` (or `cluster-<fault>`) section of docs/performance.md. Nothing but
127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy
import sqlalchemy.pool

from bench.cluster_checks import ServerLogs, Verdict, balancer_log, member_times, percentile, server_logs, verify
from bench.cluster_servers import (
    JobsWorker,
    Node,
    PrivatePostgres,
    PrivateRedis,
    answers,
    jobs_worker,
    nginx,
    nodes,
    private_postgres,
    private_redis,
    shared_redis,
    wait_until,
)
from bench.harness import Run, get, git_commit, load_average, locust, log, machine, ms, run_command
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section
from bench.survey_db import emails
from bench.survey_setup import app_environment, inspect, postgres_database, postgres_problem

SECTION = "cluster"
RESULTS_DIR = REPO_ROOT / "bench" / "results" / SECTION
LOCUSTFILE = REPO_ROOT / "bench" / "cluster_locustfile.py"
FAULTS = ("kill-worker", "restart-postgres", "restart-redis")
REDIS_DB = 13  # the benchmark's own database number on the shared Redis, emptied at the start
TARGET_P95_MS = 250.0
JOB_WAIT = 40  # seconds the kill-worker fault waits for a job to be running (the organiser exports every 15 s)
JOBS_STALE_SECONDS = 10  # the app's JOBS_STALE_SECONDS here: a killed job is taken as interrupted this soon
ORGANISER = "organiser@demo.example"


@dataclass(frozen=True)
class Settings:
    """How many, how long, which fault."""

    members: int = 300
    duration: int = 120
    spawn_rate: float = 5.0
    workers: int = 2
    threads: int = 4
    fault: str | None = None
    fault_at: int = 30
    down: int = 8
    write: bool = True

    @property
    def section(self) -> str:
        return f"{SECTION}-{self.fault}" if self.fault else SECTION


@dataclass
class Events:
    """What the fault thread and the health watcher saw, in seconds since the run started."""

    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)
    health: list[tuple[float, int]] = field(default_factory=list)  # (seconds, /healthz status through nginx)
    job_killed: bool = False  # the kill-worker fault killed the jobs worker in the middle of a job
    redis_back: float | None = None  # wall-clock time Redis answered again (restart-redis)

    def note(self, text: str) -> None:
        line = f"{time.monotonic() - self.started:5.1f} s: {text}"
        self.notes.append(line)
        log(line)


@dataclass
class Outcome:
    """Everything one run measured."""

    settings: Settings
    detail: str = ""
    run: Run | None = None
    verdict: Verdict | None = None
    statuses: dict = field(default_factory=dict)
    balancer: tuple = ()
    logs: ServerLogs | None = None
    events: Events = field(default_factory=Events)
    worker_note: str = ""
    failure: str = ""


def watch_health(base: str, events: Events, stop: threading.Event) -> None:
    """Poll /healthz through nginx twice a second while the run lasts."""
    while not stop.wait(0.5):
        try:
            status = get(base + "/healthz", timeout=3.0)[0]
        except OSError:
            status = 0
        events.health.append((round(time.monotonic() - events.started, 1), status))


def sign_in_page_status(base: str) -> str:
    """A failed sign-in attempt's status and what the page says, for the report (a POST with no CSRF
    token is refused before the limits; this reads the sign-in page, which does read the session)."""
    try:
        status, body = get(base + "/sign-in", timeout=5.0)
    except OSError as exc:
        return f"no answer ({exc})"
    shown = "a traceback shown" if "Traceback" in body else "no traceback"
    return f"{status} ({shown})"


def inject(fault: str, settings: Settings, base: str, app_nodes: list[Node], events: Events, servers: dict) -> None:
    """The fault, with what the service looked like meanwhile and after."""
    if fault == "kill-worker":
        node = app_nodes[0]
        before = node.workers()
        pid, cpu_ms = node.kill_busiest_worker()
        events.note(
            f"SIGKILL to worker {pid} of {node.label} (workers were {before}), the busier: "
            f"{cpu_ms:.0f} ms of CPU in the 0.5 s before"
        )
        replaced = wait_until(lambda: len(node.workers()) == len(before) and pid not in node.workers(), 30)
        events.note(f"{node.label} workers now {node.workers()} ({'replaced' if replaced else 'NOT replaced'})")
        kill_jobs_worker(servers.get("jobs"), servers["database_url"], events)
        return
    if fault == "restart-postgres":
        server: PrivatePostgres = servers["postgres"]
        server.stop()
        events.note("PostgreSQL stopped")
        down = wait_until(lambda: answers(base + "/healthz", 503), 10)
        events.note(f"/healthz through nginx: {'503' if down else 'not 503'}; /sign-in: {sign_in_page_status(base)}")
        time.sleep(settings.down)  # the outage itself: how long the database stays away
        server.start()
        events.note("PostgreSQL started again")
    elif fault == "restart-redis":
        redis_server: PrivateRedis = servers["redis"]
        redis_server.stop()
        events.note("Redis stopped")
        events.note(f"/sign-in while Redis is down: {sign_in_page_status(base)}")
        time.sleep(settings.down)  # the outage itself
        redis_server.start()
        events.redis_back = time.time()
        events.note("Redis started again")
    back = wait_until(lambda: all(answers(n.base + "/healthz") for n in app_nodes), 60)
    events.note(f"every node answers /healthz 200 again: {'yes' if back else 'NO'} (no node restarted)")


def kill_jobs_worker(worker: JobsWorker | None, database_url: str, events: Events) -> None:
    """SIGKILL the jobs worker while its work horse runs a job (the organiser's: recorded as running in
    that process), then start a new one. (A horse killed before it claims its job is tests/test_jobs_rq.py's.)"""
    if worker is None:
        return
    engine = sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.pool.NullPool)
    running = sqlalchemy.text("SELECT id FROM job WHERE status = 'running' AND worker LIKE :process")
    found: list[tuple[int, int]] = []  # (work horse, job), seen together once

    def job_in_horse() -> bool:
        horse = worker.horse()
        if horse is None:
            return False
        with engine.connect() as connection:
            job_id = connection.execute(running, {"process": f"%:{horse}"}).scalar()
        if job_id is not None:
            found.append((horse, job_id))
        return job_id is not None

    try:
        if not wait_until(job_in_horse, JOB_WAIT, pause=0.02):
            events.note(f"no job ran within {JOB_WAIT} s: the jobs worker was not killed")
            return
        horse, job_id = found[0]
        worker.kill(horse)
        with engine.connect() as connection:
            status = sqlalchemy.text("SELECT status FROM job WHERE id = :id")
            still = connection.execute(status, {"id": job_id}).scalar()
    finally:
        engine.dispose()
    if still == "running":
        events.note(f"SIGKILL to the jobs worker and its work horse {horse}, which was running job {job_id}")
        events.job_killed = True
    else:
        events.note(f"SIGKILL to the jobs worker; job {job_id} had ended ({still}) before its work horse {horse} went")
    worker.start()
    events.note("a new `flask jobs worker` started, as systemd's Restart=always would")


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[tuple[str, str, dict]]:
    """The app's database: a fresh one on the shared server, or a private cluster for restart-postgres."""
    if settings.fault == "restart-postgres":
        with private_postgres() as server:
            import psycopg

            with psycopg.connect(server.admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute("CREATE DATABASE socitm_bench")
            url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/socitm_bench"
            yield url, f"PostgreSQL {server.version()} (a private cluster, stopped and started)", {"postgres": server}
        return
    with postgres_database() as (url, detail):
        yield url, detail, {}


@contextlib.contextmanager
def limits_store(settings: Settings, workdir: Path) -> Iterator[tuple[str, dict]]:
    """Redis for the sign-in limits and the jobs queue: the shared one (database 13), or a private one."""
    if settings.fault == "restart-redis":
        with private_redis(workdir) as server:
            yield server.url, {"redis": server}
        return
    with shared_redis(REDIS_DB) as url:
        yield url, {}


def cluster_environment(workdir: Path, database_url: str, redis_url: str, password: str) -> dict[str, str]:
    """The app's environment on every node and the jobs worker."""
    env = app_environment(workdir, database_url, password)
    env.update(
        {
            "RATELIMIT_STORAGE_URI": redis_url,
            "REDIS_URL": redis_url,
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": "1",
            "TRUSTED_PROXIES": "1",  # nginx sets X-Forwarded-For
            "BENCH_ORGANISER_PASSWORD": password,
            # A job whose process was killed is taken as interrupted after this long, not production's 2 minutes.
            "JOBS_STALE_SECONDS": str(JOBS_STALE_SECONDS),
            "JOBS_HEARTBEAT_SECONDS": "2",
        }
    )
    # Every simulated member signs in from 127.0.0.1: the per-address limit would stop them, as it is meant to.
    env["LOGIN_LIMIT_PER_IP"] = "100000 per minute"
    return env


def seed(env: dict[str, str], members: int) -> None:
    """Migrate, load the demo data (the organiser's password is the members' one), add the members."""
    flask = [sys.executable, "-m", "flask"]
    log("migrating a fresh database and loading the demo data")
    run_command([*flask, "db", "upgrade"], env)
    run_command([*flask, "demo-data", "--password", env["BENCH_MEMBER_PASSWORD"]], env)
    log(f"adding {members} invited organisations with one member each")
    run_command([sys.executable, "-m", "bench.survey_db", "create", "--pages", "0", "--members", str(members)], env)


def measure(settings: Settings) -> Outcome:
    """Set everything up, run the load (and the fault), check the database."""
    outcome = Outcome(settings)
    with tempfile.TemporaryDirectory(prefix="socitm-cluster-") as tmp:
        workdir = Path(tmp)
        password = secrets.token_urlsafe(16)
        with database(settings) as (url, detail, servers), limits_store(settings, workdir) as (redis_url, stores):
            servers.update(stores)
            outcome.detail = detail
            env = cluster_environment(workdir, url, redis_url, password)
            seed(env, settings.members)
            member_file = workdir / "member-emails.txt"
            member_file.write_text("\n".join(emails("member", settings.members)) + "\n", encoding="utf-8")
            with (
                nodes(2, env, workdir, settings.workers, settings.threads) as app_nodes,
                nginx(app_nodes, workdir) as (base, access_log),
                jobs_worker(env, workdir) as (worker_note, worker),
            ):
                outcome.worker_note = worker_note
                servers["jobs"] = worker
                servers["database_url"] = url
                outcome.run = load(settings, base, app_nodes, workdir, member_file, password, outcome.events, servers)
            outcome.balancer = balancer_log(access_log)
            outcome.logs = server_logs([n.log for n in app_nodes] + [workdir / "jobs-worker.log"])
            for path in (
                [n.log for n in app_nodes]
                + [access_log, access_log.with_name("error.log")]
                + [workdir / "jobs-worker.log"]
            ):
                if path.exists():
                    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                    (RESULTS_DIR / f"{settings.section}-{path.name}").write_bytes(path.read_bytes())
            held = inspect(env)
        out = outcome.run.out
        outcome.statuses = out.get("statuses", {})
        outcome.verdict = verify(out.get("members", {}), held, emails("member", settings.members))
    return outcome


def load(
    settings: Settings,
    base: str,
    app_nodes: list[Node],
    workdir: Path,
    member_file: Path,
    password: str,
    events: Events,
    servers: dict,
) -> Run:
    """The Locust run, with the health watcher and (at --fault-at seconds) the fault alongside."""
    stop = threading.Event()
    watcher = threading.Thread(target=watch_health, args=(base, events, stop), daemon=True)
    fault = None
    if settings.fault:
        fault = threading.Timer(
            settings.fault_at, inject, args=(settings.fault, settings, base, app_nodes, events, servers)
        )
    events.started = time.monotonic()
    watcher.start()
    if fault:
        fault.start()
    log(f"{settings.members} members and the organiser for at most {settings.duration} s through {base}")
    try:
        return locust(
            settings.section,
            base,
            workdir,
            results_dir=RESULTS_DIR,
            locustfile=LOCUSTFILE,
            users=settings.members + 1,
            spawn_rate=settings.spawn_rate,
            run_time=settings.duration,
            extra_env={
                "BENCH_EMAILS": str(member_file),
                "BENCH_PASSWORD": password,
                "BENCH_MEMBERS": str(settings.members),
                "BENCH_ORGANISER": f"{ORGANISER} {password}",
            },
        )
    finally:
        if fault:
            fault.join(timeout=settings.down + 120)
        stop.set()
        watcher.join(timeout=10)


def health_summary(events: Events) -> str:
    """How /healthz answered through nginx during the run: statuses and when they were not 200."""
    counts: dict[int, int] = {}
    for _, status in events.health:
        counts[status] = counts.get(status, 0) + 1
    bad = [t for t, status in events.health if status != 200]
    text = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
    if bad:
        text += f"; not 200 from {bad[0]:.1f} s to {bad[-1]:.1f} s"
    return text or "not polled"


def markdown_section(outcome: Outcome, when: datetime, load_text: str) -> str:
    """The report, in docs/performance.md's style."""
    s = outcome.settings
    title = {
        None: "## Production profile under load and faults",
        "kill-worker": "### Fault: a gunicorn worker killed mid-run",
        "restart-postgres": "### Fault: PostgreSQL stopped and started mid-run",
        "restart-redis": "### Fault: Redis stopped and started mid-run",
    }[s.fault]
    command = f"`python -m bench.cluster --members {s.members} --duration {s.duration}" + (
        f" --fault {s.fault} --fault-at {s.fault_at} --down {s.down}`" if s.fault else "`"
    )
    lines = [title, ""]
    lines += [
        f"Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}` with {command}.",
        "",
        f"- Machine: {machine()}. Load average before the run: {load_text}; Locust, nginx, both nodes and the",
        "  database share its cores.",
        f"- Two gunicorn nodes on 127.0.0.1, {s.workers} gthread workers x {s.threads} threads each"
        + (" (`-c gunicorn.conf.py`)" if (REPO_ROOT / "gunicorn.conf.py").exists() else "")
        + ", behind Debian's nginx (round-robin upstream, keep-alive); "
        + f"{outcome.detail}; Redis for the sign-in limits and jobs. {outcome.worker_note[0].upper()}"
        + f"{outcome.worker_note[1:]}.",
        f"- {s.members} members (one organisation each, invited), started {s.spawn_rate:g} a second, each signing "
        "in, answering every page of its route (even-numbered: short route; odd: full) with 1-3 s think time, "
        "checking answers and submitting once; every member sends its own figures on the size page. One "
        "organiser meanwhile: an XLSX export (background job, polled, downloaded), reminders to every "
        "organisation not yet submitted, then an export every 15 s.",
        "- A request failing with a 5xx or no response is counted, then the member waits 1-3 s and tries that "
        "step again (at most 10 times), as a person would.",
        "",
    ]
    if outcome.failure:
        return "\n".join([*lines, f"**The run failed:** {outcome.failure}", ""])
    run, verdict = outcome.run, outcome.verdict
    total = run.row("Aggregated")
    times = member_times(run.out)
    p95 = percentile(times, 0.95)
    pages = member_times(run.out, leave_out=("POST /sign-in",))
    fives = sum(n for status, n in outcome.statuses.items() if int(status) >= 500)
    nothing = outcome.statuses.get("0", 0)
    statuses, upstreams = outcome.balancer
    lb_fives = sum(n for status, n in statuses.items() if status >= 500)
    org = run.out.get("organiser", {})
    lines += [
        "| Measure | Value |",
        "|---|---|",
        f"| Requests (members and organiser) | {total.requests:,} in {run.wall:.0f} s ({total.rps:.1f} req/s) |",
        f"| Members' requests p50 / p95 / p99 (ms) | {ms(percentile(times, 0.5))} / {ms(p95)} / "
        f"{ms(percentile(times, 0.99))} |",
        f"| The same without POST /sign-in (argon2 hashing, by design slow) | {ms(percentile(pages, 0.5))} / "
        f"{ms(percentile(pages, 0.95))} / {ms(percentile(pages, 0.99))} |",
        f"| Failed requests (Locust) | {total.failures} |",
        f"| 5xx responses / no response (Locust) | {fives} / {nothing} |",
        f"| 5xx responses (nginx access log) | {lb_fives} |",
        f"| Requests per node (nginx) | {', '.join(f'{a}: {n:,}' for a, n in sorted(upstreams.items()))} |",
        f"| Members who submitted | {verdict.submitted} of {verdict.members} |",
        f"| Lost / duplicated submissions | {len(verdict.lost)} / {len(verdict.duplicated)} |",
        f"| Answers stored differently from how they were sent | {len(verdict.wrong)} |",
        f"| Steps tried again after a failure | {verdict.retries} |",
        f"| Organiser: XLSX exports downloaded / reminder jobs done / interrupted jobs tried again | "
        f"{org.get('exports', 0)} / {org.get('reminder_jobs', 0)} / {org.get('tried_again', 0)} |",
        f"| /healthz through nginx (polled every 0.5 s) | {health_summary(outcome.events)} |",
        f"| Unhandled exceptions in the nodes' logs / 'database is locked' | "
        f"{sum(outcome.logs.exceptions.values())} / {outcome.logs.locked_lines} |",
        "",
    ]
    targets = target_list(outcome, p95)
    lines += ["Targets:", ""]
    lines += [f"- **{'PASS' if ok else 'FAIL'}** {text}" for text, ok in targets]
    if outcome.events.notes:
        lines += ["", "What happened during the fault:", ""]
        lines += [f"- {note}" for note in outcome.events.notes]
    error_pages = run.out.get("error_pages", {})
    if error_pages:
        lines += ["", "5xx pages the members saw:", ""]
        lines += [f"- {n} x {page}" for page, n in sorted(error_pages.items())]
    problems = verdict.lost + verdict.duplicated + verdict.wrong + verdict.unfinished + org.get("errors", [])
    if problems:
        lines += ["", f"Problems ({len(problems)}; the first 10):", ""]
        lines += [f"- {p}" for p in problems[:10]]
    if outcome.logs.exceptions:
        lines += ["", "Unhandled exceptions in the nodes' logs:", ""]
        lines += [f"- {n} x {exc} at {where}" for (exc, where), n in outcome.logs.exceptions.most_common(5)]
    return "\n".join(lines) + "\n"


def target_list(outcome: Outcome, p95: float | None = None) -> list[tuple[str, bool]]:
    """Each target and whether the run met it; the p95 one only when `p95` is given."""
    verdict, org = outcome.verdict, outcome.run.out.get("organiser", {})
    fives = sum(n for status, n in outcome.statuses.items() if int(status) >= 500)
    lb_fives = sum(n for status, n in outcome.balancer[0].items() if status >= 500) if outcome.balancer else 0
    targets = [
        ("0 lost submissions", not verdict.lost),
        ("0 duplicated submissions", not verdict.duplicated),
        ("every answer stored as sent, nothing stored half", not verdict.wrong),
        ("every member submitted", verdict.submitted == verdict.members),
    ]
    if outcome.settings.fault is None:
        targets += [("0 5xx responses", fives == 0 and lb_fives == 0)]
        if p95 is not None:
            targets += [(f"p95 <= {TARGET_P95_MS:.0f} ms", p95 <= TARGET_P95_MS)]
    if outcome.events.redis_back is not None:
        after = sum(1 for t in org.get("export_times", []) if t > outcome.events.redis_back)
        targets += [(f"jobs resumed: {after} XLSX exports made and downloaded after Redis came back", after >= 1)]
    if outcome.events.job_killed:
        targets += [
            (
                "the killed job was marked interrupted, tried again from its page and finished",
                org.get("tried_again", 0) >= 1 and not org.get("errors"),
            )
        ]
    return targets


def passed(outcome: Outcome) -> bool:
    """The correctness targets (and, without a fault, no 5xx); speed is reported, not enforced."""
    if outcome.failure or outcome.verdict is None:
        return False
    return outcome.verdict.ok and all(ok for _, ok in target_list(outcome))


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300, help="members answering the survey (default 300)")
    parser.add_argument("--duration", type=int, default=120, help="seconds the run may take at most (default 120)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="members started per second (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--fault", choices=FAULTS, help="inject this fault during the run")
    parser.add_argument("--fault-at", type=int, default=30, help="seconds into the run for the fault (default 30)")
    parser.add_argument("--down", type=int, default=8, help="seconds PostgreSQL or Redis stays down (default 8)")
    parser.add_argument("--no-write", action="store_true", help="print the report, leave docs/performance.md alone")
    args = parser.parse_args(argv)
    for option in ("members", "duration", "workers", "threads", "fault_at", "down"):
        if not 1 <= getattr(args, option) <= 600:
            parser.error(f"--{option.replace('_', '-')} must be between 1 and 600")
    return Settings(
        members=args.members,
        duration=args.duration,
        spawn_rate=args.spawn_rate,
        workers=args.workers,
        threads=args.threads,
        fault=args.fault,
        fault_at=args.fault_at,
        down=args.down,
        write=not args.no_write,
    )


def main(argv: list[str] | None = None) -> int:
    """Run, report, and exit 1 when a submission was lost, duplicated or stored wrong (or, without a
    fault, any request met a 5xx)."""
    settings = parse_args(argv)
    problem = postgres_problem()
    if problem:
        log(f"cannot run: {problem}")
        return 1
    when = datetime.now(UTC)
    load_text = load_average()
    try:
        outcome = measure(settings)
    except RuntimeError as exc:
        log(str(exc))
        outcome = Outcome(settings, failure=str(exc).splitlines()[0])
    section = markdown_section(outcome, when, load_text)
    print(section, flush=True)
    if settings.write:
        write_section(settings.section, section, PERFORMANCE_DOC)
        log(f"wrote the {settings.section} section of docs/performance.md")
    return 0 if passed(outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
