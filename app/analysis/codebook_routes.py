"""The codebook pages: the current version and its history for analysts; editing, adding, removing and
importing themes for lead analysts; exports as REFI-QDA (.qdc) and JSON.

Every change saves a new version (`services.save_codebook`, which records "analysis.codebook_saved");
earlier versions are kept and can be read and exported. Reading saves nothing: until a study's codebook
is first changed or used, its version 1 is the default codebook, unsaved (`services.current_version`).
A theme's editor previews, before saving, which of the study's passages the changed theme would newly
be suggested for and which no longer. Every page reads its study through `study_or_404` and a version
through the study, so a tampered id answers 404.
"""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.analysis import bp
from app.analysis.codebook import (
    MAX_WINDOW,
    Codebook,
    CodebookError,
    check_codebook,
    codebook_from_dict,
    codebook_to_dict,
)
from app.analysis.codebook_editing import (
    IMPORT_LIMIT,
    add_theme,
    codebook_changes,
    preview_theme,
    read_codebook_file,
    remove_theme,
    replace_theme,
    theme_tree,
)
from app.analysis.codebook_forms import ImportForm, NewThemeForm, ThemeForm, VersionNoteForm, clean
from app.analysis.models import AnalysisPassage, Code, CodebookVersion
from app.analysis.qdc import codebook_to_qdc
from app.analysis.services import StaleCodebook, codebook_of, current_version, save_codebook
from app.auth.decorators import role_required
from app.auth.roles import ANALYSIS_LEADS, ANALYSTS
from app.extensions import db
from app.focus_groups.models import Study
from app.focus_groups.services import study_or_404
from app.uploads import UploadRefused, read_upload

HISTORY_PER_PAGE = 10
IMPORT_MAX_AGE = 3600  # seconds a lead has to confirm an import
IMPORT_TOKEN_LIMIT = 400_000  # characters: the signed codebook must fit in one form field (MAX_FORM_MEMORY_SIZE)


# Reading


def _version_or_404(study: Study, number: int) -> CodebookVersion:
    """One of the study's versions (version 1 is the default codebook until a first version is saved)."""
    current = current_version(study)
    if number == current.number:
        return current
    version = db.session.scalar(
        select(CodebookVersion).where(CodebookVersion.study_id == study.id, CodebookVersion.number == number)
    )
    if version is None:
        abort(404)
    return version


def _passage_texts(study: Study):
    """The study's present passages as (id, text), for previews."""
    return db.session.execute(
        select(AnalysisPassage.id, AnalysisPassage.text)
        .where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
        .order_by(AnalysisPassage.id)
    ).all()


def _code_counts(study: Study, status: str) -> dict[str, int]:
    """How many of the study's codes with this status each theme has."""
    return dict(
        db.session.execute(
            select(Code.theme, func.count())
            .where(Code.study_id == study.id, Code.status == status)
            .group_by(Code.theme)
        ).all()
    )


def _outdated(study: Study, version: CodebookVersion) -> int:
    """How many present passages were not tagged with this version (never tagged, or with an earlier one)."""
    return db.session.scalar(
        select(func.count()).where(
            AnalysisPassage.study_id == study.id,
            AnalysisPassage.present.is_(True),
            (AnalysisPassage.tagged_version.is_(None)) | (AnalysisPassage.tagged_version != version.number),
        )
    )


def _show(study: Study, version: CodebookVersion, current: CodebookVersion):
    page = request.args.get("page", 1, type=int)
    history = db.paginate(
        select(CodebookVersion).where(CodebookVersion.study_id == study.id).order_by(CodebookVersion.number.desc()),
        page=max(1, min(page, 100_000)),
        per_page=HISTORY_PER_PAGE,
        error_out=False,
    )
    codebook = codebook_of(version)
    return render_template(
        "analysis/codebook/index.html",
        study=study,
        version=version,
        current=current,
        codebook=codebook,
        tree=theme_tree(codebook),
        history=history,
        saved=request.args.get("saved", type=int) == current.number,
        outdated=_outdated(study, current) if version.id == current.id else 0,
        history_args=dict(request.view_args or {}),
        leads=current_user.has_role(*ANALYSIS_LEADS),
        can_retag="analysis.tag_study" in current_app.view_functions,  # the study's re-tag route
    )


@bp.route("/<int:study_id>/codebook")
@role_required(*ANALYSTS)
def codebook(study_id: int):
    """The study's current codebook, theme by theme, with its history of versions."""
    study = study_or_404(study_id)
    current = current_version(study)
    return _show(study, current, current)


@bp.route("/<int:study_id>/codebook/versions/<int:number>")
@role_required(*ANALYSTS)
def codebook_version(study_id: int, number: int):
    """An earlier version of the codebook, read-only."""
    study = study_or_404(study_id)
    version = _version_or_404(study, number)
    return _show(study, version, current_version(study))


