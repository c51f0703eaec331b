"""Organisation rules: saving, deleting, and importing a CSV all-or-nothing; each is one unit of work that
owns its transaction (`write_transaction()`), its audit event included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from app.audit.services import record
from app.database import write_transaction
from app.extensions import db
from app.imports import ImportResult, RowError, RowProblems, missing_columns_error
from app.organisations.models import Organisation
from app.uploads import CsvTable, csv_table, csv_text

IMPORT_COLUMNS = ("name", "region", "council_type", "contact_email")


class OrganisationError(Exception):
    """A rule about organisations was broken; the message is fit to show."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def find_by_name(name: str) -> Organisation | None:
    """The organisation with this name (ignoring case), if any."""
    return db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.strip().lower()))


def save_organisation(
    org: Organisation | None,
    *,
    name: str,
    region: str,
    council_type: str,
    contact_email: str | None,
    by: Any = None,
) -> Organisation:
    """Create (org=None) or update an organisation as `by`, with its audit event, in one transaction;
    names must be unique (OrganisationError, and nothing is saved, when another has it)."""
    with write_transaction():
        clash = find_by_name(name)
        if clash is not None and clash is not org:
            raise OrganisationError("An organisation with this name already exists", "name")
        created = org is None
        if created:
            org = Organisation()
            db.session.add(org)
        org.name, org.region, org.council_type = name.strip(), region, council_type
        org.contact_email = contact_email.lower() if contact_email else None
        db.session.flush()
        action = "organisations.organisation_created" if created else "organisations.organisation_updated"
        record(action, org, actor=by, name=org.name)
    return org


def delete_organisation(org: Organisation, *, by: Any = None) -> None:
    """Delete an organisation that has no members, as `by`, with its audit event, in one transaction."""
    with write_transaction():
        if org.members:
            raise OrganisationError(
                f"{org.name} still has {len(org.members)} member account(s). Move or erase them first."
            )
        record("organisations.organisation_deleted", org, actor=by, name=org.name)
        db.session.delete(org)


@dataclass
class _Row:
    line: int
    name: str
    region: str
    council_type: str
    contact_email: str | None


def _parse(table: CsvTable, result: ImportResult) -> list[_Row]:
    header_error = missing_columns_error(table.header, IMPORT_COLUMNS)
    if header_error:
        result.errors.append(header_error)
        return []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        line_no, values = row.line, row.values
        problems = RowProblems()
        name = values.get("name", "")
        if not name:
            problems.add("name is missing")
        elif len(name) > 200:
            problems.add("name is longer than 200 characters")
        elif name.lower() in seen:
            problems.add(f"{name} is also on line {seen[name.lower()]}")
        region = problems.region(values.get("region", ""))
        council_type = problems.council_type(values.get("council_type", ""))
        email = values.get("contact_email") or None
        if email:
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                problems.add(f"contact email '{email}' is not a valid email address")
        if problems:
            result.errors.append(problems.row_error(line_no))
            continue
        seen[name.lower()] = line_no
        rows.append(_Row(line_no, name, region, council_type, email))
    if not rows and not result.errors:
        result.errors.append(RowError(2, "The file has no organisations in it"))
    return rows


def import_organisations_csv(data: bytes, *, by: Any = None) -> ImportResult:
    """Add or update organisations from CSV (name, region, council_type, contact_email).

    Every row is checked first; if any row is wrong nothing is saved and each problem is
    reported with its line number. Existing organisations (same name) are updated. Raises
    UploadRefused when the file as a whole cannot be read (app/uploads.py: too large, not UTF-8,
    not CSV): the message is for the upload page. The import is recorded as done by `by`.
    """
    result = ImportResult()
    rows = _parse(csv_table(csv_text(data)), result)
    if result.errors:
        return result
    with write_transaction():
        existing = {o.name.lower(): o for o in db.session.scalars(select(Organisation))}
        for row in rows:
            org = existing.get(row.name.lower())
            if org is None:
                db.session.add(
                    Organisation(
                        name=row.name, region=row.region, council_type=row.council_type, contact_email=row.contact_email
                    )
                )
                result.created += 1
            else:
                org.region, org.council_type, org.contact_email = row.region, row.council_type, row.contact_email
                result.updated += 1
        record(
            "organisations.imported",
            actor=by,
            object_type="organisation",
            created=result.created,
            updated=result.updated,
        )
    return result
