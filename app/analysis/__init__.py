"""The analysis: codebook, theme tagging, review and agreement between coders, under /analysis/.

It reads the features only through their published hand-overs (`app.passages.Passage`, produced by
`app.surveys.results.free_text.survey_passages` and `app.focus_groups.notes.output.session_passages`)
and their models for a study's title and linked surveys; nothing imports the analysis.
"""

from flask import Blueprint

bp = Blueprint("analysis", __name__, url_prefix="/analysis")


from app.analysis import codebook_routes, routes  # noqa: E402,F401
