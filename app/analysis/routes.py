"""The analysis pages: studies, passages, coding by hand, and the review queue.

The codebook pages are in `codebook_routes.py`, double-coding and agreement in `rounds_routes.py`, the
framework matrix and crosstab in `matrices_routes.py`.
Every page reads a study through `study_or_404` and every passage or code through a lookup that
checks it belongs to that study, so a tampered id answers 404, never another study's data.
"""

from __future__ import annotations

import os
import tempfile

from flask import abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from sqlalchemy import select

from app.analysis import bp
from app.analysis.exports import DIRECT_LIMIT, MIMETYPES, WRITERS, export_job, export_passages, passage_count
from app.analysis.forms import HandCodeForm, ReviewForm, SurveysForm, TagForm
from app.analysis.highlight import highlighted
from app.analysis.matrices import row_codes, study_rows
from app.analysis.models import SOURCE_KINDS, AnalysisPassage, Code
from app.analysis.queries import (
    PER_PAGE,
    REVIEW_STATES,
    SCHOOLS,
    PassageFilters,
    next_for_review,
    passage_query,
    queue_length,
    study_sections,
    theme_figures,
)
from app.analysis.rounds import blind_passage_ids
from app.analysis.services import (
    ReviewError,
    change_theme,
    code_by_hand,
    codebook_of,
    current_version,
    decide,
    link_surveys,
    saved_version,
    tag_job,
    trained_models,
)
from app.analysis.sources import pending_changes
from app.analysis.studies import linked_survey_ids, study_summaries
from app.auth.decorators import role_required
from app.auth.roles import ANALYSIS_LEADS, ANALYSTS
from app.extensions import db
from app.focus_groups.services import study_or_404
from app.identifiers import get_or_404
from app.jobs.runner import start_job
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.models import Survey
from app.tables import read_and_remove

SKIPPED_LIMIT = 100  # kept in the session cookie: bounded


@bp.route("/")
@role_required(*ANALYSTS)
def index():
    """Every study with what awaits the analysts in it."""
    return render_template("analysis/index.html", studies=study_summaries())


@bp.route("/<int:study_id>/")
@role_required(*ANALYSTS)
def study(study_id: int):
    """A study's analysis: its sources, each theme's figures, and the next steps."""
    study = study_or_404(study_id)
    version = current_version(study)
    codebook = codebook_of(version)
    summary = next(item for item in study_summaries() if item.study.id == study.id)
    surveys = db.session.scalars(select(Survey).where(Survey.id.in_(linked_survey_ids(study)))).all()
    return render_template(
        "analysis/study.html",
        study=study,
        summary=summary,
        version=version,
        figures=theme_figures(study.id, codebook, trained_models(study.id)),
        surveys=surveys,
        queue=queue_length(study.id),
        tag_form=TagForm(),
        changes=pending_changes(study),
    )


