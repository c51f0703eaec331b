"""Focus groups: study set-up, recruitment, fair composition, scheduling and invitations."""

from flask import Blueprint

bp = Blueprint("focus_groups", __name__, url_prefix="/focus-groups")

from app.focus_groups import routes  # noqa: E402,F401
