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

import functools
import math
import operator
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

__all__ = [
    "FUNCTIONS",
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


# --- the tree ------------------------------------------------------------------------------------


class Expression:
    """The base of the expression tree's immutable nodes."""

    __slots__ = ()
    precedence: ClassVar[int] = 8

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The expression's value given the answers (never raises)."""
        raise NotImplementedError

    def children(self) -> tuple[Expression, ...]:
        """The nodes directly inside this one, in source order."""
        return ()

    def walk(self) -> Iterator[Expression]:
        """This node and every node inside it, in source order."""
        stack: list[Expression] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def references(self) -> frozenset[str]:
        """The question ids the expression reads (for `users.pupils`, `users`)."""
        return frozenset(node.parts[0] for node in self.walk() if isinstance(node, Name))

    def to_source(self) -> str:
        """Canonical text that parses back to an equal expression."""
        raise NotImplementedError

    def __str__(self) -> str:
        """The canonical text."""
        return self.to_source()


def _wrap(node: Expression, minimum: int) -> str:
    """A node's text, bracketed when it binds more loosely than `minimum`."""
    text = node.to_source()
    return f"({text})" if node.precedence < minimum else text


@dataclass(frozen=True, slots=True, eq=False)
class Number(Expression):
    """A number written in the expression: a non-negative int or finite float (`-5` is Negate(Number(5)))."""

    value: int | float

    def __post_init__(self) -> None:
        """Refuse values the language cannot write down."""
        if not _is_number(self.value):
            raise ValueError("A Number holds an int or a float")
        if isinstance(self.value, float) and (not math.isfinite(self.value) or math.copysign(1.0, self.value) < 0):
            raise ValueError("A Number's float must be finite and not negative")
        if self.value < 0:
            raise ValueError("A Number must not be negative")
        if _finite(self.value) is None:
            raise ValueError("A Number must be below MAX_MAGNITUDE")

    def __eq__(self, other: object) -> bool:
        """Equal to a Number of the same type and value (so 1 and 1.0 differ, as their text does)."""
        if not isinstance(other, Number):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        """Hash consistent with equality."""
        return hash((Number, type(self.value), self.value))

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The number."""
        return self.value

    def to_source(self) -> str:
        """Digits, with a decimal point for a float and never an exponent."""
        if isinstance(self.value, int):
            return str(self.value)
        text = format(Decimal(repr(self.value)), "f")
        return text if "." in text else f"{text}.0"


@dataclass(frozen=True, slots=True)
class String(Expression):
    """Quoted text."""

    value: str

    def __post_init__(self) -> None:
        """Refuse anything but text."""
        if not isinstance(self.value, str):
            raise ValueError("A String holds text")

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The text."""
        return self.value

    def to_source(self) -> str:
        """The text in single quotes, escaping backslashes and single quotes."""
        return "'" + self.value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True, slots=True)
class Boolean(Expression):
    """`true` or `false`."""

    value: bool

    def __post_init__(self) -> None:
        """Refuse anything but a bool."""
        if not isinstance(self.value, bool):
            raise ValueError("A Boolean holds True or False")

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The boolean."""
        return self.value

    def to_source(self) -> str:
        """`true` or `false`."""
        return "true" if self.value else "false"


@dataclass(frozen=True, slots=True)
class Null(Expression):
    """`null`: no value."""

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """None."""
        return None

    def to_source(self) -> str:
        """`null`."""
        return "null"


@dataclass(frozen=True, slots=True)
class Name(Expression):
    """A question id with optional dotted parts into a dict answer, e.g. ('users', 'pupils')."""

    parts: tuple[str, ...]
    position: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Keep the parts as a tuple and refuse ones the language cannot write down."""
        parts = (self.parts,) if isinstance(self.parts, str) else tuple(self.parts)
        object.__setattr__(self, "parts", parts)
        if not parts or not all(isinstance(p, str) and _IDENTIFIER.fullmatch(p) for p in parts):
            raise ValueError("A Name's parts are identifiers")
        if parts[0] in KEYWORDS:
            raise ValueError(f"'{parts[0]}' is a keyword, not a question id")

    @property
    def id(self) -> str:
        """The question id (the first part)."""
        return self.parts[0]

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The answer, following dotted parts into dicts; None when anything is missing."""
        try:
            value = answers.get(self.parts[0])
        except (KeyError, TypeError, AttributeError):
            return None
        for part in self.parts[1:]:
            if not isinstance(value, Mapping):
                return None
            try:
                value = value.get(part)
            except (KeyError, TypeError):
                return None
        return value

    def to_source(self) -> str:
        """The dotted name."""
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class ListLiteral(Expression):
    """A list such as `[1, 'a', x]`."""

    items: tuple[Expression, ...]

    def __post_init__(self) -> None:
        """Keep the items as a tuple."""
        object.__setattr__(self, "items", tuple(self.items))

    def children(self) -> tuple[Expression, ...]:
        """The items."""
        return self.items

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """A list of the items' values."""
        return [item.evaluate(answers) for item in self.items]

    def to_source(self) -> str:
        """`[a, b]`."""
        return "[" + ", ".join(item.to_source() for item in self.items) + "]"


