"""The pieces of the production profile that `bench.cluster` starts and stops, all on 127.0.0.1.

- `Node`: one gunicorn app server (`gunicorn -c gunicorn.conf.py` when the repository has one, else
  gthread workers), whose worker processes can be listed and killed;
- `nginx`: Debian's nginx, run as a child process with its own configuration, pid file, logs and
  temporary files in a temporary directory (`nginx -p DIR -c DIR/nginx.conf`, `daemon off`), sending
  requests round-robin to the nodes;
- `PrivatePostgres` and `PrivateRedis`: a PostgreSQL cluster and a Redis server of the benchmark's own,
  on free ports, used by the fault scenarios that stop and start them, so that the machine's shared
  servers (which other work may be using) are never touched;
- `shared_redis`: the machine's Redis at 127.0.0.1:6379, one database number emptied at the start;
- `jobs_worker`: `flask jobs worker` when the app has that command.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import free_port, get, log, read_tail
from bench.harness import stop as stop_process
from bench.report import REPO_ROOT

NGINX = "/usr/sbin/nginx"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
GUNICORN_CONF = REPO_ROOT / "gunicorn.conf.py"
SHARED_REDIS = "redis://127.0.0.1:6379"
READY_SECONDS = 40


def wait_until(check, seconds: float, pause: float = 0.2) -> bool:
    """Poll `check()` until it is true or `seconds` have passed (a bounded loop, no fixed sleeps)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if check():
                return True
        time.sleep(pause)
    return False


def answers(url: str, status: int = 200) -> bool:
    """Whether a loopback URL answers with `status` right now."""
    try:
        return get(url, timeout=2.0)[0] == status
    except OSError:
        return False


