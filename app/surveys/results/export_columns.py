"""The layout of a survey export: its columns and how one response becomes a row of cells, shared by
the CSV, XLSX and JSON writers (exports.py).

Columns come from the survey's current published version, named from question ids so they stay stable
between exports: metadata first, then one column per question (choices as codes, or labels with
`labels=True`), one 0/1 column per multiple-choice option, one per matrix row, one per user-grid
category plus a total, and `<id>__other` for "please specify" text. Responses to older versions fill
the same columns; questions they did not have are left blank. Where a multiple-choice question has
an option valued "other" as well as "please specify" text, the text goes in `<id>__other_text`.
Responses are read a chunk at a time (see dataset.py), so memory does not grow with their number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from app.clock import aware
from app.numbers import json_safe
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering.pages import DONT_KNOW, other_key
from app.surveys.authoring.definition import NUMBER_TYPES, Definition, Question, load_definition
from app.surveys.models import Survey
from app.surveys.results.dataset import Filters, Row, submitted_rows
from app.surveys.services import definition_for
from app.tables import Cells

CHUNK = 1000  # responses read, written and reported on at a time
DONT_KNOW_LABEL = "I do not know"
META_COLUMNS = (
    "response_id",
    "reference",
    "organisation",
    "region",
    "council_type",
    "status",
    "started_at",
    "submitted_at",
    "survey_version",
)

Extractor = Callable[[dict[str, Any], Cells], None]
Progress = Callable[[int], Any]


@dataclass(frozen=True)
class Column:
    """One export column: its stable name, the question text, the question type and its codes."""

    name: str
    label: str
    type: str
    codes: tuple[tuple[str, str], ...] = ()  # (code, label) pairs for the codebook
    question_id: str = ""

    def codes_text(self) -> str:
        """The codes as the codebook shows them: "code = label; ..."."""
        return "; ".join(f"{code} = {label}" for code, label in self.codes)


# --- columns --------------------------------------------------------------------------------------


def _meta_columns() -> list[Column]:
    """The columns every response has, whatever the survey asks."""
    return [
        Column("response_id", "Response number (internal id)", "metadata"),
        Column("reference", "Response reference", "metadata"),
        Column("organisation", "Organisation", "metadata"),
        Column("region", "Region", "metadata", tuple(REGIONS.items())),
        Column("council_type", "Council type", "metadata", tuple(COUNCIL_TYPES.items())),
        Column("status", "Status of the response", "metadata", (("submitted", "Submitted"),)),
        Column("started_at", "When the response was started (UTC)", "metadata"),
        Column("submitted_at", "When the response was last submitted (UTC)", "metadata"),
        Column("survey_version", "The survey version the response answered", "metadata"),
    ]


def _question_columns(q: Question) -> list[Column]:
    """The columns one question exports to."""
    options = tuple((o.value, o.label) for o in q.options)
    if q.type == "multiple_choice":
        found = [
            Column(f"{q.id}__{o.value}", f"{q.label}: {o.label}", q.type, (("1", "chosen"), ("0", "not chosen")), q.id)
            for o in q.options
        ]
    elif q.type == "matrix":
        scale = tuple((o.value, o.label) for o in q.scale)
        found = [Column(f"{q.id}__{r.id}", f"{q.label}: {r.label}", q.type, scale, q.id) for r in q.rows]
    elif q.type == "user_grid":
        found = [Column(f"{q.id}__{c.id}", f"{q.label}: {c.label}", q.type, (), q.id) for c in q.categories]
        found.append(Column(f"{q.id}__total", f"{q.label}: {q.total_label}", q.type, (), q.id))
    elif q.type in NUMBER_TYPES:
        codes = ((DONT_KNOW, DONT_KNOW_LABEL),) if q.dont_know else ()
        found = [Column(q.id, q.label, q.type, codes, q.id)]
    else:
        found = [Column(q.id, q.label, q.type, options, q.id)]
    specify = q.specify_option
    if specify is not None:
        # `<id>__other`, like the stored answer, unless an option valued "other" already has that name.
        name = other_key(q.id)
        if any(c.name == name for c in found):
            name += "_text"
        found.append(Column(name, f"{q.label}: {specify.label}, described", "specify_text", (), q.id))
    return found


def columns(definition: Definition) -> list[Column]:
    """Every export column for a definition, metadata first, in question order, each name used once."""
    found = _meta_columns()
    for question in definition.questions:
        found += _question_columns(question)
    seen: set[str] = set()
    for index, column in enumerate(found):
        name, number = column.name, 1
        while name in seen:  # only ids built to collide (a question "a__b" beside option "b" of "a") get here
            number += 1
            name = f"{column.name}__{number}"
        seen.add(name)
        if name != column.name:
            found[index] = replace(column, name=name)
    return found


def export_definition(survey: Survey) -> Definition:
    """The definition exports use: the current published version (the draft if none is published)."""
    version = survey.current_version
    return definition_for(version) if version is not None else load_definition(survey.draft)


# --- values ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored value as one cell: blank for nothing, lists and objects as text (shapes from older versions)."""
    if value is None or value == "":
        return None
    if value.__class__ is float and not math.isfinite(value):
        return None  # NaN or an infinity stored before they were refused: no answer, not a broken file
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(json_safe(value), ensure_ascii=False, sort_keys=True, allow_nan=False)
    return value