@dataclass(frozen=True, slots=True)
class Call(Expression):
    """A function call such as `answered(x)`; unknown functions or argument counts evaluate to None."""

    function: str
    arguments: tuple[Expression, ...]
    position: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Keep the arguments as a tuple and refuse a function name the language cannot write down."""
        object.__setattr__(self, "arguments", tuple(self.arguments))
        if not isinstance(self.function, str) or not _IDENTIFIER.fullmatch(self.function):
            raise ValueError("A Call's function is an identifier")
        if self.function in KEYWORDS:
            raise ValueError(f"'{self.function}' is a keyword, not a function")

    def children(self) -> tuple[Expression, ...]:
        """The arguments."""
        return self.arguments

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The function's result, or None for an unknown function or the wrong number of arguments."""
        known = _FUNCTIONS.get(self.function)
        if known is None or known[0] != len(self.arguments):
            return None
        return known[1](*(argument.evaluate(answers) for argument in self.arguments))

    def to_source(self) -> str:
        """`name(a, b)`."""
        return f"{self.function}(" + ", ".join(a.to_source() for a in self.arguments) + ")"


@dataclass(frozen=True, slots=True)
class Not(Expression):
    """`not x`: true when x is not truthy."""

    operand: Expression
    precedence: ClassVar[int] = 3

    def children(self) -> tuple[Expression, ...]:
        """The operand."""
        return (self.operand,)

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The negated truthiness of the operand."""
        return not truthy(self.operand.evaluate(answers))

    def to_source(self) -> str:
        """`not x`."""
        return "not " + _wrap(self.operand, self.precedence)


@dataclass(frozen=True, slots=True)
class Negate(Expression):
    """`-x` for a number x; None otherwise."""

    operand: Expression
    precedence: ClassVar[int] = 7

    def children(self) -> tuple[Expression, ...]:
        """The operand."""
        return (self.operand,)

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The negated number, or None."""
        value = self.operand.evaluate(answers)
        return _finite(-value) if _is_number(value) else None

    def to_source(self) -> str:
        """`-x`."""
        return "-" + _wrap(self.operand, self.precedence)


@dataclass(frozen=True, slots=True)
class _Binary(Expression):
    """A node with an operator between two operands."""

    operator: str
    left: Expression
    right: Expression
    operators: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        """Refuse an operator this kind of node does not have."""
        if self.operator not in self.operators:
            raise ValueError(f"{type(self).__name__} operators are {', '.join(self.operators)}")

    def children(self) -> tuple[Expression, ...]:
        """The two operands."""
        return (self.left, self.right)

    def to_source(self) -> str:
        """`left op right`, bracketing operands as the precedence needs (left-associative)."""
        return f"{_wrap(self.left, self.precedence)} {self.operator} {_wrap(self.right, self.precedence + 1)}"


@dataclass(frozen=True, slots=True)
class Logical(_Binary):
    """`and` / `or`, giving a boolean from the operands' truthiness."""

    operators: ClassVar[tuple[str, ...]] = ("and", "or")

    @property
    def precedence(self) -> int:  # type: ignore[override]
        """`or` binds loosest, then `and`."""
        return 1 if self.operator == "or" else 2

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """True or False, looking at the right operand only when needed."""
        left = truthy(self.left.evaluate(answers))
        if self.operator == "and":
            return left and truthy(self.right.evaluate(answers))
        return left or truthy(self.right.evaluate(answers))


