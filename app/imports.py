"""Checking the rows of an import file, the same way for every CSV reader.

The file itself is read within the upload limits by app/uploads.py (`csv_text`, `csv_table`); this
module checks its cells: the header's columns, yes/no answers, regions and council types (a slug or
a label), each with one wording of its message, and the problems found on each row, reported with
the row's line number (the header is line 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS, council_type_slug, region_slug

YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


@dataclass
class RowError:
    """A problem with one line of an import file."""

    line: int
    message: str


@dataclass
class ImportResult:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def yes_no(value: str) -> bool | None:
    """A yes/no cell as True or False ("yes", "y", "true", "1"; "no", "n", "false", "0"), or None."""
    return YES_NO.get(value.strip().lower())


def missing_columns(header: Iterable[str], columns: Iterable[str]) -> list[str]:
    """The required columns the header does not name, in the order required."""
    named = set(header)
    return [column for column in columns if column not in named]


def missing_columns_error(header: Iterable[str], columns: Iterable[str]) -> RowError | None:
    """Line 1's problem when the header lacks a required column, or None."""
    columns = list(columns)
    missing = missing_columns(header, columns)
    if not missing:
        return None
    return RowError(1, f"The first line must name the columns {', '.join(columns)} (missing: {', '.join(missing)})")


class RowProblems:
    """The problems found on one row, as plain phrases ("region 'X' is not one of: ...")."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.messages)

    def add(self, message: str) -> None:
        self.messages.append(message)

    def region(self, value: str) -> str | None:
        """The region's slug, or None with the problem noted."""
        slug = region_slug(value) if value else None
        if slug is None:
            self.add(f"region '{value}' is not one of: {', '.join(REGIONS.values())}")
        return slug

    def council_type(self, value: str) -> str | None:
        """The council type's slug, or None with the problem noted."""
        slug = council_type_slug(value) if value else None
        if slug is None:
            self.add(f"council type '{value}' is not one of: " + ", ".join(COUNCIL_TYPES.values()))
        return slug

    def yes_no(self, value: str, column: str) -> bool | None:
        """A yes/no cell, or None with the problem noted."""
        answer = yes_no(value)
        if answer is None:
            self.add(f"{column} '{value}' must be yes or no")
        return answer

    def row_error(self, line: int) -> RowError:
        """The row's problems as one sentence for the upload page."""
        message = "; ".join(self.messages)
        return RowError(line, message[0].upper() + message[1:])
