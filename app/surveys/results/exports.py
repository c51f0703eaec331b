"""Exporting a survey's submitted responses as CSV, XLSX (data + codebook) or JSON, to a stream or a file.

The columns and cells come from export_columns.py. Everything streams: responses are read a chunk at a
time and written as they come, so memory does not grow with the number of responses. Text that a
spreadsheet would run as a formula is neutralised in CSV and XLSX. The JSON is always valid JSON: a NaN
or infinity stored before the parser refused them (app.numbers) is written as null, as it is left blank
in CSV and XLSX. Every export must be audit-logged with `record_export`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from app.audit.services import record
from app.clock import utcnow
from app.extensions import db
from app.numbers import json_safe
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.answering.pages import DONT_KNOW
from app.surveys.authoring.definition import NUMBER_TYPES, Definition, Question
from app.surveys.models import Response, Survey
from app.surveys.results.dataset import Filters, Row
from app.surveys.results.export_columns import (
    DONT_KNOW_LABEL,
    Progress,
    column_extractors,
    columns,
    excel_time,
    export_definition,
    iso,
    response_cells,
    response_chunks,
)
from app.tables import neutralise_all, replacing, xlsx_safe

FORMATS = ("csv", "xlsx", "json")


# --- CSV ------------------------------------------------------------------------------------------


def iter_csv(
    survey: Survey, filters: Filters | None = None, labels: bool = False, *, progress: Progress | None = None
) -> Iterator[str]:
    """The export as CSV text: the header line, then the responses a chunk of lines at a time."""
    definition = export_definition(survey)
    extractors = column_extractors(definition, labels)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns(definition)])
    yield buffer.getvalue()
    for chunk in response_chunks(survey, filters, progress):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(neutralise_all(response_cells(row, extractors, labels)) for row in chunk)
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
    extractors = column_extractors(definition, labels)
    dates = [i for i, c in enumerate(found) if c.type == "date"]
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    data.freeze_panes = "A2"
    data.append([c.name for c in found])
    count = 0
    for chunk in response_chunks(survey, filters, progress):
        for row in chunk:
            cells = response_cells(row, extractors, labels, excel_time)
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
        "started_at": iso(row.started_at),
        "submitted_at": iso(row.submitted_at),
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
        "exported_at": iso(utcnow()),
        "labels": labels,
        "filters": (filters or Filters()).as_args(),
    }
    yield json.dumps(json_safe(head), ensure_ascii=False, allow_nan=False)[:-1] + ', "responses": ['
    separator = "\n"
    for chunk in response_chunks(survey, filters, progress):
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
    """Audit-log an export as `surveys.exported` with how many responses it held (the caller commits).
    A download cut short (`completed=False`) is logged with the responses sent before it stopped."""
    record(
        "surveys.exported",
        survey,
        actor=user,
        format=fmt,
        rows=rows,
        labels=labels,
        filters=filters.as_args() if filters is not None and filters.active else None,
        via=via,
        completed=None if completed else False,
    )
