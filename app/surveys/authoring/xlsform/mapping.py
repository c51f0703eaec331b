"""Mapping a form pyxform has read onto a survey definition: ids and option values, pages from groups,
question types, labels, required, relevant, constraints, and every row that could not be carried over."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.surveys.authoring import expressions
from app.surveys.authoring.xlsform.reading import SURVEY_SHEET, _Sheets
from app.surveys.authoring.xlsform.report import UnmappedRow, XLSFormError
from app.surveys.authoring.xlsform.xpath import _Context, _Converter, _Unconvertible

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MAX_PAGE_QUESTIONS = 20
MAX_OPTIONS = 200
DEFAULT_CONSTRAINT_MESSAGE = "Check this answer"

# Types ODK fills in without asking anyone; the platform records who answered and when itself.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
    }
)
TRUE_VALUES = frozenset({"yes", "true", "true()"})
FALSE_VALUES = frozenset({"", "no", "false", "false()"})
SELECT_APPEARANCES = frozenset({"minimal", "autocomplete"})

# --- ids and values ------------------------------------------------------------------------------


def _unique(base: str, taken: set[str], limit: int, separator: str) -> str:
    """`base`, or `base` with a number added, not yet in `taken` (which it is then added to)."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"{separator}{number}"
        candidate = base[: limit - len(suffix)].rstrip("_-") + suffix
    taken.add(candidate)
    return candidate


def make_id(name: str, taken: set[str], prefix: str = "q_") -> str:
    """A valid, unused id from an XLSForm name: lower case, other characters to '_', at most 40 long."""
    text = name.strip().lower()
    if not ID_PATTERN.fullmatch(text):
        text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_")
        if not text:
            text = prefix.rstrip("_") or "q"
        elif not text[0].isalpha():
            text = prefix + text
        text = text[:40].rstrip("_")
    return _unique(text, taken, 40, "_")


def make_value(name: str, taken: set[str]) -> str:
    """A valid, unused option value from a choice name."""
    text = name.strip().lower()
    if not VALUE_PATTERN.fullmatch(text):
        text = re.sub(r"[^a-z0-9_-]+", "_", text).strip("_-")[:60].rstrip("_-") or "option"
    return _unique(text, taken, 60, "-")


# --- building the definition ---------------------------------------------------------------------


@dataclass
class _Expression:
    """An XLSForm expression waiting to be converted once every question's page is known."""

    source: str
    column: str
    row: int | None
    row_name: str
    self_name: str | None


@dataclass
class _Question:
    data: dict[str, Any]
    name: str
    row: int | None
    conditions: list[_Expression]
    constraint: _Expression | None = None
    constraint_message: str = ""


@dataclass
class _Page:
    base_id: str
    title: str = ""
    hints: list[tuple[str, int | None, str]] = field(default_factory=list)  # (text, row, name)
    condition: _Expression | None = None
    questions: list[_Question] = field(default_factory=list)
    first_index: int = 0  # for a group split over pages, the index of its first page


