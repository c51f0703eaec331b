"""The study report: a print-friendly page, and the same content as a Word document to download.

Both read one `Report` (`app.analysis.report.build_report`). A small study's document is made in the
request; a large one's (BACKGROUND_FROM passages and survey responses or more) through a background job
with progress, as the survey's Excel export is.
"""

from __future__ import annotations

import io

from flask import redirect, render_template, send_file, url_for
from flask_login import current_user

from app.analysis import bp
from app.analysis.report import (
    REPORT_STEPS,
    build_report,
    report_document,
    report_filename,
    report_job,
    report_size,
)
from app.auth.decorators import role_required
from app.auth.roles import ANALYSTS
from app.focus_groups.services import study_or_404
from app.jobs.runner import start_job
from app.surveys.results.charts import bar_chart, interval_chart

# Measured with bench/study_report.py (one smoke run, 2 shared cores): the demo study (report size 629)
# takes 1.8 s as a document, of which about 1.65 s is drawing its charts (a fixed cost) and 0.13 s building
# the tree (about 0.2 ms per unit of size). From this size (about 3 s estimated) the request would keep a
# person waiting too long without progress, so the document is written in the background.
BACKGROUND_FROM = 5000
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/<int:study_id>/report")
@role_required(*ANALYSTS)
def report(study_id: int):
    """The study report as a page made for printing (the same content as the Word document)."""
    study = study_or_404(study_id)
    return render_template(
        "analysis/report/show.html",
        study=study,
        report=build_report(study),
        bar_chart=bar_chart,
        interval_chart=interval_chart,
    )


@bp.route("/<int:study_id>/report.docx")
@role_required(*ANALYSTS)
def report_docx(study_id: int):
    """Download the study report as a Word document; a large study's is made in the background."""
    study = study_or_404(study_id)
    user = current_user._get_current_object()
    if report_size(study) >= BACKGROUND_FROM:
        job = start_job(
            "analysis_report",
            f"Writing the report of '{study.title}'",
            REPORT_STEPS,
            report_job,
            study.id,
            user.id,
            created_by=user,
            return_url=url_for("analysis.report", study_id=study.id),
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    data = report_document(study, by=user)
    return send_file(io.BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=report_filename(study))
