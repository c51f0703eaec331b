"""Reading an XLSForm workbook: the upload checks, the sheets as plain rows, and pyxform's own reading and
checking of the form exactly as ODK tools would."""

from __future__ import annotations

import warnings
import zipfile
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from os import PathLike
from pathlib import Path
from typing import IO, Any

from app.surveys.authoring.xlsform.report import XLSFormError
from app.uploads import WORKBOOK_LIMITS, UploadRefused, open_workbook, read_upload, sheet_rows

# Each select question carries its whole list through pyxform and the definition's checks, so many
# questions on one long list cost seconds per thousand; this bounds the sum over the questions.
MAX_CHOICES_ASKED = 10_000
SELECT_TYPES = frozenset({"select_one", "select_multiple", "rank"})
SURVEY_SHEET = "survey"

# --- reading the file ----------------------------------------------------------------------------


@contextmanager
def _openpyxl_quiet() -> Iterator[None]:
    """Hide openpyxl's UserWarnings while reading: real XLSForms often carry data-validation
    extensions or lack a default style, and openpyxl warns about both, but neither affects the form."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")
        yield


def _read_source(path_or_file: str | PathLike[str] | IO[bytes]) -> tuple[bytes, str, str | None]:
    """The file's bytes (never more than the workbook limit), a name for messages, and its stem (None when unknown)."""
    if isinstance(path_or_file, str | PathLike):
        path = Path(path_or_file)
        if not path.is_file():
            raise XLSFormError(f"{path.name or path} was not found")
        try:
            with path.open("rb") as handle:
                return read_upload(handle, WORKBOOK_LIMITS.max_bytes), path.name, path.stem
        except UploadRefused as refusal:
            raise XLSFormError(str(refusal)) from None
        except OSError as error:
            raise XLSFormError(f"{path.name} could not be read: {error.strerror or error}") from None
    name = getattr(path_or_file, "filename", None) or getattr(path_or_file, "name", None)
    try:
        data = read_upload(path_or_file, WORKBOOK_LIMITS.max_bytes)
    except UploadRefused as refusal:
        raise XLSFormError(str(refusal)) from None
    if isinstance(name, str) and name:
        path = Path(name)
        return data, path.name, path.stem
    return data, "The file", None


def _check_extension(file_name: str, data: bytes) -> str:
    """The pyxform file type for the file, refusing anything but an .xlsx (or .xlsm) workbook."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise XLSFormError(f"{file_name} is an old-style .xls workbook: save it as .xlsx and try again")
    if suffix not in {".xlsx", ".xlsm", ""} or not zipfile.is_zipfile(BytesIO(data)):
        raise XLSFormError(f"{file_name} is not an Excel workbook (.xlsx)")
    return suffix or ".xlsx"


def _cell_text(value: Any) -> str:
    """A cell as pyxform reads it: stripped text, whole numbers without '.0'."""
    if value is None:
        return ""
    if value is True or value is False:
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\xa0", " ").strip()


@dataclass
class _Sheets:
    """What this module reads from the workbook itself: row numbers by name, and the form title."""

    rows_by_name: dict[str, deque[tuple[int, str]]]
    type_by_row: dict[int, str]
    form_title: str


def _read_workbook(data: bytes, file_name: str) -> _Sheets:
    """Check the workbook's size (app/uploads.py), then the survey sheet's shape: each row's number, type and name."""
    rows_by_name: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
    type_by_row: dict[int, str] = {}
    try:
        with open_workbook(data, name=file_name) as workbook:
            sheets = {name.strip().lower(): name for name in workbook.sheetnames}
            if SURVEY_SHEET not in sheets:
                found = ", ".join(f"'{name}'" for name in workbook.sheetnames) or "none"
                raise XLSFormError(f"{file_name} has no 'survey' sheet (its sheets: {found})")
            survey_rows = sheet_rows(workbook[sheets[SURVEY_SHEET]])
            headers = [_cell_text(cell).lower() for cell in next(survey_rows, ())]
            type_column = next((i for i, h in enumerate(headers) if h in {"type", "command"}), None)
            name_column = next((i for i, h in enumerate(headers) if h in {"name", "value", "tag"}), None)
            missing = [column for column, index in (("type", type_column), ("name", name_column)) if index is None]
            if missing:
                columns = " and ".join(f"'{column}'" for column in missing)
                plural = "columns" if len(missing) > 1 else "column"
                raise XLSFormError(f"The 'survey' sheet in {file_name} has no {columns} {plural}")
            for row_number, row in enumerate(survey_rows, start=2):
                kind = " ".join(_cell_text(row[type_column] if type_column < len(row) else None).split())
                name = _cell_text(row[name_column] if name_column < len(row) else None)
                if not kind:
                    continue
                type_by_row[row_number] = kind
                if name and not kind.lower().startswith("end"):
                    rows_by_name[name].append((row_number, kind))
            settings_rows = list(sheet_rows(workbook[sheets["settings"]], max_row=2)) if "settings" in sheets else []
            list_sizes = _list_sizes(workbook[sheets["choices"]]) if "choices" in sheets else {}
    except UploadRefused as refusal:
        raise XLSFormError(str(refusal)) from None

    asked = sum(
        list_sizes.get(words[1], 0)
        for kind in type_by_row.values()
        if len(words := kind.split()) > 1 and words[0] in SELECT_TYPES
    )
    if asked > MAX_CHOICES_ASKED:
        raise XLSFormError(
            f"{file_name} offers {asked:,} choices in all across its questions: "
            f"split it into forms of at most {MAX_CHOICES_ASKED:,}"
        )
    form_title = ""
    if len(settings_rows) >= 2:
        settings = dict(zip((_cell_text(h).lower() for h in settings_rows[0]), settings_rows[1], strict=False))
        form_title = _cell_text(settings.get("form_title") or settings.get("set_form_title"))
    return _Sheets(rows_by_name=rows_by_name, type_by_row=type_by_row, form_title=form_title)


def _list_sizes(choices: Any) -> dict[str, int]:
    """How many choices each list on the choices sheet has."""
    rows = sheet_rows(choices)
    headers = [_cell_text(cell).lower() for cell in next(rows, ())]
    if "list_name" not in headers:
        return {}
    column = headers.index("list_name")
    sizes: dict[str, int] = defaultdict(int)
    for row in rows:
        name = _cell_text(row[column] if column < len(row) else None)
        if name:
            sizes[name] += 1
    return sizes


def _one_line(message: str, limit: int = 400) -> str:
    """A message on one line, shortened if very long."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pyxform_json(data: bytes, file_type: str, file_name: str) -> dict[str, Any]:
    """The form as pyxform understands it, or XLSFormError carrying pyxform's reason."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        with _openpyxl_quiet():
            result = convert(xlsform=BytesIO(data), warnings=[], file_type=file_type)
    except PyXFormError as error:
        raise XLSFormError(f"{file_name} is not a valid XLSForm: {_one_line(str(error))}") from None
    except Exception as error:  # pyxform can fail in other ways on forms it does not expect
        detail = _one_line(str(error)) or type(error).__name__
        raise XLSFormError(f"{file_name} is not a valid XLSForm: {detail}") from None
    return result._pyxform or {}
