"""Survey results, question by question: counts and shares of choices, number summaries, matrices,
user grids and how many wrote free text, and the (label, value) items the charts draw.

Plain functions of a definition and rows (see dataset.py), so each figure is tested against hand
arithmetic. Quartiles use linear interpolation between data points (pandas' default, Excel's
QUARTILE.INC), so a printout can be checked in a spreadsheet. The headline, crosstabs, free text and
the member's comparison live beside this module and share its small helpers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.numbers import finite_float
from app.surveys.answering.pages import DONT_KNOW, other_key
from app.surveys.authoring.definition import NUMBER_TYPES, Definition, Question
from app.surveys.results.dataset import Row

SMALL_GROUP = 5  # groups with fewer respondents are flagged (and suppressed where members could be identified)


@dataclass
class Share:
    """A count and its share of a base."""

    label: str
    count: int
    percent: float | None  # 0-100, None when the base is 0
    code: str = ""


@dataclass
class NumberSummary:
    """Descriptive statistics of a number."""

    n: int
    mean: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    total: float | None = None


@dataclass
class QuestionResult:
    """What one question's answers add up to."""

    question: Question
    asked: int  # respondents whose route included the question (answered or skipped it)
    answered: int
    dont_know: int = 0
    shares: list[Share] = field(default_factory=list)  # choices: % of those who answered
    numbers: NumberSummary | None = None
    rows: list[tuple[str, list[Share], int]] = field(default_factory=list)  # matrix: (row label, shares, n)
    categories: list[tuple[str, NumberSummary]] = field(default_factory=list)  # user grid
    texts: int = 0
    other_texts: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        q = self.question.type
        if q in ("single_choice", "yes_no", "multiple_choice"):
            return "choice"
        if q in NUMBER_TYPES:
            return "number"
        return {"matrix": "matrix", "user_grid": "grid", "short_text": "text", "long_text": "text"}.get(q, "other")


def sentence_case(text: str) -> str:
    """Text with its first letter in capitals and the rest as written ("the number of ICT staff")."""
    return text[:1].upper() + text[1:]


def share_items(shares: list[Share]) -> list[tuple[str, float | None]]:
    """(label, percent) pairs for a bar chart."""
    return [(share.label, share.percent) for share in shares]


def total_items(categories: list[tuple[str, NumberSummary]]) -> list[tuple[str, float | None]]:
    """(label, total) pairs for a user grid's bar chart, leaving out the grand total."""
    return [(label, summary.total) for label, summary in categories[:-1]]


def percent_of(count: int, base: int) -> float | None:
    """`count` as a percentage of `base`, or None when the base is 0."""
    return 100.0 * count / base if base else None


def summarise_numbers(values: list[float]) -> NumberSummary:
    """n, mean, median, quartiles, range and total of some numbers."""
    if not values:
        return NumberSummary(n=0)
    series = pd.Series(values, dtype="float64")
    return NumberSummary(
        n=len(values),
        mean=float(series.mean()),
        median=float(series.median()),
        q1=float(series.quantile(0.25)),
        q3=float(series.quantile(0.75)),
        minimum=float(series.min()),
        maximum=float(series.max()),
        total=float(series.sum()),
    )


def is_number(value: Any) -> bool:
    """Whether an answer is a finite number (not "I do not know", text or infinity)."""
    return isinstance(value, int | float) and finite_float(value) is not None


def question_result(question: Question, rows: list[Row]) -> QuestionResult:
    """Summarise one question over the rows (each row's answers are only those on its route)."""
    answers = [row.answers.get(question.id) for row in rows]
    asked = sum(1 for a in answers if a is not None)
    kind = question.type
    result = QuestionResult(question=question, asked=asked, answered=0)
    if kind in ("single_choice", "yes_no"):
        given = [a for a in answers if isinstance(a, str) and a]
        counts = Counter(given)
        result.answered = len(given)
        result.shares = [
            Share(o.label, counts[o.value], percent_of(counts[o.value], len(given)), o.value) for o in question.options
        ]
    elif kind == "multiple_choice":
        given = [a for a in answers if isinstance(a, list) and a]
        counts = Counter(value for a in given for value in a)
        result.answered = len(given)
        result.shares = [
            Share(o.label, counts[o.value], percent_of(counts[o.value], len(given)), o.value) for o in question.options
        ]
    elif kind in NUMBER_TYPES:
        numbers = [float(a) for a in answers if is_number(a)]
        result.dont_know = sum(1 for a in answers if a == DONT_KNOW)
        result.answered = len(numbers) + result.dont_know
        result.numbers = summarise_numbers(numbers)
    elif kind == "matrix":
        given = [a for a in answers if isinstance(a, dict) and a]
        result.answered = len(given)
        for row in question.rows:
            values = [a.get(row.id) for a in given if a.get(row.id)]
            counts = Counter(values)
            result.rows.append(
                (
                    row.label,
                    [
                        Share(o.label, counts[o.value], percent_of(counts[o.value], len(values)), o.value)
                        for o in question.scale
                    ],
                    len(values),
                )
            )
    elif kind == "user_grid":
        given = [a for a in answers if isinstance(a, dict) and a]
        result.answered = len(given)
        for category in question.categories:
            result.categories.append(
                (
                    category.label,
                    summarise_numbers([float(a[category.id]) for a in given if is_number(a.get(category.id))]),
                )
            )
        totals = [float(sum(v for v in a.values() if is_number(v))) for a in given]
        result.categories.append((question.total_label, summarise_numbers(totals)))
    elif kind in ("short_text", "long_text"):
        result.texts = result.answered = sum(1 for a in answers if isinstance(a, str) and a.strip())
    else:
        result.answered = sum(1 for a in answers if a not in (None, ""))
    if question.specify_option:
        result.other_texts = [
            row.answers[other_key(question.id)] for row in rows if row.answers.get(other_key(question.id))
        ]
    return result


def survey_results(definition: Definition, rows: list[Row]) -> list[tuple[str, list[QuestionResult]]]:
    """Every question's result, grouped by section."""
    return [
        (section.title, [question_result(q, rows) for page in section.pages for q in page.questions])
        for section in definition.sections
    ]
