"""The one role check: `@role_required(...)` on every view that needs a role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def role_required(*roles: str) -> Callable:
    """Allow the view to people holding any of `roles`; send others to sign in or show 403.

    With no roles given, any signed-in person may use the view.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)  # read by the authorisation-matrix test
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone, signed in or not (read by the authorisation-matrix test)."""
    view.is_public = True
    return view
