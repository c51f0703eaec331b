"""Focus groups: study set-up, recruitment, fair composition, scheduling and invitations."""

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

bp = Blueprint("focus_groups", __name__, url_prefix="/focus-groups")


@bp.record_once
def _offer_volunteering(state: BlueprintSetupState) -> None:
    """The survey's confirmation page invites respondents to volunteer for the study that is recruiting."""
    from app.focus_groups.services import volunteering_prompt
    from app.hooks import SURVEY_CONFIRMATION, register

    register(state.app, SURVEY_CONFIRMATION, volunteering_prompt)


@bp.record_once
def _offer_on_home_page(state: BlueprintSetupState) -> None:
    """Organisers' home pages show each study's next step; facilitators' their next sessions."""
    from app.focus_groups.home import facilitator_home, organiser_home
    from app.hooks import HOME, register

    register(state.app, HOME, organiser_home)
    register(state.app, HOME, facilitator_home)


from app.focus_groups import routes  # noqa: E402,F401
