"""Exchange with other tools: the study as a REFI-QDA project (.qdpx) to download, and a project's
accepted codes to import (lead analysts; a confirmation page says what it adds before anything is saved)."""

from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer

from app.analysis import bp
from app.analysis.forms import QdpxConfirmForm, QdpxImportForm, QdpxPrepareForm
from app.analysis.pending_uploads import UPLOAD_LIFETIME, keep_upload, kept_upload, take_upload
from app.analysis.qdpx import LARGE_STUDY, export_file_name, export_job, present_count, record_export, write_qdpx
from app.analysis.qdpx_import import QdpxError, read_qdpx
from app.analysis.services import current_version
from app.auth.decorators import role_required
from app.auth.roles import ANALYSIS_LEADS, ANALYSTS
from app.focus_groups.services import study_or_404
from app.jobs.runner import start_job
from app.uploads import UploadRefused, read_upload

UPLOAD_LIMIT = 9 * 1024 * 1024  # within the request limit (MAX_CONTENT_LENGTH, 10 MB); the command line takes 50 MB
CONFIRM_MAX_AGE = int(UPLOAD_LIFETIME.total_seconds())  # the confirmation page's token lives as long as the upload


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="analysis.qdpx-import")


def _page(study, form=None, problems=None):
    return render_template(
        "analysis/exchange.html",
        study=study,
        version=current_version(study),
        passages=present_count(study),
        large=LARGE_STUDY,
        form=form or QdpxImportForm(),
        prepare_form=QdpxPrepareForm(),
        problems=problems or [],
        can_import=current_user.has_role(*ANALYSIS_LEADS),
    )


@bp.route("/<int:study_id>/exchange")
@role_required(*ANALYSTS)
def exchange(study_id: int):
    """Download the study as a REFI-QDA project, the codebook as .qdc, and (leads) import a project."""
    return _page(study_or_404(study_id))


@bp.route("/<int:study_id>/exchange/project.qdpx")
@role_required(*ANALYSTS)
def exchange_download(study_id: int):
    """The study as a .qdpx file, at once; a large study is prepared in the background instead (a POST)."""
    study = study_or_404(study_id)
    if present_count(study) > LARGE_STUDY:
        flash("This study is large: prepare its project file below and download it when it is ready.", "info")
        return redirect(url_for("analysis.exchange", study_id=study.id))
    buffer = io.BytesIO()
    summary = write_qdpx(study, buffer)
    record_export(study, summary, by=current_user)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name=export_file_name(study))


@bp.route("/<int:study_id>/exchange/prepare", methods=["POST"])
@role_required(*ANALYSTS)
def exchange_prepare(study_id: int):
    """Build a large study's project file in the background, with progress on the job's page."""
    study = study_or_404(study_id)
    if not QdpxPrepareForm().validate_on_submit():
        return redirect(url_for("analysis.exchange", study_id=study.id))
    user = current_user._get_current_object()
    job = start_job(
        "export",
        f"Exporting '{study.title}' as a REFI-QDA project",
        present_count(study),
        export_job,
        study.id,
        user.id,
        created_by=user,
        return_url=url_for("analysis.exchange", study_id=study.id),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:study_id>/exchange/import", methods=["POST"])
@role_required(*ANALYSIS_LEADS)
def exchange_import(study_id: int):
    """Upload a .qdpx; the next page says which codes it would add, and what it cannot use, before saving."""
    study = study_or_404(study_id)
    form = QdpxImportForm()
    if not form.validate_on_submit():
        return _page(study, form)
    try:
        data = read_upload(form.file.data, UPLOAD_LIMIT)
        report = read_qdpx(study, data, current_user, dry_run=True)
    except UploadRefused as refusal:
        form.file.errors.append(str(refusal))
        return _page(study, form)
    except QdpxError as error:
        form.file.errors.append("The file cannot be imported: see the problems below")
        return _page(study, form, error.messages[:50])
    filename = (form.file.data.filename or "the file")[-100:]
    kept = keep_upload(data, current_user, study)
    confirm = QdpxConfirmForm()
    confirm.token.data = _signer().dumps(
        {"study": study.id, "user": current_user.id, "kept": kept, "filename": filename}
    )
    return render_template("analysis/exchange_import.html", study=study, report=report, form=confirm, filename=filename)


@bp.route("/<int:study_id>/exchange/import/confirm", methods=["POST"])
@role_required(*ANALYSIS_LEADS)
def exchange_import_confirm(study_id: int):
    """Import a project checked on the previous page: add its codes, skip duplicates, say what happened."""
    study = study_or_404(study_id)
    form = QdpxConfirmForm()
    try:
        payload = _signer().loads(form.token.data or "", max_age=CONFIRM_MAX_AGE) if form.validate() else {}
        key = payload.get("kept")
        data = kept_upload(key, current_user, study)
        if payload.get("study") != study.id or payload.get("user") != current_user.id or data is None:
            raise BadData("not this import")
        # The upload is taken in the transaction that writes the codes: imported once, and kept if that fails.
        report = read_qdpx(study, data, current_user, claim=lambda: take_upload(key, current_user, study))
    except (BadData, QdpxError, AttributeError, TypeError):
        flash("That import has expired or was already done: upload the file again.", "info")
        return redirect(url_for("analysis.exchange", study_id=study.id))
    return render_template(
        "analysis/exchange_import.html", study=study, report=report, form=None, filename=payload.get("filename")
    )