@bp.route("/<int:study_id>/codebook/versions/<int:number>/codebook.<any(qdc, json):extension>")
@role_required(*ANALYSTS)
def codebook_export(study_id: int, number: int, extension: str):
    """A version of the codebook as a REFI-QDA codebook (.qdc) or as JSON (which this service imports)."""
    study = study_or_404(study_id)
    version = _version_or_404(study, number)
    codebook = codebook_of(version)
    if extension == "qdc":
        body, mimetype = codebook_to_qdc(codebook), "application/xml"
    else:
        body = json.dumps(codebook_to_dict(codebook), ensure_ascii=False, indent=2).encode("utf-8")
        mimetype = "application/json"
    filename = f"codebook-study-{study.id}-version-{version.number}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# Editing


def _saved(study: Study, version: CodebookVersion, message: str):
    flash(message, "success")
    return redirect(url_for("analysis.codebook", study_id=study.id, saved=version.number))


def _theme_conflict(study: Study, slug: str, base: str | None, current: CodebookVersion, codebook: Codebook) -> bool:
    """Whether someone saved a version that changed this theme since the form was opened on `base`."""
    if base == str(current.number):
        return False
    number = int(base) if base and base.isdigit() and len(base) < 10 else None
    earlier = db.session.scalar(
        select(CodebookVersion).where(CodebookVersion.study_id == study.id, CodebookVersion.number == number)
    )
    if earlier is None:
        return True
    before = codebook_of(earlier)
    return slug not in before.slugs or before.theme(slug) != codebook.theme(slug)


