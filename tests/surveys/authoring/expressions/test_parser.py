"""Parsing (expressions/parser.py): precedence, the trees it builds, and syntax errors that say what and where,
including text too long or nested too deep."""

from __future__ import annotations

from typing import Any

import pytest

from app.surveys.authoring.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    Arithmetic,
    Boolean,
    Call,
    Comparison,
    Expression,
    ExpressionError,
    ListLiteral,
    Logical,
    Name,
    Negate,
    Not,
    Null,
    Number,
    String,
    parse,
)
from tests.surveys.authoring.expressions.support import ev, height


def error_for(source: Any) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return caught.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("12 / 2 / 3", 2.0),
        ("-2 * 3", -6),
        ("- (2 + 3)", -5),
        ("1 + 2 == 3", True),
        ("true or true and false", True),
        ("(true or true) and false", False),
        ("not true or true", True),
        ("not (true or true)", False),
        ("not 1 == 2", True),
        ("1 < 2 and 2 < 3", True),
        ("1 + 1 in [2]", True),
    ],
)
def test_precedence(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("1 + 2 * 3", Arithmetic("+", Number(1), Arithmetic("*", Number(2), Number(3)))),
        ("a - b - c", Arithmetic("-", Arithmetic("-", Name("a"), Name("b")), Name("c"))),
        ("a or b and c", Logical("or", Name("a"), Logical("and", Name("b"), Name("c")))),
        ("not a == b", Not(Comparison("==", Name("a"), Name("b")))),
        ("-x.y", Negate(Name(("x", "y")))),
        ("a not in [1]", Comparison("not in", Name("a"), ListLiteral((Number(1),)))),
        ("f(a, 'b')", Call("f", (Name("a"), String("b")))),
        ("[true, false, null]", ListLiteral((Boolean(True), Boolean(False), Null()))),
    ],
)
def test_parse_builds_the_expected_tree(source: str, tree: Expression) -> None:
    assert parse(source) == tree


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("answer == 'yes", "The text in quotes starting at character 11 has no closing quote", 10),
        ("'ends with a backslash\\", "The text in quotes starting at character 1 has no closing quote", 0),
        (
            "(a and (b or c)",
            "Expected a closing bracket at the end of the expression (to match the '(' at character 1)",
            15,
        ),
        (
            "(a and b or c  d",
            "Expected a closing bracket at character 16 (to match the '(' at character 1)",
            15,
        ),
        (
            "x in [1, 2",
            "Expected a comma or a closing square bracket at the end of the expression "
            "(to match the '[' at character 6)",
            10,
        ),
        (
            "answered(a b)",
            "Expected a comma or a closing bracket at character 12 (to match the '(' at character 9)",
            11,
        ),
        ("a +", "Expected a value at the end of the expression", 3),
        ("a and", "Expected a value at the end of the expression", 5),
        ("a * * b", "Expected a value but found '*' at character 5", 4),
        (
            "a < b < c",
            "Comparisons cannot be chained at character 7: join them with 'and', as in 'a < b and b < c'",
            6,
        ),
        (
            "a == b in c",
            "Comparisons cannot be chained at character 8: join them with 'and', as in 'a < b and b < c'",
            7,
        ),
        ("a b", "Unexpected 'b' at character 3", 2),
        ("a)", "Unexpected closing bracket at character 2: it has no opening bracket", 1),
        ("a = 1", "Unexpected '=' at character 3: use '==' to compare values", 2),
        ("a && b", "Unexpected '&' at character 3: use 'and'", 2),
        ("!a", "Unexpected '!' at character 1: use 'not', or '!=' for 'is not equal to'", 0),
        ("a # b", "Unexpected character '#' at character 3", 2),
        ("a\u00a0b", "Unexpected character U+00A0 at character 2", 1),
        ("1.", "Expected a digit after the decimal point at the end of the expression", 2),
        ("users.", "Expected a name after '.' at the end of the expression", 6),
        ("users.pupils(1)", "Unexpected '(' at character 13: 'users.pupils' is not a function name", 12),
        (r"'\n'", "Unknown escape '\\n' at character 2: only \\', \\\" and \\\\ are allowed", 1),
        ("", "The expression is empty", 0),
        ("  \n ", "The expression is empty", 0),
        ("1" * 400 + ".0", "The number at character 1 is too large", 0),
    ],
)
def test_syntax_errors_say_what_and_where(source: str, message: str, position: int) -> None:
    error = error_for(source)
    assert error.message == message
    assert str(error) == message
    assert error.position == position
    assert isinstance(error, ValueError)


def test_too_long() -> None:
    error = error_for("1" * (MAX_LENGTH + 1))
    assert error.message == "The expression is too long (2,001 characters; the limit is 2,000)"
    assert error.position is None
    assert parse("1" + " " * (MAX_LENGTH - 1)) == Number(1)


def test_not_text() -> None:
    for source in (None, 12, b"a == 1", ["a"]):
        assert error_for(source).message == "The expression must be text"


@pytest.mark.parametrize(
    ("deep", "position"),
    [
        ("(" * 51 + "1" + ")" * 51, 50),
        ("[" * 51 + "]" * 51, 50),
        ("not " * 51 + "a", 200),
        ("-" * 51 + "1", 50),
        ("f(" * 51 + ")" * 51, 101),
        ("+".join(["1"] * 52), 101),
        (" and ".join(["a"] * 52), 302),
        ("(" * MAX_LENGTH, 50),
    ],
)
def test_too_deep(deep: str, position: int) -> None:
    error = error_for(deep)
    assert error.message == (f"The expression is nested too deeply (more than 50 levels) at character {position + 1}")
    assert error.position == position


@pytest.mark.parametrize(
    "deep",
    [
        "(" * 50 + "1" + ")" * 50,
        "[" * 50 + "]" * 50,
        "not " * 50 + "a",
        "-" * 50 + "1",
        "+".join(["1"] * 51),
    ],
)
def test_fifty_levels_are_allowed(deep: str) -> None:
    assert height(parse(deep)) <= MAX_DEPTH
