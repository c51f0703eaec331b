"""Editing a survey's draft definition: plain functions over the draft's JSON, checked as a whole
after every change so a draft can always be published or previewed; and the preview's steps, which
answer the draft page by page as a respondent would, keeping the answers wherever the caller does."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.numbers import MAX_PLACES, NumberError, parse_decimal, parse_whole_number
from app.surveys.answering.check import check_sections
from app.surveys.answering.pages import (
    form_values,
    next_page,
    previous_page,
    read_page,
    route,
    visible_questions,
)
from app.surveys.authoring.definition import Definition, Page, Question, definition_problems
from app.surveys.authoring.option_rows import options_from_rows, rows_from_form

QUESTION_TYPES: dict[str, str] = {
    "single_choice": "One answer from a list (radios, or a select for long lists)",
    "multiple_choice": "Several answers from a list (checkboxes)",
    "yes_no": "Yes or no",
    "integer": "Whole number",
    "decimal": "Decimal number",
    "percentage": "Percentage",
    "money": "Money (£)",
    "short_text": "Short text",
    "long_text": "Long text",
    "date": "Date",
    "matrix": "Grid of rows, each rated on the same scale",
    "user_grid": "Number per category, with a total",
}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT_LIMIT = 10_000  # the longest max_length the definition schema allows


class BuilderError(ValueError):
    """The change cannot be made; `errors` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


STALE_MESSAGE = (
    "Someone else changed this draft while you were editing. Your changes are below: check them "
    "against the latest draft and save again."
)


def draft_digest(draft: dict[str, Any]) -> str:
    """A fingerprint of the draft, so a save from a stale page is caught."""
    return hashlib.sha256(json.dumps(draft, sort_keys=True).encode()).hexdigest()[:16]


def is_stale(draft: dict[str, Any], submitted_digest: str | None) -> bool:
    """Whether an editor page was filled in against an older draft than this one."""
    return submitted_digest != draft_digest(draft)


