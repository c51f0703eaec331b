"""The analysis: codebook, theme tagging, review, agreement between coders, matrices and exports, under /analysis/.

It reads the features only through their published hand-overs (`app.passages.Passage`, produced by
`app.surveys.results.free_text.survey_passages` and `app.focus_groups.notes.output.session_passages`)
and their models for a study's title and linked surveys. Nothing imports the analysis but the privacy
package's retention schedule, which deletes projects uploaded for import and never confirmed
(`pending_uploads.py`).
"""

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

bp = Blueprint("analysis", __name__, url_prefix="/analysis")


@bp.record_once
def _offer_on_home_page(state: BlueprintSetupState) -> None:
    """Analysts' home page leads to the analysis, saying what awaits review in each study."""
    from app.analysis.studies import home_section
    from app.hooks import HOME, register

    register(state.app, HOME, home_section)


from app.analysis import (  # noqa: E402,F401
    codebook_routes,
    exchange_routes,
    matrices_routes,
    recommendation_routes,
    report_routes,
    rounds_routes,
    routes,
    summaries_routes,
)
