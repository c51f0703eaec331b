"""The schools ICT survey: definitions, answering, invitations and tracking."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

from app.surveys import manage, results_routes, routes  # noqa: E402,F401
from app.surveys.authoring import routes as authoring_routes  # noqa: E402,F401
