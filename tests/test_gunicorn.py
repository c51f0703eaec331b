"""gunicorn.conf.py: its numbers from the environment, gunicorn's own check of it, and a real gunicorn
(two workers, production settings, a SQLite file) answering /healthz and stopping gracefully on SIGTERM."""

from __future__ import annotations

import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REAL_CONTACTS

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
SETTINGS = ("WEB_CONCURRENCY", "GUNICORN_MAX_WORKERS", "GUNICORN_THREADS", "BIND", "PORT", "LOG_FORMAT", "APP_ENV")


@pytest.fixture
def conf(monkeypatch):
    """Read gunicorn.conf.py under the environment a test sets (and put WEB_CONCURRENCY back afterwards)."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)

    def read(**env: str) -> dict:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = runpy.run_path(str(CONF))
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)  # the file exports it for the app
        return settings

    return read


def test_defaults_suit_a_small_machine_behind_a_proxy(conf):
    settings = conf()
    cores = os.cpu_count() or 1
    assert settings["workers"] == min(2 * cores + 1, 8)
    assert settings["worker_class"] == "gthread" and settings["threads"] == 4
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["timeout"] == 60 and settings["graceful_timeout"] == 30
    # Workers are replaced rarely (each start costs about 2.5 s of CPU), and a node's workers at well-spread
    # moments: the jitter is a large share of the count.
    assert settings["max_requests"] == 10000
    assert settings["max_requests"] // 4 <= settings["max_requests_jitter"] < settings["max_requests"]
    assert settings["preload_app"] is False
    assert settings["accesslog"] is None
    assert "logconfig_dict" not in settings  # text logs unless production or LOG_FORMAT=json


def test_numbers_come_from_the_environment(conf):
    settings = conf(WEB_CONCURRENCY="3", GUNICORN_THREADS="8", PORT="5090", APP_ENV="production")
    assert settings["workers"] == 3 and settings["threads"] == 8
    assert settings["bind"] == "0.0.0.0:5090"
    assert settings["logconfig_dict"]["formatters"]["json"]["()"] == "app.logs.JsonFormatter"
    assert conf(BIND="unix:/run/socitm/web.sock")["bind"] == "unix:/run/socitm/web.sock"


def test_workers_are_capped(conf):
    settings = conf()
    assert settings["default_workers"](64, 8) == 8
    assert settings["default_workers"](1, 8) == 3
    assert conf(GUNICORN_MAX_WORKERS="2")["workers"] == 2


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith(("GUNICORN", "DATABASE"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}", PYTHONPATH=str(ROOT), **extra)
    return env


def test_gunicorn_accepts_the_configuration(tmp_path):
    result = subprocess.run(
        [str(GUNICORN), "--check-config", "-c", str(CONF), "wsgi:app"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_real_gunicorn_serves_healthz_and_stops_gracefully(tmp_path):
    port = _free_port()
    env = _env(
        tmp_path,
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        MAIL_OUTBOX_ONLY="1",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
        WEB_CONCURRENCY="2",
        BIND=f"127.0.0.1:{port}",
        **REAL_CONTACTS,
    )
    server = subprocess.Popen(
        [str(GUNICORN), "-c", str(CONF), "wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    try:
        # gunicorn says when it listens (reading its log blocks until then: no polling, no sleep); from then
        # the socket queues our request until a worker has booted and answers it.
        for line in server.stderr:
            lines.append(line)
            if "Listening at" in line or len(lines) > 200:
                break
        assert any(f"Listening at: http://127.0.0.1:{port}" in line for line in lines), "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60) as response:  # noqa: S310
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "ok", "database": "ok"}
            request_id = response.headers["X-Request-ID"]
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0
    records = [json.loads(line) for line in (*lines, *rest.splitlines()) if line.startswith("{")]
    messages = [record["message"] for record in records]
    assert sum(message.startswith("Booting worker") for message in messages) == 2
    assert "Handling signal: term" in messages and "Shutting down: Master" in messages
    [access] = [record for record in records if record["logger"] == "app.request"]
    assert access["path"] == "/healthz" and access["status"] == 200 and access["request_id"] == request_id
