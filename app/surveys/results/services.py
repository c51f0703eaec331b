"""Results' units of work that write: the audit records of exports (each in a transaction of its own,
as exports are GET requests), the background Excel export, and switching the member comparison on or off.

Routes parse the request and call one of these; none of them reads the request or the signed-in user.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

from app.audit.services import record
from app.auth.models import User
from app.database import write_transaction
from app.extensions import db
from app.jobs.runner import job_file_path
from app.surveys.models import Survey
from app.surveys.results.dataset import Filters, Row
from app.surveys.results.exports import export_to_file, iter_csv, iter_json, record_export
from app.surveys.results.impact.model import impact, impact_rows_for_export
from app.tables import write_table


def stream_export(survey_id: int, fmt: str, filters: Filters, labels: bool, user_id: int) -> Iterator[str]:
    """The responses as CSV (with a byte-order mark, so Excel reads accented names) or JSON, piece by piece.

    The export is logged once the stream ends, with the responses it really held and whether the
    download was cut short, in a transaction of its own: a GET that writes.
    """
    # Read afresh while streaming: the objects loaded before the response started may be gone by then.
    survey = db.session.get(Survey, survey_id)
    sent, finished = 0, False

    def seen(done: int) -> None:
        nonlocal sent
        sent = done

    try:
        if fmt == "csv":
            yield "\ufeff"
            yield from iter_csv(survey, filters, labels, progress=seen)
        else:
            yield from iter_json(survey, filters, labels, progress=seen)
        finished = True
    finally:
        with write_transaction():
            record_export(
                db.session.get(Survey, survey_id),
                fmt,
                user=db.session.get(User, user_id),
                rows=sent,
                labels=labels,
                filters=filters,
                via="web",
                completed=finished,
            )


def xlsx_export_job(progress, survey_id: int, filters: Filters, labels: bool, user_id: int) -> dict:
    """The background job behind an Excel export: write the file, then log the export."""
    survey = db.session.get(Survey, survey_id)
    name = f"{survey.slug}-responses.xlsx"
    path = job_file_path(name)
    rows = export_to_file(
        survey, "xlsx", path, labels=labels, filters=filters, progress=lambda done: progress(done, "responses written")
    )
    with write_transaction():
        record_export(
            survey, "xlsx", user=db.session.get(User, user_id), rows=rows, labels=labels, filters=filters, via="web"
        )
    return {"file": path.name, "download_name": name, "rows": rows}


def export_impact(survey: Survey, rows: list[Row], weight: float, fmt: str) -> str:
    """The impact model's per-organisation figures written to a temporary file (csv or xlsx), logged as
    `surveys.impact_exported`; returns the file's path for the caller to send and remove."""
    table = impact_rows_for_export(impact(rows, weight))
    with write_transaction():  # a GET that writes
        record("surveys.impact_exported", survey, format=fmt, weight=weight, rows=len(table))
    handle, path = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(handle)
    write_table(table, fmt, path, sheet="impact")
    return path


def switch_member_comparison(survey: Survey, enabled: bool) -> None:
    """Switch on or off what members see beside the medians (audit-logged)."""
    with write_transaction():
        survey.member_comparison = enabled
        record("surveys.member_comparison_viewed", survey, enabled=survey.member_comparison)