@bp.route("/<int:study_id>/codebook/themes/<theme>", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def codebook_theme(study_id: int, theme: str):
    """Edit a theme; "Preview" shows what the changes would suggest across the study before saving."""
    study = study_or_404(study_id)
    current = current_version(study)
    codebook = codebook_of(current)
    if theme not in codebook.slugs:
        abort(404)
    saved = codebook.theme(theme)
    form = ThemeForm(codebook, theme)
    if request.method == "GET":
        form.fill(saved, current.number)
    preview, problems = None, []
    if form.validate_on_submit():
        changed = form.theme_from(theme)
        if request.form.get("action") == "preview":
            preview = preview_theme(_passage_texts(study), saved, changed)
        elif _theme_conflict(study, theme, form.base_version.data, current, codebook):
            problems.append(
                f"Someone saved version {current.number} of the codebook while you were editing, and it changed "
                "this theme. Your changes are below: compare them with the codebook, then save again."
            )
            form.base_version.data = str(current.number)
        elif changed == saved:
            flash("Nothing was changed, so no new version was saved.", "info")
            return redirect(url_for("analysis.codebook", study_id=study.id))
        else:
            try:
                edited = check_codebook(replace_theme(codebook, changed))
            except CodebookError as error:
                problems.extend(error.messages)
            else:
                note = form.note.data or f"Edited the theme '{changed.name}'"
                version = save_codebook(study, edited, note, by=current_user)
                return _saved(study, version, f"Version {version.number} of the codebook is saved.")
    return render_template(
        "analysis/codebook/theme.html",
        study=study,
        current=current,
        theme=saved,
        form=form,
        preview=preview,
        problems=problems,
        max_window=MAX_WINDOW,
    )


@bp.route("/<int:study_id>/codebook/new-theme", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def codebook_new_theme(study_id: int):
    """Add a theme (its slug, name and parent); its patterns are written next, on its own page."""
    study = study_or_404(study_id)
    current = current_version(study)
    codebook = codebook_of(current)
    form = NewThemeForm(codebook)
    problems: list[str] = []
    if form.validate_on_submit():
        theme = form.theme()
        try:
            extended = check_codebook(add_theme(codebook, theme))
        except CodebookError as error:
            problems.extend(error.messages)
        else:
            version = save_codebook(
                study, extended, form.note.data or f"Added the theme '{theme.name}'", by=current_user
            )
            flash(f"The theme '{theme.name}' is added in version {version.number}. Now write its patterns.", "success")
            return redirect(url_for("analysis.codebook_theme", study_id=study.id, theme=theme.slug))
    return render_template(
        "analysis/codebook/new_theme.html", study=study, current=current, form=form, problems=problems
    )


@bp.route("/<int:study_id>/codebook/themes/<theme>/remove", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def codebook_remove_theme(study_id: int, theme: str):
    """Remove a theme, after saying how many codes use it (they keep it; the removal is a new version)."""
    study = study_or_404(study_id)
    current = current_version(study)
    codebook = codebook_of(current)
    if theme not in codebook.slugs:
        abort(404)
    removed = codebook.theme(theme)
    form = VersionNoteForm()
    if request.method == "GET":
        form.base_version.data = str(current.number)
    problems: list[str] = []
    if len(codebook.themes) == 1:
        problems.append("This is the codebook's only theme: add another before removing it.")
    elif form.validate_on_submit():
        if form.base_version.data != str(current.number):
            problems.append(
                f"Someone saved version {current.number} of the codebook meanwhile: check what removing the "
                "theme does now, then confirm again."
            )
            form.base_version.data = str(current.number)
        else:
            note = form.note.data or f"Removed the theme '{removed.name}'"
            version = save_codebook(study, remove_theme(codebook, theme), note, by=current_user)
            return _saved(study, version, f"The theme '{removed.name}' is removed in version {version.number}.")
    children = [t for t in codebook.themes if t.parent == theme]
    return render_template(
        "analysis/codebook/remove_theme.html",
        study=study,
        current=current,
        theme=removed,
        parent=codebook.theme(removed.parent) if removed.parent else None,
        children=children,
        accepted=_code_counts(study, "accepted").get(theme, 0),
        suggested=_code_counts(study, "suggested").get(theme, 0),
        form=form,
        problems=problems,
    )


# Importing


def _import_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="analysis.codebook-import")


def _import_confirmation(study: Study, current: CodebookVersion, imported: Codebook, filename: str, form=None):
    """The page that says what importing would change, carrying the codebook signed to its confirm button."""
    form = form or VersionNoteForm()
    form.document.data = _import_signer().dumps(
        {"study": study.id, "base": current.number, "filename": filename, "codebook": codebook_to_dict(imported)}
    )
    form.base_version.data = str(current.number)
    accepted = _code_counts(study, "accepted")
    return render_template(
        "analysis/codebook/import_confirm.html",
        study=study,
        current=current,
        changes=codebook_changes(codebook_of(current), imported),
        imported=imported,
        no_patterns=[t for t in imported.themes if not t.patterns],
        accepted=accepted,
        filename=filename,
        form=form,
    )


@bp.route("/<int:study_id>/codebook/import", methods=["GET", "POST"])
@role_required(*ANALYSIS_LEADS)
def codebook_import(study_id: int):
    """Upload a REFI-QDA codebook (.qdc) or our JSON; the next page says what it would change."""
    study = study_or_404(study_id)
    current = current_version(study)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        filename = clean(form.file.data.filename or "")[-100:] or "the file"
        try:
            imported = read_codebook_file(read_upload(form.file.data, IMPORT_LIMIT))
        except UploadRefused as refusal:
            form.file.errors.append(f"{refusal}")
        except CodebookError as error:
            form.file.errors.append("The file cannot be imported: see the problems below")
            problems = error.messages[:50]
        else:
            if not codebook_changes(codebook_of(current), imported).any:
                form.file.errors.append(
                    f"The file holds the same codebook as version {current.number}: there is nothing to import"
                )
            elif len(_import_signer().dumps(codebook_to_dict(imported))) > IMPORT_TOKEN_LIMIT:
                form.file.errors.append("The codebook is too large to import in one go: split it into smaller files")
            else:
                return _import_confirmation(study, current, imported, filename)
    return render_template("analysis/codebook/import.html", study=study, current=current, form=form, problems=problems)


@bp.route("/<int:study_id>/codebook/import/confirm", methods=["POST"])
@role_required(*ANALYSIS_LEADS)
def codebook_import_confirm(study_id: int):
    """Save an uploaded codebook, confirmed on the page that said what it changes, as a new version."""
    study = study_or_404(study_id)
    current = current_version(study)
    form = VersionNoteForm()
    try:
        payload = _import_signer().loads(form.document.data or "", max_age=IMPORT_MAX_AGE)
        if payload.get("study") != study.id:
            raise BadData("another study's import")
        imported = check_codebook(codebook_from_dict(payload["codebook"]))
    except (BadData, CodebookError, AttributeError, KeyError, TypeError):
        flash("That import has expired or could not be read: upload the file again.", "info")
        return redirect(url_for("analysis.codebook_import", study_id=study.id))
    if payload.get("base") != current.number:
        flash(
            f"Someone saved version {current.number} of the codebook meanwhile: upload the file again "
            "to see what it would change now.",
            "info",
        )
        return redirect(url_for("analysis.codebook_import", study_id=study.id))
    filename = str(payload.get("filename", "a file"))
    if not form.validate_on_submit():
        return _import_confirmation(study, current, imported, filename, form)
    version = save_codebook(study, imported, form.note.data or f"Imported from {filename}", by=current_user)
    return _saved(study, version, f"The imported codebook is saved as version {version.number}.")


@bp.errorhandler(StaleCodebook)
def _saved_at_the_same_moment(_error: StaleCodebook):
    """Two saves at the same instant: the second is refused, in words, and nothing is saved."""
    flash("Someone saved the codebook at the same moment, so your change was not saved: check it and save again.")
    return redirect(url_for("analysis.codebook", study_id=(request.view_args or {}).get("study_id")))
