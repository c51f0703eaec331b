"""Survey results: figures per question, the headline answer to the brief with a Wilson interval,
crosstabs, free-text answers, and what a member sees beside the medians.

Plain functions of a definition and rows (see dataset.py), so each figure is tested against hand
arithmetic. Quartiles use linear interpolation between data points (pandas' default, Excel's
QUARTILE.INC), so a printout can be checked in a spreadsheet.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.numbers import finite_float
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering import DONT_KNOW, other_key, without_placeholders
from app.surveys.authoring.definition import Definition, Question
from app.surveys.dataset import Row

SMALL_GROUP = 5  # groups with fewer respondents are flagged (and suppressed where members could be identified)
NUMBER_TYPES = ("integer", "decimal", "percentage", "money")


# --- one question ---------------------------------------------------------------------------------


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


def interval_items(groups: list[Proportion]) -> list[tuple[str, float | None, float | None, float | None]]:
    """(label, percent, low %, high %) rows for an interval chart."""
    return [
        (g.label, g.percent, None if g.low is None else 100 * g.low, None if g.high is None else 100 * g.high)
        for g in groups
    ]


def total_items(categories: list[tuple[str, NumberSummary]]) -> list[tuple[str, float | None]]:
    """(label, total) pairs for a user grid's bar chart, leaving out the grand total."""
    return [(label, summary.total) for label, summary in categories[:-1]]


def _percent(count: int, base: int) -> float | None:
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


def _is_number(value: Any) -> bool:
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
            Share(o.label, counts[o.value], _percent(counts[o.value], len(given)), o.value) for o in question.options
        ]
    elif kind == "multiple_choice":
        given = [a for a in answers if isinstance(a, list) and a]
        counts = Counter(value for a in given for value in a)
        result.answered = len(given)
        result.shares = [
            Share(o.label, counts[o.value], _percent(counts[o.value], len(given)), o.value) for o in question.options
        ]
    elif kind in NUMBER_TYPES:
        numbers = [float(a) for a in answers if _is_number(a)]
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
                        Share(o.label, counts[o.value], _percent(counts[o.value], len(values)), o.value)
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
                    summarise_numbers([float(a[category.id]) for a in given if _is_number(a.get(category.id))]),
                )
            )
        totals = [float(sum(v for v in a.values() if _is_number(v))) for a in given]
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


# --- the headline: are organisations that serve pupils the exception or the majority? ------------


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion (95% by default), as fractions; None when n is 0."""
    if n == 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Proportion:
    """Organisations that support pupils, in one group, with a 95% Wilson interval."""

    label: str
    supporting: int
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def percent(self) -> float | None:
        return _percent(self.supporting, self.n)

    @property
    def small(self) -> bool:
        return self.n < SMALL_GROUP


def _proportion(label: str, rows: list[Row]) -> Proportion:
    answered = [r for r in rows if r.answers.get("provides_education") in ("yes", "no")]
    supporting = sum(1 for r in answered if r.provides_education)
    interval = wilson_interval(supporting, len(answered))
    return Proportion(label, supporting, len(answered), *(interval or (None, None)))


@dataclass
class Headline:
    """The brief's question answered: how many support pupils, and the service pupils get."""

    overall: Proportion
    by_council_type: list[Proportion]
    by_region: list[Proportion]
    pupil_service: list[Share]
    pupil_service_n: int

    @property
    def verdict(self) -> str:
        """'the majority', 'the exception' or 'not clear' from the interval."""
        o = self.overall
        if o.n == 0 or o.low is None:
            return "not known yet"
        if o.low > 0.5:
            return "the majority"
        if o.high < 0.5:
            return "the exception"
        return "not clearly either: the interval includes half"


