"""Survey definitions as data: validate JSON against the schema and the platform's rules, and
load it into immutable objects the answering, results and export code share."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from app.numbers import LIMIT
from app.surveys.authoring import expressions

SCHEMA_PATH = Path(__file__).parent / "definitions" / "survey-definition.schema.json"
CHOICE_TYPES = {"single_choice", "multiple_choice", "yes_no"}
NUMBER_TYPES = {"integer", "decimal", "percentage", "money"}
TEXT_TYPES = {"short_text", "long_text"}
DEFAULT_MAX_LENGTH = {"short_text": 200, "long_text": 2000}
YES_NO = ({"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"})
SELECT_THRESHOLD = 15  # longer single-choice lists become a select unless the definition says otherwise


class DefinitionError(ValueError):
    """A definition that cannot be used; `problems` lists each one in plain English."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Option:
    """A choice: value stored, label shown."""

    value: str
    label: str
    hint: str = ""
    exclusive: bool = False
    specify: bool = False


@dataclass(frozen=True)
class Item:
    """A matrix row or a user-grid category."""

    id: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Validation:
    """A rule in the expression language, and the message shown when it is false."""

    rule: str
    message: str


@dataclass(frozen=True)
class Question:
    """One question and everything needed to ask, check and report it."""

    id: str
    type: str
    label: str
    page_id: str
    section_id: str
    short: str = ""
    hint: str = ""
    required: bool = True
    show_if: str | None = None
    options: tuple[Option, ...] = ()
    display: str = "radios"
    min: float | str | None = None
    max: float | str | None = None
    unit: str = ""
    places: int = 2
    max_length: int | None = None
    dont_know: bool = False
    rows: tuple[Item, ...] = ()
    scale: tuple[Option, ...] = ()
    categories: tuple[Item, ...] = ()
    total_label: str = "Total"
    validations: tuple[Validation, ...] = ()
    messages: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def specify_option(self) -> Option | None:
        """The option that asks 'please specify', if any."""
        return next((o for o in self.options if o.specify), None)

    @property
    def specify_prompt(self) -> str:
        """What the 'please specify' box asks, in GOV.UK words: "Describe another type of setting"."""
        option = self.specify_option
        if option is None:
            return ""
        label = option.label.strip()
        if label[:1].isupper() and not label[1:2].isupper():
            label = label[0].lower() + label[1:]  # keep abbreviations ("ICT") as written
        return f"Describe {label}"

    def option_label(self, value: str) -> str:
        """The label for a stored option value (the value itself if unknown)."""
        for option in self.options or self.scale:
            if option.value == value:
                return option.label
        return value


@dataclass(frozen=True)
class Page:
    """Questions asked together on one screen."""

    id: str
    section_id: str
    questions: tuple[Question, ...]
    title: str = ""
    hint: str = ""
    show_if: str | None = None


@dataclass(frozen=True)
class Section:
    """A group of pages shown as 'Section 2 of 5'."""

    id: str
    title: str
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class Definition:
    """A whole survey definition, loaded and checked."""

    title: str
    sections: tuple[Section, ...]
    description: str = ""
    privacy: str = ""
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @property
    def pages(self) -> list[Page]:
        """Every page in order."""
        return [page for section in self.sections for page in section.pages]

    @property
    def questions(self) -> list[Question]:
        """Every question in order."""
        return [q for page in self.pages for q in page.questions]

    def question(self, question_id: str) -> Question | None:
        """The question with this id."""
        return self._questions_by_id().get(question_id)

    def page(self, page_id: str) -> Page | None:
        """The page with this id."""
        return next((p for p in self.pages if p.id == page_id), None)

    def asked_after(self, question: Question) -> Question | None:
        """For a free-text question that follows another on its page ("Why do you say that?"), the question it
        follows, so the answers can be read beside what they answer; None for any other question."""
        if question.type not in ("short_text", "long_text"):
            return None
        page = self.page(question.page_id)
        ids = [q.id for q in page.questions] if page else []
        position = ids.index(question.id) if question.id in ids else 0
        return page.questions[position - 1] if page and position > 0 else None

    def section_number(self, section_id: str) -> int:
        """1-based position of a section."""
        return next(i for i, s in enumerate(self.sections, start=1) if s.id == section_id)

    def _questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


@cache
def _schema_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _where(path) -> str:
    parts = [str(p) for p in path]
    return "/".join(parts) if parts else "the definition"


def schema_problems(data: Any) -> list[str]:
    """Ways the JSON breaks the schema, each with where it is."""
    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{_where(e.absolute_path)}: {e.message}" for e in errors[:50]]


