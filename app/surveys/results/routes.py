"""Results pages for analysts and organisers, the exports, and the member's comparison page."""

from __future__ import annotations

import os

from flask import Response as HttpResponse
from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from app.auth.decorators import role_required
from app.auth.roles import ADMIN, ANALYST, LEAD_ANALYST, ORGANISER
from app.extensions import db
from app.jobs.runner import start_job
from app.numbers import NumberError, parse_decimal
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys import bp
from app.surveys.answering.access import Respondent, respondent_required
from app.surveys.models import Response, Survey
from app.surveys.results.charts import bar_chart, interval_chart
from app.surveys.results.comparison import member_comparison
from app.surveys.results.crosstabs import crosstab, crosstab_variables
from app.surveys.results.dataset import Filters, submitted_rows
from app.surveys.results.exports import submitted_count
from app.surveys.results.figures import share_items, survey_results, total_items
from app.surveys.results.free_text import free_texts
from app.surveys.results.headline import headline, interval_items
from app.surveys.results.impact.weight import default_weight
from app.surveys.results.services import export_impact, stream_export, switch_member_comparison, xlsx_export_job
from app.surveys.services import definition_for, find_survey, response_for

READERS = (ANALYST, LEAD_ANALYST, ORGANISER, ADMIN)
FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _published(slug: str) -> Survey:
    """The published survey; a draft (never published, so nobody has answered it) gets a page that says
    there are no results yet, with a way back, rather than a 404."""
    survey = find_survey(slug)
    if survey is None:
        abort(404)
    if survey.current_version is None:
        abort(make_response(render_template("surveys/results/draft.html", survey=survey)))
    return survey


def _context(survey: Survey) -> dict:
    filters = Filters.from_args(request.args)
    return {
        "survey": survey,
        "filters": filters,
        "regions": REGIONS,
        "council_types": COUNCIL_TYPES,
        "definition": definition_for(survey.current_version),
    }


@bp.route("/results/")
@role_required(*READERS)
def results_index():
    """Every published survey, with how many organisations have submitted."""
    surveys = [s for s in db.session.scalars(select(Survey).order_by(Survey.created_at.desc())) if s.current_version]
    counts = dict(
        db.session.execute(
            select(Response.survey_id, func.count(Response.id))
            .where(Response.status == "submitted")
            .group_by(Response.survey_id)
        ).all()
    )
    return render_template("surveys/results/index.html", surveys=surveys, counts=counts)


@bp.route("/results/<slug>/")
@role_required(*READERS)
def results(slug: str):
    """Headline and every question's figures, for the organisations the filters select."""
    context = _context(_published(slug))
    rows = list(submitted_rows(context["survey"], context["filters"]))
    return render_template(
        "surveys/results/show.html",
        rows=rows,
        headline=headline(context["definition"], rows),
        sections=survey_results(context["definition"], rows),
        bar_chart=bar_chart,
        interval_chart=interval_chart,
        share_items=share_items,
        interval_items=interval_items,
        total_items=total_items,
        **context,
    )


@bp.route("/results/<slug>/crosstab")
@role_required(*READERS)
def results_crosstab(slug: str):
    """Cross two questions, or a question with region or council type."""
    context = _context(_published(slug))
    variables = crosstab_variables(context["definition"])
    known = {key for key, _title in variables}
    row_var = request.args.get("rows") if request.args.get("rows") in known else "provides_education"
    column_var = request.args.get("columns") if request.args.get("columns") in known else "council_type"
    rows = list(submitted_rows(context["survey"], context["filters"]))
    table = crosstab(context["definition"], rows, row_var, column_var)
    return render_template(
        "surveys/results/crosstab.html",
        table=table,
        variables=variables,
        row_var=row_var,
        column_var=column_var,
        n=len(rows),
        **context,
    )


@bp.route("/results/<slug>/free-text")
@role_required(*READERS)
def results_free_text(slug: str):
    """Every free-text answer, with only the region and council type of who wrote it."""
    context = _context(_published(slug))
    rows = list(submitted_rows(context["survey"], context["filters"]))
    return render_template(
        "surveys/results/free_text.html", groups=free_texts(context["definition"], rows), n=len(rows), **context
    )


