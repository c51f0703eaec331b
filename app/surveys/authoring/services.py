"""Authoring's writes: a new draft survey (typed in the builder or imported from an XLSForm) and each
change to a draft, every one stored with its audit event in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from app.audit.services import record
from app.database import write_transaction
from app.extensions import db
from app.surveys.authoring.builder import (
    STALE_MESSAGE,
    BuilderError,
    change_for_question,
    is_stale,
    new_draft,
    question_from_form,
)
from app.surveys.authoring.xlsform import UnmappedRow, import_xlsform
from app.surveys.models import Survey
from app.surveys.services import unique_slug


@dataclass(frozen=True)
class XLSFormDraft:
    """A draft survey made from an XLSForm, and the spreadsheet rows that were not carried over."""

    survey: Survey
    unmapped: list[UnmappedRow]


@dataclass(frozen=True)
class QuestionSaved:
    """What the question editor's save did: the question now in the draft, or the problems to show."""

    question: dict[str, Any] | None
    errors: dict[str, str]


@dataclass(frozen=True)
class SurveyStarted:
    """What the new-survey page did: the draft survey created, or the problems to show."""

    survey: Survey | None
    errors: dict[str, str]


def change_draft(survey: Survey, draft: dict[str, Any], change: str, *, by: Any = None) -> None:
    """Replace a survey's draft and record the change ("moved question q3") as `by`, in one transaction."""
    with write_transaction():
        survey.draft = draft
        record("surveys.draft_changed", survey, actor=by, change=change)


def save_question_form(
    survey: Survey,
    mode: str,
    form: Mapping[str, str],
    *,
    question_id: str | None = None,
    page_id: str | None = None,
    section_id: str | None = None,
    by: Any = None,
) -> QuestionSaved:
    """Save the question editor's form into the survey's draft (mode: edit, add, add-page, add-section;
    see `change_for_question`), recorded as `by`. Nothing is saved when the form was filled in against an
    older draft (its draft_digest) or a field is wrong: the outcome's errors say why."""
    if is_stale(survey.draft, form.get("draft_digest")):
        return QuestionSaved(None, {"draft": STALE_MESSAGE})
    try:
        question, new = change_for_question(
            survey.draft, mode, form, question_id=question_id, page_id=page_id, section_id=section_id
        )
    except BuilderError as exc:
        return QuestionSaved(None, dict(exc.errors))
    change_draft(survey, new, f"{mode} question {question['id']}", by=by)
    return QuestionSaved(question, {})


def start_survey_from_form(form: Mapping[str, str], *, by: Any = None) -> SurveyStarted:
    """Create a draft survey from the new-survey page: its title, first section and first question.
    Nothing is created when a field is wrong; the survey's own fields and the question's are all checked,
    so every problem is listed at once."""
    errors: dict[str, str] = {}
    title = " ".join(form.get("survey_title", "").split())
    section_title = form.get("section_title", "").strip()
    try:
        new_draft(title, section_title, None)
    except BuilderError as exc:
        errors.update(exc.errors)
    try:
        question = question_from_form(form, None, {"title": title, "sections": []})
        draft = new_draft(title, section_title, question) if not errors else {}
    except BuilderError as exc:
        errors.update(exc.errors)
    if errors:
        return SurveyStarted(None, errors)
    return SurveyStarted(create_draft_survey(title, draft, by=by), {})


def _new_draft(title: str, draft: dict[str, Any], action: str, by: Any, detail: dict[str, Any]) -> Survey:
    """A survey holding only a draft, under a unique slug made from its title, recorded as `action`, in one
    transaction: every way of starting a survey (builder, JSON import, XLSForm import) goes through here."""
    with write_transaction():
        survey = Survey(slug=unique_slug(title), title=title, draft=draft)
        db.session.add(survey)
        db.session.flush()
        record(action, survey, actor=by, **detail)
    return survey


def create_draft_survey(title: str, draft: dict[str, Any], *, by: Any = None) -> Survey:
    """A new survey typed in the builder: a draft with its title, recorded as created."""
    return _new_draft(title, draft, "surveys.created", by, {"title": title})


def import_draft_survey(data: dict[str, Any], *, by: Any = None) -> Survey:
    """A new draft survey from an uploaded definition already checked (`definition_problems` found none)."""
    return _new_draft(data["title"], data, "surveys.imported", by, {"title": data["title"]})


def create_draft_from_xlsform(path_or_file: str | PathLike[str] | IO[bytes], *, by: Any = None) -> XLSFormDraft:
    """Create a draft survey from an XLSForm workbook and record the import, for the web page and the CLI alike.

    Raises XLSFormError, with a one-line reason, when the file is not a usable XLSForm (nothing is written).
    """
    result = import_xlsform(path_or_file)
    survey = _new_draft(
        result.title, result.definition, "surveys.imported", by, {"source": "xlsform", "unmapped": len(result.unmapped)}
    )
    return XLSFormDraft(survey=survey, unmapped=result.unmapped)
