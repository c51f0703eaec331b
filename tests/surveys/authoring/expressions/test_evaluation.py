"""Evaluating expressions (the package's evaluate and is_true over the tree's nodes and values.py): literals and
names, operators, functions, truthiness, and the schools survey's own rules."""

from __future__ import annotations

from typing import Any

import pytest

from app.surveys.authoring.expressions import (
    FUNCTIONS,
    Name,
    evaluate,
    is_true,
    parse,
)
from tests.surveys.authoring.expressions.support import ANSWERS, ev


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


def test_evaluate_and_is_true_accept_trees_and_cache_parsed_text() -> None:
    tree = parse("pupils > 1000")
    assert evaluate(tree, ANSWERS) is True
    assert is_true(tree, {}) is False
    assert parse("pupils > 1000") is parse("pupils > 1000")
    assert is_true("count_selected(services)", ANSWERS) is True


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
