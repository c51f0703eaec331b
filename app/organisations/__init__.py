"""Member organisations: list, create, edit, delete and import from CSV."""

from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

from app.organisations import routes  # noqa: E402,F401
