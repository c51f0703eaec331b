"""A volunteer's withdrawal from a study, by their own link, by the retention schedule or with the
erasure of their account: their personal details are erased, their pseudonym kept, their place filled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from app.audit.services import record, without_addresses
from app.auth.erasure import Erasure, erasure_step, forget
from app.clock import utcnow
from app.database import write_transaction
from app.email.sender import send_email_after_commit
from app.extensions import db
from app.focus_groups.models import Volunteer
from app.focus_groups.recruitment.volunteering import forget_pending_changes
from app.focus_groups.scheduling.emails import own_cancellation
from app.focus_groups.scheduling.placements import ACTIVE, ATTENDING, has_started, is_upcoming_session, lock_slot
from app.focus_groups.scheduling.reserves import fill_vacancy
from app.focus_groups.services import email_fingerprint, new_salt


def withdraw_volunteer(volunteer: Volunteer, now: datetime | None = None, *, retention: bool = False) -> bool:
    """A volunteer leaves the study (see `_withdraw`). Nothing recorded on the way (the promotion of
    a reserve included) keeps the address the request came from: it is the leaver's. `retention`:
    their record's time is up (`flask retention apply`), so no "you have left" email goes to them."""
    with without_addresses():
        return _withdraw(volunteer, now, notify=not retention, reason="retention" if retention else None)


def leave_study(volunteer: Volunteer) -> bool:
    """A volunteer leaves the study by their own link (`withdraw_volunteer`), in one transaction of its own;
    their confirmation email goes once it commits."""
    with write_transaction():
        return withdraw_volunteer(volunteer)


def _withdraw(
    volunteer: Volunteer,
    now: datetime | None = None,
    label: str | None = None,
    *,
    notify: bool = True,
    reason: str | None = None,
) -> bool:
    """A volunteer leaves the study: erase their personal details, end their placement, and fill
    their place if they were due at an upcoming session. False when they had already left.

    Kept: region, council type and "supports schools" (composition and analysis need them, and they
    identify nobody on their own), consent as given, and the pseudonym, so session notes stay
    attributed to "P3" and to nobody else. Dropped: name, email, job role, access needs and
    organisation (with the link to a member organisation, which could single someone out), and,
    everywhere else, as for an erased account (app/auth/erasure.py), under the label "Withdrawn
    volunteer <id>": the bodies of emails sent to them and mentions of them in other emails, the IP
    address in the audit trail of their own actions, and their name and address in the study's
    session notes, their histories and debriefs (their pseudonym in their own session, "[name]"
    elsewhere). A keyed hash of the address stays, so an import cannot quietly add them back. A new
    salt retires every link sent to them. A confirmation email goes to the address being erased,
    with a calendar cancellation when they were due at an upcoming session, once the caller's
    transaction commits (none if it rolls back; nothing is held locked while the SMTP server answers);
    the outbox records it under their label. The caller commits; on SQLite the log is emptied of old
    copies after the commit. `label`: the person's anonymous label
    when they are leaving as part of a wider erasure (their account's), so they have one name everywhere.
    `notify` False sends no confirmation (the retention schedule's erasure, which they did not ask for);
    `reason` goes into the audit event.
    """
    now = now or utcnow()
    placement = volunteer.placement
    if placement is not None:
        lock_slot(placement.slot)
    db.session.execute(select(Volunteer).where(Volunteer.id == volunteer.id).with_for_update()).scalar_one()
    db.session.refresh(volunteer)
    if volunteer.erased_at is not None:  # a double-submitted form: the first one did it all
        return False
    placement = volunteer.placement
    slot = placement.slot if placement is not None else None
    was_attending = placement is not None and placement.role == "participant" and placement.status in ATTENDING
    address = volunteer.email
    name = volunteer.name
    if address and notify:  # the calendar cancellation needs the placement as it was
        attachments = [own_cancellation(placement, now)] if was_attending and is_upcoming_session(slot, now) else []
    if address:
        volunteer.withdrawn_email_hash = email_fingerprint(address)
    forget_pending_changes(volunteer)  # before the address goes: what the form keeps is keyed on it
    volunteer.name = None
    volunteer.email = None
    volunteer.job_role = None
    volunteer.access_needs = None
    volunteer.organisation_name = None
    volunteer.organisation_id = None
    volunteer.user_id = None
    volunteer.salt = new_salt()
    volunteer.withdrawn_at = now
    volunteer.erased_at = now
    detail: dict = {"study": volunteer.study_id}
    if placement is not None:
        was_expected = placement.role == "participant" and placement.status in ACTIVE
        detail.update(slot=slot.id, pseudonym=placement.pseudonym, previous_status=placement.status)
        placement.status = "withdrawn"
        if was_attending and placement.attendance is None and slot.status == "confirmed" and has_started(slot, now):
            placement.attendance = "withdrew"
        db.session.flush()
        if was_expected and is_upcoming_session(slot, now):
            who = placement.pseudonym or "A participant"
            fill_vacancy(slot, placement, f"{who} withdrew from the study", now=now)
    # Their earlier answers were recorded with the address they answered from: that goes too.
    objects = [("volunteer", str(volunteer.id))]
    if placement is not None:
        objects.append(("placement", str(placement.id)))
    label = label or volunteer.display_name
    if address and notify:
        send_email_after_commit(
            address,
            "You have left the Socitm focus groups",
            "fg_withdrawal_confirmation",
            attachments=attachments,
            recorded_as=label,
            study=volunteer.study,
            cancels_event=bool(attachments),
        )
    forget(
        Erasure(
            label=label,
            names=(name,) if name else (),
            emails=(address.lower(),) if address else (),
            volunteer_id=volunteer.id,
            study_id=volunteer.study_id,
            objects=tuple(objects),
        )
    )
    if reason:
        detail["reason"] = reason
    record("focus_groups.volunteer_withdrawn", volunteer, **detail)
    return True


@erasure_step
def withdraw_erased_account_holder(erasure: Erasure) -> None:
    """An erased account holder who volunteered (their account or their address) withdraws from every
    study, as if they had used their own link (`_withdraw`). The caller commits."""
    if erasure.user_id is None:
        return
    linked = Volunteer.user_id == erasure.user_id
    if erasure.emails:
        linked = or_(linked, func.lower(Volunteer.email).in_(erasure.emails))
    for volunteer in db.session.scalars(select(Volunteer).where(linked, Volunteer.erased_at.is_(None))).all():
        _withdraw(volunteer, label=erasure.label)
