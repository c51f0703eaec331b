"""The schools ICT survey: definitions, answering, invitations and tracking."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

# Each sub-package's pages add themselves to the one blueprint (endpoint names stay `surveys.*`).
from app.surveys.answering import routes as answering_routes  # noqa: E402,F401
from app.surveys.authoring import builder_routes, settings_routes  # noqa: E402,F401
from app.surveys.invitations import routes as invitation_routes  # noqa: E402,F401
from app.surveys.results import routes as results_routes  # noqa: E402,F401
