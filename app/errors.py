"""Error pages in the service's own style; errors the code causes are logged, never shown."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

TITLES = {
    400: "There was a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "There was a problem with your request",
    413: "What you sent is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def _wants_json() -> bool:
    return request.path.startswith("/healthz") or (request.accept_mimetypes.best == "application/json")


def _too_large_context() -> dict:
    """What a 413 page says: the largest request the service takes, and the page to go back to."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    rule = request.url_rule
    back = request.path if rule is not None and "GET" in (rule.methods or ()) else None
    return {"limit_mb": max(limit // (1024 * 1024), 1), "back": back}


def _render(status: int, **context):
    if _wants_json():
        return jsonify(error=TITLES.get(status, "Error"), reference=g.get("request_id")), status
    if status == 413:
        context.update(_too_large_context())
    title = TITLES.get(status, "Error")
    try:
        return render_template("errors/error.html", status=status, title=title, **context), status
    except Exception:  # noqa: BLE001 - the page's layout needs what failed (the database): a bare page instead
        log.exception("Could not show the %s page on %s %s", status, request.method, request.path)
        return _bare_page(status, title), status


def _bare_page(status: int, title: str) -> Response:
    """A plain page that needs nothing but the request: its title and the reference to quote."""
    reference = g.get("request_id")
    quote = f"<p>If you contact us about this, quote reference {escape(reference)}.</p>" if reference else ""
    body = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1><p>Try again later.</p>{quote}</body></html>"
    )
    return Response(body, status=status, mimetype="text/html")


def _database_unavailable(error: Exception) -> bool:
    """Whether the error says the database could not be reached or was too busy (a 503, not a 500)."""
    return isinstance(error, OperationalError | InterfaceError | PoolTimeout)


def _log_refusal(status: int = 403, **kind) -> None:
    """Put a refused request in the audit log (rate-limited there); the error page is shown whatever happens."""
    from app.audit.refusals import record_refusal

    try:
        record_refusal(status, **kind)
    except Exception:  # noqa: BLE001 - the person still gets the 403 page; the failure is logged
        log.exception("Could not record the refused request %s %s", request.method, request.path)
        from app.extensions import db

        db.session.rollback()


def register_error_pages(app: Flask) -> None:
    """Show a plain page for every error status."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from app.audit.refusals import CSRF_REFUSED

        log.warning("CSRF check failed on %s %s: %s", request.method, request.path, error.description)
        _log_refusal(400, action=CSRF_REFUSED, reason=error.description[:200])
        return _render(400, csrf=True)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 403:
            _log_refusal()
        return _render(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        from app.extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - a connection that is gone cannot roll back; the page is shown anyway
            log.warning("Could not roll back after the error on %s %s", request.method, request.path)
        if _database_unavailable(error):
            log.error("Database unavailable on %s %s: %s", request.method, request.path, error)
            # The page must not need the database either: shown as if signed out, so the header does not
            # load the person again (which would fail the same way and leave a bare "Internal Server Error").
            from app.extensions import login_manager

            g._login_user = login_manager.anonymous_user()
            return _render(503)
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500)
