"""The start page, each person's home, health check, and the service's information pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import routes  # noqa: E402,F401