@dataclass(frozen=True, slots=True)
class Comparison(_Binary):
    """`==`, `!=`, `<`, `<=`, `>`, `>=`, `in` or `not in`; comparisons never chain."""

    operators: ClassVar[tuple[str, ...]] = COMPARISON_OPERATORS
    precedence: ClassVar[int] = 4

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """True or False (ordering only between two numbers or two texts)."""
        return _compare(self.operator, self.left.evaluate(answers), self.right.evaluate(answers))

    def to_source(self) -> str:
        """`left op right`, bracketing any operand that is itself a comparison or looser."""
        return f"{_wrap(self.left, self.precedence + 1)} {self.operator} {_wrap(self.right, self.precedence + 1)}"


@dataclass(frozen=True, slots=True)
class Arithmetic(_Binary):
    """`+`, `-`, `*` or `/` on numbers; None for anything else, or division by zero."""

    operators: ClassVar[tuple[str, ...]] = ARITHMETIC_OPERATORS

    @property
    def precedence(self) -> int:  # type: ignore[override]
        """`*` and `/` bind tighter than `+` and `-`."""
        return 6 if self.operator in ("*", "/") else 5

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """The result, or None."""
        return _calculate(self.operator, self.left.evaluate(answers), self.right.evaluate(answers))


# --- tokenizer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    """One token: kind is number, string, name, keyword, op or end."""

    kind: str
    value: Any
    position: int
    text: str


def _where(source: str, position: int) -> str:
    """'at character N' (counting from 1), or 'at the end of the expression'."""
    return "at the end of the expression" if position >= len(source) else f"at character {position + 1}"


def _show_character(character: str) -> str:
    """A character quoted for a message, or its code point when it does not print."""
    return f"'{character}'" if character.isprintable() and not character.isspace() else f"U+{ord(character):04X}"


_TWO_CHARACTER_OPERATORS = frozenset({"==", "!=", "<=", ">="})
_ONE_CHARACTER_OPERATORS = frozenset("<>+-*/()[],")
_HINTS = {
    "=": "use '==' to compare values",
    "!": "use 'not', or '!=' for 'is not equal to'",
    "&": "use 'and'",
    "|": "use 'or'",
}


def _tokenize(source: str) -> list[_Token]:
    """Split the text into tokens, ending with an end token."""
    tokens: list[_Token] = []
    length = len(source)
    i = 0
    while i < length:
        character = source[i]
        start = i
        if character in _WHITESPACE:
            i += 1
        elif character in _DIGITS:
            i = _read_number(source, i, tokens)
        elif character in ("'", '"'):
            i = _read_string(source, i, tokens)
        elif character in _IDENTIFIER_START:
            i = _read_word(source, i, tokens)
        elif source[i : i + 2] in _TWO_CHARACTER_OPERATORS:
            tokens.append(_Token("op", source[i : i + 2], start, source[i : i + 2]))
            i += 2
        elif character in _ONE_CHARACTER_OPERATORS:
            tokens.append(_Token("op", character, start, character))
            i += 1
        elif character in _HINTS:
            raise ExpressionError(
                f"Unexpected {_show_character(character)} {_where(source, i)}: {_HINTS[character]}", start
            )
        else:
            raise ExpressionError(f"Unexpected character {_show_character(character)} {_where(source, i)}", start)
    tokens.append(_Token("end", None, length, ""))
    return tokens


def _read_number(source: str, start: int, tokens: list[_Token]) -> int:
    """Read digits with an optional decimal part; return where the number ends."""
    i = start
    while i < len(source) and source[i] in _DIGITS:
        i += 1
    is_decimal = i < len(source) and source[i] == "."
    if is_decimal:
        if i + 1 >= len(source) or source[i + 1] not in _DIGITS:
            raise ExpressionError(f"Expected a digit after the decimal point {_where(source, i + 1)}", i + 1)
        i += 1
        while i < len(source) and source[i] in _DIGITS:
            i += 1
    text = source[start:i]
    whole_digits = len(text.partition(".")[0].lstrip("0"))
    if whole_digits > _MAX_DIGITS or _finite(float(text) if is_decimal else int(text)) is None:
        raise ExpressionError(f"The number {_where(source, start)} is too large", start)
    value: int | float = float(text) if is_decimal else int(text)
    tokens.append(_Token("number", value, start, text))
    return i


