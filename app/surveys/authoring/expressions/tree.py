"""The expression tree: immutable nodes that evaluate themselves against answers (never raising) and print
back to canonical text."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from app.surveys.authoring.expressions.values import (
    _FUNCTIONS,
    _IDENTIFIER,
    ARITHMETIC_OPERATORS,
    COMPARISON_OPERATORS,
    KEYWORDS,
    _calculate,
    _compare,
    _finite,
    _is_number,
    truthy,
)

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
