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


from app.focus_groups import routes  # noqa: E402,F401
