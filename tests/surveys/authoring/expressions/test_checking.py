"""Checking an expression (expressions/checking.py): validate() accepts good expressions and reports problems in
plain English."""

from __future__ import annotations

from app.surveys.authoring.expressions import validate


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
