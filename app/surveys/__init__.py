"""The schools ICT survey: definitions, answering, invitations and tracking."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

from app.surveys import building, manage, results_routes, routes  # noqa: E402,F401
