"""The schools ICT survey: definitions, answering, invitations and tracking."""

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


@bp.record_once
def _offer_on_home_page(state: BlueprintSetupState) -> None:
    """Members' home pages lead to their organisation's survey; organisers' show each open survey's response rate."""
    from app.hooks import HOME, register
    from app.surveys.home import member_home, organiser_home

    register(state.app, HOME, member_home)
    register(state.app, HOME, organiser_home)


@bp.record_once
def _hand_over_focus_group_interest(state: BlueprintSetupState) -> None:
    """The focus groups' recruitment sees the members who asked, in the survey, to hear about focus groups."""
    from app.hooks import FOCUS_GROUP_INTEREST, register
    from app.surveys.answering.interest import focus_group_interest

    register(state.app, FOCUS_GROUP_INTEREST, focus_group_interest)


# Each sub-package's pages add themselves to the one blueprint (endpoint names stay `surveys.*`).
from app.surveys.answering import routes as answering_routes  # noqa: E402,F401
from app.surveys.authoring import builder_routes, settings_routes  # noqa: E402,F401
from app.surveys.invitations import routes as invitation_routes  # noqa: E402,F401
from app.surveys.results import routes as results_routes  # noqa: E402,F401
