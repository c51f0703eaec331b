"""The matrices pages: the framework matrix (participants or organisations x themes, with the analysts'
summaries), the theme crosstab, a cell's summary and history, and both tables as CSV or XLSX.

The figures and the tables are built in `app.analysis.matrices`; these views parse, call it and render.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.analysis import bp
from app.analysis.matrices import (
    ATTRIBUTES,
    SMALL_GROUP,
    MatrixFilters,
    cell_history,
    crosstab,
    export_table,
    find_row,
    framework,
    page_of,
    save_cell,
)
from app.analysis.matrices_forms import CellForm
from app.analysis.models import FRAMEWORK_ROWS, SOURCE_KINDS
from app.analysis.queries import SCHOOLS
from app.analysis.services import codebook_of, current_version
from app.auth.decorators import role_required
from app.auth.roles import ANALYSTS
from app.focus_groups.services import study_or_404
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.tables import read_and_remove

TABLES = {"framework": "Framework matrix", "crosstab": "Theme crosstab"}
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FILTER_CHOICES = {"source": SOURCE_KINDS, "region": REGIONS, "council_type": COUNCIL_TYPES, "schools": SCHOOLS}


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) <= 6 and int(value) > 0 else 1


@bp.route("/<int:study_id>/matrices")
@role_required(*ANALYSTS)
def matrices(study_id: int):
    """The framework matrix: a row per participant or organisation, a column per theme, each cell the
    analyst's summary and a link to the row's passages on the theme."""
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    filters = MatrixFilters.from_args(request.args)
    matrix = framework(study.id, codebook, filters)
    return render_template(
        "analysis/matrices/framework.html",
        study=study,
        filters=filters,
        matrix=matrix,
        page=page_of(matrix.rows, _page_number()),
        page_args={**filters.as_args(), "study_id": study.id},
        choices=FILTER_CHOICES,
        row_kinds=FRAMEWORK_ROWS,
    )


@bp.route("/<int:study_id>/matrices/crosstab")
@role_required(*ANALYSTS)
def matrices_crosstab(study_id: int):
    """Each theme by region, council type, supports schools or source: passages and organisations (each
    counted once), with shares; small groups flagged."""
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    filters = MatrixFilters.from_args(request.args)
    return render_template(
        "analysis/matrices/crosstab.html",
        study=study,
        filters=filters,
        table=crosstab(study.id, codebook, filters),
        choices=FILTER_CHOICES,
        small_group=SMALL_GROUP,
        attributes={name: label for name, (label, _column, _values) in ATTRIBUTES.items()},
    )


@bp.route("/<int:study_id>/matrices/<kind>/<row>/<theme>", methods=["GET", "POST"])
@role_required(*ANALYSTS)
def matrices_cell(study_id: int, kind: str, row: str, theme: str):
    """One cell of the framework matrix: its summary (each save kept, with who and when) and its passages."""
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    found = find_row(study.id, kind, row) if kind in FRAMEWORK_ROWS and len(row) <= 40 else None
    if found is None or theme not in codebook.slugs:
        abort(404)
    history = cell_history(study.id, found, theme)
    form = CellForm()
    if request.method == "GET" and history:
        form.text.data = history[0].text
    if form.validate_on_submit():
        save_cell(study, found, theme, form.text.data, by=current_user)
        flash(f"The summary of {found.label} on '{codebook.theme(theme).name}' is saved.", "success")
        return redirect(url_for("analysis.matrices", study_id=study.id, kind=kind))
    return render_template(
        "analysis/matrices/cell.html",
        study=study,
        row=found,
        theme=codebook.theme(theme),
        form=form,
        history=history,
        passages_args={kind: found.code, "theme": theme},
    )


@bp.route("/<int:study_id>/matrices/download.<fmt>")
@role_required(*ANALYSTS)
def matrices_download(study_id: int, fmt: str):
    """The framework matrix (table=framework) or the crosstab (table=crosstab), as CSV or XLSX, with the
    page's filters (audit-logged)."""
    table = request.args.get("table", "framework")
    if fmt not in MIMETYPES or table not in TABLES:
        abort(404)
    study = study_or_404(study_id)
    codebook = codebook_of(current_version(study))
    filters = MatrixFilters.from_args(request.args)
    path = export_table(study, codebook, filters, table, fmt, by=current_user._get_current_object())
    name = f"study-{study.id}-{table}.{fmt}"
    return send_file(read_and_remove(path), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name)