def slugify(text: str, limit: int = 40) -> str:
    """An id or option value from a label: lower case, underscores."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:limit] or "item"
    return slug if slug[0].isalpha() else f"x_{slug}"[:limit]


def _all_ids(draft: dict) -> set[str]:
    return {q["id"] for s in draft["sections"] for p in s["pages"] for q in p["questions"]} | {
        p["id"] for s in draft["sections"] for p in s["pages"]
    }


def locate(draft: dict, question_id: str) -> tuple[int, int, int]:
    """Section, page and position of a question in the draft."""
    for si, section in enumerate(draft["sections"]):
        for pi, page in enumerate(section["pages"]):
            for qi, question in enumerate(page["questions"]):
                if question["id"] == question_id:
                    return si, pi, qi
    raise KeyError(question_id)


def locate_page(draft: dict, page_id: str) -> tuple[int, int]:
    """Section and position of a page."""
    for si, section in enumerate(draft["sections"]):
        for pi, page in enumerate(section["pages"]):
            if page["id"] == page_id:
                return si, pi
    raise KeyError(page_id)


# --- reading the question form --------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_options(text: str) -> list[dict]:
    """'value | Label | hint [exclusive] [specify]' per line; the value may be left out (a grid's scale:
    a choice question's options are edited as rows, see option_rows.py)."""
    options = []
    for line in _lines(text):
        exclusive = "[exclusive]" in line
        specify = "[specify]" in line
        line = line.replace("[exclusive]", "").replace("[specify]", "").strip()
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 1:
            value, label, hint = slugify(parts[0], 60).replace("_", "-"), parts[0], ""
        else:
            value, label, hint = parts[0], parts[1], (parts[2] if len(parts) > 2 else "")
        option: dict[str, Any] = {"value": value, "label": label}
        if hint:
            option["hint"] = hint
        if exclusive:
            option["exclusive"] = True
        if specify:
            option["specify"] = True
        options.append(option)
    return options


def format_options(options: list[dict]) -> str:
    """The options as the form shows them."""
    lines = []
    for o in options or []:
        line = f"{o['value']} | {o['label']}" + (f" | {o['hint']}" if o.get("hint") else "")
        line += " [exclusive]" if o.get("exclusive") else ""
        line += " [specify]" if o.get("specify") else ""
        lines.append(line)
    return "\n".join(lines)


def parse_items(text: str) -> list[dict]:
    """'id | Label' per line (rows of a grid, or user categories); the id may be left out."""
    items = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")]
        items.append(
            {"id": slugify(parts[0]), "label": parts[0]} if len(parts) == 1 else {"id": parts[0], "label": parts[1]}
        )
    return items


def format_items(items: list[dict]) -> str:
    """Rows or categories as the form shows them."""
    return "\n".join(f"{i['id']} | {i['label']}" for i in items or [])


def parse_validations(text: str) -> list[dict]:
    """'rule => message' per line."""
    rules = []
    for line in _lines(text):
        rule, _, message = line.partition("=>")
        rules.append({"rule": rule.strip(), "message": message.strip() or "Check this answer"})
    return rules


def format_validations(rules: list[dict]) -> str:
    """Validation rules as the form shows them."""
    return "\n".join(f"{r['rule']} => {r['message']}" for r in rules or [])


def _number(text: str, field: str, errors: dict) -> float | int | None:
    """A number typed into the builder (a minimum or maximum), read by the platform's one parser."""
    if not (text or "").replace(",", "").strip():
        return None
    try:
        value = parse_decimal(text)
    except NumberError as problem:
        errors[field] = "Enter a number, like 0 or 100" if problem.reason == "form" else problem.message
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _whole_number(text: str, field: str, errors: dict, low: int, high: int) -> int | None:
    """A whole number typed into the builder (decimal places, a length limit), from low to high."""
    try:
        return parse_whole_number(text, minimum=low, maximum=high)
    except NumberError as problem:
        errors[field] = problem.message
        return None


def question_from_form(form, existing_id: str | None, draft: dict) -> dict:
    """Build a question's JSON from the builder form. Raises BuilderError with each field's problem."""
    errors: dict[str, str] = {}
    kind = form.get("type", "")
    if kind not in QUESTION_TYPES:
        errors["type"] = "Select the type of question"
    qid = existing_id or form.get("id", "").strip()
    if existing_id is None:
        if not qid:
            errors["id"] = "Enter an id for the question, like pupils_supported"
        elif not ID_PATTERN.match(qid):
            errors["id"] = "The id must start with a letter and use only a-z, 0-9 and _, up to 40 characters"
        elif qid in _all_ids(draft):
            errors["id"] = f"The id '{qid}' is already used in this survey"
    label = form.get("label", "").strip()
    if not label:
        errors["label"] = "Enter the question text"
    question: dict[str, Any] = {"id": qid, "type": kind, "label": label}
    for key in ("short", "hint", "unit", "total_label"):
        if form.get(key, "").strip():
            question[key] = form.get(key).strip()
    question["required"] = form.get("required", "yes") == "yes"
    if form.get("show_if", "").strip():
        question["show_if"] = form.get("show_if").strip()
    if kind in ("single_choice", "multiple_choice"):
        question["options"], option_errors = options_from_rows(rows_from_form(form), kind)
        errors.update(option_errors)
        if kind == "single_choice" and form.get("display") in ("radios", "select"):
            question["display"] = form["display"]
    if kind in ("integer", "decimal", "percentage", "money"):
        for key in ("min", "max"):
            value = _number(form.get(key, ""), key, errors)
            if value is not None:
                question[key] = value
        if form.get("dont_know") == "yes":
            question["dont_know"] = True
        if kind == "decimal" and form.get("places", "").strip():
            places = _whole_number(form.get("places"), "places", errors, 0, MAX_PLACES)
            if places is not None:
                question["places"] = places
    if kind in ("short_text", "long_text") and form.get("max_length", "").strip():
        limit = _whole_number(form.get("max_length"), "max_length", errors, 1, MAX_TEXT_LIMIT)
        if limit is not None:
            question["max_length"] = limit
    if kind == "matrix":
        question["rows"] = parse_items(form.get("rows", ""))
        question["scale"] = parse_options(form.get("scale", ""))
        if not question["rows"]:
            errors["rows"] = "Enter at least one row, one per line"
        if len(question["scale"]) < 2:
            errors["scale"] = "Enter at least two points on the scale, one per line"
    if kind == "user_grid":
        question["categories"] = parse_items(form.get("categories", ""))
        if not question["categories"]:
            errors["categories"] = "Enter at least one category, one per line"
    if form.get("validations", "").strip():
        question["validations"] = parse_validations(form.get("validations"))
    if errors:
        raise BuilderError(errors)
    return question


def question_form_values(question: dict) -> dict[str, str]:
    """A question's JSON as the builder form's fields."""
    values = {
        k: str(question.get(k, ""))
        for k in (
            "id",
            "type",
            "label",
            "short",
            "hint",
            "show_if",
            "unit",
            "total_label",
            "min",
            "max",
            "places",
            "max_length",
            "display",
        )
    }
    values["required"] = "yes" if question.get("required", True) else "no"
    values["dont_know"] = "yes" if question.get("dont_know") else ""
    values["scale"] = format_options(question.get("scale", []))
    values["rows"] = format_items(question.get("rows", []))
    values["categories"] = format_items(question.get("categories", []))
    values["validations"] = format_validations(question.get("validations", []))
    return values


# --- changes to the draft -------------------------------------------------------------------------


def _checked(draft: dict) -> dict:
    problems = definition_problems(draft)
    if problems:
        raise BuilderError({f"definition-{n}": problem for n, problem in enumerate(problems)})
    return draft


def save_question(draft: dict, page_id: str, question: dict, existing_id: str | None) -> dict:
    """A new draft with the question added to the end of the page, or replaced where it is."""
    new = copy.deepcopy(draft)
    if existing_id:
        si, pi, qi = locate(new, existing_id)
        new["sections"][si]["pages"][pi]["questions"][qi] = question
    else:
        si, pi = locate_page(new, page_id)
        new["sections"][si]["pages"][pi]["questions"].append(question)
    return _checked(new)


def move_question(draft: dict, question_id: str, direction: int) -> dict:
    """Move a question up (-1) or down (+1); past the edge of its page it moves to the next page."""
    new = copy.deepcopy(draft)
    si, pi, qi = locate(new, question_id)
    pages = [(s, p) for s, section in enumerate(new["sections"]) for p in range(len(section["pages"]))]
    questions = new["sections"][si]["pages"][pi]["questions"]
    target = qi + direction
    if 0 <= target < len(questions):
        questions[qi], questions[target] = questions[target], questions[qi]
    else:
        where = pages.index((si, pi)) + direction
        if not 0 <= where < len(pages) or len(questions) == 1:
            return draft  # already first or last, or it would leave an empty page
        moving = questions.pop(qi)
        ts, tp = pages[where]
        destination = new["sections"][ts]["pages"][tp]["questions"]
        destination.insert(len(destination) if direction < 0 else 0, moving)
    return _checked(new)


def delete_question(draft: dict, question_id: str) -> dict:
    """Remove a question; a page (and a section) left empty goes with it."""
    new = copy.deepcopy(draft)
    si, pi, qi = locate(new, question_id)
    if sum(len(p["questions"]) for s in new["sections"] for p in s["pages"]) == 1:
        raise BuilderError({"definition-0": "A survey needs at least one question"})
    pages = new["sections"][si]["pages"]
    pages[pi]["questions"].pop(qi)
    if not pages[pi]["questions"]:
        pages.pop(pi)
    if not pages:
        new["sections"].pop(si)
    return _checked(new)


def save_page(draft: dict, page_id: str, *, title: str, hint: str, show_if: str) -> dict:
    """Change a page's heading, introduction and condition."""
    new = copy.deepcopy(draft)
    si, pi = locate_page(new, page_id)
    page = new["sections"][si]["pages"][pi]
    for key, value in (("title", title), ("hint", hint), ("show_if", show_if)):
        if value.strip():
            page[key] = value.strip()
        else:
            page.pop(key, None)
    return _checked(new)


def add_page(draft: dict, section_id: str, question: dict) -> dict:
    """Add a page, with its first question, at the end of a section."""
    new = copy.deepcopy(draft)
    section = next(s for s in new["sections"] if s["id"] == section_id)
    page_id = _fresh_id(new, f"{question['id']}_page"[:40])
    section["pages"].append({"id": page_id, "questions": [question]})
    return _checked(new)


def add_section(draft: dict, title: str, question: dict) -> dict:
    """Add a section, with one page and its first question, at the end of the survey."""
    new = copy.deepcopy(draft)
    section_ids = {s["id"] for s in new["sections"]}
    section_id = slugify(title)
    number = 2
    while section_id in section_ids:
        section_id, number = f"{slugify(title)[:36]}_{number}", number + 1
    new["sections"].append(
        {
            "id": section_id,
            "title": title,
            "pages": [{"id": _fresh_id(new, f"{question['id']}_page"[:40]), "questions": [question]}],
        }
    )
    return _checked(new)


def new_draft(title: str, section_title: str, question: dict | None) -> dict:
    """A new survey's draft: its title, and a first section holding one page with its first question."""
    problems = {}
    if not title:
        problems["survey_title"] = "Enter a title for the survey"
    elif len(title) > 200:
        problems["survey_title"] = "Survey title must be 200 characters or fewer"
    if not section_title:
        problems["section_title"] = "Enter a title for the first section"
    if problems:
        raise BuilderError(problems)
    if question is None:  # only the survey's own fields were being checked
        return {}
    return add_section({"title": title, "sections": []}, section_title, question)


def change_for_question(
    draft: dict, mode: str, form, *, question_id: str | None, page_id: str | None, section_id: str | None
) -> tuple[dict, dict]:
    """The question read from the builder form and the new draft holding it, for one of the question
    editor's modes: "edit" (question_id), "add" (to the end of page_id), "add-page" (a new page at the end of
    section_id) or "add-section" (a new section titled by the form's section_title).
    Raises BuilderError with each field's problem."""
    question = question_from_form(form, question_id, draft)
    section_title = form.get("section_title", "").strip()
    if mode == "add-section" and not section_title:
        raise BuilderError({"section_title": "Enter a title for the new section"})
    if mode == "edit":
        return question, save_question(draft, "", question, question_id)
    if mode == "add":
        return question, save_question(draft, page_id, question, None)
    if mode == "add-page":
        return question, add_page(draft, section_id, question)
    return question, add_section(draft, section_title, question)


def _fresh_id(draft: dict, base: str) -> str:
    taken = _all_ids(draft)
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base[:36]}_{number}", number + 1
    return candidate