def _read_string(source: str, start: int, tokens: list[_Token]) -> int:
    """Read quoted text with backslash escapes; return where it ends."""
    quote = source[start]
    pieces: list[str] = []
    i = start + 1
    while i < len(source):
        character = source[i]
        if character == quote:
            tokens.append(_Token("string", "".join(pieces), start, source[start : i + 1]))
            return i + 1
        if character == "\\":
            if i + 1 >= len(source):
                break
            escaped = source[i + 1]
            if escaped not in _ESCAPABLE:
                raise ExpressionError(
                    f"Unknown escape '\\{escaped}' {_where(source, i)}: only \\', \\\" and \\\\ are allowed", i
                )
            pieces.append(escaped)
            i += 2
        else:
            pieces.append(character)
            i += 1
    raise ExpressionError(f"The text in quotes starting at character {start + 1} has no closing quote", start)


def _read_word(source: str, start: int, tokens: list[_Token]) -> int:
    """Read a keyword, or a name with optional dotted parts; return where it ends."""
    i = start
    while i < len(source) and source[i] in _IDENTIFIER_CHARACTERS:
        i += 1
    if source[start:i] in KEYWORDS:
        tokens.append(_Token("keyword", source[start:i], start, source[start:i]))
        return i
    while i < len(source) and source[i] == ".":
        if i + 1 >= len(source) or source[i + 1] not in _IDENTIFIER_START:
            raise ExpressionError(f"Expected a name after '.' {_where(source, i + 1)}", i + 1)
        i += 1
        while i < len(source) and source[i] in _IDENTIFIER_CHARACTERS:
            i += 1
    tokens.append(_Token("name", source[start:i], start, source[start:i]))
    return i


# --- parser --------------------------------------------------------------------------------------


def _describe(token: _Token) -> str:
    """A token as a message names it."""
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "string":
        return "quoted text"
    text = token.text if len(token.text) <= 20 else token.text[:20] + "…"
    if token.kind == "number":
        return f"the number {text}"
    return f"'{text}'"