def headline(definition: Definition, rows: list[Row]) -> Headline:
    """The share of responding organisations that provide ICT services to pupils, overall and by group."""
    by_type = [_proportion(label, [r for r in rows if r.council_type == slug]) for slug, label in COUNCIL_TYPES.items()]
    by_region = [_proportion(label, [r for r in rows if r.region == slug]) for slug, label in REGIONS.items()]
    service = definition.question("service_level")
    shares: list[Share] = []
    n = 0
    if service is not None:
        levels = [
            r.answers["service_level"].get("pupils")
            for r in rows
            if r.provides_education
            and isinstance(r.answers.get("service_level"), dict)
            and r.answers["service_level"].get("pupils")
        ]
        n = len(levels)
        counts = Counter(levels)
        shares = [Share(o.label, counts[o.value], _percent(counts[o.value], n), o.value) for o in service.scale]
    return Headline(
        overall=_proportion("All responding organisations", rows),
        by_council_type=[p for p in by_type if p.n],
        by_region=[p for p in by_region if p.n],
        pupil_service=shares,
        pupil_service_n=n,
    )


# --- crosstabs ------------------------------------------------------------------------------------

ATTRIBUTES = {"region": ("Region", REGIONS), "council_type": ("Council type", COUNCIL_TYPES)}


def _categories(source: str, definition: Definition, row: Row) -> list[str]:
    """The category labels a row falls in for a crosstab variable (several for multiple choice)."""
    if source in ATTRIBUTES:
        _title, labels = ATTRIBUTES[source]
        return [labels.get(getattr(row, source), getattr(row, source))]
    question = definition.question(source)
    value = row.answers.get(source)
    if question is None or value in (None, "", []):
        return []
    if question.type == "multiple_choice":
        return [question.option_label(v) for v in value]
    if value == DONT_KNOW:
        return ["I do not know"]
    return [question.option_label(value)]


def crosstab_variables(definition: Definition) -> list[tuple[str, str]]:
    """What can be crossed: organisation attributes and every choice question."""
    variables = [(key, title) for key, (title, _labels) in ATTRIBUTES.items()]
    variables += [
        (q.id, sentence_case(q.short) if q.short else q.label)
        for q in definition.questions
        if q.type in ("single_choice", "yes_no", "multiple_choice")
    ]
    return variables


@dataclass
class Crosstab:
    """Counts of one variable (rows) against another (columns), with column percentages and n per column."""

    row_title: str
    column_title: str
    row_labels: list[str]
    column_labels: list[str]
    counts: list[list[int]]
    column_n: list[int]

    def percent(self, i: int, j: int) -> float | None:
        """The cell as a percentage of its column's respondents."""
        return _percent(self.counts[i][j], self.column_n[j])


def _order(source: str, definition: Definition, seen: set[str]) -> list[str]:
    if source in ATTRIBUTES:
        return [label for label in ATTRIBUTES[source][1].values() if label in seen]
    question = definition.question(source)
    ordered = [o.label for o in question.options if o.label in seen]
    return ordered + sorted(seen - set(ordered))


def crosstab(definition: Definition, rows: list[Row], row_var: str, column_var: str) -> Crosstab:
    """Cross two variables; respondents missing either are left out; multiple choice counts each option."""
    pairs = []
    column_members: dict[str, int] = Counter()
    for row in rows:
        across, down = _categories(column_var, definition, row), _categories(row_var, definition, row)
        if not across or not down:
            continue
        for column in across:
            column_members[column] += 1
            pairs.extend((r, column) for r in down)
    row_labels = _order(row_var, definition, {r for r, _c in pairs})
    column_labels = _order(column_var, definition, {c for _r, c in pairs})
    cells = Counter(pairs)
    titles = dict(crosstab_variables(definition))
    return Crosstab(
        row_title=titles.get(row_var, row_var),
        column_title=titles.get(column_var, column_var),
        row_labels=row_labels,
        column_labels=column_labels,
        counts=[[cells[(r, c)] for c in column_labels] for r in row_labels],
        column_n=[column_members[c] for c in column_labels],
    )


