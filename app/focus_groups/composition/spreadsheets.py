"""Planning from spreadsheets: read volunteers and slots from CSV, write the groups as CSV.

The same optimiser as the web pages, for organisers who plan in a spreadsheet. Every bad row is
reported with its line number, and nothing is solved or written until the files are clean.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.focus_groups.composition.optimiser import Composition, Person, SlotOption
from app.imports import RowProblems, missing_columns_error
from app.numbers import NumberError, parse_whole_number
from app.uploads import UploadRefused, csv_table

VOLUNTEER_COLUMNS = (
    "volunteer_id",
    "name",
    "email",
    "organisation",
    "region",
    "council_type",
    "supports_schools",
    "available",
    "if_need_be",
)
SLOT_COLUMNS = ("slot_id", "starts_at", "capacity")
MAX_CAPACITY = 1000  # places in one slot: far above any focus group, low enough that the optimiser stays small
GROUP_COLUMNS = ("volunteer_id", "slot_id", "role")


@dataclass
class SheetProblem:
    """One thing wrong with an input file, by line number (the header is line 1)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.message}"


def _rows(text: str, name: str, columns: Iterable[str]) -> tuple[list[tuple[int, dict[str, str]]], list[SheetProblem]]:
    """The file's rows within the upload limits (app/uploads.py), by line number, or what is wrong with it."""
    try:
        table = csv_table(text)
    except UploadRefused as refusal:
        return [], [SheetProblem(name, 1, str(refusal))]
    header_error = missing_columns_error(table.header, columns)
    if header_error:
        return [], [SheetProblem(name, header_error.line, header_error.message)]
    return [(row.line, row.values) for row in table.rows], []


def read_slots(text: str, name: str = "sessions file") -> tuple[list[SlotOption], list[SheetProblem]]:
    """Slots from CSV (slot_id, starts_at in ISO 8601 Europe/London, capacity), with any problems."""
    rows, problems = _rows(text, name, SLOT_COLUMNS)
    slots: list[SlotOption] = []
    seen: set[str] = set()
    for line, row in rows:
        slot_id = row["slot_id"]
        if not slot_id:
            problems.append(SheetProblem(name, line, "slot_id is empty"))
            continue
        if slot_id in seen:
            problems.append(SheetProblem(name, line, f"slot_id {slot_id} appears twice"))
            continue
        seen.add(slot_id)
        try:
            datetime.fromisoformat(row["starts_at"])  # checked only: the optimiser needs no times
        except ValueError:
            problems.append(
                SheetProblem(name, line, f"starts_at '{row['starts_at']}' is not a date and time like 2027-03-10T10:00")
            )
            continue
        try:
            capacity = parse_whole_number(row["capacity"], minimum=1, maximum=MAX_CAPACITY, thousands=False)
        except NumberError:
            problems.append(
                SheetProblem(
                    name, line, f"capacity '{row['capacity'][:40]}' is not a whole number from 1 to {MAX_CAPACITY}"
                )
            )
            continue
        slots.append(SlotOption(slot_id, capacity))
    if not rows and not problems:
        problems.append(SheetProblem(name, 2, "there are no slots"))
    return slots, problems


def read_volunteers(
    text: str, slot_ids: set[str], name: str = "volunteers file"
) -> tuple[list[Person], list[SheetProblem]]:
    """Volunteers from CSV (see VOLUNTEER_COLUMNS), checked against the known slot ids."""
    rows, problems = _rows(text, name, VOLUNTEER_COLUMNS)
    people: list[Person] = []
    seen: set[str] = set()
    for line, row in rows:
        row_problems = RowProblems()
        volunteer_id = row["volunteer_id"]
        if not volunteer_id:
            row_problems.add("volunteer_id is empty")
        elif volunteer_id in seen:
            row_problems.add(f"volunteer_id {volunteer_id} appears twice")
        seen.add(volunteer_id)
        region = row_problems.region(row["region"])
        council_type = row_problems.council_type(row["council_type"])
        schools = row_problems.yes_no(row["supports_schools"], "supports_schools")
        lists = {}
        for column in ("available", "if_need_be"):
            ids = [part.strip() for part in row[column].split(";") if part.strip()]
            unknown = [i for i in ids if i not in slot_ids]
            if unknown:
                row_problems.add(f"{column} names slots that are not in the sessions file: {', '.join(unknown)}")
            lists[column] = frozenset(ids)
        both = lists["available"] & lists["if_need_be"]
        if both:
            row_problems.add(f"slots {', '.join(sorted(both))} are in both available and if_need_be")
        if row_problems:
            problems.extend(SheetProblem(name, line, message) for message in row_problems.messages)
            continue
        organisation = " ".join(row["organisation"].lower().split()) or f"(volunteer {volunteer_id})"
        people.append(
            Person(
                id=volunteer_id,
                organisation=organisation,
                region=region,
                council_type=council_type,
                supports_schools=schools,
                available=lists["available"],
                if_need_be=lists["if_need_be"],
            )
        )
    return people, problems


def groups_csv(result: Composition) -> str:
    """The composition as CSV: volunteer_id, slot_id, role (participant, then reserves in order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GROUP_COLUMNS)
    for slot_id, members in result.groups.items():
        for person_id in members:
            writer.writerow([person_id, slot_id, "participant"])
        for person_id in result.reserves.get(slot_id, []):
            writer.writerow([person_id, slot_id, "reserve"])
    return out.getvalue()
