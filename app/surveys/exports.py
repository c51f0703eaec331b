"""Exporting a survey's submitted responses as CSV, XLSX (data + codebook) or JSON.

Columns come from the survey's current published version, named from question ids so they stay stable
between exports: metadata first, then one column per question (choices as codes, or labels with
`labels=True`), one 0/1 column per multiple-choice option, one per matrix row, one per user-grid
category plus a total, and `<id>__other` for "please specify" text. Responses to older versions fill
the same columns; questions they did not have are left blank. Where a multiple-choice question has
an option valued "other" as well as "please specify" text, the text goes in `<id>__other_text`.

Everything streams: responses are read a chunk at a time (see dataset.py) and written as they come,
so memory does not grow with the number of responses. Text that a spreadsheet would run as a formula
is neutralised in CSV and XLSX. The JSON is always valid JSON: a NaN or infinity stored before the
parser refused them (app.numbers) is written as null, as it is left blank in CSV and XLSX.
Every export must be audit-logged with `record_export`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from app.audit.services import record
from app.clock import utcnow
from app.extensions import db
from app.numbers import json_safe
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering import DONT_KNOW, other_key
from app.surveys.authoring.definition import NUMBER_TYPES, Definition, Question, load_definition
from app.surveys.dataset import Filters, Row, submitted_rows
from app.surveys.models import Response, Survey
from app.surveys.services import definition_for
from app.tables import Cells, neutralise_all, replacing, xlsx_safe

FORMATS = ("csv", "xlsx", "json")
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
        found.append(Column(name, f"{q.label}: {specify.label} (please specify)", "specify_text", (), q.id))
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


def _extractors(definition: Definition, labels: bool) -> list[Extractor]:
    """One extractor per question (and per 'please specify'), in column order."""
    found = []
    for question in definition.questions:
        found.append(_extractor(question, labels))
        if question.specify_option is not None:
            found.append(_specify(question.id))
    return found


def _utc(moment: datetime | None) -> datetime | None:
    """A timestamp in UTC (SQLite gives them back without a zone: they are stored in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    """A timestamp as ISO 8601 in UTC, to the second."""
    moment = _utc(moment)
    return None if moment is None else moment.isoformat(timespec="seconds")


def _excel_time(moment: datetime | None) -> datetime | None:
    """A timestamp for a spreadsheet cell: UTC without a time zone (Excel has none)."""
    moment = _utc(moment)
    return None if moment is None else moment.replace(tzinfo=None, microsecond=0)


def _cells(
    row: Row, extractors: list[Extractor], labels: bool, moment: Callable[[datetime | None], Any] = _iso
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


def _chunks(survey: Survey, filters: Filters | None, progress: Progress | None) -> Iterator[list[Row]]:
    """Submitted responses a chunk at a time; progress(done) after each chunk is used."""
    rows = submitted_rows(survey, filters, chunk=CHUNK)
    done = 0
    while chunk := list(islice(rows, CHUNK)):
        yield chunk
        done += len(chunk)
        if progress is not None:
            progress(done)


# --- CSV ------------------------------------------------------------------------------------------


def iter_csv(
    survey: Survey, filters: Filters | None = None, labels: bool = False, *, progress: Progress | None = None
) -> Iterator[str]:
    """The export as CSV text: the header line, then the responses a chunk of lines at a time."""
    definition = export_definition(survey)
    extractors = _extractors(definition, labels)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns(definition)])
    yield buffer.getvalue()
    for chunk in _chunks(survey, filters, progress):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(neutralise_all(_cells(row, extractors, labels)) for row in chunk)
        yield buffer.getvalue()


# --- XLSX -----------------------------------------------------------------------------------------


def _as_date(value: Any) -> Any:
    """A "YYYY-MM-DD" answer as a date, so a spreadsheet treats it as one."""
    if value.__class__ is str:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def codebook_rows(definition: Definition) -> list[list[str]]:
    """The codebook: header, then each column's name, question text, type and codes."""
    return [["column", "question", "type", "codes"]] + [
        [c.name, c.label, c.type, c.codes_text()] for c in columns(definition)
    ]


