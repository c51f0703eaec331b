"""The app's log format, safe against log injection: what a visitor typed (a path, an address, a name)
can never start a line of its own or hide part of one.

Two formats: text (`SafeFormatter`, for a developer's terminal) and JSON (`JsonFormatter`, one object a
line, for production's log collector). Every request has an id (`init_request_ids`): taken from the
proxy's `X-Request-ID` when a trusted proxy sets one and it is well formed, else made here; it is sent
back in the response's `X-Request-ID`, shown on error pages for people to quote, and written in every
JSON line logged during the request. In JSON mode each request also ends with one access line (method,
path without its query string or any link secret, status, duration, signed-in person's id).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect

# Line breaks and every other control character (C0, DEL, C1) and the Unicode line/paragraph separators.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What a proxy's request id may be: nginx's $request_id (32 hex digits), a UUID, or the like. Anything else
# (too long, a line break, a quote) is replaced by an id made here, never logged.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "app.request"
HIDDEN = "[hidden]"


def escape_for_log(text: str) -> str:
    """Text with every control character written as a visible escape (a newline becomes `\\n`)."""
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    """Formats a record as usual, then escapes control characters in the message (tracebacks keep their lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's method name
        record.message = escape_for_log(record.message)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's id when there is one, the
    access fields (`http` in the record's extra) and any traceback as one string (JSON escapes its lines)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or (g.get("request_id") if has_request_context() else None)
        if request_id:
            entry["request_id"] = request_id
        http = getattr(record, "http", None)
        if http:
            entry.update(http)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, default=str)


JsonFormatter.converter = time.gmtime


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT ("json", else text)."""
    return JsonFormatter() if log_format == "json" else SafeFormatter(FORMAT)


def configure_logging(log_format: str = "text") -> None:
    """Log at INFO to standard error in `log_format`, unless logging is already set up (as basicConfig)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(log_format))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is well formed, else a new one (16 hex digits)."""
    if header and REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(8)


def init_request_ids(app: Flask) -> None:
    """Give every request an id (and, in JSON mode, one access line). Costs one clock reading, one small
    dict and one log call a request; no query (the person's id is read from the session's identity map)."""
    trust_header = app.config["TRUSTED_PROXIES"] > 0  # only a proxy we trust may name the request
    access_lines = app.config["LOG_FORMAT"] == "json"
    access_log = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def start_request() -> None:
        state = g._get_current_object()
        state.request_started = time.perf_counter()
        state.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER) if trust_header else None)

    @app.after_request
    def end_request(response: Response) -> Response:
        state = g._get_current_object()
        request_id = getattr(state, "request_id", None)
        if request_id is None:  # a before-request hook ahead of ours answered (none does today)
            return response
        response.headers[REQUEST_ID_HEADER] = request_id
        if access_lines:
            current = request._get_current_object()
            fields = {
                "method": current.method,
                "path": logged_path(current.path, current.view_args),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - state.request_started) * 1000, 1),
                "user_id": _signed_in_user_id(getattr(state, "_login_user", None)),
            }
            access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"], extra={"http": fields})
        return response


def logged_path(path: str, view_args: dict | None) -> str:
    """The path as logged: without its query string, and with a link's secret (a route's `token`) hidden."""
    token = view_args.get("token") if view_args else None
    return path.replace(str(token), HIDDEN) if token else path


def _signed_in_user_id(user: object | None) -> int | None:
    """The signed-in person's id if Flask-Login loaded one in this request, read without a query."""
    state = inspect(user, raiseerr=False) if user is not None else None
    return state.identity[0] if state is not None and state.identity else None
