"""Writing tables to files: CSV and XLSX that a spreadsheet opens safely, written whole or not at all.

Every export (survey responses, the impact model, session notes, a subject access request) writes through
here: text a spreadsheet would run as a formula gets a leading ', characters XML forbids are removed, and the
file appears only when writing succeeded.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.numbers import finite_float

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
Cells = list[Any]


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would read as a formula, with a leading ' so it stays text; other values as given."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_all(cells: Cells) -> Cells:
    """neutralise() over a row, inlined: it runs once per cell."""
    return [("'" + v) if v.__class__ is str and v[:1] in _FORMULA_FIRST else v for v in cells]


def xlsx_safe(cells: Cells) -> Cells:
    """Cells openpyxl can store: formulas neutralised, characters XML forbids removed, and whole numbers
    too large for a spreadsheet's numbers (stored before app.numbers bounded them) written as text."""
    return [
        ILLEGAL_CHARACTERS_RE.sub("", v)
        if v.__class__ is str
        else (str(v) if v.__class__ is int and finite_float(v) is None else v)
        for v in neutralise_all(cells)
    ]


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` that replaces it only when writing succeeds."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_table(
    records: list[dict[str, Any]],
    fmt: str,
    path: str | os.PathLike[str],
    sheet: str = "data",
    columns: Sequence[str] | None = None,
) -> None:
    """Write a small table of dicts (such as the impact model's) as CSV or XLSX, neutralising formulas.

    The header is `columns` when given (so an empty table still has one), else the first record's keys.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"Unknown table format {fmt!r}: use csv or xlsx")
    header = list(columns) if columns is not None else (list(records[0]) if records else [])
    target = Path(path)
    with replacing(target) as temporary:
        if fmt == "csv":
            with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(neutralise_all([record.get(name) for name in header]) for record in records)
        else:
            workbook = Workbook(write_only=True)
            data = workbook.create_sheet(sheet)
            data.append(header)
            for record in records:
                data.append(xlsx_safe([record.get(name) for name in header]))
            workbook.save(temporary)


def read_and_remove(path: str | Path) -> io.BytesIO:
    """A small file written for one download, read into memory and removed at once (nothing left open
    or behind on disk, whether or not the client reads the response to the end)."""
    try:
        return io.BytesIO(Path(path).read_bytes())
    finally:
        Path(path).unlink(missing_ok=True)
