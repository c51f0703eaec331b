"""Recruitment invitations: emailing member organisations a link to a study's volunteer form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import record, recorded_since
from app.database import write_transaction
from app.email.sender import send_email
from app.extensions import db
from app.focus_groups.models import Study, Volunteer
from app.focus_groups.recruitment.volunteering import open_slots, volunteer_form_link
from app.focus_groups.services import how_sessions_run
from app.organisations.invitations import InvitationOutcome, invite_each, recipient_for
from app.organisations.models import Organisation

# --- Recruitment invitations to member organisations -------------------------------------------


def organisations_already_asked(study: Study) -> dict[int, str]:
    """Organisations the study has already reached, and how: sent the volunteer form (as its audit trail
    records) or with someone in its pool. The invitation page leaves them unselected at first, so a
    second send is always a choice."""
    asked: dict[int, str] = {}
    sent = db.session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == "focus_groups.recruitment_invitation_sent",
            AuditEvent.object_type == "study",
            AuditEvent.object_id == str(study.id),
        )
    )
    for detail in sent:
        if isinstance(detail, dict) and isinstance(detail.get("organisation_id"), int):
            asked[detail["organisation_id"]] = "sent the volunteer form"
    volunteered = select(Volunteer.organisation_id).where(
        Volunteer.study_id == study.id, Volunteer.organisation_id.is_not(None)
    )
    for organisation_id in db.session.scalars(volunteered):
        asked[organisation_id] = "has volunteers"
    return asked


def sent_since(study: Study, organisation: Organisation, since: datetime) -> bool:
    """Whether the study's volunteer form went to the organisation at or after `since` (its audit trail says so)."""
    details = recorded_since("focus_groups.recruitment_invitation_sent", "study", study.id, since)
    return any(detail.get("organisation_id") == organisation.id for detail in details)


def invite_organisation_to_volunteer(
    study: Study, organisation: Organisation, by=None, since: datetime | None = None
) -> str | None:
    """Email one organisation's contact a link to the volunteer form. Returns why not, or None.
    `since`: the start of the batch this is part of; one already sent since then is not sent again."""
    if not study.recruiting:
        return "the study is not taking volunteers"
    email = recipient_for(organisation)
    if not email:
        return "no contact email and no member accounts"
    slots = open_slots(study)
    with write_transaction():  # runs in a background job, outside any request
        if since and sent_since(study, organisation, since):
            return None  # this batch sent it already (the job ran again after a restart, or was tried again)
        send_email(
            email,
            f"Take part in a focus group: {study.title}",
            "fg_recruitment",
            study=study,
            organisation=organisation,
            link=volunteer_form_link(study, organisation),
            slots=slots,
            sessions=how_sessions_run(slots),
        )
        record("focus_groups.recruitment_invitation_sent", study, actor=by, organisation_id=organisation.id)
    return None


def send_recruitment_invitations(
    study: Study,
    organisation_ids: Iterable[int],
    by=None,
    progress: Callable[[int, str], None] | None = None,
    since: datetime | None = None,
) -> InvitationOutcome:
    """Invite each organisation in turn to volunteer, reporting progress; those not invited are listed with why.
    Those sent the form since `since` (the batch's start) are counted as sent without a second email."""

    def invite(organisation: Organisation) -> str | None:
        return invite_organisation_to_volunteer(study, organisation, by, since)

    return invite_each(organisation_ids, invite, progress)


def recruitment_invitations_job(progress, study_id: int, organisation_ids: list[int], user_id: int) -> dict:
    """`send_recruitment_invitations` as a background job: the outcome as the job's result."""
    from app.auth.models import User

    study = db.session.get(Study, study_id)
    by = db.session.get(User, user_id)
    since = getattr(progress, "batch_started", None)  # run twice, the job skips whom it already asked
    return send_recruitment_invitations(study, organisation_ids, by=by, progress=progress, since=since).as_dict()
