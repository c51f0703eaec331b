"""The shared bench harness: serve with gunicorn, load with Locust, read what Locust measured.

Every benchmark in `bench/` uses these pieces, all on loopback and with nothing fetched from the network:

- `bench_environment` and `run_command`: a fresh SQLite database, a random key, no SMTP, and set-up
  commands (`flask db upgrade`, `flask demo-data`, ...) run from the repository root;
- `serve`: a WSGI target under gunicorn on a free 127.0.0.1 port, stopped whatever happens;
- `warm_up`: a few requests that also check the answer before anything is measured;
- `locust`: one headless Locust run (users, spawn rate, run time), its CPU time, the load average
  before and after, every row of its statistics, its failure messages and what its users wrote down;
- `git_commit`, `machine`, `load_average`: what each report says about the run.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import REPO_ROOT

STARTUP_TRIES = 150  # x STARTUP_PAUSE seconds: how long a server may take to answer
STARTUP_PAUSE = 0.2
COMMAND_TIMEOUT = 180  # seconds for any one set-up command
HELLO_LOCUSTFILE = REPO_ROOT / "bench" / "locustfile.py"


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


def prepare_database(env: dict[str, str], label: str = "") -> None:
    """Migrate the fresh database and load the demo data into it."""
    flask = [sys.executable, "-m", "flask"]
    prefix = f"{label}: " if label else ""
    log(f"{prefix}migrating a fresh database")
    run_command([*flask, "db", "upgrade"], env)
    log(f"{prefix}loading demo data")
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


def stop(process: subprocess.Popen[bytes], label: str, sig: int = signal.SIGTERM) -> None:
    """Ask a child process (gunicorn, nginx, a worker) to shut down with `sig`; kill it if not gone in 15 s."""
    if process.poll() is None:
        process.send_signal(sig)
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
    client_cpu: float  # Locust's CPU time over the run's wall time: near 1.0 means the client is the limit
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


def warm_up(base: str, path: str, expect: str, requests: int = 10) -> None:
    """A few requests before measuring, which also check the server answers as it should."""
    for _ in range(requests):
        status, body = get(base + path)
        if status != 200 or expect not in body:
            raise RuntimeError(f"{path} answered {status} without {expect!r}")


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def number(value: str) -> float:
    """A Locust CSV cell as a number ("N/A" when nothing was measured becomes NaN)."""
    try:
        return float(value)
    except ValueError:
        return float("nan")


def ms(value: float) -> str:
    """Milliseconds for a report, rounded to whole ones ("n/a" when nothing was measured)."""
    return "n/a" if value != value else f"{value:.0f}"  # NaN is the only value unequal to itself


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
                p50_ms=number(line["50%"]),
                p95_ms=number(line["95%"]),
                p99_ms=number(line["99%"]),
                max_ms=number(line["Max Response Time"]),
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
    results_dir: Path,
    users: int,
    run_time: int,
    locustfile: Path = HELLO_LOCUSTFILE,
    user_class: str | None = None,
    spawn_rate: float | None = None,
    extra_env: dict[str, str] | None = None,
) -> Run:
    """One headless Locust run, bounded by `run_time` (and a subprocess timeout beyond it).

    Users start `spawn_rate` a second (default: all at once). Locust's CSVs and log are copied to
    `results_dir`. What the users write to the file named by BENCH_OUT comes back as `Run.out`.
    """
    prefix = workdir / label
    out = workdir / f"{label}_out.json"
    env = dict(os.environ, BENCH_USERS=str(users), BENCH_OUT=str(out), **(extra_env or {}))
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
        f"{spawn_rate if spawn_rate is not None else users:g}",
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
    results_dir.mkdir(parents=True, exist_ok=True)
    for produced in workdir.glob(f"{label}_*"):
        shutil.copy(produced, results_dir / produced.name)
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


def git_commit() -> str:
    """The short commit hash, with "+ uncommitted changes" when the work tree differs from it (other than
    docs/performance.md, which an earlier benchmark of the same sitting may just have written)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs/performance.md"],
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


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews the figures."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"
