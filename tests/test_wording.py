"""Counts with their nouns and titles joined to what follows (app/wording.py), as every page words them."""

import pytest

from app.wording import plural, plural_noun, singular_noun, titled


@pytest.mark.parametrize(
    ("n", "word", "expected"),
    [
        (1, "organisation", "1 organisation"),
        (0, "organisation", "0 organisations"),
        (1200, "passage", "1,200 passages"),
        (2, "unitary authority", "2 unitary authorities"),
        (3, "study", "3 studies"),
        (2, "day", "2 days"),
        (2, "match", "2 matches"),
        (2, "person", "2 people"),
        (2, "Other public body", "2 Other public bodies"),
        (4, "FTE", "4 FTE"),
        (2, "decimal place", "2 decimal places"),
    ],
)
def test_a_count_agrees_with_its_noun(n, word, expected):
    assert plural(n, word) == expected


def test_an_explicit_plural_and_odd_counts():
    assert plural(2, "criterion", "criteria") == "2 criteria"
    assert plural(1.5, "hour") == "1.5 hours"
    assert plural(None, "answer") == "None answers"  # never a crash on a page


@pytest.mark.parametrize(
    ("word", "expected"),
    [("settings", "setting"), ("authorities", "authority"), ("matches", "match"), ("people", "person"), ("FTE", "FTE")],
)
def test_a_unit_written_in_the_plural_reads_in_the_singular_for_one(word, expected):
    assert singular_noun(word) == expected


def test_the_noun_alone_agrees_with_a_count():
    assert plural_noun("sub-theme", 1) == "sub-theme" and plural_noun("sub-theme", 3) == "sub-themes"


def test_a_title_that_is_a_question_is_not_followed_by_a_colon():
    assert titled("Who are our users?", "session on 5 May 2026") == "Who are our users? – session on 5 May 2026"
    assert titled("Digital skills", "session on 5 May 2026") == "Digital skills: session on 5 May 2026"


def test_templates_use_the_filters(app):
    rendered = app.jinja_env.from_string('{{ 1 | plural("organisation") }}, {{ n | plural("authority") }}').render(n=3)
    assert rendered == "1 organisation, 3 authorities"
    assert app.jinja_env.from_string('{{ "Who are our users?" | titled("tracking") }}').render() == (
        "Who are our users? – tracking"
    )
