"""Email: the one sender, and the development outbox admins can read."""

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

from app.email import routes  # noqa: E402,F401
from app.email.sender import note_served_address  # noqa: E402

bp.before_app_request(note_served_address)
