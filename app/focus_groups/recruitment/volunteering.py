"""Recruiting volunteers for a focus-group study: the expression-of-interest form's rules, recruitment
invitations to member organisations, the CSV import of volunteers and the pool dashboard's figures.

Plain functions: views parse the request and call them; tests and commands call them directly.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import url_for
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.clock import aware, utcnow
from app.database import write_transaction
from app.email.models import OutboxMessage
from app.email.sender import external_url, send_email
from app.extensions import db
from app.focus_groups.models import AVAILABILITY, Availability, Slot, Study, Volunteer
from app.focus_groups.recruitment.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from app.focus_groups.recruitment.models import VolunteerChange, VolunteerFormEmail
from app.focus_groups.services import email_fingerprint, new_salt, volunteer_token
from app.identifiers import parse_id
from app.organisations.models import Organisation
from app.organisations.services import ImportResult, RowError
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS, council_type_slug, region_slug
from app.surveys.invitations import InvitationOutcome, invite_each, recipient_for
from app.uploads import csv_table, csv_text

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


# --- The public form: the same outcome page whatever the pool holds ----------------------------

# A study's form emails an address at most this often, whoever fills it in (each study has its own allowance).
FORM_EMAIL_INTERVAL = timedelta(hours=1)
# A link to confirm changed details works for this long; a used or expired one says so for a further
# month (without the details, which go when it is used or expires), then its record is deleted.
CHANGE_LIFETIME = timedelta(days=7)
CHANGE_RECORD_KEPT = timedelta(days=30)


@dataclass
class FormOutcome:
    """What a submission of the public form did (the page shown is the same whatever it did)."""

    volunteer: Volunteer
    created: bool = False  # a new volunteer joined the pool
    pending: bool = False  # changes for an address in the pool wait for its owner to confirm them
    emailed: bool = False  # an email went (or was queued) to the address


def claim_form_email(study: Study, address: str, now: datetime | None = None) -> bool:
    """Note that the form for `study` emails `address` now: False when it already did within
    FORM_EMAIL_INTERVAL. Each study has its own allowance, so someone who volunteers for two studies
    in an hour is sent each study's email (and withdrawal link), while nobody can use one study's
    form to fill an inbox.

    Held in the database (a keyed hash of the address, never the address), so it holds across
    workers: of two simultaneous claims the unique key lets one through. The caller commits.
    """
    now = now or utcnow()
    db.session.execute(delete(VolunteerFormEmail).where(VolunteerFormEmail.sent_at <= now - FORM_EMAIL_INTERVAL))
    try:
        with db.session.begin_nested():
            db.session.add(VolunteerFormEmail(address_hash=email_fingerprint(address), study_id=study.id, sent_at=now))
    except IntegrityError:
        return False
    return True


def _owns(volunteer: Volunteer, user) -> bool:
    return user is not None and volunteer.user_id is not None and volunteer.user_id == user.id


def volunteer_from_form(study: Study, details: VolunteerDetails, user=None, now: datetime | None = None) -> FormOutcome:
    """Act on an expression of interest from the public form; the caller shows the same page whatever happened.

    An address new to the study joins the pool at once and is emailed its withdrawal link. For an
    address already in the pool nothing changes yet: the new details are kept on the server and its
    owner is emailed a link to confirm them (a signed-in member changing their own record is updated
    at once). Either way the work is the same (one write, then at most one email) and no email carries
    anything typed into the form; a study's form emails an address at most once an hour. Commits.
    A clash with a simultaneous submission for the same email is retried once.
    """
    now = now or utcnow()
    address = details.email.strip().lower()
    for attempt in (1, 2):
        try:
            with write_transaction():
                may_email = claim_form_email(study, address, now)
                existing = find_volunteer(study, address)
                if existing is not None and not _owns(existing, user):
                    secret = _keep_pending_change(existing, details, now) if may_email else None
                    record("focus_groups.volunteer_change_requested", existing, study=study.id, emailed=may_email)
                    outcome, message = FormOutcome(existing, pending=True, emailed=may_email), secret
                else:
                    volunteer, created = save_volunteer(study, details, source="form", user=user, now=now)
                    record("focus_groups.volunteered", volunteer, study=study.id, updated=not created or None)
                    outcome, message = FormOutcome(volunteer, created=created, emailed=may_email), None
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if outcome.emailed:  # sent outside the write, so SQLite is not locked while the SMTP server answers
        if outcome.pending:
            sent = _change_email(study, outcome.volunteer, message)
        else:
            sent = _thanks_email(outcome.volunteer, updated=not outcome.created)
        with write_transaction():
            db.session.add(sent)
    return outcome


def withdrawal_link(volunteer: Volunteer, *, external: bool = False) -> str:
    """The volunteer's own link to withdraw."""
    token = volunteer_token(volunteer, "withdraw")
    return external_url(WITHDRAW_ENDPOINT, token=token) if external else url_for(WITHDRAW_ENDPOINT, token=token)


