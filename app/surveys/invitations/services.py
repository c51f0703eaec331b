"""Inviting member organisations to a survey, and reminding those that have not submitted.

One invitation per organisation per survey. Its link is derived from SECRET_KEY and a stored salt,
so a reminder repeats the same link without the link being stored; resending or revoking picks a
new salt, which retires the old link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app.audit.services import record
from app.clock import aware, utcnow
from app.database import write_transaction
from app.email.sender import external_url, send_email
from app.extensions import db
from app.organisations.invitations import InvitationOutcome, invite_each, recipient_for
from app.organisations.models import Organisation
from app.surveys.models import Invitation, Response, Survey
from app.surveys.services import is_open

REMINDER_GAP = timedelta(hours=48)
DEFAULT_LIFETIME = timedelta(days=90)


def invitation_token(invitation: Invitation) -> str:
    """The secret in the invitation's link."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"survey-invitation:{invitation.survey_id}:{invitation.organisation_id}:{invitation.salt}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:43]


def token_hash(token: str) -> str:
    """How a token is looked up without being stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(invitation: Invitation) -> str:
    """The absolute link to put in an email."""
    return external_url("surveys.invitation", token=invitation_token(invitation))


def accepting_invitations(survey: Survey) -> bool:
    """Published and not yet closed (it may open later: the link then says when)."""
    closes = aware(survey.closes_at)
    return survey.current_version is not None and not (closes and utcnow() >= closes)


def invitations_by_organisation(survey: Survey) -> dict[int, Invitation]:
    """The survey's invitations, by the id of the organisation each went to."""
    invitations = db.session.scalars(select(Invitation).where(Invitation.survey_id == survey.id))
    return {invitation.organisation_id: invitation for invitation in invitations}


def response_status_by_organisation(survey: Survey) -> dict[int, str]:
    """Each organisation that has started the survey, and its response's status ("in_progress" while part-way
    through, "submitted" once sent): what the invitation page shows, and what it asks about before resending."""
    rows = db.session.execute(
        select(Response.organisation_id, Response.status).where(Response.survey_id == survey.id)
    ).all()
    return dict(rows)


def organisations_part_way(survey: Survey, organisation_ids: Iterable[int]) -> list[Organisation]:
    """The organisations among these with answers saved but not submitted, by name: a new invitation retires
    the link they may be using (their answers are kept, and the new link opens them)."""
    chosen = list(organisation_ids)
    if not chosen:
        return []
    return db.session.scalars(
        select(Organisation)
        .join(Response, Response.organisation_id == Organisation.id)
        .where(Response.survey_id == survey.id, Response.status == "in_progress", Organisation.id.in_(chosen))
        .order_by(Organisation.name)
    ).all()


def never_invited(survey: Survey, organisations: Iterable[Organisation]) -> set[int]:
    """The ids of those organisations the survey has never invited and that have not started it: the ones
    the invitation page selects at first, so sending never retires a link someone holds without asking."""
    invited = invitations_by_organisation(survey)
    started = response_status_by_organisation(survey)
    return {org.id for org in organisations if org.id not in invited and org.id not in started}


def _expiry(survey: Survey) -> datetime:
    return aware(survey.closes_at) if survey.closes_at else utcnow() + DEFAULT_LIFETIME


def _refresh(invitation: Invitation, survey: Survey, email: str, by) -> None:
    invitation.email = email
    invitation.salt = secrets.token_hex(16)
    invitation.token_hash = token_hash(invitation_token(invitation))
    invitation.sent_at = utcnow()
    invitation.sent_by_id = getattr(by, "id", None)
    invitation.expires_at = _expiry(survey)
    invitation.revoked_at = None


def record_invitation(survey: Survey, organisation: Organisation, email: str) -> Invitation:
    """Record the organisation's invitation to the survey without sending it (demo data and benchmarks,
    whose invitations are taken as sent before); organisers use `invite_organisation`. The caller commits."""
    invitation = Invitation(survey_id=survey.id, organisation_id=organisation.id)
    _refresh(invitation, survey, email, None)
    db.session.add(invitation)
    return invitation


