"""A routing condition in plain English, for the survey builder to show beside the expression:
`provides_education == 'yes'` reads "‘Does your organisation provide ICT services to schools?’ is ‘Yes’".

Only the shapes people write read as words (a question compared with a value, `and`, `or`, `not`); anything
else gives None and the builder shows the expression alone.
"""

from __future__ import annotations

from app.surveys.authoring.definition import Definition
from app.surveys.authoring.expressions import Comparison, Expression, Logical, Name, Not, Number, String, parse

_VERBS = {
    "==": "is",
    "!=": "is not",
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
}


def _question_words(name: Name, definition: Definition) -> tuple[str, object] | None:
    question = definition.question(name.parts[0])
    if question is None:
        return None
    label = question.label
    if len(name.parts) > 1:  # a row or category of a grid: users.pupils
        items = {item.id: item.label for item in (*question.rows, *question.categories)}
        label = f"{label} – {items.get(name.parts[1], name.parts[1])}"
    return f"‘{label}’", question


def _words(node: Expression, definition: Definition) -> str | None:
    if isinstance(node, Logical):
        left, right = _words(node.left, definition), _words(node.right, definition)
        return None if left is None or right is None else f"{left} {node.operator} {right}"
    if isinstance(node, Not):
        inner = _words(node.operand, definition)
        return None if inner is None else f"not ({inner})"
    if isinstance(node, Comparison) and node.operator in _VERBS and isinstance(node.left, Name):
        found = _question_words(node.left, definition)
        if found is None:
            return None
        label, question = found
        if isinstance(node.right, String):
            value = question.option_label(node.right.value)  # type: ignore[attr-defined]
            return f"{label} {_VERBS[node.operator]} ‘{value}’"
        if isinstance(node.right, Number):
            return f"{label} {_VERBS[node.operator]} {node.right.to_source()}"
    return None


def condition_in_words(source: str | None, definition: Definition) -> str | None:
    """ "Shown when ‘…’ is ‘Yes’" for a condition the builder can put into words, else None."""
    if not source:
        return None
    try:
        words = _words(parse(source), definition)
    except ValueError:
        return None
    return None if words is None else f"Shown when {words}"
