"""What values mean in the routing language: constants and limits, the one error type, truthiness,
equality, comparison, arithmetic, and the functions an expression may call."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_MAGNITUDE = 2**1024  # no number in the language reaches this, as no float does
_MAX_DIGITS = len(str(MAX_MAGNITUDE))
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
COMPARISON_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
ARITHMETIC_OPERATORS = ("+", "-", "*", "/")

_IDENTIFIER = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENTIFIER_CHARACTERS = _IDENTIFIER_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_WHITESPACE = frozenset(" \t\r\n")
_NUMERIC_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_ESCAPABLE = frozenset("'\"\\")


class ExpressionError(ValueError):
    """A problem with an expression's text: `message` is plain English, `position` a 0-based offset or None.

    Messages give positions for people, counting from 1 ("at character 14" is `position` 13).
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        """Keep the message and where in the text the problem is."""
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        """The plain-English message."""
        return self.message


# --- values: truthiness, numbers and equality ----------------------------------------------------


def _is_number(value: Any) -> bool:
    """True for ints and floats (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: Any) -> Any:
    """The number, or None when it is infinite, not a number, or an int beyond a float's range.

    Bounding ints as floats are bounded keeps every calculation cheap: a chain such as `a * a * a ...`
    stops (as null) once it leaves the range instead of growing numbers of millions of digits.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -MAX_MAGNITUDE < value < MAX_MAGNITUDE:
        return None
    return value


def truthy(value: Any) -> bool:
    """The language's truthiness: None, False, 0, "", [] and {} are false; everything else is true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if _is_number(value):
        return value != 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return True


def _equal(left: Any, right: Any) -> bool:
    """Equality that never raises; true and false only equal booleans."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    try:
        return bool(left == right)
    except Exception:
        return False


def _contains(items: Any, value: Any) -> bool:
    """True when `value` equals an element of `items`."""
    return any(_equal(item, value) for item in items)


def _is_in(value: Any, container: Any) -> bool:
    """The `in` operator: membership of a list; a list on the left matches when any element is in."""
    if not isinstance(container, list | tuple):
        return False
    if isinstance(value, list | tuple):
        return any(_contains(container, item) for item in value)
    return _contains(container, value)


def _as_selection(value: Any) -> list[Any]:
    """A multiple-choice answer as a list: None and "" are empty, a scalar is a one-item list."""
    if value is None or (isinstance(value, str) and not value):
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return []
    return [value]


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def _compare(symbol: str, left: Any, right: Any) -> bool:
    """A comparison operator applied to two values, never raising."""
    if symbol == "==":
        return _equal(left, right)
    if symbol == "!=":
        return not _equal(left, right)
    if symbol == "in":
        return _is_in(left, right)
    if symbol == "not in":
        return not _is_in(left, right)
    both_numbers = _is_number(left) and _is_number(right)
    both_text = isinstance(left, str) and isinstance(right, str)
    if not (both_numbers or both_text):
        return False
    try:
        return bool(_ORDERING[symbol](left, right))
    except (ArithmeticError, TypeError, ValueError):
        return False


def _calculate(symbol: str, left: Any, right: Any) -> Any:
    """An arithmetic operator applied to two numbers; None for anything else or a failed calculation."""
    if not (_is_number(left) and _is_number(right)):
        return None
    if symbol == "/" and right == 0:
        return None
    try:
        return _finite(_ARITHMETIC[symbol](left, right))
    except (ArithmeticError, ValueError):
        return None


# --- functions -----------------------------------------------------------------------------------


def _answered(value: Any) -> bool:
    """True unless the value is None, "" or an empty list or dict."""
    if value is None or (isinstance(value, str) and not value):
        return False
    if isinstance(value, list | tuple | Mapping):
        return len(value) > 0
    return True


def _any_selected(value: Any, options: Any) -> bool:
    """True when any of the options is among the selected values."""
    selected = _as_selection(value)
    return any(_contains(selected, option) for option in _as_selection(options))


def _all_selected(value: Any, options: Any) -> bool:
    """True when the options are not empty and every one of them is among the selected values."""
    selected = _as_selection(value)
    wanted = _as_selection(options)
    return bool(wanted) and all(_contains(selected, option) for option in wanted)


def _count_selected(value: Any) -> int:
    """How many values are selected."""
    return len(_as_selection(value))


def _sum(value: Any) -> Any:
    """The total of the numbers in a dict's values or a list (ignoring anything else); None otherwise."""
    if _is_number(value):
        return _finite(value)
    if isinstance(value, Mapping):
        items: Any = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    total: int | float = 0
    try:
        for item in items:
            if _is_number(item):
                total += item
    except (ArithmeticError, ValueError):
        return None
    return _finite(total)


def _len(value: Any) -> int | None:
    """The length of text or a list; None otherwise."""
    if isinstance(value, str | list | tuple):
        return len(value)
    return None


def _number(value: Any) -> int | float | None:
    """A number from numeric text such as "12" or "-0.5" (or a number itself); None otherwise."""
    if _is_number(value):
        return _finite(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > _MAX_DIGITS + 20 or not _NUMERIC_TEXT.fullmatch(text):
        return None
    try:
        return _finite(float(text)) if "." in text else int(text)
    except (ArithmeticError, ValueError):
        return None


_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "answered": (1, _answered),
    "any_selected": (2, _any_selected),
    "all_selected": (2, _all_selected),
    "count_selected": (1, _count_selected),
    "sum": (1, _sum),
    "len": (1, _len),
    "number": (1, _number),
}
FUNCTIONS: Mapping[str, int] = MappingProxyType({name: arity for name, (arity, _) in _FUNCTIONS.items()})