@bp.route("/<int:study_id>/tag", methods=["POST"])
@role_required(*ANALYSTS)
def tag_study(study_id: int):
    """Re-read the study's sources and tag them, in the background with progress."""
    study = study_or_404(study_id)
    form = TagForm()
    if not form.validate_on_submit():
        abort(400)
    everything = form.everything.data
    job = start_job(
        "analysis_tag",
        f"Re-reading and tagging '{study.title}'",
        max(study_summaries_count(study.id), 1),
        tag_job,
        study.id,
        everything,
        current_user.id,
        created_by=current_user,
        return_url=url_for("analysis.study", study_id=study.id),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


def study_summaries_count(study_id: int) -> int:
    """Roughly how many passages a re-read will tag (for the progress bar's total)."""
    return next((item.passages for item in study_summaries() if item.study.id == study_id), 0)


@bp.route("/<int:study_id>/surveys", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def study_surveys(study_id: int):
    """Choose the surveys whose free-text answers feed the study's analysis."""
    study = study_or_404(study_id)
    surveys = db.session.scalars(select(Survey).order_by(Survey.title)).all()
    published = [survey for survey in surveys if survey.current_version is not None]
    form = SurveysForm(surveys=published)
    if request.method == "GET":
        form.surveys.data = [str(survey_id) for survey_id in linked_survey_ids(study)]
    if form.validate_on_submit():
        link_surveys(study, {int(value) for value in form.surveys.data}, by=current_user)
        flash("The surveys feeding this study are saved. Re-read the sources to bring their answers in.", "success")
        return redirect(url_for("analysis.study", study_id=study.id))
    return render_template("analysis/surveys.html", study=study, form=form, published=published)


@bp.route("/<int:study_id>/passages")
@role_required(*ANALYSTS)
def passages(study_id: int):
    """Every passage of the study (pseudonyms only), filtered by source, question, organisation and codes."""
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    sections = study_sections(study.id)
    people = study_rows(study.id)
    filters = _passage_filters(people, codebook, sections)
    with_suggestions = request.args.get("suggestions") == "1"
    blind = blind_passage_ids(study.id, current_user.id)
    page = db.paginate(
        passage_query(study.id, filters, with_suggestions), page=_page_number(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "analysis/passages.html",
        study=study,
        codebook=codebook,
        filters=filters,
        with_suggestions=with_suggestions,
        page=page,
        rows=[(passage, _shown_codes(passage, with_suggestions, blind)) for passage in page.items],
        blind=blind,
        page_args={**request.args.to_dict(), "study_id": study.id},
        choices={
            "source": SOURCE_KINDS,
            "section": sections,
            "region": REGIONS,
            "council_type": COUNCIL_TYPES,
            "schools": SCHOOLS,
            "theme": {theme.slug: theme.name for theme in codebook.themes},
            "state": REVIEW_STATES,
            "participant": {row.code: row.label for row in people["participant"]},
            "organisation": {row.code: row.label for row in people["organisation"]},
        },
    )


def _passage_filters(rows: dict, codebook, sections: dict[str, str]) -> PassageFilters:
    """The passages page's filters from the query string, participants and organisations by their codes."""
    participants, organisations = row_codes(rows)
    return PassageFilters.from_args(request.args, codebook, sections, participants, organisations)


@bp.route("/<int:study_id>/passages/download.<fmt>")
@role_required(*ANALYSTS)
def passages_download(study_id: int, fmt: str):
    """The passages the page's filters select, coded, as CSV or XLSX: at once, or in the background
    with progress when there are many."""
    if fmt not in WRITERS:
        abort(404)
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    filters = _passage_filters(study_rows(study.id), codebook, study_sections(study.id))
    with_suggestions = request.args.get("suggestions") == "1"
    user = current_user._get_current_object()
    count = passage_count(study, filters, with_suggestions)
    if count > DIRECT_LIMIT:
        job = start_job(
            "analysis_export",
            f"Exporting the coded passages of '{study.title}'",
            count,
            export_job,
            *(study.id, fmt, filters, with_suggestions, user.id),
            created_by=user,
            return_url=url_for("analysis.passages", study_id=study.id, **request.args.to_dict()),
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    handle, path = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(handle)
    export_passages(study, path, fmt, filters, with_suggestions, user, "web")
    name = f"study-{study.id}-coded-passages.{fmt}"
    return send_file(read_and_remove(path), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name)


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) <= 6 and int(value) > 0 else 1


def _shown_codes(passage: AnalysisPassage, with_suggestions: bool, blind: set[int]) -> list[Code]:
    if passage.id in blind:
        return []  # being double-coded blind by this person
    statuses = ("accepted", "suggested") if with_suggestions else ("accepted",)
    return [code for code in passage.codes if code.status in statuses]


def passage_or_404(study_id: int, passage_id: int) -> AnalysisPassage:
    """The study's passage with this id, or 404 (another study's passage is not found here)."""
    passage = get_or_404(AnalysisPassage, passage_id)
    if passage.study_id != study_id:
        abort(404)
    return passage


def code_or_404(study_id: int, code_id: int) -> Code:
    """The study's code with this id, or 404."""
    code = get_or_404(Code, code_id)
    if code.study_id != study_id:
        abort(404)
    return code


@bp.route("/<int:study_id>/passages/<int:passage_id>", methods=["GET", "POST"])
@role_required(*ANALYSTS)
def passage(study_id: int, passage_id: int):
    """One passage with its source, its codes (who, when, origin, codebook version), and coding by hand."""
    study = study_or_404(study_id)
    passage = passage_or_404(study.id, passage_id)
    version = saved_version(study) if request.method == "POST" else current_version(study)
    codebook = codebook_of(version)
    form = HandCodeForm(codebook=codebook, length=len(passage.text))
    blind = passage.id in blind_passage_ids(study.id, current_user.id)
    if blind:
        return render_template("analysis/passage_blind.html", study=study, passage=passage)
    if form.validate_on_submit():
        try:
            code_by_hand(passage, form.theme.data, form.span(), codebook, version.number, by=current_user)
        except ReviewError as error:
            form.theme.errors.append(str(error))
        else:
            flash(f"Coded with '{codebook.theme(form.theme.data).name}'.", "success")
            return redirect(url_for("analysis.passage", study_id=study.id, passage_id=passage.id))
    return render_template(
        "analysis/passage.html",
        study=study,
        passage=passage,
        context=db.session.scalars(
            select(AnalysisPassage)
            .where(
                AnalysisPassage.study_id == study.id,
                AnalysisPassage.source_key == passage.source_key,
                AnalysisPassage.present.is_(True),
            )
            .order_by(AnalysisPassage.position)
        ).all(),
        codebook=codebook,
        form=form,
        decision_form=ReviewForm(codebook=codebook),
    )


@bp.route("/<int:study_id>/codes/<int:code_id>", methods=["POST"])
@role_required(*ANALYSTS)
def decide_code(study_id: int, code_id: int):
    """Accept or reject one code from the passage page."""
    study = study_or_404(study_id)
    code = code_or_404(study.id, code_id)
    form = ReviewForm(codebook=codebook_of(current_version(study)))
    if not form.validate_on_submit() or form.action.data not in ("accept", "reject"):
        abort(400)
    decide(code, form.action.data == "accept", by=current_user)
    return redirect(url_for("analysis.passage", study_id=study.id, passage_id=code.passage_id))


@bp.route("/<int:study_id>/review", methods=["GET", "POST"])
@role_required(*ANALYSTS)
def review(study_id: int):
    """The review queue, one suggestion at a time, least certain first: accept, reject, skip or change
    its theme (keys A, R, N and C with JavaScript; buttons without)."""
    study = study_or_404(study_id)
    version = saved_version(study) if request.method == "POST" else current_version(study)
    codebook = codebook_of(version)
    theme = request.args.get("theme", "")
    theme = theme if theme in codebook.slugs else ""
    skipped_key = f"analysis-skipped-{study.id}"
    form = ReviewForm(codebook=codebook)
    if form.validate_on_submit():
        outcome = _review_decision(study.id, form, codebook, version.number, skipped_key)
        if outcome is not None:
            return outcome
        return redirect(url_for("analysis.review", study_id=study.id, theme=theme or None))
    if request.args.get("restart") == "1":
        session.pop(skipped_key, None)
    skipped = tuple(session.get(skipped_key, []))
    code = next_for_review(study.id, theme, skipped, frozenset(blind_passage_ids(study.id, current_user.id)))
    return render_template(
        "analysis/review.html",
        study=study,
        codebook=codebook,
        theme=theme,
        code=code,
        form=form,
        remaining=queue_length(study.id, theme),
        skipped=len(skipped),
        figures={f.slug: f for f in theme_figures(study.id, codebook, only=code.theme)} if code else {},
    )


def _review_decision(study_id: int, form: ReviewForm, codebook, version: int, skipped_key: str):
    code = code_or_404(study_id, form.code_id.data)
    action = form.action.data
    if action == "skip":
        skipped = [value for value in session.get(skipped_key, []) if value != code.id][-SKIPPED_LIMIT + 1 :]
        session[skipped_key] = [*skipped, code.id]
        return None
    if action == "change":
        try:
            change_theme(code, form.new_theme.data, codebook, version, by=current_user)
        except ReviewError as error:
            flash(str(error), "error")
        return None
    if action in ("accept", "reject"):
        decide(code, action == "accept", by=current_user)
        return None
    abort(400)


SECTIONS = (
    ("analysis.study", "Overview"),
    ("analysis.passages", "Passages"),
    ("analysis.review", "Review"),
    ("analysis.codebook", "Codebook"),
    ("analysis.rounds", "Double-coding"),
    ("analysis.themes", "Themes"),
    ("analysis.matrices", "Matrices"),
    ("analysis.recommendation", "Recommendation"),
    ("analysis.report", "Report"),
    ("analysis.exchange", "Exchange"),
)


@bp.context_processor
def _sections() -> dict:
    """The study's sub-navigation (only the sections this version of the app has)."""
    from flask import current_app

    return {
        "analysis_sections": [(e, text) for e, text in SECTIONS if e in current_app.view_functions],
        "source_kinds": SOURCE_KINDS,
        "regions": REGIONS,
        "council_types": COUNCIL_TYPES,
        "highlighted": highlighted,
    }
