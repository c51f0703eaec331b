"""Free-text answers (long and short text, and "please specify" answers): per question for the results
page, described only by the region and council type of who gave them (as labels), and as passages
(`app.passages.Passage`) for the analysis, with region and council type as slugs and never a name.

Both read the same answers through `_answers`, so the page and the analysis never disagree about which
answers are free text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.passages import Passage, passages_from_text
from app.surveys.answering.pages import other_key, without_placeholders
from app.surveys.authoring.definition import Definition, Question
from app.surveys.models import Survey
from app.surveys.results.dataset import Row, submitted_rows
from app.surveys.services import definition_for


@dataclass
class FreeText:
    """One free-text answer as the results page shows it: who gave it described only by the labels of
    their region and council type."""

    question_id: str
    text: str
    region: str
    council_type: str
    supports_pupils: bool


def _answers(definition: Definition, rows: list[Row]) -> Iterator[tuple[Question, str, list[tuple[Row, str]]]]:
    """(question, answer key, [(row, the answer as stored)]) for every free-text answer key with an answer:
    a text question's own key and a "please specify" key, in the definition's order, rows in their order."""
    for question in definition.questions:
        keys = []
        if question.type in ("short_text", "long_text"):
            keys.append(question.id)
        if question.specify_option:
            keys.append(other_key(question.id))
        for key in keys:
            given = [
                (row, row.answers[key])
                for row in rows
                if isinstance(row.answers.get(key), str) and row.answers[key].strip()
            ]
            if given:
                yield question, key, given


def free_texts(definition: Definition, rows: list[Row]) -> list[tuple[Question, list[FreeText]]]:
    """Every free-text answer, per question (long and short text, and 'please specify' answers)."""
    return [
        (
            question,
            [
                FreeText(
                    key,
                    text.strip(),
                    REGIONS.get(row.region, row.region),
                    COUNCIL_TYPES.get(row.council_type, row.council_type),
                    row.provides_education,
                )
                for row, text in given
            ],
        )
        for question, key, given in _answers(definition, rows)
    ]


def free_text_passages(definition: Definition, rows: list[Row]) -> list[Passage]:
    """Free-text answers as passages for the analysis, a sentence each: the text, its offsets in the answer
    as stored, the question, and the region and council type (slugs) of who wrote it, never who it was.

    A passage's id stays the same while the answer's text does (see `app.passages`)."""
    passages: list[Passage] = []
    for question, key, given in _answers(definition, rows):
        label = without_placeholders(question.label)
        for row, text in given:
            passages += passages_from_text(
                text,
                source_kind="survey",
                source_key=f"response:{row.response_id}:{key}",
                source_ref={"response": row.response_id, "question": key},
                section=key,
                section_label=label,
                region=row.region,
                council_type=row.council_type,
                supports_schools=row.provides_education,
                organisations=(f"org:{row.organisation_id}",),
            )
    return passages


def survey_passages(survey: Survey) -> list[Passage]:
    """Every submitted free-text answer of `survey` as passages, each answer read with the definition of
    the version it was submitted under (the analysis' way in to a survey's words)."""
    versions = {version.number: version for version in survey.versions}
    by_version: dict[int, list[Row]] = {}
    for row in submitted_rows(survey):
        by_version.setdefault(row.version, []).append(row)
    passages: list[Passage] = []
    for number, rows in sorted(by_version.items()):
        passages += free_text_passages(definition_for(versions[number]), rows)
    return passages