def write_xlsx(
    survey: Survey,
    filters: Filters | None,
    labels: bool,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> int:
    """Write the export as an XLSX workbook (sheets "data" and "codebook") to path; return the row count."""
    definition = export_definition(survey)
    found = columns(definition)
    extractors = _extractors(definition, labels)
    dates = [i for i, c in enumerate(found) if c.type == "date"]
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.freeze_panes = "A2"
    data.append([c.name for c in found])
    count = 0
    for chunk in _chunks(survey, filters, progress):
        for row in chunk:
            cells = _cells(row, extractors, labels, _excel_time)
            for i in dates:
                cells[i] = _as_date(cells[i])
            data.append(xlsx_safe(cells))
        count += len(chunk)
    codebook = workbook.create_sheet("codebook")
    for line in codebook_rows(definition):
        codebook.append(xlsx_safe(line))
    workbook.save(path)
    return count


# --- JSON -----------------------------------------------------------------------------------------


def _label_converter(q: Question) -> Callable[[Any], Any] | None:
    """A function turning one stored answer's codes into labels (None: the answer reads as stored)."""
    if q.type in ("single_choice", "yes_no", "multiple_choice"):
        mapping = {o.value: o.label for o in q.options}

        def choice(value: Any) -> Any:
            if isinstance(value, list):
                return [mapping.get(v, v) if isinstance(v, str) else v for v in value]
            return mapping.get(value, value) if isinstance(value, str) else value

        return choice
    if q.type == "matrix":
        scale = {o.value: o.label for o in q.scale}

        def matrix(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            return {k: scale.get(v, v) if isinstance(v, str) else v for k, v in value.items()}

        return matrix
    if q.type in NUMBER_TYPES:
        return lambda value: DONT_KNOW_LABEL if value == DONT_KNOW else value
    return None


def _json_response(row: Row, converters: dict[str, Callable[[Any], Any]], labels: bool) -> dict[str, Any]:
    """One response for the JSON export: metadata, then its answers as stored (or with labels)."""
    answers = row.answers if isinstance(row.answers, dict) else {}
    if labels:
        answers = {k: (converters[k](v) if k in converters else v) for k, v in answers.items()}
    return {
        "response_id": row.response_id,
        "reference": row.reference,
        "organisation": row.organisation,
        "region": REGIONS.get(row.region, row.region) if labels else row.region,
        "council_type": COUNCIL_TYPES.get(row.council_type, row.council_type) if labels else row.council_type,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "submitted_at": _iso(row.submitted_at),
        "survey_version": row.version,
        "answers": answers,
    }


def iter_json(
    survey: Survey, filters: Filters | None = None, labels: bool = False, *, progress: Progress | None = None
) -> Iterator[str]:
    """The export as one JSON document, in pieces: survey details, then the responses a chunk at a time."""
    definition = export_definition(survey)
    converters = {q.id: c for q in definition.questions if (c := _label_converter(q)) is not None}
    version = survey.current_version
    head = {
        "survey": survey.slug,
        "title": survey.title,
        "version": version.number if version is not None else None,
        "exported_at": _iso(utcnow()),
        "labels": labels,
        "filters": (filters or Filters()).as_args(),
    }
    yield json.dumps(json_safe(head), ensure_ascii=False, allow_nan=False)[:-1] + ', "responses": ['
    separator = "\n"
    for chunk in _chunks(survey, filters, progress):
        pieces = [
            json.dumps(json_safe(_json_response(row, converters, labels)), ensure_ascii=False, allow_nan=False)
            for row in chunk
        ]
        yield separator + ",\n".join(pieces)
        separator = ",\n"
    yield "\n]}\n"


# --- files and the audit log ----------------------------------------------------------------------


def export_to_file(
    survey: Survey,
    fmt: str,
    path: str | os.PathLike[str],
    labels: bool = False,
    filters: Filters | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the export in `fmt` (csv, xlsx or json) to `path`; return how many responses it holds.

    The file appears only once complete. CSV is written with a byte-order mark so Excel reads it as UTF-8.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    count = 0

    def seen(done: int) -> None:
        nonlocal count
        count = done
        if progress is not None:
            progress(done)

    target = Path(path)
    with replacing(target) as temporary:
        if fmt == "xlsx":
            write_xlsx(survey, filters, labels, temporary, progress=seen)
        else:
            pieces = iter_csv if fmt == "csv" else iter_json
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
            with temporary.open("w", encoding=encoding, newline="") as handle:
                for piece in pieces(survey, filters, labels, progress=seen):
                    handle.write(piece)
    return count


def submitted_count(survey: Survey) -> int:
    """How many responses to the survey are submitted (what an unfiltered export holds)."""
    query = select(func.count()).where(Response.survey_id == survey.id, Response.status == "submitted")
    return db.session.scalar(query) or 0


def record_export(
    survey: Survey,
    fmt: str,
    user: Any = None,
    rows: int = 0,
    labels: bool = False,
    filters: Filters | None = None,
    via: str | None = None,
    completed: bool = True,
) -> None:
    """Audit-log an export as `survey-exported` with how many responses it held (the caller commits).
    A download cut short (`completed=False`) is logged with the responses sent before it stopped."""
    record(
        "survey-exported",
        survey,
        actor=user,
        format=fmt,
        rows=rows,
        labels=labels,
        filters=filters.as_args() if filters is not None and filters.active else None,
        via=via,
        completed=None if completed else False,
    )