# --- the preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewStep:
    """One preview page, shown or answered.

    When the page was answered, `answers` holds every answer so far and `next_page_id` is the page to go
    to ("check" after the last one). Otherwise the page is shown again with what was typed (`raw`), its
    `errors` by field id, the questions on it, the page before it on the route (None: go back to the
    builder) and whether the page is on the route the answers so far take.
    """

    answers: dict[str, Any]
    next_page_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    back_page_id: str | None = None
    applies: bool = True


def preview_step(definition: Definition, page: Page, answers: dict[str, Any], form=None) -> PreviewStep:
    """Show a preview page (form=None) or answer it from a submitted form, as the respondent's pages do.

    Raises TamperedAnswer (app.surveys.answering.pages) when the form holds an answer no field offers.
    """
    raw, errors = form_values(page, answers), {}
    if form is not None:
        result = read_page(definition, page, form, answers)
        if result.ok:
            answered = {**answers, **result.values}
            following = next_page(definition, answered, page.id)
            return PreviewStep(answers=answered, next_page_id=following.id if following else "check")
        raw, errors = result.raw, result.errors
    back = previous_page(definition, answers, page.id)
    return PreviewStep(
        answers=answers,
        raw=raw,
        errors=errors,
        questions=visible_questions(page, answers),
        back_page_id=back.id if back else None,
        applies=page in route(definition, answers),
    )


def preview_check_rows(definition: Definition, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """The preview's 'check your answers' list: (question, answer) in the order respondents see them."""
    return [(row["label"], row["value"]) for part in check_sections(definition, answers) for row in part["rows"]]
