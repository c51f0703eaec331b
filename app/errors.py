"""Error pages in the service's own style; errors the code causes are logged, never shown."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
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
        return jsonify(error=TITLES.get(status, "Error")), status
    if status == 413:
        context.update(_too_large_context())
    return render_template("errors/error.html", status=status, title=TITLES.get(status, "Error"), **context), status


def _log_refusal(status: int = 403, **kind) -> None:
    """Put a refused request in the audit log (rate-limited there); the error page is shown whatever happens."""
    from app.audit.refusals import record_refusal

    try:
        record_refusal(status, **kind)
    except Exception:  # noqa: BLE001 - the person still gets the 403 page; the failure is logged
        log.exception("Could not record the refused request %s %s", request.method, request.path)
        from app.extensions import db

        db.session.rollback()


def _database_unreachable(error: Exception) -> bool:
    """Whether the error is the database not answering (stopped, restarting, unreachable, or busy)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


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
        log.exception("Unhandled error on %s %s", request.method, request.path)
        from app.extensions import db, login_manager

        db.session.rollback()
        if _database_unreachable(error):
            # The page must not need the database either: shown as if signed out, so the header does not
            # load the person again (which would fail the same way and leave a bare "Internal Server Error").
            g._login_user = login_manager.anonymous_user()
            return _render(503)
        return _render(500)
