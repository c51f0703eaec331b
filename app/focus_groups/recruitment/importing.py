"""The CSV import of volunteers: checking every row, then adding or updating the study's volunteers, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from app.audit.services import record
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study, Volunteer
from app.focus_groups.recruitment.volunteering import VolunteerDetails, save_volunteer, slot_keys
from app.focus_groups.services import email_fingerprint
from app.identifiers import parse_id
from app.imports import ImportResult, RowError, RowProblems, missing_columns_error
from app.organisations.models import Organisation
from app.uploads import csv_table, csv_text

# Imported volunteers gave their consent outside this service; the organiser confirms it on import.
IMPORTED_CONSENT_VERSION = "import"
IMPORT_COLUMNS = (
    "name",
    "email",
    "organisation",
    "region",
    "council_type",
    "supports_schools",
    "available",
    "if_need_be",
)
OPTIONAL_IMPORT_COLUMNS = ("volunteer_id", "job_role", "access_needs")


# --- CSV import ----------------------------------------------------------------------------------


@dataclass
class VolunteerRow:
    """One good line of a volunteers CSV file."""

    line: int
    name: str
    email: str
    organisation: str
    region: str
    council_type: str
    supports_schools: bool
    availability: dict[int, str]
    job_role: str | None = None
    access_needs: str | None = None
    external_ref: str | None = None  # the file's own volunteer_id, if any (not stored)


def _slot_key(value: str) -> str:
    value = " ".join(value.split()).lower()
    return value[5:].strip() if value.startswith("slot ") else value


def _slot_list(value: str, slot_ids_by_key: dict[str, int] | None, column: str, problems: RowProblems) -> list[int]:
    slot_ids = []
    for part in (p.strip() for p in value.split(";")):
        if not part:
            continue
        key = _slot_key(part)
        if slot_ids_by_key is None:
            slot_id = parse_id(key)
            if slot_id is not None:
                slot_ids.append(slot_id)
            else:
                problems.add(f"{column} '{part}' is not a slot id")
        elif key in slot_ids_by_key:
            slot_ids.append(slot_ids_by_key[key])
        else:
            known = ", ".join(sorted(slot_ids_by_key, key=lambda k: (len(k), k))) or "none"
            problems.add(f"{column} names slot '{part}', which is not one of this study's slots ({known})")
    return slot_ids


def _parse_line(line_no: int, values: dict[str, str], slot_ids_by_key: dict[str, int] | None, seen: dict[str, int]):
    problems = RowProblems()
    name = values.get("name", "")
    if not name:
        problems.add("name is missing")
    elif len(name) > 200:
        problems.add("name is longer than 200 characters")
    email = values.get("email", "")
    if not email:
        problems.add("email is missing")
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            problems.add(f"email '{email}' is not a valid email address")
        else:
            if email in seen:
                problems.add(f"{email} is also on line {seen[email]}")
    organisation = values.get("organisation", "")
    if not organisation:
        problems.add("organisation is missing")
    elif len(organisation) > 200:
        problems.add("organisation is longer than 200 characters")
    region = problems.region(values.get("region", ""))
    council_type = problems.council_type(values.get("council_type", ""))
    supports = problems.yes_no(values.get("supports_schools", ""), "supports_schools")
    available = _slot_list(values.get("available", ""), slot_ids_by_key, "available", problems)
    if_need_be = _slot_list(values.get("if_need_be", ""), slot_ids_by_key, "if_need_be", problems)
    both = set(available) & set(if_need_be)
    if both:
        problems.add("a slot is in both available and if_need_be")
    job_role = values.get("job_role") or None
    if job_role and len(job_role) > 200:
        problems.add("job_role is longer than 200 characters")
    if problems:
        return problems.row_error(line_no)
    availability = {slot_id: "if_need_be" for slot_id in if_need_be}
    availability.update({slot_id: "yes" for slot_id in available})
    return VolunteerRow(
        line=line_no,
        name=name,
        email=email,
        organisation=organisation,
        region=region,
        council_type=council_type,
        supports_schools=supports,
        availability=availability,
        job_role=job_role,
        access_needs=values.get("access_needs") or None,
        external_ref=values.get("volunteer_id") or None,
    )


def parse_volunteer_rows(
    text: str, slot_ids_by_key: dict[str, int] | None = None
) -> tuple[list[VolunteerRow], list[RowError]]:
    """Check a volunteers CSV and return (good rows, problems with their line numbers).

    Columns (first line; any order, case-insensitive): name, email, organisation, region,
    council_type, supports_schools (yes/no), available and if_need_be (slots separated by ";"),
    and optionally volunteer_id (the file's own reference, not stored), job_role, access_needs.
    Region and council type may be a slug or a label ("london-borough" or "London borough").

    `slot_ids_by_key` maps what the file writes for a slot to its id: `slot_keys(study)` gives the
    positions shown on the pages ("1" for Slot 1; "Slot 1" is also accepted). With None, the values
    are taken as slot ids, unchecked (the caller checks them). Slots a row does not name are "no".
    The caller decides what to do with the rows when there are any problems (the import saves nothing).
    Raises UploadRefused when the file as a whole cannot be read (app/uploads.py: too many rows or
    columns, an overlong cell, not CSV).
    """
    table = csv_table(text)
    errors: list[RowError] = []
    header_error = missing_columns_error(table.header, IMPORT_COLUMNS)
    if header_error:
        errors.append(header_error)
        return [], errors
    rows: list[VolunteerRow] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        line_no, values = row.line, row.values
        parsed = _parse_line(line_no, values, slot_ids_by_key, seen)
        if isinstance(parsed, RowError):
            errors.append(parsed)
            continue
        seen[parsed.email] = line_no
        rows.append(parsed)
    if not rows and not errors:
        errors.append(RowError(2, "The file has no volunteers in it"))
    return rows, errors


def import_volunteers_csv(study: Study, data: bytes, by=None) -> ImportResult:
    """Add or update the study's volunteers from a CSV file, all or nothing (see `parse_volunteer_rows`).

    Imported volunteers' consent was collected elsewhere: the organiser confirms it, and it is
    recorded as consent version "import" at the time of the import. A volunteer already in the study
    with the same email is updated, keeping the consent they gave before. An organisation that
    matches a member organisation's name is linked. Raises UploadRefused when the file as a whole
    cannot be read (too large, not UTF-8, not CSV): the message is for the upload page.
    """
    result = ImportResult()
    rows, result.errors = parse_volunteer_rows(csv_text(data), slot_keys(study))
    withdrawn = set(
        db.session.scalars(
            select(Volunteer.withdrawn_email_hash).where(
                Volunteer.study_id == study.id, Volunteer.withdrawn_email_hash.is_not(None)
            )
        )
    )
    for row in rows:
        if email_fingerprint(row.email) in withdrawn:
            result.errors.append(
                RowError(row.line, f"{row.email} withdrew from this study: they can volunteer again themselves")
            )
    result.errors.sort(key=lambda error: error.line)
    if result.errors:
        return result
    now = utcnow()
    organisations = {o.name.lower(): o for o in db.session.scalars(select(Organisation))}
    with write_transaction():
        for row in rows:
            organisation = organisations.get(row.organisation.lower())
            details = VolunteerDetails(
                name=row.name,
                email=row.email,
                region=row.region,
                council_type=row.council_type,
                supports_schools=row.supports_schools,
                availability=row.availability,
                organisation_id=organisation.id if organisation else None,
                organisation_name=organisation.name if organisation else row.organisation,
                job_role=row.job_role,
                access_needs=row.access_needs,
            )
            volunteer, created = save_volunteer(
                study,
                details,
                source="import",
                consent_version=IMPORTED_CONSENT_VERSION,
                replace_consent=False,
                now=now,
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
        record(
            "focus_groups.volunteers_imported",
            study,
            actor=by,
            created=result.created,
            updated=result.updated,
        )
    return result
