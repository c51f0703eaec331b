"""Free-text answers (long and short text, and "please specify" answers), per question, described only
by the region and council type of who gave them; and the same answers as passages for the analysis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering import other_key, without_placeholders
from app.surveys.definition import Definition, Question
from app.surveys.results.dataset import Row


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
