"""The survey expression language: parsing, evaluation, validation, error messages and properties."""

from __future__ import annotations

import math
from typing import Any

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
    evaluate,
    is_true,
    parse,
    validate,
)

PROPERTIES = settings(max_examples=200, deadline=None, database=None)

ANSWERS: dict[str, Any] = {
    "provides_education": "yes",
    "pupils": 1200,
    "staff": 300,
    "ratio": 0.5,
    "empty_text": "",
    "nothing": None,
    "services": ["email", "wifi"],
    "single": "email",
    "no_services": [],
    "users": {"pupils": 1200, "staff": 300, "unknown": None, "note": "about"},
    "grid": {"nested": {"deeper": 7}},
    "flag": True,
    "numeric_text": " 42 ",
}


def ev(source: str, answers: dict[str, Any] | None = None) -> Any:
    return evaluate(source, ANSWERS if answers is None else answers)


def error_for(source: Any) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return caught.value


def height(expression: Expression) -> int:
    children = expression.children()
    return 1 + max(height(child) for child in children) if children else 0


# --- literals and names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("12", 12),
        ("0.5", 0.5),
        ("007", 7),
        ("'yes'", "yes"),
        ('"yes"', "yes"),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'\"'", '"'),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 'a', pupils]", [1, "a", 1200]),
        ("[]", []),
        ("(pupils)", 1200),
    ],
)
def test_literals_evaluate_to_their_values(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_names_read_answers_and_dotted_parts_read_into_dicts() -> None:
    assert ev("pupils") == 1200
    assert ev("users.pupils") == 1200
    assert ev("grid.nested.deeper") == 7
    assert ev("missing") is None
    assert ev("users.missing") is None
    assert ev("pupils.anything") is None  # not a dict
    assert ev("users.unknown") is None


def test_keywords_are_case_sensitive() -> None:
    assert ev("True", {"True": 5}) == 5
    assert parse("NOT") == Name(("NOT",))
    assert ev("Null") is None  # an unanswered question called Null


# --- operators -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2", 3),
        ("5 - 7", -2),
        ("3 * 4", 12),
        ("7 / 2", 3.5),
        ("0.5 + 0.25", 0.75),
        ("-pupils", -1200),
        ("--3", 3),
        ("users.pupils + users.staff", 1500),
        ("pupils / 0", None),
        ("pupils + nothing", None),
        ("pupils + 'a'", None),
        ("'a' + 'b'", None),
        ("flag + 1", None),
        ("-'a'", None),
        ("-true", None),
        ("[1] * 2", None),
    ],
)
def test_arithmetic(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("provides_education == 'yes'", True),
        ("provides_education != 'yes'", False),
        ("nothing == null", True),
        ("missing == null", True),
        ("pupils != null", True),
        ("1 == 1.0", True),
        ("'1' == 1", False),
        ("1 == true", False),
        ("0 == false", False),
        ("flag == true", True),
        ("[1, 2] == [1, 2]", True),
        ("users == users", True),
        ("pupils > staff", True),
        ("pupils >= 1200", True),
        ("pupils < 1200", False),
        ("pupils <= 1200", True),
        ("ratio < 1", True),
        ("'apple' < 'banana'", True),
        ("'b' >= 'a'", True),
        ("nothing < 5", False),
        ("nothing >= 5", False),
        ("'5' < 6", False),
        ("true > false", False),
        ("[1] < [2]", False),
        ("'email' in services", True),
        ("'post' in services", False),
        ("single in ['email', 'post']", True),
        ("services in ['wifi']", True),
        ("services in ['post']", False),
        ("no_services in ['post']", False),
        ("'a' in 'abc'", False),
        ("'a' in nothing", False),
        ("'post' not in services", True),
        ("'email' not in services", False),
        ("'a' not in 'abc'", True),
        ("nothing not in [1]", True),
    ],
)
def test_comparisons(source: str, expected: bool) -> None:
    assert ev(source) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true and true", True),
        ("true and false", False),
        ("pupils and services", True),
        ("pupils and empty_text", False),
        ("nothing or 0", False),
        ("nothing or 'x'", True),
        ("false or no_services", False),
        ("not nothing", True),
        ("not pupils", False),
        ("not 0", True),
        ("not 0.0", True),
        ("not ''", True),
        ("not []", True),
        ("not no_services", True),
        ("not users", False),
        ("not not 'x'", True),
    ],
)
def test_logic_uses_truthiness_and_gives_booleans(source: str, expected: bool) -> None:
    assert ev(source) is expected


def test_truthiness_of_empty_dicts_and_other_values() -> None:
    assert is_true("x", {"x": {}}) is False
    assert is_true("x", {"x": {"a": 1}}) is True
    assert is_true("x", {"x": float("nan")}) is True
    assert is_true("x", {"x": object()}) is True
    assert is_true("x", {}) is False


