"""Every uploaded file passes through here before anything parses it.

A spreadsheet is a zip of XML parts, and both layers can be made to lie: a few kilobytes can unpack
to gigabytes (a zip bomb), and a sheet can declare a `<dimension>` of A1:XFD1048576 that openpyxl
then pads every row to, or leave gaps in its row numbers that openpyxl fills with empty rows. So a
workbook is checked from the zip's own directory (number of entries, unpacked size, compression
ratio) and by streaming each XML part once with defusedxml (no DTDs or entities; the declared
dimension, the row and column numbers, the number of rows, elements and attributes) before
openpyxl or pyxform sees it, and is then read with explicit bounds. A CSV is bounded in bytes, rows,
columns and characters per cell; a JSON document in bytes, digits and nesting.

A file that breaks a rule raises `UploadRefused`, whose message is one or two plain sentences to
show on the upload page. Nothing here writes an upload to disk: files are read from memory, so no
name a person chose ever becomes a path.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

__all__ = [
    "CSV_LIMITS",
    "JSON_LIMITS",
    "WORKBOOK_LIMITS",
    "CsvLimits",
    "CsvRow",
    "CsvTable",
    "JsonLimits",
    "UploadRefused",
    "WorkbookLimits",
    "check_workbook",
    "csv_table",
    "csv_text",
    "json_document",
    "open_workbook",
    "read_upload",
    "sheet_rows",
]

MB = 1024 * 1024


class UploadRefused(ValueError):
    """An uploaded file this service will not read; the message says why, plainly, for the person who sent it."""


@dataclass(frozen=True)
class WorkbookLimits:
    """How large an .xlsx workbook may be, in the zip and once unpacked.

    The item budgets (an item is an XML element or one of its attributes) are what keep memory
    down: openpyxl parses every part but the sheets and the shared strings as one tree in memory
    (roughly 100 bytes an item), holds a whole row of a sheet while reading it, and turns the
    stylesheet's elements into objects (several hundred bytes each).
    """

    max_bytes: int = 5 * MB
    max_entries: int = 200
    max_unpacked_bytes: int = 10 * MB
    max_ratio: int = 100  # unpacked / packed, for entries big enough to matter
    ratio_floor_bytes: int = 256 * 1024
    max_rows: int = 5_000  # rows in a sheet, and the highest row number a sheet may use
    max_columns: int = 200  # the highest column a sheet may use (GR)
    max_items: int = 300_000  # in the whole workbook
    max_part_items: int = 150_000  # in any one part
    max_row_items: int = 2_000  # in one row of a sheet: its cells, their values and rich text
    max_style_items: int = 30_000  # in the stylesheet
    max_text_chars: int = 32_767  # in one cell, or between two elements: Excel's own limit for a cell


@dataclass(frozen=True)
class CsvLimits:
    """How large a CSV upload may be."""

    max_bytes: int = 2 * MB
    max_rows: int = 5_000  # not counting the header
    max_columns: int = 50
    max_field_chars: int = 5_000


@dataclass(frozen=True)
class JsonLimits:
    """How large a JSON upload may be."""

    max_bytes: int = 512 * 1024  # fifty times the schools survey; its schema check takes about a second
    max_depth: int = 64


WORKBOOK_LIMITS = WorkbookLimits()
CSV_LIMITS = CsvLimits()
JSON_LIMITS = JsonLimits()

_CANNOT_READ = (
    "The file could not be read safely as a spreadsheet: save it again as an Excel workbook (.xlsx) and upload that"
)


def _size(count: int) -> str:
    """10 MB, 512 KB: a size as people write it."""
    return f"{count // MB} MB" if count >= MB else f"{max(count // 1024, 1)} KB"


def _too_large_unpacked(limits: WorkbookLimits) -> UploadRefused:
    return UploadRefused(
        "The file is too large once unpacked: upload a spreadsheet of at most "
        f"{limits.max_rows:,} rows and {limits.max_columns} columns"
    )


def _too_many(what: str, limits: WorkbookLimits) -> UploadRefused:
    return UploadRefused(
        f"{what}: upload a spreadsheet of at most {limits.max_rows:,} rows and {limits.max_columns} columns"
    )


def read_upload(source: IO[bytes], max_bytes: int) -> bytes:
    """The bytes of an uploaded file (a FileStorage or any binary stream), refusing more than `max_bytes`."""
    data = source.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise UploadRefused("The file could not be read")
    if len(data) > max_bytes:
        raise UploadRefused(f"The file is larger than {_size(max_bytes)}; upload a smaller file")
    return data


# --- workbooks -----------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_CENTRAL_DIRECTORY = 512 * 1024
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_ROW_NUMBER = re.compile(r"^[0-9]{1,7}$")
_MAX_DEPTH = 32
STYLESHEET = "xl/styles.xml"


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _check_central_directory(data: bytes, limits: WorkbookLimits) -> None:
    """Refuse an archive whose directory is too big to list, before zipfile builds an object per entry."""
    start = data.rfind(_EOCD, max(0, len(data) - _EOCD_SIZE - 0xFFFF))
    if start < 0 or len(data) - start < _EOCD_SIZE:
        raise UploadRefused(_CANNOT_READ)
    entries, directory_size = struct.unpack_from("<HI", data, start + 10)
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:  # ZIP64: no workbook within the size limit needs it
        raise UploadRefused(_CANNOT_READ)
    if entries > limits.max_entries or directory_size > _MAX_CENTRAL_DIRECTORY:
        raise _too_large_unpacked(limits)


def _check_entries(archive: zipfile.ZipFile, limits: WorkbookLimits) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise _too_large_unpacked(limits)
    unpacked = 0
    for entry in entries:
        if entry.flag_bits & 0x1 or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused(_CANNOT_READ)  # encrypted, or a compression Excel never uses
        unpacked += entry.file_size
        if unpacked > limits.max_unpacked_bytes:
            raise _too_large_unpacked(limits)
        if entry.file_size > limits.ratio_floor_bytes and entry.file_size > limits.max_ratio * max(
            entry.compress_size, 1
        ):
            raise _too_large_unpacked(limits)
    return entries


def _looks_like_xml(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    """Whether an XML parser would take the entry as XML (UTF-8, or UTF-16 as expat detects it)."""
    with archive.open(entry) as stream:
        start = stream.read(64)
    if start.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return True
    return start.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


def _check_dimension(ref: str, limits: WorkbookLimits) -> None:
    corners = ref.strip().split(":")
    if not ref.strip() or len(corners) > 2:
        raise UploadRefused(_CANNOT_READ)
    for corner in corners:
        match = _CELL_REF.match(corner)
        if match is None:
            raise UploadRefused(_CANNOT_READ)
        if int(match.group(2)) > limits.max_rows or _column_number(match.group(1)) > limits.max_columns:
            raise _too_many(
                f"A sheet in the file says it reaches cell {corner.upper()}, beyond what this service reads", limits
            )


def _check_cell(ref: str | None, limits: WorkbookLimits) -> None:
    if ref is None:
        return
    match = _CELL_REF.match(ref)
    if match is None:
        raise UploadRefused(_CANNOT_READ)
    if _column_number(match.group(1)) > limits.max_columns or int(match.group(2)) > limits.max_rows:
        raise _too_many(f"A sheet in the file uses cell {ref.upper()}, beyond what this service reads", limits)


def _check_row(number: str | None, rows: int, limits: WorkbookLimits) -> None:
    if rows > limits.max_rows:
        raise _too_many(f"A sheet in the file has more than {limits.max_rows:,} rows", limits)
    if number is None:
        return
    if not _ROW_NUMBER.match(number):
        raise UploadRefused(_CANNOT_READ)
    if int(number) > limits.max_rows:
        raise _too_many(f"A sheet in the file uses row {int(number):,}, beyond what this service reads", limits)


def _scan_part(stream: IO[bytes], limits: WorkbookLimits, allowance: int) -> int:
    """Stream one XML part, refusing DTDs, entities and anything beyond the limits; return how many items it has.

    Each element is dropped from its parent as soon as it ends, so the scan holds only the
    elements still open (at most `_MAX_DEPTH`), whatever the part's size.
    """
    open_elements: list[Any] = []
    items = rows = cells_in_row = items_in_row = 0
    row_depth: int | None = None  # how deep the outermost open row is
    for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        if event == "end":
            if len(element.text or "") > limits.max_text_chars or len(element.tail or "") > limits.max_text_chars:
                raise UploadRefused(
                    f"A cell in the file holds more than {limits.max_text_chars:,} characters, "
                    "more than Excel itself allows: shorten it and upload the file again"
                )
            open_elements.pop()
            if open_elements:
                open_elements[-1].remove(element)
            if row_depth is not None and len(open_elements) < row_depth:
                row_depth = None
            continue
        open_elements.append(element)
        size = 1 + len(element.attrib)
        items += size
        if items > allowance:
            raise _too_large_unpacked(limits)
        if len(open_elements) > _MAX_DEPTH:
            raise UploadRefused(_CANNOT_READ)
        # openpyxl takes a row, cell or dimension wherever it appears in a part, so this does too.
        tag = _local(element)
        if tag == "dimension":
            _check_dimension(element.get("ref", ""), limits)
        elif tag == "row":
            rows += 1
            cells_in_row = 0
            _check_row(element.get("r"), rows, limits)
            if row_depth is None:
                row_depth, items_in_row = len(open_elements), 0
        elif tag == "c":
            cells_in_row += 1
            if cells_in_row > limits.max_columns:
                raise _too_many(f"A row in the file has more than {limits.max_columns} columns", limits)
            _check_cell(element.get("r"), limits)
        if row_depth is not None:  # openpyxl holds a whole row while reading it, and all inside it
            items_in_row += size
            if items_in_row > limits.max_row_items:
                raise _too_large_unpacked(limits)
    return items


def _local(element: Any) -> str:
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def check_workbook(data: bytes, limits: WorkbookLimits = WORKBOOK_LIMITS) -> None:
    """Refuse an .xlsx workbook that is too big in any way, before openpyxl or pyxform parses it.

    Checks the file's size, the zip's directory (entries, unpacked size, compression ratio), and
    streams every XML part once: no DTD or entity declarations, each sheet's declared dimension,
    its row and column numbers and row count, and the cells and other elements in the whole file.
    Raises UploadRefused with a plain sentence; returns None when the workbook may be read.
    """
    if len(data) > limits.max_bytes:
        raise UploadRefused(f"The file is larger than {_size(limits.max_bytes)}; upload a smaller file")
    _check_central_directory(data, limits)
    budget = limits.max_items
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in _check_entries(archive, limits):
                if entry.is_dir() or not _looks_like_xml(archive, entry):
                    continue
                allowance = min(budget, limits.max_part_items)
                if entry.filename == STYLESHEET:  # openpyxl reads the stylesheet from this name only
                    allowance = min(budget, limits.max_style_items)
                with archive.open(entry) as stream:
                    budget -= _scan_part(stream, limits, allowance)
    except UploadRefused:
        raise
    # A damaged archive, DTDs or entities, broken XML, encrypted entries or unknown compression.
    except (zipfile.BadZipFile, DefusedXmlException, ParseError, OSError, EOFError, RuntimeError, ValueError):
        raise UploadRefused(_CANNOT_READ) from None


@contextmanager
def open_workbook(data: bytes, limits: WorkbookLimits = WORKBOOK_LIMITS, name: str = "The file") -> Iterator[Any]:
    """A checked workbook opened read-only with openpyxl (values, not formulas), closed afterwards.

    `name` is how messages call the file (its name as uploaded, only ever shown, never a path).
    Raises UploadRefused when `check_workbook` refuses the file or openpyxl cannot read it.
    """
    from openpyxl import load_workbook

    check_workbook(data, limits)
    try:
        with warnings.catch_warnings():
            # Real workbooks often carry extensions or lack a default style; openpyxl warns, harmlessly.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error for a damaged or foreign file
        raise UploadRefused(f"{name} could not be read as an Excel workbook") from None
    try:
        yield workbook
    finally:
        workbook.close()


def sheet_rows(worksheet: Any, limits: WorkbookLimits = WORKBOOK_LIMITS, max_row: int | None = None) -> Iterator[tuple]:
    """A read-only sheet's rows as tuples of values, never past the limits whatever the sheet declares."""
    worksheet.reset_dimensions()  # the declared dimension was checked, but is still not trusted
    last_row = min(max_row or limits.max_rows, limits.max_rows)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")
        yield from worksheet.iter_rows(max_row=last_row, max_col=limits.max_columns, values_only=True)


