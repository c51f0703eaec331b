"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (docs/deployment.md).

Every number comes from the environment, with defaults for a small machine behind nginx:

- WEB_CONCURRENCY   worker processes; default 2 × cores + 1, at most GUNICORN_MAX_WORKERS (8)
- GUNICORN_THREADS  threads in each worker (gthread); default 4. Keep DB_POOL_SIZE at least this.
- BIND              address to listen on; default 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8000
- GUNICORN_TIMEOUT  seconds a request may take before its worker is restarted; default 60
- GUNICORN_GRACEFUL_TIMEOUT  seconds a worker has to finish its requests on restart or stop; default 30
- GUNICORN_KEEPALIVE  seconds an idle connection from the proxy is kept; default 5
- GUNICORN_MAX_REQUESTS / _JITTER  a worker is replaced after this many requests (+ up to the jitter);
  10000 / 5000. A worker takes about 2.5 s of CPU to start: replacing them often (1000 / 100 replaced
  every worker about every 40 s under the cluster bench's load, both of a node's together) costs more
  than the slow leak it guards against (docs/performance.md).
- LOG_LEVEL         gunicorn's own log level; default info

Preloading is off (`preload_app = False`): each worker imports the app after the fork, so no database
connection or thread (background jobs run in threads) is ever shared across a fork, and `kill -HUP`
on the master reloads new code into fresh workers. The cost is each worker's own copy of the app's
memory (tens of MB) and a slower start, which a web service restarted a few times a day can afford.

The access log is off: the app writes one JSON line per request (app/logs.py), with the request id,
the signed-in person and no query string; gunicorn's own lines (start, stop, worker timeouts) go to
standard error, as JSON too when LOG_FORMAT is json (production's default).
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers(cores: int, cap: int) -> int:
    """2 × cores + 1 (one busy, one waiting on the database, per core), never more than `cap`."""
    return max(1, min(2 * cores + 1, cap))


def default_bind() -> str:
    """BIND if set; else every interface on $PORT (a container's platform sets PORT); else loopback:8000."""
    if os.environ.get("BIND", "").strip():
        return os.environ["BIND"].strip()
    port = os.environ.get("PORT", "").strip()
    return f"0.0.0.0:{port}" if port else "127.0.0.1:8000"


bind = default_bind()
workers = _int("WEB_CONCURRENCY", default_workers(multiprocessing.cpu_count(), _int("GUNICORN_MAX_WORKERS", 8)))
# The app reads WEB_CONCURRENCY too (config.py: memory:// rate limits are refused with more than one
# worker; `flask deployment-check` sizes the database pool): the number chosen here is the one it sees.
os.environ["WEB_CONCURRENCY"] = str(workers)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
# A wide jitter, so a node's workers (which share its requests evenly) are not replaced at the same moment.
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 5000)
preload_app = False
# Gunicorn's control socket (one path in the home directory, shared by every copy on the machine) is not used:
# signals to the master (HUP, TERM) are how the service is reloaded and stopped.
control_socket_disable = True
# Proxy headers are read by the app (ProxyFix, from TRUSTED_PROXIES), not by gunicorn.
forwarded_allow_ips = ""
proxy_allow_ips = ""

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower()
_json_logs = os.environ.get("LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text") == "json"
if _json_logs:
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        # The root logger is left to the app, which adds its own JSON handler in each worker.
        "root": {"level": "INFO", "handlers": []},
    }
