"""The schools ICT survey: definitions, answering, invitations and tracking."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

from app.surveys import building, manage, routes  # noqa: E402,F401
from app.surveys.results import routes as results_routes  # noqa: E402,F401