class _Parser:
    """Recursive descent over the tokens; each rule returns a node and its depth (a leaf's is 0).

    Two things count towards MAX_DEPTH: how deeply brackets, lists, calls, `not` and `-` are nested
    while reading, and the depth of the tree built (so `1 + 1 + …` cannot grow without limit).
    """

    def __init__(self, source: str) -> None:
        """Tokenize the text and start at the first token."""
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.nesting = 0

    # helpers

    def peek(self, offset: int = 0) -> _Token:
        """The token `offset` places ahead (the end token when past the end)."""
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        """Consume and return the current token."""
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, value: str) -> bool:
        """True when the current token is this keyword or operator."""
        token = self.peek()
        return token.kind == kind and token.value == value

    def where(self, position: int) -> str:
        """'at character N' or 'at the end of the expression'."""
        return _where(self.source, position)

    def too_deep(self, position: int) -> ExpressionError:
        """The error for nesting beyond MAX_DEPTH."""
        return ExpressionError(
            f"The expression is nested too deeply (more than {MAX_DEPTH} levels) {self.where(position)}", position
        )

    def enter(self, token: _Token) -> None:
        """Go one level deeper (a bracket, list, call, `not` or `-`), refusing to pass MAX_DEPTH."""
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.too_deep(token.position)

    def leave(self) -> None:
        """Come back out one level."""
        self.nesting -= 1

    def checked(self, node: Expression, depth: int, token: _Token) -> tuple[Expression, int]:
        """The node and its depth, refusing a tree deeper than MAX_DEPTH."""
        if depth > MAX_DEPTH:
            raise self.too_deep(token.position)
        return node, depth

    # rules, loosest first

    def parse(self) -> Expression:
        """The whole expression, which must use every token."""
        if self.peek().kind == "end":
            raise ExpressionError("The expression is empty", 0)
        node, _ = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            if token.kind == "op" and token.value == ")":
                message = f"Unexpected closing bracket {self.where(token.position)}: it has no opening bracket"
            else:
                message = f"Unexpected {_describe(token)} {self.where(token.position)}"
            raise ExpressionError(message, token.position)
        return node

    def parse_or(self) -> tuple[Expression, int]:
        """`a or b or …`."""
        left, depth = self.parse_and()
        while self.at("keyword", "or"):
            token = self.advance()
            right, right_depth = self.parse_and()
            left, depth = self.checked(Logical("or", left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_and(self) -> tuple[Expression, int]:
        """`a and b and …`."""
        left, depth = self.parse_not()
        while self.at("keyword", "and"):
            token = self.advance()
            right, right_depth = self.parse_not()
            left, depth = self.checked(Logical("and", left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_not(self) -> tuple[Expression, int]:
        """`not a`."""
        if not self.at("keyword", "not"):
            return self.parse_comparison()
        token = self.advance()
        self.enter(token)
        operand, depth = self.parse_not()
        self.leave()
        return self.checked(Not(operand), depth + 1, token)

    def comparison_operator(self) -> tuple[str, _Token] | None:
        """The comparison operator at the current token, if any (without consuming it)."""
        token = self.peek()
        if token.kind == "op" and token.value in COMPARISON_OPERATORS:
            return token.value, token
        if token.kind == "keyword" and token.value == "in":
            return "in", token
        if token.kind == "keyword" and token.value == "not" and self.peek(1).kind == "keyword":
            if self.peek(1).value == "in":
                return "not in", token
        return None

    def parse_comparison(self) -> tuple[Expression, int]:
        """`a < b`, `a in b`, `a not in b` and so on: at most one comparison without brackets."""
        left, depth = self.parse_additive()
        found = self.comparison_operator()
        if found is None:
            return left, depth
        symbol, token = found
        self.advance()
        if symbol == "not in":
            self.advance()
        right, right_depth = self.parse_additive()
        result = self.checked(Comparison(symbol, left, right), 1 + max(depth, right_depth), token)
        chained = self.comparison_operator()
        if chained is not None:
            position = chained[1].position
            raise ExpressionError(
                f"Comparisons cannot be chained {self.where(position)}: join them with 'and', as in 'a < b and b < c'",
                position,
            )
        return result

    def parse_additive(self) -> tuple[Expression, int]:
        """`a + b - c`."""
        left, depth = self.parse_multiplicative()
        while self.peek().kind == "op" and self.peek().value in ("+", "-"):
            token = self.advance()
            right, right_depth = self.parse_multiplicative()
            left, depth = self.checked(Arithmetic(token.value, left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_multiplicative(self) -> tuple[Expression, int]:
        """`a * b / c`."""
        left, depth = self.parse_unary()
        while self.peek().kind == "op" and self.peek().value in ("*", "/"):
            token = self.advance()
            right, right_depth = self.parse_unary()
            left, depth = self.checked(Arithmetic(token.value, left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_unary(self) -> tuple[Expression, int]:
        """`-a`."""
        if not self.at("op", "-"):
            return self.parse_primary()
        token = self.advance()
        self.enter(token)
        operand, depth = self.parse_unary()
        self.leave()
        return self.checked(Negate(operand), depth + 1, token)

    def parse_primary(self) -> tuple[Expression, int]:
        """A number, text, true/false/null, a name, a call, a list or a bracketed expression."""
        token = self.peek()
        if token.kind == "number":
            self.advance()
            return Number(token.value), 0
        if token.kind == "string":
            self.advance()
            return String(token.value), 0
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            self.advance()
            return (Null() if token.value == "null" else Boolean(token.value == "true")), 0
        if token.kind == "name":
            self.advance()
            if self.at("op", "("):
                return self.parse_call(token)
            return Name(tuple(token.value.split(".")), position=token.position), 0
        if token.kind == "op" and token.value == "(":
            self.advance()
            self.enter(token)
            node, depth = self.parse_or()
            self.expect_closing(")", token, "a closing bracket")
            self.leave()
            return node, depth
        if token.kind == "op" and token.value == "[":
            self.advance()
            self.enter(token)
            items, depth = self.parse_items("]", token, "a comma or a closing square bracket")
            self.leave()
            return self.checked(ListLiteral(items), depth + 1, token)
        if token.kind == "end":
            raise ExpressionError(f"Expected a value {self.where(token.position)}", token.position)
        message = f"Expected a value but found {_describe(token)} {self.where(token.position)}"
        raise ExpressionError(message, token.position)

    def parse_call(self, name: _Token) -> tuple[Expression, int]:
        """`name(a, b)`, the name already consumed and the current token the opening bracket."""
        opening = self.advance()
        if "." in name.value:
            raise ExpressionError(
                f"Unexpected '(' {self.where(opening.position)}: '{name.value}' is not a function name",
                opening.position,
            )
        self.enter(opening)
        arguments, depth = self.parse_items(")", opening, "a comma or a closing bracket")
        self.leave()
        return self.checked(Call(name.value, arguments, position=name.position), depth + 1, name)

    def parse_items(self, closing: str, opening: _Token, wanted: str) -> tuple[tuple[Expression, ...], int]:
        """Comma-separated expressions up to the closing bracket (the opening one already consumed)."""
        items: list[Expression] = []
        depth = -1  # so a call or list with nothing inside is as deep as a leaf
        if self.at("op", closing):
            self.advance()
            return (), depth
        while True:
            item, item_depth = self.parse_or()
            items.append(item)
            depth = max(depth, item_depth)
            if self.at("op", ","):
                self.advance()
                continue
            self.expect_closing(closing, opening, wanted)
            return tuple(items), depth

    def expect_closing(self, closing: str, opening: _Token, wanted: str) -> None:
        """Consume the closing bracket, or explain that it is missing."""
        if self.at("op", closing):
            self.advance()
            return
        position = self.peek().position
        raise ExpressionError(
            f"Expected {wanted} {self.where(position)} (to match the '{opening.value}' at character "
            f"{opening.position + 1})",
            position,
        )


# --- public functions ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _parse_text(source: str) -> Expression:
    """Parse text already known to be a string (cached: the tree is immutable)."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"The expression is too long ({len(source):,} characters; the limit is {MAX_LENGTH:,})")
    try:
        return _Parser(source).parse()
    except RecursionError:
        raise ExpressionError(f"The expression is nested too deeply (more than {MAX_DEPTH} levels)") from None


def parse(source: str) -> Expression:
    """Parse expression text into a tree, raising ExpressionError (and nothing else) for bad input."""
    if not isinstance(source, str):
        raise ExpressionError("The expression must be text")
    return _parse_text(source)


def _expression(source_or_expression: str | Expression) -> Expression:
    """The tree for text (parsed) or a tree (as it is)."""
    if isinstance(source_or_expression, Expression):
        return source_or_expression
    return parse(source_or_expression)


def evaluate(source_or_expression: str | Expression, answers: Mapping[str, Any]) -> Any:
    """The value of an expression (text or tree) given the answers; ExpressionError only for bad text."""
    return _expression(source_or_expression).evaluate(answers)


def is_true(source_or_expression: str | Expression, answers: Mapping[str, Any]) -> bool:
    """Whether an expression (text or tree) is truthy given the answers; ExpressionError only for bad text."""
    return truthy(evaluate(source_or_expression, answers))


def _at(position: int | None) -> str:
    """' at character N' for a known position, else nothing."""
    return "" if position is None else f" at character {position + 1}"


def validate(source: str, known_ids: Collection[str]) -> list[str]:
    """Problems with expression text in plain English (syntax, unknown ids or functions, argument counts)."""
    try:
        expression = parse(source)
    except ExpressionError as error:
        return [error.message]
    known = set(known_ids)
    problems: list[str] = []
    reported: set[str] = set()
    for node in expression.walk():
        if isinstance(node, Name) and node.id not in known and node.id not in reported:
            reported.add(node.id)
            problems.append(f"Unknown question id '{node.id}'{_at(node.position)}")
        elif isinstance(node, Call):
            arity = FUNCTIONS.get(node.function)
            if arity is None:
                problems.append(
                    f"Unknown function '{node.function}'{_at(node.position)}: "
                    f"the functions are {', '.join(sorted(FUNCTIONS))}"
                )
            elif arity != len(node.arguments):
                count = len(node.arguments)
                problems.append(
                    f"The function '{node.function}'{_at(node.position)} takes {arity} "
                    f"argument{'s' if arity != 1 else ''}, not {count}"
                )
    return problems
