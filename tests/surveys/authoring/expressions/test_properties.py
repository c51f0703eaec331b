"""Properties of the expression language, with generated text, trees and answers: parsing never fails but
with ExpressionError, trees round-trip and evaluate without raising, de Morgan, ordering."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.surveys.authoring.expressions import (
    COMPARISON_OPERATORS,
    FUNCTIONS,
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
    is_true,
    parse,
    validate,
)
from tests.surveys.authoring.expressions.support import height

PROPERTIES = settings(max_examples=200, deadline=None, database=None)


IDS = ["a", "b", "c", "users", "choice", "x_1"]


PARTS = ["pupils", "staff", "in", "x_2"]


SOURCE_CHARACTERS = "abnotrdiul_.0123456789 ()[],'\"\\=!<>+-*/#"


names = st.builds(
    lambda first, rest: Name((first, *rest)), st.sampled_from(IDS), st.lists(st.sampled_from(PARTS), max_size=2)
)


numbers = st.one_of(
    st.integers(min_value=0, max_value=10**15),
    st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False).map(abs),
    st.sampled_from([0.1, 1e-7, 2.5e-300, 1e15, 123456789.125]),
).map(Number)


leaves = st.one_of(
    numbers,
    st.text(max_size=8).map(String),
    st.text(alphabet="ab'\"\\", max_size=4).map(String),
    st.booleans().map(Boolean),
    st.just(Null()),
    names,
)


def _extend(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
    return st.one_of(
        children.map(Not),
        children.map(Negate),
        st.builds(Logical, st.sampled_from(["and", "or"]), children, children),
        st.builds(Comparison, st.sampled_from(COMPARISON_OPERATORS), children, children),
        st.builds(Arithmetic, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.lists(children, max_size=3).map(ListLiteral),
        st.builds(Call, st.sampled_from([*FUNCTIONS, "unknown"]), st.lists(children, max_size=3)),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)


small_text = st.text(alphabet="ab", max_size=3)


answer_values = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.text(max_size=6),
    small_text,
    st.lists(small_text, max_size=4),
    st.dictionaries(st.sampled_from(PARTS), st.one_of(st.integers(), st.none()), max_size=3),
    st.sampled_from([True, False, 10**400, {}, [], float("inf")]),
)


answer_dicts = st.dictionaries(st.sampled_from(IDS), answer_values, max_size=len(IDS))


@PROPERTIES
@given(st.one_of(st.text(), st.text(alphabet=SOURCE_CHARACTERS, max_size=60)))
def test_parse_either_returns_an_expression_or_raises_expression_error(source: str) -> None:
    try:
        result = parse(source)
    except ExpressionError as error:
        assert error.message
        assert error.position is None or 0 <= error.position <= len(source)
    else:
        assert isinstance(result, Expression)
        assert parse(result.to_source()) == result


@PROPERTIES
@given(expressions, answer_dicts)
def test_generated_trees_round_trip_and_evaluate_without_raising(expression: Expression, answers: dict) -> None:
    source = expression.to_source()
    assume(len(source) <= MAX_LENGTH)
    parsed = parse(source)
    assert parsed == expression
    assert parsed.to_source() == source
    assert parsed.references() == expression.references()
    expression.evaluate(answers)
    assert is_true(expression, answers) in (True, False)
    calls_are_known = all(
        FUNCTIONS.get(node.function) == len(node.arguments) for node in expression.walk() if isinstance(node, Call)
    )
    assert (validate(source, IDS) == []) is calls_are_known


wrappers = st.sampled_from(
    [
        Not,
        lambda e: Call("sum", (e,)),
        lambda e: Call("answered", (e,)),
        lambda e: ListLiteral((e, Null())),
        lambda e: ListLiteral((Name("a"), e)),
    ]
)


@PROPERTIES
@given(st.lists(wrappers, min_size=MAX_DEPTH, max_size=MAX_DEPTH))
def test_trees_fifty_levels_deep_round_trip(layers: list) -> None:
    expression: Expression = Name("x")
    for wrap in layers:
        expression = wrap(expression)
    assert height(expression) == MAX_DEPTH
    assert parse(expression.to_source()) == expression
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse(Not(expression).to_source())


@PROPERTIES
@given(expressions, expressions, answer_dicts)
def test_de_morgan(a: Expression, b: Expression, answers: dict) -> None:
    first, second = a.to_source(), b.to_source()
    assume(len(first) + len(second) <= 900)
    assert is_true(f"not (({first}) and ({second}))", answers) == is_true(f"not ({first}) or not ({second})", answers)
    assert is_true(f"not (({first}) or ({second}))", answers) == is_true(f"not ({first}) and not ({second})", answers)


def _literal(number: int | float) -> str:
    return ("-" if number < 0 else "") + Number(abs(number)).to_source()


@PROPERTIES
@given(
    st.one_of(st.integers(), st.floats()),
    st.one_of(st.integers(), st.floats()),
)
def test_less_than_is_greater_than_reversed(x: int | float, y: int | float) -> None:
    answers = {"x": x, "y": y}
    assert is_true("x < y", answers) == is_true("y > x", answers)
    assert is_true("x <= y", answers) == is_true("y >= x", answers)
    assert is_true("x < y", answers) == (x < y)
    if math.isfinite(x) and math.isfinite(y):
        assert is_true(f"{_literal(x)} < {_literal(y)}", {}) == (x < y)
        assert is_true(f"{_literal(y)} > {_literal(x)}", {}) == (x < y)