@bp.route("/results/<slug>/export")
@role_required(*READERS)
def results_export(slug: str):
    """Download the responses (the filters apply) as CSV or JSON at once, or as XLSX through a background job."""
    survey = _published(slug)
    filters = Filters.from_args(request.args)
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        return render_template(
            "surveys/results/export.html", survey=survey, filters=filters, regions=REGIONS, council_types=COUNCIL_TYPES
        )
    labels = request.args.get("labels") == "1"
    user = current_user._get_current_object()
    if fmt == "xlsx":  # slow for large surveys: built in the background, with progress on the job's page
        job = start_job(
            "export",
            f"Exporting '{survey.title}' to Excel",
            submitted_count(survey),
            xlsx_export_job,
            survey.id,
            filters,
            labels,
            user.id,
            created_by=user,
            return_url=url_for("surveys.results_export", slug=slug, **filters.as_args()),
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    body = stream_with_context(stream_export(survey.id, fmt, filters, labels, user.id))
    return HttpResponse(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename={survey.slug}-responses.{fmt}"},
    )


@bp.route("/results/<slug>/impact")
@role_required(*READERS)
def results_impact(slug: str):
    """The 'service user' impact model: per-user metrics under five definitions of a user, and how many
    organisations' figures move from what each counts today."""
    from app.surveys.results.impact.model import (
        BASELINE_SOURCES,
        DEFINITIONS,
        METRICS,
        THRESHOLD,
        impact,
    )
    from app.surveys.results.impact.movement import movers, movers_by_council_type
    from app.surveys.results.impact.weight import external_derivation
    from app.surveys.results.impact.wording import evidence

    context = _context(_published(slug))
    rows = list(submitted_rows(context["survey"], context["filters"]))
    derivation = default_weight(rows)
    weight, error = _weight(request.args.get("weight", ""), derivation.weight)
    model = impact(rows, weight)
    return render_template(
        "surveys/results/impact.html",
        model=model,
        derivation=derivation,
        external=external_derivation(model.weight, derivation),
        movement={metric: movers(model, THRESHOLD, metric) for metric in METRICS},
        movement_by_type=movers_by_council_type(model, THRESHOLD),
        threshold=THRESHOLD,
        baseline_sources=BASELINE_SOURCES,
        error=error,
        weight_text=request.args.get("weight", ""),
        evidence=evidence(model),
        definitions=DEFINITIONS,
        metrics=METRICS,
        **context,
    )


def _weight(text: str, default: float) -> tuple[float, str | None]:
    """The analyst's pupil weight, or the derived one; and an error message when the text is not 0 to 1."""
    if not text.strip():
        return default, None
    try:
        return float(parse_decimal(text, minimum=0, maximum=1, thousands=False)), None
    except NumberError:
        return default, "Enter the pupil weight as a number from 0 to 1, like 0.25"


@bp.route("/results/<slug>/impact.<fmt>")
@role_required(*READERS)
def results_impact_export(slug: str, fmt: str):
    """The impact model's per-organisation figures as CSV or XLSX (audit-logged)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    survey = _published(slug)
    rows = list(submitted_rows(survey, Filters.from_args(request.args)))
    weight, _error = _weight(request.args.get("weight", ""), default_weight(rows).weight)
    path = export_impact(survey, rows, weight, fmt)
    response = send_file(path, mimetype=FORMATS[fmt], as_attachment=True, download_name=f"{survey.slug}-impact.{fmt}")
    response.call_on_close(lambda: os.path.exists(path) and os.remove(path))
    return response


@bp.route("/manage/<slug>/comparison", methods=["POST"])
@role_required(ORGANISER, ADMIN)
def set_member_comparison(slug: str):
    """Switch on or off what members see beside the medians."""
    survey = _published(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    switch_member_comparison(survey, request.form.get("enabled") == "yes")
    flash(
        "Members "
        + ("can now" if survey.member_comparison else "can no longer")
        + " compare their answers with the medians.",
        "success",
    )
    return redirect(url_for("surveys.dashboard", slug=slug))


@bp.route("/<slug>/comparison")
@respondent_required
def comparison(survey: Survey, respondent: Respondent):
    """The member's own answers beside the median of all respondents and of their council type."""
    if not survey.member_comparison:
        abort(404)
    response = response_for(survey, respondent.organisation.id)
    if response is None or response.status != "submitted":
        return render_template(
            "surveys/results/compare.html", survey=survey, respondent=respondent, figures=None, reason="not-submitted"
        )
    rows = list(submitted_rows(survey))
    mine = next(r for r in rows if r.organisation_id == respondent.organisation.id)
    figures = member_comparison(definition_for(survey.current_version), rows, mine)
    return render_template(
        "surveys/results/compare.html",
        survey=survey,
        respondent=respondent,
        figures=figures,
        reason=None if figures is not None else "too-few",
        count=len(rows),
        council_type=COUNCIL_TYPES.get(respondent.organisation.council_type),
    )