# --- functions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("answered(pupils)", True),
        ("answered(flag)", True),
        ("answered(0)", True),
        ("answered(false)", True),
        ("answered(nothing)", False),
        ("answered(missing)", False),
        ("answered(empty_text)", False),
        ("answered(no_services)", False),
        ("answered(users)", True),
        ("answered(x)", False),
        ("any_selected(services, ['wifi', 'post'])", True),
        ("any_selected(services, ['post'])", False),
        ("any_selected(single, ['email'])", True),
        ("any_selected(nothing, ['email'])", False),
        ("any_selected(services, [])", False),
        ("all_selected(services, ['wifi', 'email'])", True),
        ("all_selected(services, ['wifi', 'post'])", False),
        ("all_selected(single, ['email'])", True),
        ("all_selected(nothing, ['email'])", False),
        ("all_selected(services, [])", False),
        ("count_selected(services)", 2),
        ("count_selected(single)", 1),
        ("count_selected(no_services)", 0),
        ("count_selected(nothing)", 0),
        ("count_selected(empty_text)", 0),
        ("sum(users)", 1500),
        ("sum([pupils, staff, nothing, 'x', true])", 1500),
        ("sum([])", 0),
        ("sum(pupils)", 1200),
        ("sum(nothing)", None),
        ("sum('12')", None),
        ("len('hello')", 5),
        ("len(services)", 2),
        ("len('')", 0),
        ("len(pupils)", None),
        ("len(nothing)", None),
        ("number('12')", 12),
        ("number('-0.5')", -0.5),
        ("number(numeric_text)", 42),
        ("number(pupils)", 1200),
        ("number('12 apples')", None),
        ("number('1e5')", None),
        ("number('nan')", None),
        ("number('')", None),
        ("number(nothing)", None),
        ("number(true)", None),
        ("unknown_function(1)", None),
        ("answered(1, 2)", None),
    ],
)
def test_functions(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_the_schools_survey_rules() -> None:
    users_rule = "sum(users) > 0"
    assert is_true(users_rule, {"users": {"pupils": 0, "staff": 4}})
    assert not is_true(users_rule, {"users": {"pupils": 0, "staff": None}})
    assert not is_true(users_rule, {})
    shares_rule = "sum([incidents_school_staff, incidents_pupils]) <= 100"
    assert is_true(shares_rule, {"incidents_school_staff": 40, "incidents_pupils": 60})
    assert not is_true(shares_rule, {"incidents_school_staff": 40, "incidents_pupils": 60.5})
    assert is_true(shares_rule, {"incidents_school_staff": 40})
    assert is_true("provides_education == 'yes'", {"provides_education": "yes"})
    assert not is_true("provides_education == 'yes'", {})


# --- precedence and canonical text ---------------------------------------------------------------


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


def test_evaluate_and_is_true_accept_trees_and_cache_parsed_text() -> None:
    tree = parse("pupils > 1000")
    assert evaluate(tree, ANSWERS) is True
    assert is_true(tree, {}) is False
    assert parse("pupils > 1000") is parse("pupils > 1000")
    assert is_true("count_selected(services)", ANSWERS) is True


# --- errors --------------------------------------------------------------------------------------


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


# --- validate ------------------------------------------------------------------------------------


def test_validate_accepts_good_expressions() -> None:
    known = {"provides_education", "services"}
    assert validate("provides_education == 'yes' and any_selected(services, ['wifi'])", known) == []
    assert validate("sum(users) > 0", ["users"]) == []
    assert validate("users.pupils > 1", ("users",)) == []


def test_validate_reports_problems_in_plain_english() -> None:
    assert validate("a ==", ["a"]) == ["Expected a value at the end of the expression"]
    assert validate("a == b or a == c or b == 1", ["a"]) == [
        "Unknown question id 'b' at character 6",
        "Unknown question id 'c' at character 16",
    ]
    assert validate("answerd(a)", ["a"]) == [
        "Unknown function 'answerd' at character 1: the functions are all_selected, answered, any_selected, "
        "count_selected, len, number, sum"
    ]
    assert validate("answered(a, a) or any_selected(a)", ["a"]) == [
        "The function 'answered' at character 1 takes 1 argument, not 2",
        "The function 'any_selected' at character 19 takes 2 arguments, not 1",
    ]
    assert validate("users.pupils > 0", []) == ["Unknown question id 'users' at character 1"]
    assert validate("(", []) == ["Expected a value at the end of the expression"]


def test_every_function_is_documented_with_its_argument_count() -> None:
    assert dict(FUNCTIONS) == {
        "answered": 1,
        "any_selected": 2,
        "all_selected": 2,
        "count_selected": 1,
        "sum": 1,
        "len": 1,
        "number": 1,
    }


# --- properties ----------------------------------------------------------------------------------

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


# Wrappers that add one level to the tree and exactly one level of nesting to its text. (Brackets that
# only group, as in "-(not x)", add nesting without adding depth, so the limit counts them too.)
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