def _thanks_email(volunteer: Volunteer, *, updated: bool = False) -> OutboxMessage:
    """What the volunteer told us (only what they chose from lists: no typed text, so nobody can use
    the form to send their own words to someone else's address), with their withdrawal link."""
    study = volunteer.study
    return send_email(
        volunteer.email,
        f"{'We have updated your details' if updated else 'Thank you for volunteering'}: {study.title}",
        "fg_volunteer_thanks",
        add_to_session=False,
        volunteer=volunteer,
        study=study,
        updated=updated,
        slots=[(slot, volunteer.answer_for(slot.id)) for slot in open_slots(study)],
        answers=AVAILABILITY,
        withdraw_link=withdrawal_link(volunteer, external=True),
        form_link=volunteer_form_link(study),
    )


# --- Changes to an existing volunteer's details, confirmed from their own inbox -----------------
#
# The new details stay on the server; the emailed link carries only a random secret (256 bits),
# stored as its SHA-256 digest, as account links are (app/auth/tokens.py).


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _details_as_data(details: VolunteerDetails) -> dict:
    data = asdict(details)
    data["availability"] = {str(k): v for k, v in details.availability.items()}
    return data


def _details_from_data(data: dict) -> VolunteerDetails:
    data = dict(data)
    data["availability"] = {int(k): v for k, v in data["availability"].items()}
    return VolunteerDetails(**data)


def _keep_pending_change(volunteer: Volunteer, details: VolunteerDetails, now: datetime) -> str:
    """Keep new details for `volunteer` until the owner of the address confirms them; returns the
    link's secret. Any earlier change still waiting for this volunteer is retired. The caller commits."""
    purge_volunteer_changes(now)
    _retire_pending_changes(volunteer, now)
    secret = secrets.token_urlsafe(32)
    db.session.add(
        VolunteerChange(
            volunteer_id=volunteer.id,
            token_hash=_digest(secret),
            details=_details_as_data(details),
            created_at=now,
            expires_at=now + CHANGE_LIFETIME,
        )
    )
    return secret


def _retire_pending_changes(volunteer: Volunteer, now: datetime) -> None:
    db.session.execute(
        update(VolunteerChange)
        .where(VolunteerChange.volunteer_id == volunteer.id, VolunteerChange.used_at.is_(None))
        .values(used_at=now, details=None)
        .execution_options(synchronize_session=False)
    )


def _change_email(study: Study, volunteer: Volunteer, secret: str) -> OutboxMessage:
    """Ask the owner of the address to confirm: fixed wording and the link, nothing typed into the form."""
    return send_email(
        volunteer.email,
        f"Confirm the changes to your details: {study.title}",
        "fg_volunteer_change",
        add_to_session=False,
        study=study,
        link=external_url("focus_groups.confirm_volunteer_change", study_id=study.id, token=secret),
        days=CHANGE_LIFETIME.days,
    )