def invite_organisation(
    survey: Survey, organisation: Organisation, by=None, sent_since: datetime | None = None
) -> str | None:
    """Send (or resend, with a new link) one organisation's invitation. Returns why not, or None.

    `sent_since`: the moment a batch began (a background job's); an invitation sent since then is this
    batch's own, so a batch run again (after a restart, or tried again) does not send it twice.
    """
    if not accepting_invitations(survey):
        return "the survey is closed or not published"
    email = recipient_for(organisation)
    if not email:
        return "no contact email and no member accounts"
    submitted = db.session.scalar(
        select(Response.id).where(
            Response.survey_id == survey.id, Response.organisation_id == organisation.id, Response.status == "submitted"
        )
    )
    if submitted:
        return "already submitted"
    with write_transaction():  # also runs in a background job, outside any request
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.survey_id == survey.id, Invitation.organisation_id == organisation.id)
        )
        already = invitation is not None and invitation.revoked_at is None and sent_since is not None
        if already and aware(invitation.sent_at) >= aware(sent_since):
            return None  # this batch sent it already
        if invitation is None:
            invitation = Invitation(survey_id=survey.id, organisation_id=organisation.id)
            _refresh(invitation, survey, email, by)  # complete before it joins the session (autoflush)
            db.session.add(invitation)
        else:
            _refresh(invitation, survey, email, by)
        db.session.flush()
        send_email(
            email,
            f"Please answer: {survey.title}",
            "survey_invitation",
            survey=survey,
            organisation=organisation,
            link=invitation_link(invitation),
            closes_at=survey.closes_at,
        )
        record("surveys.invitation_sent", invitation, actor=by, organisation_id=organisation.id, survey=survey.slug)
    return None


def send_invitations(
    survey: Survey,
    organisation_ids: Iterable[int],
    by=None,
    progress: Callable[[int, str], None] | None = None,
    sent_since: datetime | None = None,
) -> InvitationOutcome:
    """Invite each organisation in turn, reporting progress; organisations that cannot be invited are listed.
    Those invited since `sent_since` (the batch's start) are counted as sent without a second email."""
    return invite_each(
        organisation_ids, lambda organisation: invite_organisation(survey, organisation, by, sent_since), progress
    )


def revoke_invitation(invitation: Invitation, by=None) -> None:
    """Stop an invitation's link working (a new invitation can be sent later)."""
    with write_transaction():
        invitation.revoked_at = utcnow()
        invitation.salt = secrets.token_hex(16)
        invitation.token_hash = token_hash(invitation_token(invitation))
        record("surveys.invitation_revoked", invitation, actor=by, organisation_id=invitation.organisation_id)


def due_for_reminder(survey: Survey, now: datetime | None = None) -> list[Invitation]:
    """Live invitations whose organisation has not submitted and was last contacted 48 hours ago or more."""
    now = now or utcnow()
    if not is_open(survey, now):
        return []
    cutoff = now - REMINDER_GAP
    submitted = select(Response.organisation_id).where(Response.survey_id == survey.id, Response.status == "submitted")
    return db.session.scalars(
        select(Invitation).where(
            Invitation.survey_id == survey.id,
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
            Invitation.organisation_id.not_in(submitted),
            Invitation.sent_at <= cutoff,
            or_(Invitation.last_reminded_at.is_(None), Invitation.last_reminded_at <= cutoff),
        )
    ).all()


def send_reminders(
    survey: Survey, now: datetime | None = None, by=None, progress: Callable[[int, str], None] | None = None
) -> list[str]:
    """Remind organisations that have not submitted; never twice within 48 hours, none once closed.

    Each reminder is claimed with a conditional update first, so two runs at once (cron and a
    person pressing the button) cannot both send one.
    """
    now = now or utcnow()
    if not is_open(survey, now):
        return []
    reminded: list[str] = []
    cutoff = now - REMINDER_GAP
    for number, invitation in enumerate(due_for_reminder(survey, now), start=1):
        with write_transaction():
            claimed = db.session.execute(
                update(Invitation)
                .where(
                    Invitation.id == invitation.id,
                    or_(Invitation.last_reminded_at.is_(None), Invitation.last_reminded_at <= cutoff),
                )
                .values(last_reminded_at=now, reminders_sent=Invitation.reminders_sent + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
        db.session.expire(invitation)
        if claimed == 1:
            with write_transaction():
                send_email(
                    invitation.email,
                    f"Reminder: please answer {survey.title}",
                    "survey_reminder",
                    survey=survey,
                    organisation=invitation.organisation,
                    link=invitation_link(invitation),
                    closes_at=survey.closes_at,
                )
                record("surveys.reminder_sent", invitation, actor=by, organisation_id=invitation.organisation_id)
            reminded.append(invitation.organisation.name)
        if progress:
            progress(number, invitation.organisation.name)
    return reminded
