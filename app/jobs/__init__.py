"""Background jobs for slow work (bulk email, big exports), with progress shown on a page."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from app.jobs import routes  # noqa: E402,F401
