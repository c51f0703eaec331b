"""Coded passages as a table: one row per passage with its attributes, a 0/1 column per theme, coder and status.

`write_coded_passages(study, path, fmt)` writes CSV or XLSX through `app.tables` (formula-safe, whole or
absent). Participants appear by pseudonym and session, organisations only by anonymous code ("Org 007").
A theme's column is 1 when an analyst accepted the theme on the passage; suggestions nobody has
reviewed are listed apart, in the "Unreviewed suggestions" column, never counted as 1.

`WRITERS` maps each export format to its writer (`flask analysis export --format`), so another format
is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.analysis.models import SOURCE_KINDS, AnalysisPassage, Code
from app.analysis.queries import PassageFilters, passage_query
from app.analysis.services import codebook_of, current_version
from app.audit.services import record
from app.auth.models import User
from app.database import write_transaction
from app.extensions import db
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.tables import write_table

CHUNK = 500  # passages read at a time
DIRECT_LIMIT = 2000  # more passages than this are exported in the background, with progress
Progress = Callable[[int], None]
SCHOOLS_TEXT = {True: "yes", False: "no", None: ""}


def _status(codes: list[Code]) -> str:
    if any(code.needs_review for code in codes):
        return "Changed since it was coded"
    if any(code.status == "suggested" for code in codes):
        return "Awaiting review"
    if any(code.status == "accepted" for code in codes):
        return "Coded"
    return "Not coded"


def _coders(study_id: int) -> dict[int, str]:
    ids = select(Code.coder_id).where(Code.study_id == study_id, Code.coder_id.is_not(None)).distinct()
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def coded_passage_records(
    study, filters: PassageFilters | None = None, with_suggestions: bool = False, progress: Progress | None = None
) -> tuple[list[dict], list[str]]:
    """The table of coded passages (the passages page's filters apply): (records, columns)."""
    from app.analysis.matrices import study_rows

    codebook = codebook_of(current_version(study))
    themes = [(theme.slug, theme.name) for theme in codebook.themes]
    rows = study_rows(study.id)
    labels = {row.key: row.label for kind in rows.values() for row in kind}
    coders = _coders(study.id)
    columns = [
        *("Passage", "Source", "Question or section", "Region", "Council type", "Supports schools"),
        *("Participants", "Organisations", "Note kind", "Text"),
        *(slug for slug, _name in themes),
        *("Unreviewed suggestions", "Coders", "Status"),
    ]
    query = passage_query(study.id, filters or PassageFilters(), with_suggestions).options(
        selectinload(AnalysisPassage.codes)
    )
    records = []
    for passage in db.session.scalars(query.execution_options(yield_per=CHUNK)):
        accepted = {code.theme for code in passage.codes if code.status == "accepted"}
        session = (passage.source_ref or {}).get("session")
        record_ = {
            "Passage": passage.key,
            "Source": SOURCE_KINDS.get(passage.source_kind, passage.source_kind),
            "Question or section": passage.section_label or passage.section,
            "Region": REGIONS.get(passage.region, passage.region or ""),
            "Council type": COUNCIL_TYPES.get(passage.council_type, passage.council_type or ""),
            "Supports schools": SCHOOLS_TEXT[passage.supports_schools],
            "Participants": "; ".join(labels.get(f"{session}:{p}", p) for p in passage.pseudonyms or ()),
            "Organisations": "; ".join(labels.get(key, "") for key in passage.organisations or ()),
            "Note kind": passage.note_kind or "",
            "Text": passage.text,
            "Unreviewed suggestions": "; ".join(sorted(c.theme for c in passage.codes if c.status == "suggested")),
            "Coders": "; ".join(
                sorted({coders[c.coder_id] for c in passage.codes if c.status == "accepted" and c.coder_id in coders})
            ),
            "Status": _status(passage.codes),
        }
        record_ |= {slug: int(slug in accepted) for slug, _name in themes}
        records.append(record_)
        if progress is not None and len(records) % CHUNK == 0:
            progress(len(records))
    if progress is not None:
        progress(len(records))
    return records, columns


def write_coded_passages(
    study,
    path: str | Path,
    fmt: str,
    filters: PassageFilters | None = None,
    with_suggestions: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write the study's coded passages as CSV or XLSX to `path`; returns the number of passages written."""
    records, columns = coded_passage_records(study, filters, with_suggestions, progress)
    write_table(records, fmt, path, sheet="passages", columns=columns)
    return len(records)


def _csv(study, path, **options) -> int:
    return write_coded_passages(study, path, "csv", **options)


def _xlsx(study, path, **options) -> int:
    return write_coded_passages(study, path, "xlsx", **options)


# Format name -> writer(study, path, *, filters=None, with_suggestions=False, progress=None) -> passages written.
WRITERS: dict[str, Callable[..., int]] = {"csv": _csv, "xlsx": _xlsx}
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def passage_count(study, filters: PassageFilters, with_suggestions: bool) -> int:
    query = passage_query(study.id, filters, with_suggestions).with_only_columns(AnalysisPassage.id).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def export_passages(study, path: str | Path, fmt: str, filters, with_suggestions: bool, by, via: str, progress=None):
    """Write the coded passages and log the export (`analysis.passages_exported`); returns the count."""
    count = WRITERS[fmt](study, path, filters=filters, with_suggestions=with_suggestions, progress=progress)
    with write_transaction():
        record("analysis.passages_exported", study, actor=by, format=fmt, rows=count, via=via)
    return count


def export_job(progress, study_id: int, fmt: str, filters, with_suggestions: bool, user_id: int) -> dict:
    """The background job behind a large export: write the file, then log the export."""
    from app.focus_groups.models import Study
    from app.jobs.runner import job_file_path

    study = db.session.get(Study, study_id)
    name = f"study-{study.id}-coded-passages.{fmt}"
    path = job_file_path(name)
    count = export_passages(
        study,
        path,
        fmt,
        filters,
        with_suggestions,
        db.session.get(User, user_id),
        "web",
        lambda done: progress(done, "passages written"),
    )
    return {"file": path.name, "download_name": name, "rows": count}