class _Builder:
    """Walk pyxform's JSON for the form and build the definition, collecting unmapped rows."""

    def __init__(self, form: dict[str, Any], sheets: _Sheets, title: str) -> None:
        self.form = form
        self.sheets = sheets
        self.title = title
        self.language = str(form.get("default_language") or "default")
        self.unmapped: list[UnmappedRow] = []
        self.context = _Context()
        self.question_ids: set[str] = set()
        self.page_ids: set[str] = set()
        self.pages: list[_Page] = []
        self.pending_notes: list[tuple[str, int | None, str]] = []
        self.generated: set[str] = set()  # names of elements pyxform adds itself
        self.value_maps: dict[str, tuple[list[dict[str, Any]], dict[str, str]]] = {}

    # reporting and reading

    def report(self, row: int | None, name: str, reason: str) -> None:
        """Note a row that was not carried over (once per reason)."""
        entry = UnmappedRow(SURVEY_SHEET, row, name, reason)
        if entry not in self.unmapped:
            self.unmapped.append(entry)

    def row_of(self, element: dict[str, Any]) -> tuple[int | None, str, str]:
        """The element's spreadsheet row, its name as written there, and its type as written there."""
        name = str(element.get("name") or "")
        generated = re.fullmatch(r"generated_note_name_(\d+)", name)
        if generated:
            row = int(generated.group(1))
            return row, "", self.sheets.type_by_row.get(row, "note")
        queue = self.sheets.rows_by_name.get(name)
        if queue:
            row, kind = queue.popleft()
            return row, name, kind
        return None, name, ""

    def text(self, value: Any) -> str:
        """A label, hint or message in the language chosen: plain column, default, English, else the first."""
        if isinstance(value, str):
            return value.strip()
        if not isinstance(value, dict) or not value:
            return ""
        for key in (self.language, "default", "English (en)"):
            if value.get(key):
                return str(value[key]).strip()
        english = next((k for k in value if str(k).lower().startswith("english") and value[k]), None)
        chosen = value[english] if english else next((v for v in value.values() if v), "")
        return str(chosen).strip()

    def fit(self, text: str, limit: int, row: int | None, name: str, what: str) -> str:
        """Text within a length limit; shortening it is reported."""
        if len(text) <= limit:
            return text
        self.report(row, name, f"{what} is longer than {limit:,} characters and was shortened")
        return text[: limit - 1].rstrip() + "…"

    def check_piping(self, text: str, row: int | None, name: str, what: str) -> None:
        """Report `${name}` inside text, which the platform shows as written."""
        found = re.search(r"\$\{\s*([^}\s]*)\s*\}", text)
        if found:
            self.report(
                row, name, f"{what} shows ${{{found.group(1)}}}, which cannot be filled in; it is shown as written"
            )

    # the walk

    def build(self) -> dict[str, Any]:
        """The definition (pages built first, then expressions converted now every page is known)."""
        for element in self.form.get("children", []):
            self.top_level(element)
        for _text, row, name in self.pending_notes:
            self.report(row, name, "note has no question after it, so it could not be placed on a page")
        self.pending_notes = []
        if not self.pages:
            raise XLSFormError("The form has no questions that can be imported")
        page_of: dict[str, int] = {}
        for index, page in enumerate(self.pages):
            for question in page.questions:
                page_of.setdefault(question.name, index)
        pages = [self.finish_page(index, page, page_of) for index, page in enumerate(self.pages)]
        section_id = make_id(self.title, set(), prefix="s_")
        return {
            "schema_version": 1,
            "title": self.title,
            "sections": [{"id": section_id, "title": self.title, "pages": pages}],
        }

    def top_level(self, element: dict[str, Any]) -> None:
        """A group becomes a page; any other question gets a page of its own; notes wait for the next page."""
        kind = str(element.get("type") or "")
        if kind == "group" and (element.get("control") or {}).get("bodyless"):
            for child in element.get("children", []):  # pyxform's meta group: instanceID, audit
                self.row_of(child)
            return
        if kind == "group":
            row, name, _ = self.row_of(element)
            page = _Page(base_id=name or "page", title=self.text(element.get("label")))
            page.title = self.fit(page.title, 300, row, name, "the group label")
            relevant = (element.get("bind") or {}).get("relevant")
            if relevant:
                page.condition = _Expression(str(relevant), "relevant", row, name, None)
            self.fill(page, element.get("children", []), [])
            self.add_page(page)
            return
        page = _Page(base_id="page")
        self.fill(page, [element], [])
        if page.questions:
            page.base_id = page.questions[0].data["id"]
        self.add_page(page)

    def fill(self, page: _Page, children: list[dict[str, Any]], conditions: list[_Expression]) -> None:
        """Put the elements' questions and notes on the page (nested groups flattened into it)."""
        for element in children:
            kind = str(element.get("type") or "")
            if kind == "group":
                row, name, _ = self.row_of(element)
                relevant = (element.get("bind") or {}).get("relevant")
                inner = (
                    [*conditions, _Expression(str(relevant), "relevant", row, name, None)] if relevant else conditions
                )
                self.fill(page, element.get("children", []), inner)
            elif kind == "repeat":
                self.repeat(element)
            elif kind == "note":
                self.note(page, element)
            else:
                question = self.question(element, conditions)
                if question is not None:
                    page.questions.append(question)

    def add_page(self, page: _Page) -> None:
        """Add a finished page (split when it has too many questions), or carry its notes on."""
        if not page.questions:
            self.pending_notes.extend(page.hints)
            return
        page.hints = self.pending_notes + page.hints
        self.pending_notes = []
        first_index = len(self.pages)
        base_id = make_id(page.base_id, self.page_ids, prefix="p_")
        for start in range(0, len(page.questions), MAX_PAGE_QUESTIONS):
            part = _Page(
                base_id=base_id if start == 0 else make_id(base_id, self.page_ids, prefix="p_"),
                title=page.title,
                hints=page.hints if start == 0 else [],
                condition=page.condition,
                questions=page.questions[start : start + MAX_PAGE_QUESTIONS],
                first_index=first_index,
            )
            self.pages.append(part)

    def repeat(self, element: dict[str, Any]) -> None:
        """Report a repeat and everything inside it."""
        row, name, _ = self.row_of(element)
        self.report(row, name, "type 'repeat' is not supported, so it and the questions inside it were not imported")

        def inside(children: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for child in children:
                yield child
                yield from inside(child.get("children", []))

        for child in inside(element.get("children", [])):
            child_row, child_name, _ = self.row_of(child)
            if str(child.get("type")) not in METADATA_TYPES and child_row is not None:
                self.report(child_row, child_name, f"is inside the repeat '{name}', which is not supported")

    def note(self, page: _Page, element: dict[str, Any]) -> None:
        """A note becomes part of the hint of the page it is on (or of the next page)."""
        row, name, _ = self.row_of(element)
        if name.startswith("generated_table_list_label_") and not page.title:
            page.title = self.fit(self.text(element.get("label")), 300, row, name, "the group label")
            return
        text = "\n\n".join(t for t in (self.text(element.get("label")), self.text(element.get("hint"))) if t)
        if not text:
            return
        self.check_piping(text, row, name, "note")
        if (element.get("bind") or {}).get("relevant"):
            self.report(row, name, "relevant on a note cannot be kept; the note is always shown as a page hint")
        page.hints.append((text, row, name))

    def choices(
        self, element: dict[str, Any], row: int | None, name: str
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The options for a select question, and each choice name's option value."""
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        if list_name in self.value_maps:
            return self.value_maps[list_name]
        taken: set[str] = set()
        options: list[dict[str, Any]] = []
        values: dict[str, str] = {}
        raw_choices = element.get("choices") or []
        if len(raw_choices) > MAX_OPTIONS:
            self.report(row, name, f"has {len(raw_choices)} choices; only the first {MAX_OPTIONS} were imported")
        for choice in raw_choices[:MAX_OPTIONS]:
            choice_name = str(choice.get("name") or "")
            value = make_value(choice_name, taken)
            values.setdefault(choice_name, value)
            label = self.text(choice.get("label")) or choice_name
            options.append(
                {"value": value, "label": self.fit(label, 1000, row, name, f"the label of choice '{choice_name}'")}
            )
        self.value_maps[list_name] = (options, values)
        return options, values

    def question(self, element: dict[str, Any], conditions: list[_Expression]) -> _Question | None:
        """Map one survey element to a question, or report why it cannot be."""
        kind = str(element.get("type") or "")
        row, name, written_type = self.row_of(element)
        if kind in METADATA_TYPES or (row is None and (name in self.generated or kind == "calculate")):
            return None  # metadata, or an element pyxform added (instanceID, the or_other text box)
        type_word = written_type.split()[0] if written_type else kind
        control = element.get("control") or {}
        appearance = str(control.get("appearance") or "").split()
        bind = element.get("bind") or {}
        data: dict[str, Any]

        from_elsewhere = "from_file" in type_word or "external" in type_word
        if kind in {"select one", "select all that apply"} and element.get("choices") and not from_elsewhere:
            mapped = "single_choice" if kind == "select one" else "multiple_choice"
            options, values = self.choices(element, row, name)
            options = [dict(option) for option in options]
            if "or_other" in written_type.split():
                self.generated.add(f"{name}_other")
                for option in options:
                    if option["value"] == values.get("other"):
                        option["specify"] = True
            data = {"type": mapped, "options": options}
            if mapped == "single_choice" and SELECT_APPEARANCES.intersection(appearance):
                data["display"] = "select"
            self.context.options[name] = values
        elif kind in {"integer", "decimal", "date"}:
            data = {"type": kind}
        elif kind == "text":
            data = {"type": "long_text" if "multiline" in appearance else "short_text"}
        else:
            self.report(row, name, f"type '{type_word}' is not supported")
            return None

        question_id = make_id(name, self.question_ids)
        label = self.text(element.get("label"))
        hint = self.text(element.get("hint"))
        if not label and hint:
            label, hint = hint, ""
            self.report(row, name, "has no label, so its hint is used as the label")
        elif not label:
            label = name
            self.report(row, name, "has no label, so its name is used as the label")
        self.check_piping(label, row, name, "label")
        self.check_piping(hint, row, name, "hint")
        question: dict[str, Any] = {
            "id": question_id,
            "type": data.pop("type"),
            "label": self.fit(label, 1000, row, name, "label"),
        }
        if hint:
            question["hint"] = self.fit(hint, 1000, row, name, "hint")
        required = str(bind.get("required") or "").strip()
        question["required"] = required.lower() in TRUE_VALUES
        if required.lower() not in TRUE_VALUES | FALSE_VALUES:
            self.report(
                row, name, f"required is a condition ({required}), which cannot be kept; the question is optional"
            )
        question.update(data)
        required_message = self.text(bind.get("jr:requiredMsg"))
        if required_message and question["required"]:
            question["messages"] = {"required": self.fit(required_message, 1000, row, name, "required_message")}
        for column, key in (("choice_filter", "choice_filter"), ("default", "default"), ("trigger", "trigger")):
            if element.get(key):
                self.report(row, name, f"{column} is not supported and was left out")
        if str(bind.get("readonly") or "").lower() in TRUE_VALUES:
            self.report(row, name, "read_only is not supported; the question can be answered")
        if bind.get("calculate"):
            self.report(row, name, "calculation is not supported and was left out")

        self.context.ids.setdefault(name, question_id)
        self.context.types.setdefault(name, question["type"])
        pending = _Question(data=question, name=name, row=row, conditions=list(conditions))
        if bind.get("relevant"):
            pending.conditions.append(_Expression(str(bind["relevant"]), "relevant", row, name, name))
        if bind.get("constraint"):
            pending.constraint = _Expression(str(bind["constraint"]), "constraint", row, name, name)
            pending.constraint_message = self.text(bind.get("jr:constraintMsg"))
        return pending

    # expressions, once every page is known

    def convert(self, expression: _Expression, page_index: int, page_of: dict[str, int], rule: bool) -> str | None:
        """The expression in the platform's language, or None (and a report) when it cannot be kept.

        A show_if may only use questions on earlier pages; a rule may also use its own page.
        """
        converter = _Converter(self.context, expression.column, expression.self_name)
        try:
            text = converter.convert(expression.source)
            for name in converter.names:
                where = page_of.get(name, page_index + 1)
                if where < page_index or (rule and where == page_index):
                    continue
                if name == expression.self_name:
                    raise _Unconvertible(f"{expression.column} refers to the question itself")
                if where == page_index:
                    raise _Unconvertible(
                        f"{expression.column} refers to '{name}', which is on the same page; "
                        "show_if can only use questions on earlier pages"
                    )
                if rule:
                    later = "a validation can only use this question and earlier ones"
                else:
                    later = "show_if can only use questions on earlier pages"
                raise _Unconvertible(f"{expression.column} refers to '{name}', which comes later in the form; {later}")
            allowed = [self.context.ids[n] for n, i in page_of.items() if i < page_index or (rule and i == page_index)]
            problems = expressions.validate(text, allowed)
            if problems:
                raise _Unconvertible(f"{expression.column} could not be converted ({problems[0]})")
        except _Unconvertible as reason:
            self.report(expression.row, expression.row_name, str(reason))
            return None
        return text

    def finish_page(self, index: int, page: _Page, page_of: dict[str, int]) -> dict[str, Any]:
        """The page as definition JSON, with its expressions converted."""
        result: dict[str, Any] = {"id": page.base_id}
        if page.title:
            result["title"] = page.title
        if page.hints:
            _text, row, name = page.hints[0]
            hint = "\n\n".join(text for text, _, _ in page.hints)
            result["hint"] = self.fit(hint, 2000, row, name, "the page hint made from notes")
        if page.condition is not None:
            show_if = self.convert(page.condition, page.first_index, page_of, rule=False)
            if show_if:
                result["show_if"] = show_if
        result["questions"] = [self.finish_question(index, question, page_of) for question in page.questions]
        return result

    def finish_question(self, index: int, pending: _Question, page_of: dict[str, int]) -> dict[str, Any]:
        """The question as definition JSON, with its show_if and validation converted."""
        question = dict(pending.data)
        kept = [text for c in pending.conditions if (text := self.convert(c, index, page_of, rule=False))]
        if kept:
            question["show_if"] = (
                kept[0] if len(kept) == 1 else " and ".join(f"({t})" if " or " in t else t for t in kept)
            )
        if pending.constraint is not None:
            rule = self.convert(pending.constraint, index, page_of, rule=True)
            if rule:
                message = pending.constraint_message or DEFAULT_CONSTRAINT_MESSAGE
                question["validations"] = [
                    {"rule": rule, "message": self.fit(message, 1000, pending.row, pending.name, "constraint_message")}
                ]
        return question
