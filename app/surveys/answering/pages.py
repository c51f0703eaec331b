"""Answering a survey: which pages apply, reading and checking a page's answers, and how answers read back.

Plain functions of a Definition and a dict of answers, so routing and validation are tested without
a request. Form field names: the question id; `<id>.<row>` for matrix rows and grid categories;
`<id>-day`/`-month`/`-year` for dates; `<id>.dont_know` for "I do not know"; `<id>__other` for
"please specify" text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from app.numbers import NumberError, format_bound, parse_decimal, parse_whole_number
from app.surveys.authoring import expressions
from app.surveys.authoring.definition import Definition, Page, Question
from app.wording import singular_noun

DONT_KNOW = "dont_know"
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)\}")
GRID_MAXIMUM = 10_000_000  # users in one group of a user grid
MONTHS = ("January February March April May June July August September October November December").split()


def other_key(question_id: str) -> str:
    """Where 'please specify' text for a question is kept."""
    return f"{question_id}__other"


def field_id(name: str) -> str:
    """An HTML id for a form field name."""
    return name.replace(".", "-")


# --- routing -------------------------------------------------------------------------------------


def page_applies(page: Page, answers: dict[str, Any]) -> bool:
    """True when the page's show_if holds (or it has none)."""
    return page.show_if is None or expressions.is_true(page.show_if, answers)


def visible_questions(page: Page, answers: dict[str, Any]) -> list[Question]:
    """The page's questions whose show_if holds."""
    return [q for q in page.questions if q.show_if is None or expressions.is_true(q.show_if, answers)]


def route(definition: Definition, answers: dict[str, Any]) -> list[Page]:
    """The pages this respondent sees, in order, given their answers so far."""
    return [p for p in definition.pages if page_applies(p, answers) and visible_questions(p, answers)]


def next_page(definition: Definition, answers: dict[str, Any], page_id: str) -> Page | None:
    """The page after this one on the respondent's route (None: go to check answers)."""
    pages = definition.pages
    index = next(i for i, p in enumerate(pages) if p.id == page_id)
    for page in pages[index + 1 :]:
        if page_applies(page, answers) and visible_questions(page, answers):
            return page
    return None


def previous_page(definition: Definition, answers: dict[str, Any], page_id: str) -> Page | None:
    """The page before this one on the respondent's route (None: it is the first)."""
    pages = definition.pages
    index = next(i for i, p in enumerate(pages) if p.id == page_id)
    for page in reversed(pages[:index]):
        if page_applies(page, answers) and visible_questions(page, answers):
            return page
    return None


