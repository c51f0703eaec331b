"""The analysis pages: studies, passages, the codebook, review, and double-coding."""

from __future__ import annotations

from flask import render_template

from app.analysis import bp
from app.analysis.studies import study_summaries
from app.auth.decorators import role_required
from app.auth.roles import ANALYSTS


@bp.route("/")
@role_required(*ANALYSTS)
def index():
    """Every study with what awaits the analysts in it."""
    return render_template("analysis/index.html", studies=study_summaries())


@bp.route("/<int:study_id>/")
@role_required(*ANALYSTS)
def study(study_id: int):
    """A study's analysis: its sources, themes and what awaits review."""
    from app.focus_groups.services import study_or_404

    return render_template(
        "analysis/index.html", studies=[s for s in study_summaries() if s.study.id == study_or_404(study_id).id]
    )
