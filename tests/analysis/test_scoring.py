"""The scoring rules as plain data: reading and checking a TOML document, and scoring measures with it."""

from __future__ import annotations

import pytest

from app.analysis.evidence import SURVEY_MEASURES, measure_keys
from app.analysis.models import OUTCOMES
from app.analysis.scoring import (
    MAX_DOCUMENT,
    MAX_RULES,
    Measure,
    RulesError,
    is_met,
    number_text,
    parse_rules,
    score,
    shipped_document,
)
from app.analysis.services import _default_codebook

KNOWN = {"survey.a", "survey.b", "theme.x"}


def rule(outcome="amend-definition", measure="survey.a", condition="at least", threshold=25, weight=3,
         direction="supports", why="Because."):  # fmt: skip
    value = lambda v: f'"{v}"' if isinstance(v, str) else str(v).lower()  # noqa: E731
    fields = dict(outcome=outcome, measure=measure, condition=condition, threshold=threshold, weight=weight,
                  direction=direction, why=why)  # fmt: skip
    return "[[rule]]\n" + "".join(f"{key} = {value(v)}\n" for key, v in fields.items() if v is not None) + "\n"


def measure(key="survey.a", numerator=1, denominator=4) -> Measure:
    value = 100.0 * numerator / denominator if denominator else None
    return Measure(key, key, value, numerator, denominator)


def problems(text: str, known=KNOWN) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, known)
    return caught.value.messages


def test_the_shipped_rules_are_valid_cover_every_outcome_and_use_only_known_measures():
    themes = [(theme.slug, theme.name) for theme in _default_codebook().themes]
    rules = parse_rules(shipped_document(), measure_keys(themes))
    assert {r.outcome for r in rules} == set(OUTCOMES)
    assert all(r.why and r.line > 0 for r in rules)
    used = {r.measure for r in rules}
    assert set(SURVEY_MEASURES) <= used  # every survey and impact measure is used by some rule


def test_a_rule_is_read_with_its_line_number():
    text = "# a comment\n\n" + rule() + rule(outcome="education-module", weight=1.5, direction="weighs against")
    first, second = parse_rules(text, KNOWN)
    assert (first.number, first.line, first.outcome, first.threshold, first.weight) == (1, 3, "amend-definition", 25, 3)
    assert (second.number, second.line, second.direction, second.sign) == (2, 12, "weighs against", -1)


def test_a_threshold_exactly_met_counts_at_least_and_at_most():
    at_least = parse_rules(rule(threshold=25), KNOWN)[0]
    at_most = parse_rules(rule(condition="at most", threshold=25), KNOWN)[0]
    assert is_met(at_least, measure(numerator=1, denominator=4))  # 25% is at least 25%
    assert is_met(at_most, measure(numerator=1, denominator=4))  # and at most 25%
    assert not is_met(at_least, measure(numerator=6, denominator=25))  # 24%
    assert not is_met(at_most, measure(numerator=26, denominator=100))  # 26%
    third = parse_rules(rule(threshold=33.333333333), KNOWN)[0]
    assert is_met(third, measure(numerator=1, denominator=3))


def test_a_measure_without_data_or_unknown_meets_no_rule_and_says_no_data():
    rules = parse_rules(rule(condition="at most", threshold=100) + rule(measure="theme.x"), KNOWN)
    scores = score(rules, {"survey.a": measure(denominator=0)})
    results = scores["amend-definition"].results
    assert [r.met for r in results] == [False, False]
    assert results[0].status == "No data"
    assert results[1].status == "No data: the measure is not known"
    assert scores["amend-definition"].score == 0
    assert scores["amend-definition"].arithmetic == "No rule is met: 0"


