"""The themed summaries: every theme's reach and which themes occur together; one theme's summary page
(figures, quotes, related survey figures, written summary); choosing and ordering quotes; writing the
summary (each save a new version) and reading its history.

Figures count accepted codes only; `?suggestions=1` counts suggestions awaiting review too, and the pages
say so plainly. Every page reads its study through `study_or_404`, its theme through the study's
current codebook and a passage through `passage_or_404`, so an unknown or tampered value answers 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.analysis import bp
from app.analysis.codebook import Codebook
from app.analysis.queries import PER_PAGE
from app.analysis.routes import _page_number, passage_or_404
from app.analysis.services import codebook_of, current_version
from app.analysis.summaries import co_occurrence, current_summary, summary_history, theme_counts, theme_findings
from app.analysis.summaries_editing import (
    QuoteError,
    StaleSummary,
    choose_quote,
    move_quote,
    remove_quote,
    save_summary,
)
from app.analysis.summaries_forms import MoveQuoteForm, QuoteForm, SummaryForm
from app.auth.decorators import role_required
from app.auth.roles import ANALYSTS
from app.extensions import db
from app.focus_groups.models import Study
from app.focus_groups.services import study_or_404
from app.surveys.results.charts import bar_chart


def _study_theme(study_id: int, theme: str) -> tuple[Study, Codebook]:
    """The study and its current codebook, or 404 when the theme is not in that codebook."""
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    if theme not in codebook.slugs:
        abort(404)
    return study, codebook


def _with_suggestions() -> bool:
    return request.args.get("suggestions") == "1"


def _back(study_id: int, theme: str):
    suggestions = "1" if request.args.get("suggestions") == "1" else None
    return redirect(url_for("analysis.themes_theme", study_id=study_id, theme=theme, suggestions=suggestions))


@bp.route("/<int:study_id>/themes")
@role_required(*ANALYSTS)
def themes(study_id: int):
    """Every theme's reach (passages, sessions, participants, organisations) and their co-occurrence."""
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    include = _with_suggestions()
    matrix = co_occurrence(study, include, codebook=codebook)
    return render_template(
        "analysis/themes/index.html",
        study=study,
        counts=theme_counts(study, include, codebook=codebook),
        matrix=matrix,
        include_suggested=include,
        chart=bar_chart(
            [(f"{a} and {b}", n) for a, b, n in matrix.pairs()[:12]],
            title="Passages coded with both themes, the most frequent pairs",
            unit="passages",
            chart_id="co-occurrence",
        ),
    )


@bp.route("/<int:study_id>/themes/<theme>")
@role_required(*ANALYSTS)
def themes_theme(study_id: int, theme: str):
    """One theme's summary: reach, shares, quotes, co-occurring themes, related figures, written summary."""
    study, codebook = _study_theme(study_id, theme)
    findings = theme_findings(study, theme, _with_suggestions(), codebook=codebook)
    return render_template(
        "analysis/themes/theme.html",
        study=study,
        findings=findings,
        quote_form=QuoteForm(),
        move_form=MoveQuoteForm(),
        chart=bar_chart(
            [(name, n) for _slug, name, n in findings.co_occurring],
            title=f"Passages coded with {findings.name} and each other theme",
            unit="passages",
            chart_id="with-theme",
        ),
    )


@bp.route("/<int:study_id>/themes/<theme>/quotes/<int:passage_id>/choose", methods=["POST"])
@role_required(*ANALYSTS)
def themes_quote_choose(study_id: int, theme: str, passage_id: int):
    """Add a passage to the theme's chosen quotes."""
    study, _codebook = _study_theme(study_id, theme)
    passage = passage_or_404(study.id, passage_id)
    if not QuoteForm().validate_on_submit():
        abort(400)
    try:
        choose_quote(study, theme, passage, by=current_user)
    except QuoteError as error:
        flash(str(error), "error")
    else:
        flash("The quote is chosen.", "success")
    return _back(study.id, theme)


@bp.route("/<int:study_id>/themes/<theme>/quotes/<int:passage_id>/remove", methods=["POST"])
@role_required(*ANALYSTS)
def themes_quote_remove(study_id: int, theme: str, passage_id: int):
    """Take a passage off the theme's chosen quotes (it stays suggested, and can be chosen again)."""
    study, _codebook = _study_theme(study_id, theme)
    passage = passage_or_404(study.id, passage_id)
    if not QuoteForm().validate_on_submit():
        abort(400)
    try:
        remove_quote(study, theme, passage.id, by=current_user)
    except QuoteError as error:
        flash(str(error), "error")
    else:
        flash("The quote is no longer among the chosen ones.", "success")
    return _back(study.id, theme)


@bp.route("/<int:study_id>/themes/<theme>/quotes/<int:passage_id>/move", methods=["POST"])
@role_required(*ANALYSTS)
def themes_quote_move(study_id: int, theme: str, passage_id: int):
    """Move a chosen quote one place up or down."""
    study, _codebook = _study_theme(study_id, theme)
    passage = passage_or_404(study.id, passage_id)
    form = MoveQuoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        move_quote(study, theme, passage.id, form.direction.data == "up", by=current_user)
    except QuoteError as error:
        flash(str(error), "error")
    return _back(study.id, theme)


@bp.route("/<int:study_id>/themes/<theme>/summary", methods=["GET", "POST"])
@role_required(*ANALYSTS)
def themes_summary(study_id: int, theme: str):
    """Write the theme's summary: each save is a new version; the earlier ones stay in the history."""
    study, codebook = _study_theme(study_id, theme)
    version = current_version(study)
    current = current_summary(study.id, theme)
    form = SummaryForm()
    if request.method == "GET":
        form.text.data = current.text if current else ""
        form.base_number.data = str(current.number if current else 0)
    stale = False
    if form.validate_on_submit():
        try:
            saved = save_summary(
                study, theme, form.text.data, base_number=form.base(), codebook_version=version.number, by=current_user
            )
        except StaleSummary:
            stale = True
            form.base_number.data = str(current.number if current else 0)
        else:
            flash(f"The summary is saved as version {saved.number}.", "success")
            return redirect(url_for("analysis.themes_theme", study_id=study.id, theme=theme))
    return render_template(
        "analysis/themes/summary.html",
        study=study,
        theme=codebook.theme(theme),
        form=form,
        current=current,
        stale=stale,
    )


@bp.route("/<int:study_id>/themes/<theme>/history")
@role_required(*ANALYSTS)
def themes_history(study_id: int, theme: str):
    """Every version of the theme's written summary, newest first, with who saved it and when."""
    study, codebook = _study_theme(study_id, theme)
    return render_template(
        "analysis/themes/history.html",
        study=study,
        theme=codebook.theme(theme),
        page=db.paginate(summary_history(study.id, theme), page=_page_number(), per_page=PER_PAGE, error_out=False),
    )
