"""Security headers (CSP with a per-request nonce), idle timeout and session checks."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response, flash, has_request_context, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE_NAME
from itsdangerous import URLSafeTimedSerializer

from app.clock import utcnow

LAST_SEEN_STEP = timedelta(minutes=1)  # how often a signed-in person's last activity is written to the session


def csp_nonce() -> str:
    """The nonce for this response's inline scripts (one per request)."""
    if not has_request_context():
        return ""
    return request.environ.setdefault("app.csp_nonce", secrets.token_urlsafe(16))


# The policy, written out once: only the nonce changes from one response to the next.
_CSP_BEFORE_NONCE, _CSP_AFTER_NONCE = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
).split("{nonce}")


def content_security_policy(nonce: str) -> str:
    """A strict policy: everything from this site only, no inline script without the nonce."""
    return _CSP_BEFORE_NONCE + nonce + _CSP_AFTER_NONCE


def security_headers(hsts: bool) -> tuple[tuple[str, str], ...]:
    """The headers every response carries whatever it is (the policy, with its nonce, is added per response)."""
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)


class SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer built once for the app's keys.

    Flask builds a new serializer for every request (about 17 µs of CPU, a seventh of a whole
    hello-world request); the keys, the salt and the signing method are the same every time, so the
    serializer is kept and built again only when the keys change.
    """

    _built: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built_for, serializer = self._built
        if built_for != keys:
            serializer = super().get_signing_serializer(app)
            self._built = (keys, serializer)
        return serializer


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
    """Register the session interface, and the header and idle- and absolute-timeout hooks."""
    app.session_interface = SigningSessionInterface()
    idle = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])
    absolute = timedelta(hours=app.config["ABSOLUTE_TIMEOUT_HOURS"])
    # The cookie is re-sent only when the session changes (SESSION_REFRESH_EACH_REQUEST is off),
    # and `last_seen` changes at most once a minute (re-signing the cookie on every request costs
    # more than the page's own queries): the cookie outlives the last activity by the idle time
    # less at most that minute, and the server's check below is what signs people out.
    app.permanent_session_lifetime = idle + LAST_SEEN_STEP
    # Flask-Login would also sign someone in from a "remember me" cookie (the app never sets one).
    remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_NAME)

    @app.before_request
    def enforce_idle_timeout():
        # Signed-in people, and anyone a session lets in without an account (an invitation link's
        # holder: see `note_activity`), are let go after the idle time, and however busy they are,
        # ABSOLUTE_TIMEOUT_HOURS after the session began.
        if request.endpoint == "static":
            return None
        if "_user_id" not in session and not session.get("without_account") and remember_cookie not in request.cookies:
            # Nobody to check: Flask-Login finds a signed-in person only by the id it keeps in the
            # session, and an invitation link's holder has `without_account` there. A visitor's request
            # (the health check, the sign-in page) then does not look for a person, or hash their address
            # and browser for session protection, only for this hook to find nobody.
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

    fixed_headers = security_headers(app.config["HSTS"])

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        for name, value in fixed_headers:
            headers[name] = value
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