def test_weights_are_summed_with_those_against_taken_away_and_the_sum_written_out():
    text = (
        rule(weight=3)
        + rule(measure="survey.b", weight=2)
        + rule(measure="survey.b", weight=1.5, direction="weighs against")
        + rule(measure="theme.x", weight=4)  # not met: 10% < 25%
        + rule(outcome="education-module", weight=2, direction="weighs against")
    )
    measures = {
        "survey.a": measure("survey.a", 1, 2),
        "survey.b": measure("survey.b", 3, 4),
        "theme.x": measure("theme.x", 1, 10),
    }
    scores = score(parse_rules(text, KNOWN), measures)
    definition = scores["amend-definition"]
    assert (definition.supporting, definition.against, definition.score) == (5, 1.5, 3.5)
    assert definition.arithmetic == "3 (rule 1) + 2 (rule 2) − 1.5 (rule 3) = 3.5"
    module = scores["education-module"]
    assert module.score == -2 and module.arithmetic == "−2 (rule 5) = −2"
    assert scores["amend-reporting"].arithmetic == "No rule scores this outcome: 0"
    assert list(scores) == list(OUTCOMES)


def test_bad_toml_is_reported_with_its_line():
    messages = problems(rule() + "outcome = \n")
    assert len(messages) == 1 and messages[0].startswith("The rules are not valid TOML") and "line 10" in messages[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (rule(measure="survey.nothing"), "Rule 1 (line 1): the measure 'survey.nothing' is not known"),
        (rule(outcome="abolish-benchmarking"), "Rule 1 (line 1): the outcome 'abolish-benchmarking' is not one of"),
        (rule(condition="more than"), 'Rule 1 (line 1): the condition must be "at least" or "at most"'),
        (rule(threshold=101), "Rule 1 (line 1): the threshold must be a percentage from 0 to 100"),
        (rule(threshold=-1), "Rule 1 (line 1): the threshold must be a percentage from 0 to 100"),
        (rule(threshold="25"), "Rule 1 (line 1): the threshold must be a percentage"),
        (rule(threshold="nan").replace('"nan"', "nan"), "the threshold must be a percentage"),
        (rule(weight=0), "Rule 1 (line 1): the weight must be a number above 0 and at most 10"),
        (rule(weight=11), "the weight must be a number above 0 and at most 10"),
        (rule(weight=True), "the weight must be a number above 0"),
        (rule(direction="opposes"), 'the direction must be "supports" or "weighs against"'),
        (rule(why=" "), "Rule 1 (line 1): say why the rule counts"),
        (rule(why="x" * 501), "say why the rule counts in 1 to 500 characters"),
        (rule(why=None), "Rule 1 (line 1) is missing why"),
        (rule() + "colour = 'red'\n", "Rule 1 (line 1) has a key the rules do not use: colour"),
        ("title = 'mine'\n" + rule(), "The rules have a top-level key they do not use: title"),
        ("rule = 3\n", "Write each rule as a [[rule]] table"),
        ("# nothing\n", "Write at least one [[rule]]"),
        ("", "Enter the rules"),
        (rule() * (MAX_RULES + 1), f"Write at most {MAX_RULES} rules"),
        ("#" * (MAX_DOCUMENT + 1), f"The rules must be {MAX_DOCUMENT:,} characters or fewer"),
    ],
)
def test_bad_rules_are_refused_with_a_message_naming_the_rule(text, expected):
    assert any(expected in message for message in problems(text)), problems(text)


def test_every_problem_is_listed_and_later_rules_are_named_by_line():
    messages = problems(rule() + rule(weight=0) + rule(measure="survey.zzz"))
    assert len(messages) == 2
    assert messages[0].startswith("Rule 2 (line 10)") and messages[1].startswith("Rule 3 (line 19)")


def test_rules_written_inline_are_named_by_number_only():
    text = 'rule = [{outcome = "amend-definition", measure = "survey.a", condition = "at least", threshold = 5, weight = 0, direction = "supports", why = "x"}]'  # noqa: E501
    assert problems(text)[0].startswith("Rule 1: the weight")


def test_without_known_measures_only_the_form_is_checked():
    assert parse_rules(rule(measure="theme.gone"))[0].measure == "theme.gone"


def test_numbers_are_written_as_people_write_them():
    assert [number_text(v) for v in (3.0, 2.5, -2.0, 0.0)] == ["3", "2.5", "−2", "0"]