# --- CSV -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    """One record of a CSV file: its number as a spreadsheet shows it (the header is 1) and its cells by column."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read within the limits: the header (trimmed, lower case) and the rows that have any value."""

    header: list[str]
    rows: list[CsvRow] = field(default_factory=list)


def csv_text(data: bytes, limits: CsvLimits = CSV_LIMITS) -> str:
    """An uploaded CSV as text: at most `limits.max_bytes`, UTF-8 (a byte-order mark is dropped), no NUL."""
    if len(data) > limits.max_bytes:
        raise UploadRefused(f"The file is larger than {_size(limits.max_bytes)}; upload a smaller file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused("The file must be a CSV saved as UTF-8") from None
    if "\x00" in text:  # binary, or UTF-16: not text the database can hold
        raise UploadRefused("The file must be a CSV saved as UTF-8 text")
    return text


def csv_table(text: str, limits: CsvLimits = CSV_LIMITS) -> CsvTable:
    """Read CSV text within the limits; values are trimmed, missing cells are "", extra cells dropped."""
    if "\x00" in text:
        raise UploadRefused("The file must be a CSV saved as UTF-8 text")
    if len(text) > limits.max_bytes:
        raise UploadRefused(f"The file is larger than {_size(limits.max_bytes)}; upload a smaller file")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    rows: list[CsvRow] = []
    line = 0  # the header is line 1; blank lines are skipped, as csv.DictReader does
    try:
        for record in reader:
            if not record:
                continue
            line += 1
            if line - 1 > limits.max_rows:
                raise UploadRefused(f"The file has more than {limits.max_rows:,} rows: split it and upload each part")
            if len(record) > limits.max_columns:
                raise UploadRefused(f"Line {line} of the file has more than {limits.max_columns} columns")
            if any(len(cell) > limits.max_field_chars for cell in record):
                raise UploadRefused(f"A cell on line {line} is longer than {limits.max_field_chars:,} characters")
            if header is None:
                header = [cell.strip().lower() for cell in record]
                continue
            values = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header) if name}
            if any(values.values()):
                rows.append(CsvRow(line, values))
    except csv.Error as error:
        raise UploadRefused(f"The file could not be read as CSV ({error})") from None
    return CsvTable(header or [], rows)


# --- JSON ----------------------------------------------------------------------------------------


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return deepest


def json_document(data: bytes, limits: JsonLimits = JSON_LIMITS) -> Any:
    """An uploaded JSON document: bounded in size and nesting, UTF-8, numbers checked (app/numbers.py)."""
    from app.numbers import loads_json

    if len(data) > limits.max_bytes:
        raise UploadRefused(f"The file is larger than {_size(limits.max_bytes)}; upload a smaller file")
    try:
        document = loads_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UploadRefused("The file must be saved as UTF-8") from None
    except ValueError as error:  # broken JSON, or a number or nesting loads_json refuses
        raise UploadRefused(f"The file is not valid JSON: {error}") from None
    if _depth(document) > limits.max_depth:
        raise UploadRefused(f"The file nests lists or objects more than {limits.max_depth} deep")
    return document
