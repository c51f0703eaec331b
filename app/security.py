"""Security headers (CSP with a per-request nonce), idle timeout and session checks."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response, flash, has_request_context, redirect, request, session, url_for
from flask_login import current_user, logout_user

from app.clock import utcnow

LAST_SEEN_STEP = timedelta(minutes=1)  # how often a signed-in person's last activity is written to the session


def csp_nonce() -> str:
    """The nonce for this response's inline scripts (one per request)."""
    if not has_request_context():
        return ""
    return request.environ.setdefault("app.csp_nonce", secrets.token_urlsafe(16))


def content_security_policy(nonce: str) -> str:
    """A strict policy: everything from this site only, no inline script without the nonce."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def note_activity(*, without_account: bool = False) -> None:
    """Note activity in the session now: it then lasts until the idle time passes without any.

    Signing in does this; so does following an invitation link (`without_account`), which lets
    someone without an account answer for their organisation for as long as they keep going.
    """
    session.permanent = True
    now = utcnow().isoformat()
    session["last_seen"] = now
    session.setdefault("started_at", now)  # the absolute timeout counts from here, however busy they are
    if without_account:
        session["without_account"] = True


def _end_session(signed_in: bool, message: str):
    """End this browser's session: a signed-in person goes to the sign-in page, which says why."""
    session.clear()  # for an invitation link's holder, its grants: the pages they ask for say what to do
    if not signed_in:
        return None
    logout_user()
    flash(message + " Sign in again to carry on.", "important")
    return redirect(url_for("auth.sign_in", timeout=1))


def init_security(app: Flask) -> None:
    """Register the header and idle- and absolute-timeout hooks."""
    idle = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])
    absolute = timedelta(hours=app.config["ABSOLUTE_TIMEOUT_HOURS"])
    # The cookie is re-sent only when the session changes (SESSION_REFRESH_EACH_REQUEST is off),
    # and `last_seen` changes at most once a minute (re-signing the cookie on every request costs
    # more than the page's own queries): the cookie outlives the last activity by the idle time
    # less at most that minute, and the server's check below is what signs people out.
    app.permanent_session_lifetime = idle + LAST_SEEN_STEP

    @app.before_request
    def enforce_idle_timeout():
        # Signed-in people, and anyone a session lets in without an account (an invitation link's
        # holder: see `note_activity`), are let go after the idle time, and however busy they are,
        # ABSOLUTE_TIMEOUT_HOURS after the session began.
        if request.endpoint == "static":
            return None
        signed_in = current_user.is_authenticated
        if not signed_in and not session.get("without_account"):
            return None
        now = utcnow()
        last_seen = session.get("last_seen")
        started_at = session.get("started_at")
        if started_at and now - datetime.fromisoformat(started_at) > absolute:
            hours = app.config["ABSOLUTE_TIMEOUT_HOURS"]
            return _end_session(signed_in, f"Your session ended because it began more than {hours} hours ago.")
        if last_seen and now - datetime.fromisoformat(last_seen) > idle:
            return _end_session(signed_in, "You were signed out because you had not done anything for a while.")
        if not last_seen or now - datetime.fromisoformat(last_seen) >= LAST_SEEN_STEP:
            note_activity(without_account=not signed_in)
        return None

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config["HSTS"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            # Every page, not only signed-in people's: someone answering through an invitation link
            # sees their organisation's draft without an account. (Nor does this need to look at
            # the signed-in person, who would be read again after the request's last commit.)
            headers.setdefault("Cache-Control", "no-store")
        return response


class FormRequest(Request):
    """A request whose form text holds no NUL character. Nobody types one, PostgreSQL refuses to store one
    (a 500 rather than an answer), and every form would otherwise need its own filter: they are dropped
    once, as the form is read."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in key or "\x00" in value for key, value in form.items(multi=True)):
            self.__dict__["form"] = self.parameter_storage_class(
                [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in form.items(multi=True)]
            )
