"""Admin pages for people: invite, change roles and organisation, disable, erase."""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/admin/people")

from app.people import routes  # noqa: E402,F401
