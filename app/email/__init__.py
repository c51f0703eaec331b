"""Email: the one sender, and the development outbox admins can read."""

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

from app.email import routes  # noqa: E402,F401
