"""Organisers' survey settings pages: the survey list, opening and closing dates, who may answer,
publishing the draft, and the definition as JSON (export, and import as a new draft)."""

from __future__ import annotations

import json
from datetime import date

from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import func, select

from app.auth.decorators import role_required
from app.auth.roles import MANAGERS
from app.clock import LONDON, aware
from app.extensions import db
from app.numbers import json_safe, parse_whole_number
from app.surveys import bp
from app.surveys.authoring.definition import definition_problems
from app.surveys.authoring.services import import_draft_survey
from app.surveys.models import Response, Survey
from app.surveys.services import (
    is_open,
    publish_draft,
    record_definition_export,
    set_dates,
    set_survey_access,
    survey_or_404,
)
from app.uploads import JSON_LIMITS, UploadRefused, json_document, read_upload


@bp.route("/manage/")
@role_required(*MANAGERS)
def manage_index():
    """Every survey, with its state and how many organisations have submitted."""
    surveys = db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())).all()
    counts = dict(
        db.session.execute(
            select(Response.survey_id, func.count(Response.id))
            .where(Response.status == "submitted")
            .group_by(Response.survey_id)
        ).all()
    )
    return render_template("surveys/authoring/index.html", surveys=surveys, counts=counts, is_open=is_open)


def _parse_date(prefix: str, form, errors: dict) -> date | None:
    parts = [form.get(f"{prefix}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (parse_whole_number(part, minimum=1, maximum=9999, thousands=False) for part in parts)
        return date(year, month, day)
    except ValueError:  # NumberError is one
        errors[f"{prefix}-day"] = f"The {'opening' if prefix == 'opens' else 'closing'} date must be a real date"
        return None


@bp.route("/manage/<slug>/access", methods=["POST"])
@role_required(*MANAGERS)
def set_open_to_all_members(slug: str):
    """Open the survey to every member, or only to invited organisations (the default)."""
    survey = survey_or_404(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    set_survey_access(survey, request.form.get("open") == "yes", by=current_user)
    if survey.open_to_all_members:
        flash("Every member can now answer this survey for their organisation.", "success")
    else:
        flash("Only invited organisations can now answer this survey.", "success")
    return redirect(url_for("surveys.dashboard", slug=survey.slug))


@bp.route("/manage/<slug>/dates", methods=["GET", "POST"])
@role_required(*MANAGERS)
def dates(slug: str):
    """Set the opening and closing dates (the survey opens at the start and closes at the end of the day)."""
    survey = survey_or_404(slug)
    form = FlaskForm()
    errors: dict[str, str] = {}
    values = {}
    for prefix, moment in (("opens", survey.opens_at), ("closes", survey.closes_at)):
        local = aware(moment).astimezone(LONDON).date() if moment else None
        for part in ("day", "month", "year"):
            values[f"{prefix}-{part}"] = str(getattr(local, part)) if local else ""
    if request.method == "POST" and form.validate_on_submit():
        values = {k: request.form.get(k, "") for k in values}
        opens = _parse_date("opens", request.form, errors)
        closes = _parse_date("closes", request.form, errors)
        if opens and closes and closes < opens:
            errors["closes-day"] = "The closing date must be the same as or after the opening date"
        if not errors:
            set_dates(survey, opens, closes, by=current_user)
            flash("Dates saved.", "success")
            return redirect(url_for("surveys.dashboard", slug=slug))
    return render_template("surveys/authoring/dates.html", survey=survey, form=form, errors=errors, values=values)


@bp.route("/manage/<slug>/publish", methods=["GET", "POST"])
@role_required(*MANAGERS)
def publish(slug: str):
    """Confirm, then publish the draft as a new version (published versions never change)."""
    survey = survey_or_404(slug)
    problems = definition_problems(survey.draft)
    unchanged = survey.current_version is not None and survey.current_version.definition == survey.draft
    if request.method == "POST" and not problems and not unchanged:
        if not FlaskForm().validate_on_submit():
            abort(400)
        version = publish_draft(survey, by=current_user)
        flash(f"Version {version.number} is published. New responses will answer it.", "success")
        return redirect(url_for("surveys.dashboard", slug=slug))
    return render_template(
        "surveys/authoring/publish.html", survey=survey, problems=problems, unchanged=unchanged, form=FlaskForm()
    )


@bp.route("/manage/<slug>/definition.json")
@role_required(*MANAGERS)
def export_definition(slug: str):
    """Download the draft definition as JSON."""
    survey = survey_or_404(slug)
    record_definition_export(survey, by=current_user)  # a GET that writes
    return HttpResponse(
        json.dumps(json_safe(survey.draft), indent=2, ensure_ascii=False, allow_nan=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename={survey.slug}.json"},
    )


class ImportDefinitionForm(FlaskForm):
    """A JSON survey definition file."""

    file = FileField(
        "Upload a survey definition (JSON)",
        validators=[FileRequired("Select a JSON file"), FileAllowed(["json"], "The selected file must be a JSON file")],
    )


@bp.route("/manage/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
def import_definition():
    """Upload a JSON definition to create a new draft survey; every problem in it is listed."""
    form = ImportDefinitionForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            data = json_document(read_upload(form.file.data, JSON_LIMITS.max_bytes))
        except UploadRefused as refusal:  # the file as a whole: shown on the file field
            form.file.errors.append(str(refusal))
        else:
            problems = definition_problems(data)
            if not problems:
                survey = import_draft_survey(data, by=current_user)
                flash(f"Draft survey '{survey.title}' created. Check it, then publish it.", "success")
                return redirect(url_for("surveys.dashboard", slug=survey.slug))
    return render_template("surveys/authoring/import.html", form=form, problems=problems)
