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
import contextlib
import csv
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section

SECTION = "baseline"
RESULTS_DIR = REPO_ROOT / "bench" / "results" / SECTION  # raw Locust CSVs (git-ignored)
STARTUP_TRIES = 150  # x STARTUP_PAUSE seconds: how long a server may take to answer
STARTUP_PAUSE = 0.2
WARMUP_REQUESTS = 20
COMMAND_TIMEOUT = 180  # seconds for any one set-up command


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


@dataclass(frozen=True)
class Settings:
    """How the servers are run and loaded."""

    seconds: int
    users: int
    workers: int
    threads: int

    @property
    def gunicorn_args(self) -> list[str]:
        """Worker options, identical for every server so the comparison is fair."""
        return ["--worker-class", "gthread", "--workers", str(self.workers), "--threads", str(self.threads)]

    def describe(self) -> str:
        """The settings in one line of Markdown."""
        return (
            f"gunicorn `--worker-class gthread --workers {self.workers} --threads {self.threads}`; "
            f"Locust headless, {self.users} users with no think time (FastHttpUser), {self.seconds} s per route"
        )


SERVERS = {"hello": "bench.hello:app", "app": "wsgi:app"}
SCENARIOS = [
    Scenario("hello world", "hello", "/", "Hello, World!"),
    Scenario("app /healthz", "app", "/healthz", '"status":"ok"'),
    Scenario("app /sign-in", "app", "/sign-in", "Sign in"),
]


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the results table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_command(args: list[str], env: dict[str, str]) -> str:
    """Run a set-up command from the repository root; fail loudly with its output if it fails."""
    try:
        done = subprocess.run(
            args,
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{' '.join(args[:4])} took longer than {COMMAND_TIMEOUT} s") from exc
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def bench_environment(workdir: Path) -> dict[str, str]:
    """Environment for the app: a fresh SQLite database, a random key, no SMTP, development settings."""
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": secrets.token_urlsafe(36),  # 48 characters
            "MAIL_SERVER": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "FLASK_APP": "wsgi.py",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the fresh database and load the demo data into it."""
    flask = [sys.executable, "-m", "flask"]
    log("migrating a fresh SQLite database")
    run_command([*flask, "db", "upgrade"], env)
    log("loading demo data")
    run_command([*flask, "demo-data", "--password", secrets.token_urlsafe(12)], env)


def get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """GET a loopback URL; return the status and body (an HTTP error status is returned, not raised)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only loopback URLs are fetched: {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback http only
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def stop(process: subprocess.Popen[bytes], label: str) -> None:
    """Ask gunicorn to shut down (SIGTERM), and kill it if it has not gone within 15 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log(f"{label} did not stop in 15 s; killing it")
            process.kill()
            process.wait(timeout=5)
    log(f"{label} stopped")


@contextlib.contextmanager
def serve(
    label: str,
    target: str,
    env: dict[str, str],
    settings: Settings,
    workdir: Path,
    probe: str | None = None,
    capture_output: bool = False,
) -> Iterator[str]:
    """Serve `target` with gunicorn on a free loopback port; yield its base URL; always stop it.

    The server is ready when `probe` (default: /healthz for the app, / for anything else) answers 200.
    With `capture_output`, what the app logs (its tracebacks too) goes to the error log file as well.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    errors = workdir / f"gunicorn-{label}.log"
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        *settings.gunicorn_args,
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(errors),
        *(["--capture-output"] if capture_output else []),
        target,
    ]
    log(f"starting {label} ({target}) on {base}")
    process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL)
    try:
        probe = base + (probe or ("/healthz" if label == "app" else "/"))
        for _ in range(STARTUP_TRIES):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn for {target} exited ({process.returncode}):\n{read_tail(errors)}")
            with contextlib.suppress(OSError):
                status, _ = get(probe, timeout=1.0)
                if status == 200:
                    break
            time.sleep(STARTUP_PAUSE)
        else:
            raise RuntimeError(f"{target} did not answer {probe} with 200:\n{read_tail(errors)}")
        yield base
    finally:
        stop(process, label)


def read_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, or a note that there is none."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def warm_up(base: str, scenario: Scenario) -> None:
    """A few requests before measuring, which also check the route gives the expected answer."""
    for _ in range(WARMUP_REQUESTS):
        status, body = get(base + scenario.path)
        if status != 200 or scenario.expect not in body:
            raise RuntimeError(f"{scenario.path} answered {status} without {scenario.expect!r}")


def run_locust(base: str, scenario: Scenario, settings: Settings, workdir: Path) -> Result:
    """Load one route with Locust (headless, bounded time) and read its aggregated figures."""
    prefix = workdir / scenario.name.replace(" ", "_").replace("/", "")
    env = dict(os.environ, BENCH_PATH=scenario.path, BENCH_EXPECT=scenario.expect)
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(REPO_ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(settings.users),
        "--spawn-rate",
        str(settings.users),
        "--run-time",
        f"{settings.seconds}s",
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
    log(f"loading {scenario.name} for {settings.seconds} s with {settings.users} users")
    output = Path(f"{prefix}_locust.log")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        with output.open("wb") as sink:
            # Locust exits 1 when any request failed; the failures are counted in the result instead.
            subprocess.run(
                args,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=settings.seconds + 60,
                check=False,
            )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"Locust did not finish {scenario.name} in {settings.seconds + 60} s") from exc
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for produced in workdir.glob(f"{prefix.name}_*"):
        shutil.copy(produced, RESULTS_DIR / produced.name)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"Locust wrote no {stats.name} for {scenario.name}:\n{read_tail(output)}")
    return parse_stats(stats, scenario, client_cpu=cpu / wall if wall > 0 else float("nan"))


def parse_stats(path: Path, scenario: Scenario, client_cpu: float = float("nan")) -> Result:
    """The Aggregated row of a Locust `_stats.csv` file."""
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return Result(
                    scenario=scenario,
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    rps=float(row["Requests/s"]),
                    mean_ms=float(row["Average Response Time"]),
                    p50_ms=_number(row["50%"]),
                    p95_ms=_number(row["95%"]),
                    p99_ms=_number(row["99%"]),
                    client_cpu=client_cpu,
                )
    raise RuntimeError(f"no Aggregated row in {path}")


def _number(value: str) -> float:
    """A Locust CSV cell as a number ("N/A" when nothing was measured becomes NaN)."""
    try:
        return float(value)
    except ValueError:
        return float("nan")


def git_commit() -> str:
    """The short commit hash, with "+ uncommitted changes" when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def machine() -> str:
    """CPU count, processor and Python, in one line."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def percent_of(result: Result, baseline: Result | None) -> str:
    """Requests/s as a percentage of the hello-world baseline."""
    if baseline is None or baseline.rps <= 0:
        return "n/a"
    return f"{100 * result.rps / baseline.rps:.0f}%"


def _ms(value: float) -> str:
    return "n/a" if value != value else f"{value:.0f}"  # NaN is the only value unequal to itself


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
            _ms(r.p50_ms),
            _ms(r.p95_ms),
            _ms(r.p99_ms),
            f"{r.mean_ms:.1f}",
            str(r.requests),
            str(r.failures),
            _ms(100 * r.client_cpu) + "%",
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


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews the figures."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


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
                    warm_up(base, scenario)
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