# --- free text ------------------------------------------------------------------------------------


@dataclass
class FreeText:
    """One free-text answer, with who gave it described only by region and council type."""

    question_id: str
    text: str
    region: str
    council_type: str
    supports_pupils: bool


def free_texts(definition: Definition, rows: list[Row]) -> list[tuple[Question, list[FreeText]]]:
    """Every free-text answer, per question (long and short text, and 'please specify' answers)."""
    out = []
    for question in definition.questions:
        keys = []
        if question.type in ("short_text", "long_text"):
            keys.append(question.id)
        if question.specify_option:
            keys.append(other_key(question.id))
        for key in keys:
            texts = [
                FreeText(
                    key,
                    row.answers[key].strip(),
                    REGIONS.get(row.region, row.region),
                    COUNCIL_TYPES.get(row.council_type, row.council_type),
                    row.provides_education,
                )
                for row in rows
                if isinstance(row.answers.get(key), str) and row.answers[key].strip()
            ]
            if texts:
                out.append((question, texts))
    return out


def free_text_passages(definition: Definition, rows: list[Row]) -> list[dict[str, Any]]:
    """Free-text answers as passages for the analysis: the text and where it came from, never who wrote it."""
    return [
        {
            "source": "survey",
            "question_id": text.question_id,
            "question": without_placeholders(question.label),
            "text": text.text,
            "region": text.region,
            "council_type": text.council_type,
            "supports_pupils": text.supports_pupils,
        }
        for question, texts in free_texts(definition, rows)
        for text in texts
    ]


# --- what a member sees beside the medians --------------------------------------------------------

MIN_RESPONSES = 10


@dataclass
class Comparison:
    """One figure: this organisation's answer, the median of all respondents and of its council type."""

    label: str
    yours: float | None
    median_all: float | None
    n_all: int
    median_type: float | None  # None when suppressed (fewer than 5 of this council type)
    n_type: int
    unit: str = ""


def _figures(definition: Definition, answers: dict) -> list[tuple[str, str, Any, str]]:
    """(key, label, value, unit) for every number a member can be compared on."""
    figures = []
    for question in definition.questions:
        if question.type in NUMBER_TYPES:
            unit = "£" if question.type == "money" else ("%" if question.type == "percentage" else question.unit)
            figures.append(
                (
                    question.id,
                    sentence_case(question.short) if question.short else question.label,
                    answers.get(question.id),
                    unit,
                )
            )
        elif question.type == "user_grid":
            grid = answers.get(question.id) or {}
            for category in question.categories:
                figures.append((f"{question.id}.{category.id}", category.label, grid.get(category.id), "users"))
    return figures


def member_comparison(definition: Definition, rows: list[Row], mine: Row) -> list[Comparison] | None:
    """The member's figures beside the medians, or None until at least 10 organisations have submitted.

    Never reveals another organisation's answer: only medians of groups of 5 or more are shown.
    """
    if len(rows) < MIN_RESPONSES:
        return None
    same_type = [r for r in rows if r.council_type == mine.council_type]
    comparisons = []
    for key, label, yours, unit in _figures(definition, mine.answers):

        def values(group, key=key):
            qid, _, part = key.partition(".")
            found = [r.answers.get(qid) for r in group]
            if part:
                found = [f.get(part) if isinstance(f, dict) else None for f in found]
            return [float(v) for v in found if _is_number(v)]

        everyone, kind = values(rows), values(same_type)
        if len(everyone) < SMALL_GROUP:
            continue
        comparisons.append(
            Comparison(
                label=label,
                yours=float(yours) if _is_number(yours) else None,
                median_all=float(pd.Series(everyone).median()),
                n_all=len(everyone),
                median_type=float(pd.Series(kind).median()) if len(kind) >= SMALL_GROUP else None,
                n_type=len(kind),
                unit=unit,
            )
        )
    return comparisons
