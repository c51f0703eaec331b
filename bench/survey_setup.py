"""The survey benchmark's set-up: its settings, the databases, and the benchmark's own accounts.

SQLite is a fresh file in a temporary directory; PostgreSQL a fresh database `socitm_bench_<random>`
on 127.0.0.1:5432, dropped afterwards. Each is migrated and loaded with the demo data, then given one
organisation and one member account per simulated person (`bench.survey_db create`); `inspect` reads
back each account's response as the database holds it (`bench.survey_db inspect`).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Settings, bench_environment, log, prepare_database, run_command
from bench.report import REPO_ROOT
from bench.survey_db import emails

SECTION = "survey"
RESULTS_DIR = REPO_ROOT / "bench" / "results" / SECTION  # raw Locust CSVs and logs (git-ignored)
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_APP_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


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
    prepare_database(env, label)
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


def write_emails(workdir: Path, group: str, count: int) -> Path:
    """The accounts Locust users sign in as, one per line."""
    path = workdir / f"{group}-emails.txt"
    path.write_text("\n".join(emails(group, count)) + "\n", encoding="utf-8")
    return path
