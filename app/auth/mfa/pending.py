"""The half-signed-in state between a right password and the code: kept in the session, short-lived.

Nobody is signed in during it (Flask-Login knows nothing of it); it names the account, the session
token the account had when the password was checked (so a password change, disabling or a reset of
two-factor authentication meanwhile ends it), where to go afterwards and how many wrong codes so far.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, redirect, session, url_for
from werkzeug.wrappers import Response

from app.auth.models import User
from app.clock import utcnow

PENDING_KEY = "second_step"


def ask_for_code(user: User, next_url: str | None) -> Response:
    """Remember that `user` gave the right password, and send them to enter their code."""
    session[PENDING_KEY] = {
        "user_id": user.id,
        "token": user.session_token,
        "since": utcnow().isoformat(),
        "next": next_url,
        "failures": 0,
    }
    return redirect(url_for("auth.sign_in_code"))


def pending_sign_in() -> dict | None:
    """The sign-in waiting for its code, or None if there is none or it waited too long (it is then forgotten)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        since = datetime.fromisoformat(pending["since"])
    except (KeyError, TypeError, ValueError):
        since = None
    if since is None or utcnow() - since > timedelta(minutes=current_app.config["SECOND_STEP_MINUTES"]):
        session.pop(PENDING_KEY, None)
        return None
    return pending


def note_wrong_code(pending: dict) -> bool:
    """Count a wrong code; True when too many were tried and the password must be given again."""
    pending["failures"] = int(pending.get("failures", 0)) + 1
    if pending["failures"] >= current_app.config["CODE_TRIES_PER_SIGN_IN"]:
        session.pop(PENDING_KEY, None)
        return True
    session[PENDING_KEY] = pending
    return False
