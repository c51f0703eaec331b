"""Re-authentication before sensitive changes (ASVS 7.5): one's password, MFA settings, others' roles.

Signing in, or confirming one's identity again (password, and a code where two-factor authentication
is set up), is noted in the session; views marked `@reauth_required` go ahead only within
REAUTH_MINUTES of it, and otherwise send the person to confirm who they are first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, redirect, request, session, url_for

from app.auth.tokens import utcnow

REAUTH_SESSION_KEY = "reauthenticated_at"


def note_reauthenticated() -> None:
    """Note in the session that the person has just proved who they are (at sign-in or on confirming)."""
    session[REAUTH_SESSION_KEY] = utcnow().isoformat()


def reauthenticated_recently() -> bool:
    """True when the person proved who they are within the last REAUTH_MINUTES."""
    noted = session.get(REAUTH_SESSION_KEY)
    if not noted:
        return False
    try:
        moment = datetime.fromisoformat(noted)
    except (TypeError, ValueError):
        return False
    return utcnow() - moment <= timedelta(minutes=current_app.config["REAUTH_MINUTES"])


def reauth_required(view: Callable) -> Callable:
    """Let the view run only after a recent re-authentication; otherwise ask for it first, then come back.

    Place it below `@role_required`, so visitors are sent to sign in and other roles refused first.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not reauthenticated_recently():
            return redirect(url_for("auth.confirm_identity", next=request.path), code=303)
        return view(*args, **kwargs)

    return wrapped
