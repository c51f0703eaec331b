"""Re-authentication before sensitive changes (ASVS 7.5): one's password, MFA settings, others' roles.

Signing in, or confirming one's identity again (password, and a code where two-factor authentication
is set up), is noted in the session; views marked `@reauth_required` go ahead only within
REAUTH_MINUTES of it, and otherwise send the person to confirm who they are first (and back to the
page they came from if they choose not to). A page shown within the window may be sent a while after
it lapsed (FORM_GRACE_MINUTES), so a long form is not lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for

from app.clock import utcnow

REAUTH_SESSION_KEY = "reauthenticated_at"
FORM_SHOWN_KEY = "reauthenticated_form"  # the confirmation page last shown within the window, and when
# A form shown within the window may still be sent this long after it was shown, so someone who takes
# their time over it does not lose what they typed.
FORM_GRACE_MINUTES = 15


def note_reauthenticated() -> None:
    """Note in the session that the person has just proved who they are (at sign-in or on confirming)."""
    session[REAUTH_SESSION_KEY] = utcnow().isoformat()


def _within(noted: object, minutes: int) -> bool:
    if not isinstance(noted, str):
        return False
    try:
        moment = datetime.fromisoformat(noted)
    except (TypeError, ValueError):
        return False
    return utcnow() - moment <= timedelta(minutes=minutes)


def reauthenticated_recently() -> bool:
    """True when the person proved who they are within the last REAUTH_MINUTES."""
    return _within(session.get(REAUTH_SESSION_KEY), current_app.config["REAUTH_MINUTES"])


def _form_shown_in_time() -> bool:
    """True for a form sent to the page that was shown, within the window, at most FORM_GRACE_MINUTES ago."""
    shown = session.get(FORM_SHOWN_KEY)
    return (
        request.method not in ("GET", "HEAD")
        and isinstance(shown, dict)
        and shown.get("path") == request.path
        and _within(shown.get("at"), FORM_GRACE_MINUTES)
    )


def _came_from() -> str | None:
    """The path of the page on this site that led here (for the confirmation page's back link), if any."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/") or referrer.path == request.path:
        return None  # another site, or this very page (a form sent too late): not somewhere to go back to
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def reauth_required(view: Callable) -> Callable:
    """Let the view run only after a recent re-authentication; otherwise ask for it first, then come back.

    A page shown within the window may be sent up to FORM_GRACE_MINUTES later. Place it below
    `@role_required`, so visitors are sent to sign in and other roles refused first.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if reauthenticated_recently():
            if request.method in ("GET", "HEAD"):
                session[FORM_SHOWN_KEY] = {"path": request.path, "at": utcnow().isoformat()}
        elif not _form_shown_in_time():
            back = _came_from()
            target = url_for("auth.confirm_identity", next=request.path, **({"back": back} if back else {}))
            return redirect(target, code=303)
        return view(*args, **kwargs)

    return wrapped
