"""Organisers' pages for building a survey: the draft's outline, question and page editors,
moving and deleting, and a preview that behaves as respondents will see it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from app.auth.decorators import role_required
from app.auth.roles import MANAGERS
from app.surveys import bp
from app.surveys.answering.pages import DONT_KNOW, TamperedAnswer, field_id, other_key, pipe
from app.surveys.authoring.builder import (
    QUESTION_TYPES,
    STALE_MESSAGE,
    BuilderError,
    delete_question,
    draft_digest,
    is_stale,
    locate,
    locate_page,
    move_question,
    preview_check_rows,
    preview_step,
    question_form_values,
    save_page,
)
from app.surveys.authoring.condition_words import condition_in_words
from app.surveys.authoring.definition import DefinitionError, load_definition
from app.surveys.authoring.option_rows import MAX_OPTIONS, edit_rows, rows_from_options, rows_to_show
from app.surveys.authoring.services import (
    change_draft,
    create_draft_from_xlsform,
    save_question_form,
    start_survey_from_form,
)
from app.surveys.authoring.xlsform import XLSFormError
from app.surveys.services import survey_or_404


def _stale(survey) -> bool:
    return is_stale(survey.draft, request.form.get("draft_digest"))


@bp.route("/manage/<slug>/build")
@role_required(*MANAGERS)
def build(slug: str):
    """The draft's outline: sections, pages and questions, with the actions on each."""
    survey = survey_or_404(slug)
    try:
        definition = load_definition(survey.draft)
    except DefinitionError as exc:  # only possible for drafts stored before a rule existed
        definition, problems = None, exc.problems
    else:
        problems = []
    published = survey.current_version.definition if survey.current_version else None
    return render_template(
        "surveys/authoring/build.html",
        survey=survey,
        definition=definition,
        problems=problems,
        changed=published != survey.draft,
        digest=draft_digest(survey.draft),
        form=FlaskForm(),
        types=QUESTION_TYPES,
        in_words=condition_in_words,
    )


def _question_form(survey, *, values: dict, errors: dict, rows, digest: str | None = None, **context):
    """The question editor's page (also the new-survey page: survey=None), its options as rows."""
    if digest is None:
        digest = draft_digest(survey.draft) if survey else ""
    return render_template(
        "surveys/authoring/question.html",
        survey=survey,
        types=QUESTION_TYPES,
        digest=digest,
        form=FlaskForm(),
        values=values,
        errors=errors,
        option_rows=rows,
        section_title=values.get("section_title", "").strip(),
        max_options=MAX_OPTIONS,
        **context,
    )


def _blank() -> dict[str, str]:
    """A new question's fields: the type chosen on the outline, if any, and required."""
    return {"type": request.args.get("type", ""), "required": "yes"}


