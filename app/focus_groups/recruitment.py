"""Recruiting volunteers for a focus-group study: the expression-of-interest form's rules, recruitment
invitations to member organisations, the CSV import of volunteers and the pool dashboard's figures.

Plain functions: views parse the request and call them; tests and commands call them directly.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.database import write_transaction
from app.email.sender import external_url, send_email
from app.extensions import db
from app.focus_groups.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from app.focus_groups.models import AVAILABILITY, Availability, Slot, Study, Volunteer
from app.focus_groups.services import email_fingerprint, new_salt, utcnow, volunteer_token
from app.organisations.models import Organisation
from app.organisations.services import MAX_IMPORT_ROWS, ImportResult, RowError
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS, council_type_slug, region_slug
from app.surveys.invitations import InvitationOutcome, invite_each, recipient_for

WITHDRAW_ENDPOINT = "focus_groups.withdraw"
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
YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


# --- Slots and organisations -------------------------------------------------------------------


def open_slots(study: Study) -> list[Slot]:
    """The study's slots volunteers can say they are available for (not cancelled), by start time."""
    return [slot for slot in study.slots if slot.status != "cancelled"]


def slot_keys(study: Study) -> dict[str, int]:
    """How the CSV import names slots: their position ("1" for Slot 1, by start time) -> slot id."""
    return {str(number): slot.id for number, slot in enumerate(study.slots, start=1) if slot.status != "cancelled"}


def organisations_for_choice() -> list[Organisation]:
    """Every member organisation, by name, for the form's select."""
    return db.session.scalars(select(Organisation).order_by(func.lower(Organisation.name))).all()


def organisations_matching(regions: Iterable[str] = (), council_types: Iterable[str] = ()) -> list[Organisation]:
    """Member organisations in any of `regions` and any of `council_types` (all when a list is empty)."""
    query = select(Organisation).order_by(Organisation.name)
    regions = [r for r in regions if r in REGIONS]
    council_types = [t for t in council_types if t in COUNCIL_TYPES]
    if regions:
        query = query.where(Organisation.region.in_(regions))
    if council_types:
        query = query.where(Organisation.council_type.in_(council_types))
    return db.session.scalars(query).all()


# --- The expression-of-interest form -------------------------------------------------------------


@dataclass
class VolunteerDetails:
    """What someone tells us when they volunteer (from the form, or a row of an import)."""

    name: str
    email: str
    region: str
    council_type: str
    supports_schools: bool
    availability: dict[int, str]  # slot id -> yes / if_need_be / no
    organisation_id: int | None = None
    organisation_name: str | None = None
    job_role: str | None = None
    access_needs: str | None = None
    audio_consent: bool = False


def find_volunteer(study: Study, email: str) -> Volunteer | None:
    """The study's volunteer with this email address (ignoring case), if any."""
    return db.session.scalar(
        select(Volunteer).where(Volunteer.study_id == study.id, func.lower(Volunteer.email) == email.strip().lower())
    )


def _apply(volunteer: Volunteer, details: VolunteerDetails, slot_ids: set[int]) -> None:
    volunteer.name = details.name
    volunteer.email = details.email.strip().lower()
    volunteer.job_role = details.job_role or None
    volunteer.access_needs = details.access_needs or None
    volunteer.organisation_id = details.organisation_id
    volunteer.organisation_name = details.organisation_name
    volunteer.region = details.region
    volunteer.council_type = details.council_type
    volunteer.supports_schools = details.supports_schools
    answers = {slot_id: details.availability.get(slot_id, "no") for slot_id in slot_ids}
    existing = {row.slot_id: row for row in volunteer.availability}
    for slot_id, answer in answers.items():
        if answer not in AVAILABILITY:
            raise ValueError(f"Unknown availability answer {answer!r}")
        if slot_id in existing:
            existing[slot_id].answer = answer
        else:
            volunteer.availability.append(Availability(slot_id=slot_id, answer=answer))