def purge_volunteer_changes(now: datetime | None = None) -> int:
    """Forget pending changes that are over: the details of used and expired ones go at once, and
    the record itself a month after it expired. Returns how many records were deleted. The caller commits."""
    now = now or utcnow()
    db.session.execute(
        update(VolunteerChange)
        .where(VolunteerChange.details.is_not(None))
        .where(or_(VolunteerChange.used_at.is_not(None), VolunteerChange.expires_at <= now))
        .values(details=None)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(
        delete(VolunteerChange)
        .where(VolunteerChange.expires_at <= now - CHANGE_RECORD_KEPT)
        .execution_options(synchronize_session=False)
    ).rowcount


def forget_pending_changes(volunteer: Volunteer) -> None:
    """On withdrawal: delete every change waiting for `volunteer`, and when their study's form last
    emailed them. The caller commits."""
    db.session.execute(
        delete(VolunteerChange)
        .where(VolunteerChange.volunteer_id == volunteer.id)
        .execution_options(synchronize_session=False)
    )
    if volunteer.email:
        db.session.execute(
            delete(VolunteerFormEmail)
            .where(
                VolunteerFormEmail.address_hash == email_fingerprint(volunteer.email),
                VolunteerFormEmail.study_id == volunteer.study_id,
            )
            .execution_options(synchronize_session=False)
        )


@dataclass
class PendingChange:
    """What a confirmation link names: its state ("ok", "used", "expired" or "unknown") and, when
    it can still be used, the volunteer and the details waiting for them."""

    state: str
    volunteer: Volunteer | None = None
    details: VolunteerDetails | None = None


def pending_change(study: Study, secret: str, now: datetime | None = None) -> PendingChange:
    """Look up a confirmation link's secret for this study."""
    now = now or utcnow()
    if not 20 <= len(secret) <= 100:
        return PendingChange("unknown")
    change = db.session.scalar(select(VolunteerChange).where(VolunteerChange.token_hash == _digest(secret)))
    if change is None or change.volunteer.study_id != study.id:
        return PendingChange("unknown")
    if change.used_at is not None or change.volunteer.erased_at is not None:
        return PendingChange("used")
    if aware(change.expires_at) <= now or change.details is None:
        return PendingChange("expired")
    return PendingChange("ok", change.volunteer, _details_from_data(change.details))


def confirm_change(study: Study, secret: str, user=None, now: datetime | None = None) -> PendingChange:
    """Apply the details a confirmation link names (and consent given now), once: a second use, or
    one racing the first, finds the link used. Commits."""
    now = now or utcnow()
    with write_transaction():
        found = pending_change(study, secret, now)
        purge_volunteer_changes(now)
        if found.state != "ok":
            return found
        used = db.session.execute(
            update(VolunteerChange)
            .where(
                VolunteerChange.token_hash == _digest(secret),
                VolunteerChange.used_at.is_(None),
                VolunteerChange.expires_at > now,
            )
            .values(used_at=now, details=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if used != 1:
            return PendingChange("used")
        volunteer, _ = save_volunteer(study, found.details, source=found.volunteer.source, user=user, now=now)
        _retire_pending_changes(volunteer, now)
        record("focus_groups.volunteer_changed", volunteer, study=study.id)
    return PendingChange("done", volunteer, found.details)


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
            slot_id = parse_id(key)
            if slot_id is not None:
                slot_ids.append(slot_id)
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
    Raises UploadRefused when the file as a whole cannot be read (app/uploads.py: too many rows or
    columns, an overlong cell, not CSV).
    """
    table = csv_table(text)
    errors: list[RowError] = []
    missing = [c for c in IMPORT_COLUMNS if c not in table.header]
    if missing:
        columns = ", ".join(IMPORT_COLUMNS)
        errors.append(RowError(1, f"The first line must name the columns {columns} (missing: {', '.join(missing)})"))
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
    forget_pending_changes(volunteer)
    db.session.delete(volunteer)
    db.session.commit()