def _posted(survey, **context):
    """The editor's form as posted: shown again with one more or one fewer option row (nothing saved) when
    an add or remove button sent it, else None so the caller saves it."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    edit = edit_rows(request.form)
    if edit is None:
        return None
    values = {key: request.form.get(key, "") for key in request.form}
    return _question_form(
        survey,
        values=values,
        errors=edit.errors,
        rows=edit.rows,
        focus=edit.focus,
        digest=request.form.get("draft_digest", ""),
        **context,
    )


def _question_page(
    survey, *, mode: str, question_id: str | None = None, page_id: str | None = None, section_id: str | None = None
):
    """Add or edit a question (mode: edit, add, add-page, add-section)."""
    existing = None
    if question_id:
        try:
            si, pi, qi = locate(survey.draft, question_id)
        except KeyError:
            abort(404)
        existing = survey.draft["sections"][si]["pages"][pi]["questions"][qi]
    context = {"mode": mode, "existing": existing, "page_id": page_id, "section_id": section_id}
    if request.method == "GET":
        if existing is None:
            return _question_form(survey, values=_blank(), errors={}, rows=rows_from_options(None), **context)
        rows = rows_from_options(existing.get("options"))
        return _question_form(survey, values=question_form_values(existing), errors={}, rows=rows, **context)
    if (changed_rows := _posted(survey, **context)) is not None:
        return changed_rows
    saved = save_question_form(
        survey, mode, request.form, question_id=question_id, page_id=page_id, section_id=section_id, by=current_user
    )
    if saved.question is not None:
        flash(f"Question '{saved.question['label']}' saved in the draft.", "success")
        return redirect(url_for("surveys.build", slug=survey.slug) + f"#question-{saved.question['id']}")
    values = {key: request.form.get(key, "") for key in request.form}
    return _question_form(survey, values=values, errors=saved.errors, rows=rows_to_show(request.form), **context)


@bp.route("/manage/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def create_survey():
    """Start a new survey in the builder: its title, first section and first question."""
    context = {"mode": "new-survey", "existing": None, "page_id": None, "section_id": None}
    if request.method == "GET":
        return _question_form(None, values=_blank(), errors={}, rows=rows_from_options(None), **context)
    if (changed_rows := _posted(None, **context)) is not None:
        return changed_rows
    started = start_survey_from_form(request.form, by=current_user)
    if started.survey is not None:
        title = started.survey.title
        flash(f"Draft survey '{title}' created. Add its other questions, preview it, then publish it.", "success")
        return redirect(url_for("surveys.build", slug=started.survey.slug))
    values = {key: request.form.get(key, "") for key in request.form}
    return _question_form(None, values=values, errors=started.errors, rows=rows_to_show(request.form), **context)


@bp.route("/manage/<slug>/build/questions/<question_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_question(slug: str, question_id: str):
    """Change a question in the draft."""
    return _question_page(survey_or_404(slug), mode="edit", question_id=question_id)


@bp.route("/manage/<slug>/build/pages/<page_id>/questions/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def add_question(slug: str, page_id: str):
    """Add a question at the end of a page."""
    survey = survey_or_404(slug)
    try:
        locate_page(survey.draft, page_id)
    except KeyError:
        abort(404)
    return _question_page(survey, mode="add", page_id=page_id)


@bp.route("/manage/<slug>/build/sections/<section_id>/pages/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def add_page_route(slug: str, section_id: str):
    """Add a page (with its first question) at the end of a section."""
    survey = survey_or_404(slug)
    if section_id not in {s["id"] for s in survey.draft["sections"]}:
        abort(404)
    return _question_page(survey, mode="add-page", section_id=section_id)


@bp.route("/manage/<slug>/build/sections/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def add_section_route(slug: str):
    """Add a section (with a page and its first question) at the end of the survey."""
    return _question_page(survey_or_404(slug), mode="add-section")


@bp.route("/manage/<slug>/build/questions/<question_id>/move", methods=["POST"])
@role_required(*MANAGERS)
def move(slug: str, question_id: str):
    """Move a question up or down."""
    survey = survey_or_404(slug)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if _stale(survey):
        flash(STALE_MESSAGE.split(".")[0] + ". Nothing was moved; try again.", "important")
        return redirect(url_for("surveys.build", slug=slug))
    try:
        new = move_question(survey.draft, question_id, -1 if request.form.get("direction") == "up" else 1)
    except KeyError:
        abort(404)
    except BuilderError as exc:
        flash("That move would break the survey: " + "; ".join(exc.errors.values()), "important")
        return redirect(url_for("surveys.build", slug=slug))
    change_draft(survey, new, f"moved question {question_id}", by=current_user)
    return redirect(url_for("surveys.build", slug=slug) + f"#question-{question_id}")


@bp.route("/manage/<slug>/build/questions/<question_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def remove_question(slug: str, question_id: str):
    """Confirm, then delete a question from the draft (published versions keep it)."""
    survey = survey_or_404(slug)
    try:
        si, pi, qi = locate(survey.draft, question_id)
    except KeyError:
        abort(404)
    question = survey.draft["sections"][si]["pages"][pi]["questions"][qi]
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            new = delete_question(survey.draft, question_id)
        except BuilderError as exc:
            error = "; ".join(exc.errors.values())
        else:
            change_draft(survey, new, f"deleted question {question_id}", by=current_user)
            flash(f"Question '{question['label']}' deleted from the draft.", "success")
            return redirect(url_for("surveys.build", slug=slug))
    return render_template(
        "surveys/authoring/delete_question.html", survey=survey, question=question, error=error, form=FlaskForm()
    )


@bp.route("/manage/<slug>/build/pages/<page_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_page(slug: str, page_id: str):
    """Change a page's heading, introduction and the condition for showing it."""
    survey = survey_or_404(slug)
    try:
        si, pi = locate_page(survey.draft, page_id)
    except KeyError:
        abort(404)
    page = survey.draft["sections"][si]["pages"][pi]
    values = {k: page.get(k, "") for k in ("title", "hint", "show_if")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        values = {k: request.form.get(k, "") for k in ("title", "hint", "show_if")}
        if _stale(survey):
            errors["draft"] = STALE_MESSAGE
        else:
            try:
                new = save_page(survey.draft, page_id, **values)
            except BuilderError as exc:
                errors.update(exc.errors)
            else:
                change_draft(survey, new, f"edited page {page_id}", by=current_user)
                flash("Page saved in the draft.", "success")
                return redirect(url_for("surveys.build", slug=slug) + f"#page-{page_id}")
    return render_template(
        "surveys/authoring/page.html",
        survey=survey,
        page=page,
        values=values,
        errors=errors,
        digest=draft_digest(survey.draft),
        form=FlaskForm(),
    )


# --- preview --------------------------------------------------------------------------------------


def _preview_key(survey) -> str:
    return f"preview:{survey.id}"


@bp.route("/manage/<slug>/preview/", defaults={"page_id": None})
@bp.route("/manage/<slug>/preview/<page_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def preview(slug: str, page_id: str | None):
    """The draft as a respondent sees it, page by page. Answers are kept only in this browser session."""
    survey = survey_or_404(slug)
    try:
        definition = load_definition(survey.draft)
    except DefinitionError as exc:
        return render_template("surveys/authoring/preview_broken.html", survey=survey, problems=exc.problems)
    answers = dict(session.get(_preview_key(survey), {}))
    if page_id is None:
        session.pop(_preview_key(survey), None)
        return redirect(url_for("surveys.preview", slug=slug, page_id=definition.pages[0].id))
    if page_id == "check":
        rows = preview_check_rows(definition, answers)
        return render_template("surveys/authoring/preview_check.html", survey=survey, rows=rows)
    current = definition.page(page_id)
    if current is None:
        abort(404)
    if request.method == "POST" and not FlaskForm().validate_on_submit():
        abort(400)
    try:
        step = preview_step(definition, current, answers, request.form if request.method == "POST" else None)
    except TamperedAnswer:
        abort(400)
    if step.next_page_id:
        session[_preview_key(survey)] = step.answers
        return redirect(url_for("surveys.preview", slug=slug, page_id=step.next_page_id))
    return _preview_page(survey, definition, current, step)


def _preview_page(survey, definition, page, step):
    """One preview page, as the respondent's page shows it."""
    back = url_for("surveys.preview", slug=survey.slug, page_id=step.back_page_id) if step.back_page_id else None
    return render_template(
        "surveys/authoring/preview.html",
        survey=survey,
        definition=definition,
        page=page,
        questions=step.questions,
        raw=step.raw,
        errors=step.errors,
        error_list=[(f"#{k}", m) for k, m in step.errors.items()],
        back_url=back or url_for("surveys.build", slug=survey.slug),
        label=lambda text: pipe(text, definition, step.answers),
        field_id=field_id,
        other_key=other_key,
        DONT_KNOW=DONT_KNOW,
        form=FlaskForm(),
        applies=step.applies,
    )


# --- XLSForm upload -------------------------------------------------------------------------------


class XLSFormUploadForm(FlaskForm):
    """An XLSForm workbook."""

    file = FileField(
        "Upload an XLSForm (.xlsx)",
        validators=[
            FileRequired("Select an XLSForm file"),
            FileAllowed(["xlsx"], "The selected file must be an .xlsx workbook"),
        ],
    )


@bp.route("/manage/import-xlsform", methods=["GET", "POST"])
@role_required(*MANAGERS)
def import_xlsform_route():
    """Create a draft survey from an XLSForm; list every row that could not be brought across, and why."""
    form = XLSFormUploadForm()
    if form.validate_on_submit():
        try:
            result = create_draft_from_xlsform(form.file.data, by=current_user)
        except XLSFormError as exc:  # shown on the file field, in the error summary
            form.file.errors.append(str(exc))
        else:
            return render_template(
                "surveys/authoring/xlsform_done.html", survey=result.survey, unmapped=result.unmapped
            )
    return render_template("surveys/authoring/xlsform.html", form=form)
