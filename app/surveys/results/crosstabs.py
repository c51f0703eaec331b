"""Crosstabs: one variable (an organisation attribute or a choice question) against another, with
column percentages and the number of respondents in each column."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering.pages import DONT_KNOW
from app.surveys.authoring.definition import Definition
from app.surveys.results.dataset import Row
from app.surveys.results.figures import percent_of

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
    """What can be crossed: organisation attributes and every choice question, each question named by the
    question itself as members saw it (its `short` form is written for error messages: "whether you agree")."""
    variables = [(key, title) for key, (title, _labels) in ATTRIBUTES.items()]
    variables += [
        (q.id, q.label) for q in definition.questions if q.type in ("single_choice", "yes_no", "multiple_choice")
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
        return percent_of(self.counts[i][j], self.column_n[j])


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