def _rule_problems(data: dict[str, Any]) -> list[str]:
    """Checks the schema cannot express: unique ids, expressions that parse and look backwards."""
    problems: list[str] = []
    seen_pages: set[str] = set()
    seen_questions: list[str] = []
    for section in data["sections"]:
        for page in section["pages"]:
            if page["id"] in seen_pages:
                problems.append(f"Page id '{page['id']}' is used twice")
            seen_pages.add(page["id"])
            earlier = list(seen_questions)
            if "show_if" in page:
                problems += [
                    f"Page '{page['id']}' show_if: {p}" for p in expressions.validate(page["show_if"], earlier)
                ]
            on_page = [q["id"] for q in page["questions"]]
            for question in page["questions"]:
                qid = question["id"]
                if qid in seen_questions:
                    problems.append(f"Question id '{qid}' is used twice")
                if "show_if" in question:
                    problems += [
                        f"Question '{qid}' show_if: {p}" for p in expressions.validate(question["show_if"], earlier)
                    ]
                for rule in question.get("validations", []):
                    problems += [
                        f"Question '{qid}' rule: {p}" for p in expressions.validate(rule["rule"], earlier + on_page)
                    ]
                values = [o["value"] for o in question.get("options", [])]
                if len(values) != len(set(values)):
                    problems.append(f"Question '{qid}' has two options with the same value")
                if question["type"] != "multiple_choice" and any(
                    o.get("exclusive") for o in question.get("options", [])
                ):
                    problems.append(f"Question '{qid}': only multiple choice options can be exclusive")
                if sum(bool(o.get("specify")) for o in question.get("options", [])) > 1:
                    problems.append(f"Question '{qid}' has more than one 'please specify' option")
                problems += _bound_problems(qid, question)
                seen_questions.append(qid)
    return problems


def _bound_problems(qid: str, question: dict[str, Any]) -> list[str]:
    """A number question's min and max: numbers within the platform's range (app.numbers.LIMIT), in order."""
    problems: list[str] = []
    bounds: dict[str, float] = {}
    for key in ("min", "max"):
        value = question.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            if question["type"] != "date":
                problems.append(f"Question '{qid}': {key} must be a number")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not (math.isfinite(value) and -LIMIT <= value <= LIMIT):
                problems.append(f"Question '{qid}': {key} must be between {-LIMIT:,} and {LIMIT:,}")
            else:
                bounds[key] = value
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        problems.append(f"Question '{qid}': min must not be more than max")
    return problems


def definition_problems(data: Any) -> list[str]:
    """Everything wrong with a definition; an empty list means it can be used."""
    problems = schema_problems(data)
    return problems or _rule_problems(data)


def _question(raw: dict[str, Any], page_id: str, section_id: str) -> Question:
    kind = raw["type"]
    options = raw.get("options", YES_NO if kind == "yes_no" else ())
    display = raw.get("display") or (
        "select" if kind == "single_choice" and len(options) > SELECT_THRESHOLD else "radios"
    )
    return Question(
        id=raw["id"],
        type=kind,
        label=raw["label"],
        page_id=page_id,
        section_id=section_id,
        short=raw.get("short", ""),
        hint=raw.get("hint", ""),
        required=raw.get("required", True),
        show_if=raw.get("show_if"),
        options=tuple(Option(**o) for o in options),
        display=display,
        min=0 if kind == "percentage" and "min" not in raw else raw.get("min"),
        max=100 if kind == "percentage" and "max" not in raw else raw.get("max"),
        unit=raw.get("unit", "%" if kind == "percentage" else ""),
        places=raw.get("places", 0 if kind == "integer" else 2),
        max_length=raw.get("max_length", DEFAULT_MAX_LENGTH.get(kind)),
        dont_know=raw.get("dont_know", False),
        rows=tuple(Item(**r) for r in raw.get("rows", ())),
        scale=tuple(Option(**o) for o in raw.get("scale", ())),
        categories=tuple(Item(**c) for c in raw.get("categories", ())),
        total_label=raw.get("total_label", "Total"),
        validations=tuple(Validation(**v) for v in raw.get("validations", ())),
        messages=dict(raw.get("messages", {})),
    )


def load_definition(data: Any) -> Definition:
    """Check a definition and load it. Raises DefinitionError listing every problem."""
    problems = definition_problems(data)
    if problems:
        raise DefinitionError(problems)
    sections = tuple(
        Section(
            id=s["id"],
            title=s["title"],
            pages=tuple(
                Page(
                    id=p["id"],
                    section_id=s["id"],
                    title=p.get("title", ""),
                    hint=p.get("hint", ""),
                    show_if=p.get("show_if"),
                    questions=tuple(_question(q, p["id"], s["id"]) for q in p["questions"]),
                )
                for p in s["pages"]
            ),
        )
        for s in data["sections"]
    )
    return Definition(
        title=data["title"],
        description=data.get("description", ""),
        privacy=data.get("privacy", ""),
        sections=sections,
        raw=data,
    )