@dataclass
class Node:
    """One gunicorn app server on a loopback port."""

    label: str
    port: int
    process: subprocess.Popen
    log: Path
    killed: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The process ids of the master's worker processes."""
        return children(self.process.pid)

    def kill_busiest_worker(self, window: float = 0.5) -> tuple[int, float]:
        """SIGKILL the worker that used the most CPU over the last `window` seconds (one serving requests,
        not an idle one); the master starts another. Returns its process id and the CPU milliseconds it used."""
        if not wait_until(self.workers, 30):
            raise RuntimeError(f"{self.label} has no worker to kill")
        before = {pid: cpu_seconds(pid) for pid in self.workers()}
        time.sleep(window)  # the sampling window itself
        used = {pid: cpu_seconds(pid) - start for pid, start in before.items()}
        pid = max(used, key=used.get)
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)
        return pid, used[pid] * 1000


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def children(pid: int) -> list[int]:
    """The process ids of a process's children."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def gunicorn_command(port: int, workers: int, threads: int, log_path: Path, target: str = "wsgi:app") -> list[str]:
    """gunicorn with the repository's gunicorn.conf.py when there is one, else explicit gthread settings.

    The port, worker count and error log are always given: the command line wins over the file.
    """
    base = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONF.exists():
        base += ["-c", str(GUNICORN_CONF)]
    return [
        *base,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
        "--error-logfile",
        str(log_path),
        "--capture-output",
        "--no-control-socket",  # gunicorn 27's control socket is one path per user: two nodes would share it
        target,
    ]


@contextlib.contextmanager
def nodes(count: int, env: dict[str, str], workdir: Path, workers: int, threads: int) -> Iterator[list[Node]]:
    """Start `count` app servers and wait until each answers /healthz; stop them all afterwards."""
    started: list[Node] = []
    try:
        for number in range(1, count + 1):
            port = free_port()
            log_path = workdir / f"gunicorn-node{number}.log"
            process = subprocess.Popen(
                gunicorn_command(port, workers, threads, log_path), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL
            )
            started.append(Node(f"node{number}", port, process, log_path))
            log(f"node{number}: gunicorn on 127.0.0.1:{port}")
        for node in started:
            if not wait_until(lambda node=node: node.process.poll() is None and answers(node.base + "/healthz"), 60):
                raise RuntimeError(f"{node.label} did not answer /healthz:\n{read_tail(node.log)}")
        yield started
    finally:
        for node in started:
            stop_process(node.process, node.label)


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    log_format balanced '$status $upstream_addr $upstream_status $request_time "$request"';
    access_log {dir}/access.log balanced;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 10m;
    upstream app {{
{servers}
        keepalive 32;
        keepalive_timeout 1s;  # under gunicorn's 2 s, so nginx never reuses a connection gunicorn has closed
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout;  # GET and HEAD only: a POST is never sent twice
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx(app_nodes: list[Node], workdir: Path) -> Iterator[tuple[str, Path]]:
    """Debian's nginx in front of the nodes (round-robin); yields its base URL and its access log."""
    folder = workdir / "nginx"
    folder.mkdir()
    port = free_port()
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""  # workers keep our user, not nobody
    servers = "\n".join(f"        server 127.0.0.1:{node.port};" for node in app_nodes)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, dir=folder, servers=servers, port=port), encoding="utf-8")
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        stdout=(folder / "stdout.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: process.poll() is None and answers(base + "/healthz"), 20):
            raise RuntimeError(f"nginx did not answer:\n{read_tail(folder / 'error.log')}")
        log(f"nginx on {base}, round-robin over {len(app_nodes)} nodes")
        yield base, folder / "access.log"
    finally:
        stop_process(process, "nginx", signal.SIGQUIT)


@contextlib.contextmanager
def shared_redis(db_number: int) -> Iterator[str]:
    """The machine's Redis, database `db_number` emptied first (only that one)."""
    import redis

    url = f"{SHARED_REDIS}/{db_number}"
    redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    log(f"Redis {url} emptied")
    yield url


class PrivateRedis:
    """A Redis server of the benchmark's own (no persistence), which a fault scenario may stop and start."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log_file = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)
        if not wait_until(self.ping, 20):
            raise RuntimeError(f"redis-server did not start:\n{read_tail(self.dir / 'redis.log')}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, "private redis-server")
            self.process = None


@contextlib.contextmanager
def private_redis(workdir: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(workdir)
    server.start()
    log(f"private Redis on {server.url}")
    try:
        yield server
    finally:
        server.stop()


class PrivatePostgres:
    """A PostgreSQL 15 cluster of the benchmark's own in a temporary directory, on a free port.

    PostgreSQL refuses to run as root, so when the benchmark runs as root the cluster belongs to the
    `postgres` user (`runuser`).
    """

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="socitm-cluster-pg-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, connect_timeout=5) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh private PostgreSQL cluster, removed afterwards whatever happens."""
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        log(f"private PostgreSQL on 127.0.0.1:{server.port}")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def has_jobs_worker(env: dict[str, str]) -> bool:
    """Whether the app has a `flask jobs worker` command."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "--help"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0 and "worker" in done.stdout


@dataclass
class JobsWorker:
    """`flask jobs worker` (RQ), which the kill-worker fault kills with the work horse running a job and
    starts again, as systemd's Restart=always would (docs/jobs.md)."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "jobs", "worker"],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def horse(self) -> int | None:
        """The work horse's process id while a job is running (RQ forks one for each job), else None."""
        if self.process is None or self.process.poll() is not None:
            return None
        running = children(self.process.pid)
        return running[0] if running else None

    def kill(self, horse: int) -> None:
        """SIGKILL the work horse `horse` and the worker, as a crash of the machine's process would."""
        for pid in (horse, self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, "jobs worker")


@contextlib.contextmanager
def jobs_worker(env: dict[str, str], workdir: Path) -> Iterator[tuple[str, JobsWorker | None]]:
    """One `flask jobs worker` while the block runs; yields a note for the report, and the worker."""
    if not has_jobs_worker(env):
        yield "no `flask jobs worker` command in this version: background jobs run in the node's own threads", None
        return
    worker = JobsWorker(env, workdir / "jobs-worker.log")
    worker.start()
    log("one `flask jobs worker` started")
    try:
        yield "one `flask jobs worker` (RQ) ran the background jobs", worker
    finally:
        worker.stop()
