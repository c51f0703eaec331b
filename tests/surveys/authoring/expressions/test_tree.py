"""The expression tree (expressions/tree.py): canonical source text, the question ids referred to, immutable
and hashable nodes that refuse values the language cannot write."""

from __future__ import annotations

import pytest

from app.surveys.authoring.expressions import (
    Arithmetic,
    Boolean,
    Name,
    Number,
    parse,
)


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("1+2*3", "1 + 2 * 3"),
        ("(1+2)*3", "(1 + 2) * 3"),
        ("a-(b-c)", "a - (b - c)"),
        ("(a-b)-c", "a - b - c"),
        ("((a))", "a"),
        ("not(a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("(a == b) == c", "(a == b) == c"),
        ("-(-(x))", "--x"),
        ('"it\'s"', r"'it\'s'"),
        ("x  not   in[ 1 ,2 ]", "x not in [1, 2]"),
        ("answered( a )", "answered(a)"),
        ("1.50", "1.5"),
        ("(not a) + 1", "(not a) + 1"),
    ],
)
def test_to_source_is_canonical(source: str, canonical: str) -> None:
    expression = parse(source)
    assert expression.to_source() == canonical
    assert str(expression) == canonical
    assert parse(canonical) == expression


def test_references_are_top_level_question_ids() -> None:
    expression = parse("users.pupils > 0 and answered(provides) or 'x' in [choice.a, 1]")
    assert expression.references() == frozenset({"users", "provides", "choice"})
    assert parse("1 + 2").references() == frozenset()


def test_trees_are_immutable_and_hashable() -> None:
    expression = parse("a + 1")
    with pytest.raises(AttributeError):
        expression.left = Name("b")  # type: ignore[misc]
    assert hash(expression) == hash(parse("a+1"))
    assert Number(1) != Number(1.0)
    assert Number(1) != Boolean(True)
    assert parse("a") == Name("a")  # the position is not part of equality


def test_nodes_refuse_values_the_language_cannot_write() -> None:
    with pytest.raises(ValueError, match="negative"):
        Number(-1)
    with pytest.raises(ValueError, match="finite"):
        Number(float("inf"))
    with pytest.raises(ValueError, match="int or a float"):
        Number(True)
    with pytest.raises(ValueError, match="keyword"):
        Name("and")
    with pytest.raises(ValueError, match="identifiers"):
        Name(("a", "b c"))
    with pytest.raises(ValueError, match="operators"):
        Arithmetic("%", Number(1), Number(2))