def relevant_answers(definition: Definition, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to questions on the respondent's route (skipped ones are left out)."""
    kept: dict[str, Any] = {}
    for page in route(definition, answers):
        for question in visible_questions(page, answers):
            for key in (question.id, other_key(question.id)):
                if key in answers:
                    kept[key] = answers[key]
    return kept


def is_answered(value: Any) -> bool:
    """True when an answer holds something."""
    if value is None or value == "" or value == [] or value == {}:
        return False
    if isinstance(value, dict):
        return any(is_answered(v) for v in value.values())
    return True


def first_unanswered_page(definition: Definition, answers: dict[str, Any]) -> Page | None:
    """The first page on the route with a required question not yet answered."""
    for page in route(definition, answers):
        for question in visible_questions(page, answers):
            if question.required and not _complete(question, answers.get(question.id)):
                return page
    return None


def _complete(question: Question, value: Any) -> bool:
    if question.type == "matrix":
        return isinstance(value, dict) and all(value.get(r.id) for r in question.rows)
    if question.type == "user_grid":
        return isinstance(value, dict) and all(value.get(c.id) is not None for c in question.categories)
    return is_answered(value)


# --- piping --------------------------------------------------------------------------------------


def without_placeholders(text: str) -> str:
    """A label with its {question_id} placeholders taken out, for places with no one answer to pipe in."""
    return re.sub(r"\{[^}]*\}\s*", "", text)


def pipe(text: str, definition: Definition, answers: dict[str, Any]) -> Markup:
    """Replace {question_id} in a label with the respondent's earlier answer, escaped."""

    def replace(match: re.Match) -> str:
        ref = match.group(1)
        qid, _, part = ref.partition(".")
        question = definition.question(qid)
        value = answers.get(qid)
        if part and isinstance(value, dict):
            value = value.get(part)
        if question is None or not is_answered(value):
            return "the"  # reads naturally in "the education settings you support"
        if part or (question.type in ("integer", "decimal") and value != DONT_KNOW):
            return str(escape(_format_number(value, 0 if question.type == "integer" else None)))
        return str(escape(display_value(question, value)))

    return Markup(_PLACEHOLDER.sub(replace, str(escape(text))))  # noqa: S704 - text escaped first


# --- reading a submitted page --------------------------------------------------------------------


@dataclass
class PageResult:
    """A page's answers read from a form: values to save, errors by field id, and what was typed."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _name(question: Question) -> str:
    return question.short or "an answer"


def _message(question: Question, key: str, default: str) -> str:
    return question.messages.get(key, default)


def _format_number(value: Any, places: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""  # stored before NaN and infinities were refused: shown as no answer
    if isinstance(value, int) or (places == 0):
        return f"{int(value):,}"
    text = f"{value:,.{places if places is not None else 2}f}"
    return text.rstrip("0").rstrip(".") if places is None else text


def _parse_number(question: Question, text: str, result: PageResult, key: str) -> float | int | None:
    """Read a number answer with the platform's one parser (app.numbers), in this question's words.

    The text is checked for length and form before conversion; a question without a minimum or
    maximum is held to the platform's default range (app.numbers.LIMIT).
    """
    cleaned = text.replace("£", "").replace("%", "")
    name = _name(question)
    kind = question.type
    places = 0 if kind == "integer" else (2 if kind == "money" else question.places)
    low, high = _bound(question.min), _bound(question.max)
    try:
        if kind == "integer":
            number: Decimal | int = parse_whole_number(cleaned, minimum=low, maximum=high)
        else:
            number = parse_decimal(cleaned, minimum=low, maximum=high, places=places)
    except NumberError as problem:
        result.errors[key] = _number_message(question, name, problem)
        return None
    return number if isinstance(number, int) else float(number)


def _bound(value: Any) -> Decimal | None:
    """A definition's min or max as a Decimal (None when it gives none, or gives something not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _number_message(question: Question, name: str, problem: NumberError) -> str:
    """The message for a refused number answer: the definition's own, or one naming the answer."""
    kind = question.type
    named = name[0].upper() + name[1:]
    if problem.reason == "form":
        what = "an amount of money" if kind == "money" else "a number"
        return _message(question, "number", f"Enter {name} as {what}")
    if problem.reason == "whole" or (problem.reason == "places" and problem.places == 0):
        return _message(question, "whole", f"Enter {name} as a whole number")
    if problem.reason == "places":
        if kind == "money":
            return _message(question, "places", f"Enter {name} in pounds and pence, like 1250.50")
        return _message(question, "places", f"Enter {name} with no more than {problem.places} decimal places")

    def fmt(d: Decimal) -> str:  # units are written in the plural ("settings"): "1 setting", "2 settings"
        unit = f" {singular_noun(question.unit) if d == 1 else question.unit}" if question.unit else ""
        return f"£{format_bound(d)}" if kind == "money" else f"{format_bound(d)}{'%' if kind == 'percentage' else unit}"

    if problem.reason == "min":
        low = problem.minimum
        message = f"{named} cannot be negative" if low == 0 else f"{named} must be {fmt(low)} or more"
        return _message(question, "min", message)
    high = problem.maximum
    message = f"{named} must be {fmt(high)} or less"
    if kind == "percentage" and high == 100:
        message = f"{named} must be 100% or less"
    return _message(question, "max", message)


def _read_specify(question: Question, form, result: PageResult, chosen: list[str]) -> None:
    """The 'please specify' text: required when its option is chosen, cleared when it is not."""
    specify = question.specify_option
    if specify is None:
        return
    key = other_key(question.id)
    if specify.value not in chosen:
        result.values[key] = None
        return
    text = form.get(key, "").strip()
    result.raw[key] = text
    if not text:
        result.errors[field_id(key)] = _message(question, "specify", question.specify_prompt)
    elif len(text) > 200:
        result.errors[field_id(key)] = f"{question.specify_prompt} in 200 characters or fewer"
    result.values[key] = text


def _read_question(question: Question, form, result: PageResult) -> None:  # noqa: C901 - one branch per type
    qid, name = question.id, _name(question)
    key = field_id(qid)
    kind = question.type
    required = _message(question, "required", _default_required(question))
    if kind in ("single_choice", "yes_no"):
        value = form.get(qid, "").strip()
        result.raw[qid] = value
        allowed = {o.value for o in question.options}
        if value and value not in allowed:
            raise TamperedAnswer(f"{qid}: unknown option {value!r}")
        _read_specify(question, form, result, chosen=[value])
        if not value and question.required:
            result.errors[key] = required
        result.values[qid] = value or None
    elif kind == "multiple_choice":
        values = [v.strip() for v in form.getlist(qid) if v.strip()]
        result.raw[qid] = values
        allowed = {o.value for o in question.options}
        if any(v not in allowed for v in values):
            raise TamperedAnswer(f"{qid}: unknown option")
        exclusive = {o.value for o in question.options if o.exclusive}
        chosen_exclusive = [v for v in values if v in exclusive]
        if chosen_exclusive and len(values) > 1:
            label = question.option_label(chosen_exclusive[0])
            result.errors[key] = _message(
                question, "exclusive", f"Select '{label}' on its own, or the options that apply"
            )
        _read_specify(question, form, result, chosen=values)
        if not values and question.required:
            result.errors[key] = required
        result.values[qid] = [o.value for o in question.options if o.value in values] or None
    elif kind in ("integer", "decimal", "percentage", "money"):
        text = form.get(qid, "").strip()
        dont_know = question.dont_know and form.get(f"{qid}.{DONT_KNOW}") == "yes"
        result.raw[qid] = text
        result.raw[f"{qid}.{DONT_KNOW}"] = dont_know
        if dont_know and text:
            result.errors[key] = _message(question, "dont_know", f"Enter {name} or select 'I do not know', not both")
            return
        if dont_know:
            result.values[qid] = DONT_KNOW
            return
        if not text:
            if question.required:
                result.errors[key] = required
            result.values[qid] = None
            return
        number = _parse_number(question, text, result, key)
        if number is not None:
            result.values[qid] = number
    elif kind in ("short_text", "long_text"):
        text = form.get(qid, "").replace("\r\n", "\n").strip()
        result.raw[qid] = text
        if not text and question.required:
            result.errors[key] = required
        elif question.max_length and len(text) > question.max_length:
            result.errors[key] = _message(
                question, "length", f"{name[0].upper() + name[1:]} must be {question.max_length:,} characters or fewer"
            )
        else:
            result.values[qid] = text or None
    elif kind == "date":
        parts = {p: form.get(f"{qid}-{p}", "").strip() for p in ("day", "month", "year")}
        result.raw.update({f"{qid}-{p}": v for p, v in parts.items()})
        if not any(parts.values()):
            if question.required:
                result.errors[f"{key}-day"] = required
            result.values[qid] = None
            return
        missing = [p for p, v in parts.items() if not v]
        if missing:
            result.errors[f"{key}-{missing[0]}"] = f"{name[0].upper() + name[1:]} must include a {missing[0]}"
            return
        try:
            year, month, day = (
                parse_whole_number(parts[p], minimum=1, maximum=9999, thousands=False) for p in ("year", "month", "day")
            )
            moment = date(year, month, day)
            if not 1900 <= moment.year <= 2100:
                raise ValueError
        except ValueError:
            result.errors[f"{key}-day"] = _message(
                question, "date", f"{name[0].upper() + name[1:]} must be a real date"
            )
            return
        for bound, op, word in ((question.min, "lt", "on or after"), (question.max, "gt", "on or before")):
            if isinstance(bound, str):
                limit = date.fromisoformat(bound)
                if (op == "lt" and moment < limit) or (op == "gt" and moment > limit):
                    result.errors[f"{key}-day"] = f"{name[0].upper() + name[1:]} must be {word} {_long_date(limit)}"
                    return
        result.values[qid] = moment.isoformat()
    elif kind == "matrix":
        chosen: dict[str, str] = {}
        allowed = {o.value for o in question.scale}
        for row in question.rows:
            value = form.get(f"{qid}.{row.id}", "").strip()
            result.raw[f"{qid}.{row.id}"] = value
            if value and value not in allowed:
                raise TamperedAnswer(f"{qid}.{row.id}: unknown option {value!r}")
            if value:
                chosen[row.id] = value
            elif question.required:
                result.errors.setdefault(
                    field_id(f"{qid}.{row.id}"),
                    _message(question, "required", f"Select an answer for {row.label.lower()}"),
                )
        result.values[qid] = chosen or None
    elif kind == "user_grid":
        counts: dict[str, int | None] = {}
        for category in question.categories:
            text = form.get(f"{qid}.{category.id}", "").strip()
            result.raw[f"{qid}.{category.id}"] = text
            cell = field_id(f"{qid}.{category.id}")
            what = f"the number of {category.label.lower()}"
            if not text.replace(",", "").strip():
                if question.required:
                    result.errors.setdefault(cell, f"Enter {what}, or 0")
                counts[category.id] = None
                continue
            try:
                counts[category.id] = parse_whole_number(text, minimum=0, maximum=GRID_MAXIMUM)
            except NumberError as problem:
                if problem.reason == "min":
                    message = f"The number of {category.label.lower()} cannot be negative"
                elif problem.reason == "max":
                    message = f"The number of {category.label.lower()} must be {GRID_MAXIMUM:,} or less"
                else:
                    message = f"Enter {what} as a whole number"
                result.errors.setdefault(cell, message)
        result.values[qid] = counts if any(v is not None for v in counts.values()) else None


class TamperedAnswer(ValueError):
    """The form holds something the page never offered (an unknown option or field)."""


def _default_required(question: Question) -> str:
    name = _name(question)
    if question.type in ("single_choice", "yes_no", "matrix"):
        return f"Select {name}"
    if question.type == "multiple_choice":
        return f"Select {name}"
    return f"Enter {name}"


def question_has_error(question_id: str, errors: dict[str, str]) -> bool:
    """True when any of a question's fields (cells, date parts, 'please specify') has an error."""
    prefix = field_id(question_id)
    return any(key == prefix or key.startswith((prefix + "-", prefix + "__")) for key in errors)


def read_page(definition: Definition, page: Page, form, answers: dict[str, Any]) -> PageResult:
    """Read and check one page's answers from a submitted form.

    `answers` are the respondent's other answers, used for show_if and for validation rules.
    Raises TamperedAnswer when the form holds options the page never offered.
    """
    result = PageResult()
    questions = visible_questions(page, answers)
    for question in questions:
        _read_question(question, form, result)
    combined = {**answers, **result.values}
    for question in questions:
        if question_has_error(question.id, result.errors) or not is_answered(result.values.get(question.id)):
            continue
        for rule in question.validations:
            if not expressions.is_true(rule.rule, combined):
                result.errors[field_id(question.id)] = rule.message
                break
    return result


# --- reading answers back ------------------------------------------------------------------------


def _long_date(moment: date) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def display_value(question: Question, value: Any) -> str:
    """An answer as a person reads it on the check-answers page and in exports' label mode."""
    if not is_answered(value):
        return ""
    if value == DONT_KNOW:
        return "I do not know"
    if isinstance(value, float) and not math.isfinite(value):
        return ""  # stored before NaN and infinities were refused
    kind = question.type
    if kind in ("single_choice", "yes_no"):
        return question.option_label(value)
    if kind == "multiple_choice":
        return ", ".join(question.option_label(v) for v in value)
    if kind == "money":
        return f"£{value:,.2f}"
    if kind == "percentage":
        return f"{_format_number(value, None)}%"
    if kind in ("integer", "decimal"):
        text = _format_number(value, 0 if kind == "integer" else None)
        return f"{text} {question.unit}".strip()
    if kind == "date":
        return _long_date(date.fromisoformat(value))
    if kind == "matrix":
        return "; ".join(f"{r.label}: {question.option_label(value[r.id])}" for r in question.rows if value.get(r.id))
    if kind == "user_grid":
        parts = [f"{c.label}: {value[c.id]:,}" for c in question.categories if value.get(c.id) is not None]
        total = sum(v for v in value.values() if isinstance(v, int))
        return "; ".join(parts) + f"; {question.total_label}: {total:,}"
    return str(value)


def form_values(page: Page, answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers as form fields, to fill a page in again."""
    raw: dict[str, Any] = {}
    for question in page.questions:
        qid, value = question.id, answers.get(question.id)
        if question.type in ("single_choice", "yes_no"):
            raw[qid] = value or ""
            raw[other_key(qid)] = answers.get(other_key(qid)) or ""
        elif question.type == "multiple_choice":
            raw[qid] = value or []
            raw[other_key(qid)] = answers.get(other_key(qid)) or ""
        elif question.type in ("integer", "decimal", "percentage", "money"):
            raw[f"{qid}.{DONT_KNOW}"] = value == DONT_KNOW
            if value is None or value == DONT_KNOW:
                raw[qid] = ""
            elif question.type == "money":
                raw[qid] = f"{value:.2f}"
            else:
                raw[qid] = _format_number(value, 0 if question.type == "integer" else None).replace(",", "")
        elif question.type == "date":
            moment = date.fromisoformat(value) if value else None
            for part in ("day", "month", "year"):
                raw[f"{qid}-{part}"] = str(getattr(moment, part)) if moment else ""
        elif question.type in ("matrix", "user_grid"):
            items = question.rows if question.type == "matrix" else question.categories
            for item in items:
                cell = (value or {}).get(item.id)
                raw[f"{qid}.{item.id}"] = "" if cell is None else str(cell)
        else:
            raw[qid] = value or ""
    return raw
