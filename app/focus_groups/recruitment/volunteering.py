"""The public volunteer form's rules: who may volunteer for which slots, the same outcome page whatever
the pool holds, at most one email an hour to an address, and changes to an existing volunteer's details
confirmed from their own inbox.

Plain functions: views parse the request and call them; tests and commands call them directly.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

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
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.recruitment.models import VolunteerChange, VolunteerFormEmail
from app.focus_groups.services import email_fingerprint, new_salt, volunteer_token
from app.organisations.models import Organisation

WITHDRAW_ENDPOINT = "focus_groups.withdraw"


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


def volunteer_form_link(study: Study, organisation: Organisation | None = None) -> str:
    """The absolute link to the study's volunteer form; with an organisation, the form starts filled in."""
    if organisation is None:
        return external_url("focus_groups.volunteer_form", study_id=study.id)
    return external_url("focus_groups.volunteer_form", study_id=study.id, organisation=organisation.id)