def _choice(mapping: dict[str, str], value: Any) -> Any:
    """A stored option value as its code or label (unknown values as stored)."""
    if value.__class__ is str:
        return mapping.get(value, value) if value else None
    return _plain(value)


def _extractor(q: Question, labels: bool) -> Extractor:  # noqa: C901 - one branch per question type
    """A function that appends one question's cells for a response's answers."""
    qid = q.id
    if q.type in ("single_choice", "yes_no"):
        mapping = {o.value: (o.label if labels else o.value) for o in q.options}

        def single(answers: dict[str, Any], out: Cells) -> None:
            out.append(_choice(mapping, answers.get(qid)))

        return single
    if q.type == "multiple_choice":
        values = [o.value for o in q.options]
        blanks = [None] * len(values)

        def multiple(answers: dict[str, Any], out: Cells) -> None:
            value = answers.get(qid)
            if not value:
                out += blanks
                return
            chosen = set(value) if isinstance(value, list) else {value}
            out += [1 if v in chosen else 0 for v in values]

        return multiple
    if q.type in NUMBER_TYPES:
        dont_know = DONT_KNOW_LABEL if labels else DONT_KNOW

        def number(answers: dict[str, Any], out: Cells) -> None:
            value = answers.get(qid)
            out.append(dont_know if value == DONT_KNOW else _plain(value))

        return number
    if q.type == "matrix":
        scale = {o.value: (o.label if labels else o.value) for o in q.scale}
        rows = [r.id for r in q.rows]
        blank_rows = [None] * len(rows)

        def matrix(answers: dict[str, Any], out: Cells) -> None:
            value = answers.get(qid)
            if isinstance(value, dict):
                out += [_choice(scale, value.get(r)) for r in rows]
            else:
                out += blank_rows

        return matrix
    if q.type == "user_grid":
        categories = [c.id for c in q.categories]
        blank_grid = [None] * (len(categories) + 1)

        def grid(answers: dict[str, Any], out: Cells) -> None:
            value = answers.get(qid)
            if not isinstance(value, dict):
                out += blank_grid
                return
            cells = [_plain(value.get(c)) for c in categories]
            counts = [v for v in cells if isinstance(v, int | float) and not isinstance(v, bool)]
            out += cells
            out.append(sum(counts) if counts else None)

        return grid

    def other(answers: dict[str, Any], out: Cells) -> None:
        out.append(_plain(answers.get(qid)))

    return other


def _specify(qid: str) -> Extractor:
    """A function that appends a question's 'please specify' text."""
    key = other_key(qid)

    def specify(answers: dict[str, Any], out: Cells) -> None:
        out.append(_plain(answers.get(key)))

    return specify


def column_extractors(definition: Definition, labels: bool) -> list[Extractor]:
    """One extractor per question (and per 'please specify'), in column order."""
    found = []
    for question in definition.questions:
        found.append(_extractor(question, labels))
        if question.specify_option is not None:
            found.append(_specify(question.id))
    return found


def _utc(moment: datetime | None) -> datetime | None:
    """A timestamp in UTC (SQLite gives them back without a zone: they are stored in UTC)."""
    moment = aware(moment)
    return None if moment is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """A timestamp as ISO 8601 in UTC, to the second."""
    moment = _utc(moment)
    return None if moment is None else moment.isoformat(timespec="seconds")


def excel_time(moment: datetime | None) -> datetime | None:
    """A timestamp for a spreadsheet cell: UTC without a time zone (Excel has none)."""
    moment = _utc(moment)
    return None if moment is None else moment.replace(tzinfo=None, microsecond=0)


def response_cells(
    row: Row, extractors: list[Extractor], labels: bool, moment: Callable[[datetime | None], Any] = iso
) -> Cells:
    """One response as a row of cells, in column order (not yet neutralised)."""
    out: Cells = [
        row.response_id,
        row.reference,
        row.organisation,
        REGIONS.get(row.region, row.region) if labels else row.region,
        COUNCIL_TYPES.get(row.council_type, row.council_type) if labels else row.council_type,
        row.status,
        moment(row.started_at),
        moment(row.submitted_at),
        row.version,
    ]
    answers = row.answers if isinstance(row.answers, dict) else {}
    for extract in extractors:
        extract(answers, out)
    return out


def response_chunks(survey: Survey, filters: Filters | None, progress: Progress | None) -> Iterator[list[Row]]:
    """Submitted responses a chunk at a time; progress(done) after each chunk is used."""
    rows = submitted_rows(survey, filters, chunk=CHUNK)
    done = 0
    while chunk := list(islice(rows, CHUNK)):
        yield chunk
        done += len(chunk)
        if progress is not None:
            progress(done)
