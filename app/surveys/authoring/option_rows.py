"""A choice question's options as the builder edits them: one row of inputs per option (value, label,
hint, and whether it is 'None of these' or asks 'please specify'), read from the form, changed by the
"Add another option" and "Remove" buttons without JavaScript, and checked row by row so each problem
points at the exact input. Plain data in, plain data out; the stored options keep their shape."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_OPTIONS = 200  # the definition schema's limit, so every stored question can be edited here
MAX_LABEL = 1000  # the schema's limit on any text shown to respondents
MAX_HINT = 500
VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
ROW_FIELD = re.compile(r"^option-(\d{1,6})-(value|label|hint|exclusive|specify)$")
ACTION_FIELD = "option_action"  # the name of the add and remove buttons; the save button has none
NEW_QUESTION_ROWS = 2


@dataclass(frozen=True)
class OptionRow:
    """One option as typed: its three inputs and two ticks."""

    value: str = ""
    label: str = ""
    hint: str = ""
    exclusive: bool = False
    specify: bool = False

    @property
    def is_empty(self) -> bool:
        """Nothing typed or ticked: the row is left out."""
        return not (self.value or self.label or self.hint or self.exclusive or self.specify)


@dataclass(frozen=True)
class RowsEdit:
    """What an add or remove button did: the rows to show again, any problem, and the input to focus."""

    rows: list[OptionRow]
    errors: dict[str, str]
    focus: str | None = None


def field_id(number: int, part: str) -> str:
    """The name and id of option `number`'s input (`part`: value, label, hint, exclusive, specify)."""
    return f"option-{number}-{part}"


def rows_from_form(form: Mapping[str, str]) -> list[OptionRow]:
    """The rows as typed, in the order the form numbers them (gaps closed up), empty ones included."""
    numbers = sorted({int(m.group(1)) for key in form if (m := ROW_FIELD.match(key))})
    return [
        OptionRow(
            value=(form.get(field_id(n, "value")) or "").strip(),
            label=(form.get(field_id(n, "label")) or "").strip(),
            hint=(form.get(field_id(n, "hint")) or "").strip(),
            exclusive=bool(form.get(field_id(n, "exclusive"))),
            specify=bool(form.get(field_id(n, "specify"))),
        )
        for n in numbers
    ]


def rows_from_options(options: list[dict[str, Any]] | None) -> list[OptionRow]:
    """A stored question's options as rows; a question without options starts with empty rows."""
    rows = [
        OptionRow(
            value=o["value"],
            label=o["label"],
            hint=o.get("hint", ""),
            exclusive=bool(o.get("exclusive")),
            specify=bool(o.get("specify")),
        )
        for o in options or []
    ]
    return rows or [OptionRow() for _ in range(NEW_QUESTION_ROWS)]


def rows_to_show(form: Mapping[str, str]) -> list[OptionRow]:
    """The rows to show again after a save that failed: as typed, and at least one to type into."""
    return rows_from_form(form) or [OptionRow()]


def edit_rows(form: Mapping[str, str]) -> RowsEdit | None:
    """The rows after the "Add another option" or a "Remove" button, or None when the form was saved
    (nothing is stored either way: the page is shown again with everything typed so far)."""
    action = form.get(ACTION_FIELD)
    if action is None:
        return None
    rows = rows_from_form(form)
    if action == "add":
        if len(rows) >= MAX_OPTIONS:
            message = f"A question can have at most {MAX_OPTIONS} options, so no more can be added"
            return RowsEdit(rows, {"add-option": message})
        rows.append(OptionRow())
        return RowsEdit(rows, {}, focus=field_id(len(rows), "value"))
    removed = re.fullmatch(r"remove-(\d{1,6})", action)
    if removed and 1 <= int(removed.group(1)) <= len(rows):
        rows.pop(int(removed.group(1)) - 1)
    return RowsEdit(rows or [OptionRow()], {})


def value_from_label(label: str) -> str:
    """The value an option gets when it is left blank: its label in lower case, words joined by hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60].rstrip("-") or "option"
    return slug if slug[0].isalpha() else f"x-{slug}"[:60].rstrip("-")


def options_from_rows(rows: list[OptionRow], kind: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The question's stored options from the rows (empty rows left out), and each row's problem keyed by
    the input it is in, numbered as the page numbers the rows. `kind` is the question's type."""
    options: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    first_with_value: dict[str, int] = {}
    specify_row = None
    filled = [(n, row) for n, row in enumerate(rows, start=1) if not row.is_empty]
    if not filled:
        return [], {field_id(1, "label"): "Enter at least one option"}
    if len(filled) > MAX_OPTIONS:
        extra = len(filled) - MAX_OPTIONS
        return [], {"options": f"A question can have at most {MAX_OPTIONS} options: remove {extra}"}
    for n, row in filled:
        value = row.value or value_from_label(row.label)
        if not row.label:
            errors[field_id(n, "label")] = f"Option {n}: enter a label"
        elif len(row.label) > MAX_LABEL:
            errors[field_id(n, "label")] = f"Option {n}: the label must be {MAX_LABEL:,} characters or fewer"
        if row.value and not VALUE_PATTERN.match(row.value):
            errors[field_id(n, "value")] = (
                f"Option {n}: the value must start with a lower-case letter or a number and use only a-z, 0-9, "
                "- and _, up to 60 characters"
            )
        elif row.value or row.label:
            if value in first_with_value:
                errors[field_id(n, "value")] = f"Option {n} has the same value as option {first_with_value[value]}"
            first_with_value.setdefault(value, n)
        if len(row.hint) > MAX_HINT:
            errors[field_id(n, "hint")] = f"Option {n}: the hint must be {MAX_HINT} characters or fewer"
        if row.exclusive and kind != "multiple_choice":
            errors[field_id(n, "exclusive")] = f"Option {n}: only a multiple choice question can have 'None of these'"
        if row.specify and specify_row is not None:
            errors[field_id(n, "specify")] = (
                f"Option {n}: only one option can ask to specify, and option {specify_row} already does"
            )
        elif row.specify:
            specify_row = n
        options.append(_stored(value, row))
    return options, errors


def _stored(value: str, row: OptionRow) -> dict[str, Any]:
    """One option in the definition's shape (the keys the textarea used to write, in the same order)."""
    option: dict[str, Any] = {"value": value, "label": row.label}
    if row.hint:
        option["hint"] = row.hint
    if row.exclusive:
        option["exclusive"] = True
    if row.specify:
        option["specify"] = True
    return option