def save_volunteer(
    study: Study,
    details: VolunteerDetails,
    *,
    source: str = "form",
    consent_version: str = CURRENT_CONSENT_VERSION,
    replace_consent: bool = True,
    user=None,
    now: datetime | None = None,
) -> tuple[Volunteer, bool]:
    """Add a volunteer to the study, or update the one with the same email; returns (volunteer, created).

    One volunteer per email per study: a second expression of interest replaces the details,
    availability and consent given before (and undoes an earlier withdrawal that was not yet erased).
    Consent is recorded as given now, to `consent_version`; with `replace_consent=False` (an import)
    a volunteer who already has a consent record keeps it as they gave it. The caller commits.
    """
    now = now or utcnow()
    slot_ids = {slot.id for slot in open_slots(study)}
    volunteer = find_volunteer(study, details.email)
    created = volunteer is None
    if created:
        volunteer = Volunteer(study_id=study.id, source=source, salt=new_salt())
    _apply(volunteer, details, slot_ids)  # complete before it joins the session (autoflush)
    if replace_consent or volunteer.consent_version is None:
        volunteer.consented_at = now
        volunteer.consent_version = consent_version
        volunteer.audio_consent = details.audio_consent
    volunteer.withdrawn_at = None
    if created:
        db.session.add(volunteer)
    if user is not None and getattr(user, "is_authenticated", True):
        volunteer.user_id = user.id
    db.session.flush()
    return volunteer, created


def volunteer_from_form(study: Study, details: VolunteerDetails, user=None) -> tuple[Volunteer, bool]:
    """Save an expression of interest from the public form, audit it and email the volunteer.

    Returns (volunteer, created). Commits. A clash with a simultaneous submission for the same
    email (the database's unique constraint) is retried once as an update.
    """
    for attempt in (1, 2):
        try:
            volunteer, created = save_volunteer(study, details, source="form", user=user)
            record("focus_groups.volunteered", volunteer, study=study.id, updated=not created or None)
            send_volunteer_thanks(volunteer, updated=not created)
            db.session.commit()
            return volunteer, created
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def withdrawal_link(volunteer: Volunteer, *, external: bool = False) -> str:
    """The volunteer's own link to withdraw."""
    token = volunteer_token(volunteer, "withdraw")
    return external_url(WITHDRAW_ENDPOINT, token=token) if external else url_for(WITHDRAW_ENDPOINT, token=token)


def send_volunteer_thanks(volunteer: Volunteer, *, updated: bool = False) -> None:
    """Email the volunteer what they told us and what happens next, with their withdrawal link."""
    study = volunteer.study
    send_email(
        volunteer.email,
        f"{'We have updated your details' if updated else 'Thank you for volunteering'}: {study.title}",
        "fg_volunteer_thanks",
        volunteer=volunteer,
        study=study,
        updated=updated,
        slots=[(slot, volunteer.answer_for(slot.id)) for slot in open_slots(study)],
        answers=AVAILABILITY,
        withdraw_link=withdrawal_link(volunteer, external=True),
        form_link=volunteer_form_link(study),
    )


# --- Changes to an existing volunteer's details, confirmed from their own inbox -----------------

CHANGE_SALT = "focus-group-volunteer-change"
CHANGE_LIFETIME_SECONDS = 7 * 24 * 3600


def _change_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CHANGE_SALT)


def _state(volunteer: Volunteer) -> str:
    """A digest of the volunteer's details as they stand: a change link works only while they are unchanged."""
    answers = sorted((a.slot_id, a.answer) for a in volunteer.availability)
    parts = [volunteer.salt, volunteer.name, volunteer.email, volunteer.job_role, volunteer.organisation_id]
    parts += [volunteer.region, volunteer.council_type, volunteer.supports_schools, volunteer.consented_at, answers]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def change_token(volunteer: Volunteer, details: VolunteerDetails) -> str:
    """A signed link token carrying new details for a volunteer. It is single-use without touching the
    volunteer's other links: once any detail changes (this change included), it no longer matches."""
    payload = asdict(details)
    payload["availability"] = {str(k): v for k, v in details.availability.items()}
    return _change_serializer().dumps({"volunteer": volunteer.id, "state": _state(volunteer), "details": payload})


