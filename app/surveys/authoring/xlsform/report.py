"""What an XLSForm import hands back: the result, the rows left out (numbered as Excel shows them), and the
one error raised for a file that is not a usable XLSForm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class XLSFormError(ValueError):
    """The file is not a usable XLSForm; the message says why in one line of plain English."""


@dataclass(frozen=True)
class UnmappedRow:
    """A spreadsheet row (numbered as Excel shows it) that was not carried over, or only in part."""

    sheet: str
    row_number: int | None
    name: str
    reason: str

    def __str__(self) -> str:
        """`Row 7 (survey sheet, 'gps'): type 'geopoint' is not supported`."""
        where = f"{self.sheet} sheet, '{self.name}'" if self.name else f"{self.sheet} sheet"
        row = f"Row {self.row_number}" if self.row_number else "A row"
        return f"{row} ({where}): {self.reason}"


@dataclass(frozen=True)
class XLSFormImport:
    """The result of an import: a definition that passes `definition_problems`, and what was left out."""

    title: str
    definition: dict[str, Any]
    unmapped: list[UnmappedRow]
