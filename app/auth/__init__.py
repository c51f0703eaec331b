"""Accounts: sign in and out, invitations, password reset, one's own account."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
from app.auth.mfa import routes as mfa_routes  # noqa: E402,F401