def change_from_token(study: Study, token: str) -> tuple[Volunteer, VolunteerDetails] | None:
    """The volunteer and the details a change link carries, or None when it is unknown, old or used up."""
    try:
        data = _change_serializer().loads(token, max_age=CHANGE_LIFETIME_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    volunteer = db.session.get(Volunteer, data.get("volunteer"))
    if volunteer is None or volunteer.study_id != study.id or volunteer.erased_at is not None:
        return None
    if not hmac.compare_digest(str(data.get("state")), _state(volunteer)):
        return None
    details = dict(data["details"])
    details["availability"] = {int(k): v for k, v in details["availability"].items()}
    return volunteer, VolunteerDetails(**details)


def request_change(study: Study, volunteer: Volunteer, details: VolunteerDetails) -> None:
    """Someone volunteered again with an address already in the pool: nothing changes until the
    owner of that address confirms, from the email this sends, that the new details are theirs."""
    send_email(
        volunteer.email,
        f"Confirm the changes to your details: {study.title}",
        "fg_volunteer_change",
        study=study,
        details=details,
        slots=[(slot, details.availability.get(slot.id, "no")) for slot in open_slots(study)],
        answers=AVAILABILITY,
        link=external_url(
            "focus_groups.confirm_volunteer_change", study_id=study.id, token=change_token(volunteer, details)
        ),
        hours=CHANGE_LIFETIME_SECONDS // 3600,
    )
    record("focus_groups.volunteer_change_requested", volunteer, study=study.id)
    db.session.commit()


def apply_change(study: Study, volunteer: Volunteer, details: VolunteerDetails, user=None) -> Volunteer:
    """Apply confirmed new details (and consent given now); the link cannot be used twice."""
    volunteer, _ = save_volunteer(study, details, source=volunteer.source, user=user)
    record("focus_groups.volunteer_changed", volunteer, study=study.id)
    send_volunteer_thanks(volunteer, updated=True)
    db.session.commit()
    return volunteer


# --- Recruitment invitations to member organisations -------------------------------------------


def volunteer_form_link(study: Study, organisation: Organisation | None = None) -> str:
    """The absolute link to the study's volunteer form; with an organisation, the form starts filled in."""
    if organisation is None:
        return external_url("focus_groups.volunteer_form", study_id=study.id)
    return external_url("focus_groups.volunteer_form", study_id=study.id, organisation=organisation.id)


def invite_organisation_to_volunteer(study: Study, organisation: Organisation, by=None) -> str | None:
    """Email one organisation's contact a link to the volunteer form. Returns why not, or None."""
    if not study.recruiting:
        return "the study is not taking volunteers"
    email = recipient_for(organisation)
    if not email:
        return "no contact email and no member accounts"
    with write_transaction():  # runs in a background job, outside any request
        send_email(
            email,
            f"Take part in a focus group: {study.title}",
            "fg_recruitment",
            study=study,
            organisation=organisation,
            link=volunteer_form_link(study, organisation),
            slots=open_slots(study),
        )
        record("focus_groups.recruitment_invitation_sent", study, actor=by, organisation_id=organisation.id)
    return None


def send_recruitment_invitations(
    study: Study, organisation_ids: Iterable[int], by=None, progress: Callable[[int, str], None] | None = None
) -> InvitationOutcome:
    """Invite each organisation in turn to volunteer, reporting progress; those not invited are listed with why."""
    return invite_each(
        organisation_ids, lambda organisation: invite_organisation_to_volunteer(study, organisation, by), progress
    )


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


def _slot_list(value: str, slot_ids_by_key: dict[str, int] | None, column: str, problems: list[str]) -> list[int]:
    slot_ids = []
    for part in (p.strip() for p in value.split(";")):
        if not part:
            continue
        key = _slot_key(part)
        if slot_ids_by_key is None:
            if key.isdigit():
                slot_ids.append(int(key))
            else:
                problems.append(f"{column} '{part}' is not a slot id")
        elif key in slot_ids_by_key:
            slot_ids.append(slot_ids_by_key[key])
        else:
            known = ", ".join(sorted(slot_ids_by_key, key=lambda k: (len(k), k))) or "none"
            problems.append(f"{column} names slot '{part}', which is not one of this study's slots ({known})")
    return slot_ids


def _parse_line(line_no: int, values: dict[str, str], slot_ids_by_key: dict[str, int] | None, seen: dict[str, int]):
    problems: list[str] = []
    name = values.get("name", "")
    if not name:
        problems.append("name is missing")
    elif len(name) > 200:
        problems.append("name is longer than 200 characters")
    email = values.get("email", "")
    if not email:
        problems.append("email is missing")
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            problems.append(f"email '{email}' is not a valid email address")
        else:
            if email in seen:
                problems.append(f"{email} is also on line {seen[email]}")
    organisation = values.get("organisation", "")
    if not organisation:
        problems.append("organisation is missing")
    elif len(organisation) > 200:
        problems.append("organisation is longer than 200 characters")
    region = region_slug(values.get("region", ""))
    if region is None:
        problems.append(f"region '{values.get('region', '')}' is not one of: {', '.join(REGIONS.values())}")
    council_type = council_type_slug(values.get("council_type", ""))
    if council_type is None:
        problems.append(
            f"council type '{values.get('council_type', '')}' is not one of: " + ", ".join(COUNCIL_TYPES.values())
        )
    supports = YES_NO.get(values.get("supports_schools", "").lower())
    if supports is None:
        problems.append(f"supports_schools '{values.get('supports_schools', '')}' must be yes or no")
    available = _slot_list(values.get("available", ""), slot_ids_by_key, "available", problems)
    if_need_be = _slot_list(values.get("if_need_be", ""), slot_ids_by_key, "if_need_be", problems)
    both = set(available) & set(if_need_be)
    if both:
        problems.append("a slot is in both available and if_need_be")
    job_role = values.get("job_role") or None
    if job_role and len(job_role) > 200:
        problems.append("job_role is longer than 200 characters")
    if problems:
        message = "; ".join(problems)
        return RowError(line_no, message[0].upper() + message[1:])
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
    """
    if "\x00" in text:  # binary, or UTF-16: not text the database can hold
        return [], [RowError(1, "The file must be a CSV saved as UTF-8 text")]
    try:
        return _parse_rows(text, slot_ids_by_key)
    except csv.Error as exc:  # a file that is not CSV at all
        return [], [RowError(1, f"The file could not be read as CSV ({exc})")]


def _parse_rows(text: str, slot_ids_by_key: dict[str, int] | None) -> tuple[list[VolunteerRow], list[RowError]]:
    errors: list[RowError] = []
    reader = csv.DictReader(io.StringIO(text))
    headers = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in headers]
    if missing:
        columns = ", ".join(IMPORT_COLUMNS)
        errors.append(RowError(1, f"The first line must name the columns {columns} (missing: {', '.join(missing)})"))
        return [], errors
    reader.fieldnames = headers
    rows: list[VolunteerRow] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(reader, start=2):
        if line_no - 1 > MAX_IMPORT_ROWS:
            errors.append(RowError(line_no, f"The file has more than {MAX_IMPORT_ROWS} rows; split it up"))
            break
        values = {k: (v or "").strip() for k, v in raw.items() if k and not isinstance(v, list)}
        if not any(values.values()):
            continue
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
    matches a member organisation's name is linked.
    """
    result = ImportResult()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(RowError(1, "The file must be a CSV saved as UTF-8"))
        return result
    rows, result.errors = parse_volunteer_rows(text, slot_keys(study))
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


# --- The pool ------------------------------------------------------------------------------------


def active_volunteers_query(study: Study):
    """A select of the study's volunteers who have not withdrawn."""
    return select(Volunteer).where(
        Volunteer.study_id == study.id, Volunteer.withdrawn_at.is_(None), Volunteer.erased_at.is_(None)
    )


@dataclass
class SlotAvailability:
    """How many active volunteers can make one slot."""

    slot: Slot
    yes: int = 0
    if_need_be: int = 0
    no: int = 0


@dataclass
class Pool:
    """The pool dashboard's figures for one study (active volunteers only)."""

    matrix: dict[str, dict[str, int]]  # region -> council type -> volunteers
    region_totals: dict[str, int]
    council_type_totals: dict[str, int]
    total: int
    places_needed: int
    reserves_needed: int
    supports_schools: int
    no_schools: int
    availability: list[SlotAvailability] = field(default_factory=list)

    @property
    def volunteers_needed(self) -> int:
        """Places and reserves together."""
        return self.places_needed + self.reserves_needed

    @property
    def still_needed(self) -> int:
        """How many more volunteers would reach the places and reserves needed."""
        return max(0, self.volunteers_needed - self.total)

    @property
    def regions_without(self) -> list[str]:
        """Regions with no volunteer, as slugs in the vocabulary's order."""
        return [r for r in REGIONS if not self.region_totals[r]]

    @property
    def council_types_without(self) -> list[str]:
        """Council types with no volunteer, as slugs in the vocabulary's order."""
        return [t for t in COUNCIL_TYPES if not self.council_type_totals[t]]


def places_needed(study: Study) -> int:
    """Places in the groups the study aims for: target groups times target size."""
    return study.target_groups * study.target_size


def reserves_needed(study: Study) -> int:
    """Reserves to recruit: one for every `places_per_reserve` places, rounded up."""
    return math.ceil(places_needed(study) / study.places_per_reserve)


def pool_for(study: Study) -> Pool:
    """Count the study's active volunteers by region and council type, against its targets, and per slot."""
    matrix = {region: dict.fromkeys(COUNCIL_TYPES, 0) for region in REGIONS}
    active = active_volunteers_query(study).subquery()
    for region, council_type, count in db.session.execute(
        select(active.c.region, active.c.council_type, func.count()).group_by(active.c.region, active.c.council_type)
    ):
        matrix[region][council_type] = count
    schools = dict(
        db.session.execute(select(active.c.supports_schools, func.count()).group_by(active.c.supports_schools)).all()
    )
    answers: dict[tuple[int, str], int] = {
        (slot_id, answer): count
        for slot_id, answer, count in db.session.execute(
            select(Availability.slot_id, Availability.answer, func.count())
            .join(active, active.c.id == Availability.volunteer_id)
            .group_by(Availability.slot_id, Availability.answer)
        )
    }
    total = sum(sum(row.values()) for row in matrix.values())
    availability = []
    for slot in open_slots(study):
        yes, maybe = answers.get((slot.id, "yes"), 0), answers.get((slot.id, "if_need_be"), 0)
        availability.append(SlotAvailability(slot, yes, maybe, total - yes - maybe))
    return Pool(
        matrix=matrix,
        region_totals={region: sum(row.values()) for region, row in matrix.items()},
        council_type_totals={t: sum(matrix[r][t] for r in REGIONS) for t in COUNCIL_TYPES},
        total=total,
        places_needed=places_needed(study),
        reserves_needed=reserves_needed(study),
        supports_schools=schools.get(True, 0),
        no_schools=schools.get(False, 0),
        availability=availability,
    )


def volunteers_query(study: Study, region: str = "", council_type: str = ""):
    """A select of the study's volunteers (withdrawn ones too), newest first, filtered by region and council type."""
    query = select(Volunteer).where(Volunteer.study_id == study.id).order_by(Volunteer.id.desc())
    if region in REGIONS:
        query = query.where(Volunteer.region == region)
    if council_type in COUNCIL_TYPES:
        query = query.where(Volunteer.council_type == council_type)
    return query


def consent_text(version: str | None) -> list[str]:
    """The consent text as shown for a version (empty for consent collected outside this service)."""
    return CONSENT_TEXTS.get(version or "", [])


def other_records(volunteer: Volunteer) -> list[Volunteer]:
    """The same person's volunteer records in other studies (same email), newest study first."""
    if not volunteer.email:
        return []
    return db.session.scalars(
        select(Volunteer)
        .where(func.lower(Volunteer.email) == volunteer.email.lower(), Volunteer.id != volunteer.id)
        .order_by(Volunteer.study_id.desc())
    ).all()


def deletable(volunteer: Volunteer) -> bool:
    """Whether a volunteer can simply be deleted: not once they are in a confirmed session (invited,
    with a pseudonym that notes may carry); those leave through withdrawal, which keeps the pseudonym."""
    placement = volunteer.placement
    return placement is None or placement.slot.status == "candidate"


def delete_volunteer(volunteer: Volunteer, by=None) -> None:
    """Remove a volunteer from the pool, with their availability and any proposed placement. Commits.

    Raises ValueError for a volunteer in a confirmed session (see `deletable`).
    """
    if not deletable(volunteer):
        raise ValueError("in a confirmed session")
    if volunteer.placement is not None:
        db.session.delete(volunteer.placement)
    record("focus_groups.volunteer_deleted", volunteer, actor=by, study=volunteer.study_id, source=volunteer.source)
    db.session.delete(volunteer)
    db.session.commit()
