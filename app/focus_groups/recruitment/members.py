"""Members who asked to hear about focus groups: who they are for a study, and inviting them in one action.

The survey's last page asks each member whether they would like to hear about taking part in a focus
group; the survey hands the members who said yes over through the hook `FOCUS_GROUP_INTEREST` (this
feature does not read the survey's tables). For a study, an organiser sees those members with their
organisation's name, region and council type and when they answered, less anyone who has already
volunteered for the study, who withdrew from a focus group (their address is known only by its keyed
hash) or whose account was erased or turned off. Inviting them sends the recruitment invitation (the
volunteer form's link, with their organisation filled in) to each one's own address, once per study.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth.models import User
from app.clock import aware, utcnow
from app.database import write_transaction
from app.email.sender import send_email_after_commit
from app.extensions import db
from app.focus_groups.models import Study, Volunteer
from app.focus_groups.recruitment.models import MemberInvitation
from app.focus_groups.recruitment.volunteering import open_slots, volunteer_form_link
from app.focus_groups.services import email_fingerprint
from app.hooks import FOCUS_GROUP_INTEREST, Interest, collect
from app.organisations.models import Organisation


@dataclass(frozen=True)
class InterestedMember:
    """One member who said yes: who, for which organisation, when they answered, and when this study
    invited them (None while not yet invited)."""

    user: User
    organisation: Organisation
    answered_at: datetime
    invited_at: datetime | None = None


@dataclass
class InterestedMembers:
    """A study's view of the members who said yes: those still to invite, and those already invited."""

    to_invite: list[InterestedMember] = field(default_factory=list)
    invited: list[InterestedMember] = field(default_factory=list)


@dataclass
class MemberInvitationOutcome:
    """What inviting chosen members did: who was emailed, and how many were left out because they had
    been invited meanwhile (a second click) or can no longer be invited."""

    sent: list[str] = field(default_factory=list)
    already_invited: int = 0
    not_invitable: int = 0


def _interest() -> list[Interest]:
    """Every provider's members who said yes, the latest answer per member."""
    latest: dict[int, Interest] = {}
    for handed_over in collect(FOCUS_GROUP_INTEREST):
        for interest in handed_over:
            known = latest.get(interest.user_id)
            if known is None or aware(known.answered_at) < aware(interest.answered_at):
                latest[interest.user_id] = interest
    return list(latest.values())


def _withdrawn_hashes() -> set[str]:
    """The keyed hashes of the addresses of everyone who withdrew from a focus group, in any study."""
    return set(
        db.session.scalars(select(Volunteer.withdrawn_email_hash).where(Volunteer.withdrawn_email_hash.isnot(None)))
    )


def _volunteered(study: Study, users: list[User]) -> set[int]:
    """Which of these people are already in the study's pool (by account or by address)."""
    if not users:
        return set()
    addresses = {user.email.lower(): user.id for user in users if user.email}
    rows = db.session.execute(
        select(Volunteer.user_id, func.lower(Volunteer.email)).where(
            Volunteer.study_id == study.id,
            Volunteer.erased_at.is_(None),
            or_(Volunteer.user_id.in_([u.id for u in users]), func.lower(Volunteer.email).in_(list(addresses))),
        )
    )
    found: set[int] = set()
    for user_id, email in rows:
        if user_id is not None:
            found.add(user_id)
        if email in addresses:
            found.add(addresses[email])
    return found


def interested_members(study: Study) -> InterestedMembers:
    """The members who said yes, for this study: to invite (never invited to it) and already invited,
    each newest answer first; without anyone who volunteered for it, withdrew, or was erased or turned off."""
    interest = {i.user_id: i for i in _interest()}
    users = db.session.scalars(
        select(User).where(User.id.in_(list(interest)), User.erased_at.is_(None), User.disabled.is_(False))
    ).all()
    withdrawn = _withdrawn_hashes()
    users = [u for u in users if u.email and email_fingerprint(u.email) not in withdrawn]
    volunteered = _volunteered(study, users)
    organisations = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({interest[u.id].organisation_id for u in users}))
        )
    }
    invited = dict(
        db.session.execute(
            select(MemberInvitation.user_id, MemberInvitation.sent_at).where(MemberInvitation.study_id == study.id)
        ).all()
    )
    found = InterestedMembers()
    for user in users:
        organisation = organisations.get(interest[user.id].organisation_id)
        if user.id in volunteered or organisation is None:
            continue
        member = InterestedMember(user, organisation, interest[user.id].answered_at, invited.get(user.id))
        (found.invited if member.invited_at else found.to_invite).append(member)
    found.to_invite.sort(key=lambda m: (-aware(m.answered_at).timestamp(), m.user.name.lower()))
    found.invited.sort(key=lambda m: (-aware(m.invited_at).timestamp(), m.user.name.lower()))
    return found


def chosen_members(study: Study, user_ids: Iterable[str]) -> list[InterestedMember]:
    """The members still to invite whose ids were chosen (ids that are not such a member are left out)."""
    wanted = {value.strip() for value in user_ids}
    return [m for m in interested_members(study).to_invite if str(m.user.id) in wanted]


def invite_members(study: Study, user_ids: Iterable[int], by=None) -> MemberInvitationOutcome:
    """Email each chosen member the study's volunteer form, once: each invitation is recorded (and
    audit-logged) in its own transaction with its email, which goes only if that commits, so a second
    click, or two organisers at once, sends nothing more."""
    outcome = MemberInvitationOutcome()
    wanted = set(user_ids)
    if not study.recruiting:
        outcome.not_invitable = len(wanted)
        return outcome
    members = {m.user.id: m for m in interested_members(study).to_invite}
    slots = open_slots(study)
    for user_id in sorted(wanted, key=lambda i: members[i].user.name.lower() if i in members else ""):
        member = members.get(user_id)
        if member is None:
            invited = db.session.scalar(
                select(MemberInvitation.id).where(
                    MemberInvitation.study_id == study.id, MemberInvitation.user_id == user_id
                )
            )
            if invited:
                outcome.already_invited += 1
            else:
                outcome.not_invitable += 1
            continue
        try:
            _invite(study, member, slots, by)
        except IntegrityError:  # invited by someone else between the list being read and now
            outcome.already_invited += 1
            continue
        outcome.sent.append(member.user.name)
    return outcome


def _invite(study: Study, member: InterestedMember, slots, by) -> None:
    with write_transaction():
        db.session.add(
            MemberInvitation(
                study_id=study.id, user_id=member.user.id, sent_at=utcnow(), sent_by_id=by.id if by else None
            )
        )
        db.session.flush()  # the unique constraint answers before the email is queued
        send_email_after_commit(
            member.user.email,
            f"Take part in a focus group: {study.title}",
            "fg_recruitment",
            study=study,
            organisation=member.organisation,
            member=member.user,
            link=volunteer_form_link(study, member.organisation),
            slots=slots,
        )
        record(
            "focus_groups.member_invited",
            study,
            actor=by,
            user_id=member.user.id,
            organisation_id=member.organisation.id,
        )
