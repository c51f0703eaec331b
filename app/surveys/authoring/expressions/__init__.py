"""A small, safe expression language for survey routing (show_if), skip conditions and validation rules.

Nothing here runs Python: a hand-written tokenizer and recursive-descent parser build an immutable tree of
dataclasses, and the tree is evaluated against a mapping of answers. Evaluation never raises: missing
answers and data of the wrong kind give None (or False), so a bad answer cannot break a survey.

Grammar, loosest binding first::

    or  ->  and  ->  not  ->  comparison (== != < <= > >= in, not in; never chained)
        ->  + -  ->  * /  ->  unary -  ->  primary

Primaries are numbers (``12``, ``0.5``), quoted text (``'yes'`` or ``"yes"``, with ``\\'``, ``\\"`` and
``\\\\`` escapes), ``true``, ``false``, ``null``, question ids with optional dotted parts
(``users.pupils``), lists (``[1, 'a', x]``), brackets and function calls (``answered(x)``).

Functions: ``answered(x)`` (not null, "", [] or {}); ``any_selected(x, list)`` and ``all_selected(x, list)``
(a scalar answer, or option, counts as a one-item list; all_selected of an empty list is false);
``count_selected(x)``; ``sum(x)`` (the numbers in a dict's values or a list, ignoring anything else);
``len(x)`` for text and lists; ``number(x)`` (numeric text such as "12" or "-0.5" to a number, else null).

Values: a missing id is null, and so is a dotted part into anything but a dict. Arithmetic needs two numbers
(a boolean is not one) and gives null otherwise, on division by zero, or on overflow. ``==`` and ``!=``
compare any values (true and false only equal booleans); ordering compares two numbers or two texts, and is
false otherwise. ``x in list`` is membership (a list on the left matches when any element is in), false
when the right side is not a list; ``a not in b`` is ``not (a in b)``. ``and``, ``or`` and ``not`` give
booleans from truthiness: null, false, 0, "", [] and {} are false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.surveys.authoring.expressions.checking import validate
from app.surveys.authoring.expressions.parser import _expression, parse
from app.surveys.authoring.expressions.tree import (
    Arithmetic,
    Boolean,
    Call,
    Comparison,
    Expression,
    ListLiteral,
    Logical,
    Name,
    Negate,
    Not,
    Null,
    Number,
    String,
)
from app.surveys.authoring.expressions.values import (
    ARITHMETIC_OPERATORS,
    COMPARISON_OPERATORS,
    FUNCTIONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_MAGNITUDE,
    ExpressionError,
    truthy,
)

__all__ = [
    "ARITHMETIC_OPERATORS",
    "COMPARISON_OPERATORS",
    "FUNCTIONS",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_MAGNITUDE",
    "Arithmetic",
    "Boolean",
    "Call",
    "Comparison",
    "Expression",
    "ExpressionError",
    "ListLiteral",
    "Logical",
    "Name",
    "Negate",
    "Not",
    "Null",
    "Number",
    "String",
    "evaluate",
    "is_true",
    "parse",
    "truthy",
    "validate",
]


def evaluate(source_or_expression: str | Expression, answers: Mapping[str, Any]) -> Any:
    """The value of an expression (text or tree) given the answers; ExpressionError only for bad text."""
    return _expression(source_or_expression).evaluate(answers)


def is_true(source_or_expression: str | Expression, answers: Mapping[str, Any]) -> bool:
    """Whether an expression (text or tree) is truthy given the answers; ExpressionError only for bad text."""
    return truthy(evaluate(source_or_expression, answers))
