"""What a member sees beside the medians: their own figures, the median of all respondents and of their
council type, once enough organisations have submitted, never another organisation's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from app.surveys.authoring.definition import NUMBER_TYPES, Definition
from app.surveys.results.dataset import Row
from app.surveys.results.figures import SMALL_GROUP, is_number, sentence_case

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
            return [float(v) for v in found if is_number(v)]

        everyone, kind = values(rows), values(same_type)
        if len(everyone) < SMALL_GROUP:
            continue
        comparisons.append(
            Comparison(
                label=label,
                yours=float(yours) if is_number(yours) else None,
                median_all=float(pd.Series(everyone).median()),
                n_all=len(everyone),
                median_type=float(pd.Series(kind).median()) if len(kind) >= SMALL_GROUP else None,
                n_type=len(kind),
                unit=unit,
            )
        )
    return comparisons
