"""Inviting member organisations to something (a survey, a focus-group study): where an organisation's
invitation goes, and inviting each of a list of organisations in turn with a record of who was not
invited and why. Each feature says what inviting one organisation means."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.auth.models import User, UserRole
from app.auth.roles import MEMBER
from app.extensions import db
from app.identifiers import parse_id
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS


def organisations_matching(regions: Iterable[str] = (), council_types: Iterable[str] = ()) -> list[Organisation]:
    """Member organisations in any of `regions` and any of `council_types` (all when a list is empty), by
    name: the choice on every page that invites organisations. Unknown regions and types are ignored."""
    query = select(Organisation).order_by(Organisation.name)
    regions = [r for r in regions if r in REGIONS]
    council_types = [t for t in council_types if t in COUNCIL_TYPES]
    if regions:
        query = query.where(Organisation.region.in_(regions))
    if council_types:
        query = query.where(Organisation.council_type.in_(council_types))
    return db.session.scalars(query).all()


def chosen_organisation_ids(values: Iterable[str]) -> list[int]:
    """The ids among submitted checkbox values that name an organisation, in order; anything else is ignored."""
    chosen = {number for value in values if (number := parse_id(value)) is not None}
    if not chosen:
        return []
    return sorted(db.session.scalars(select(Organisation.id).where(Organisation.id.in_(chosen))))


def recipient_for(organisation: Organisation) -> str | None:
    """Where an organisation's invitation goes: its contact email, else its first member's."""
    if organisation.contact_email:
        return organisation.contact_email
    return db.session.scalar(
        select(User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.organisation_id == organisation.id,
            UserRole.role == MEMBER,
            User.disabled.is_(False),
            User.erased_at.is_(None),
        )
        .order_by(User.id)
        .limit(1)
    )


@dataclass
class InvitationOutcome:
    """What sending invitations did: who got one, and who did not and why."""

    sent: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "skipped": [list(pair) for pair in self.skipped]}


def invite_each(
    organisation_ids: Iterable[int],
    invite: Callable[[Organisation], str | None],
    progress: Callable[[int, str], None] | None = None,
) -> InvitationOutcome:
    """Call `invite` for each organisation in name order (it returns why not, or None when sent),
    reporting progress; the outcome lists who was invited and who was not, with why."""
    outcome = InvitationOutcome()
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(list(organisation_ids))).order_by(Organisation.name)
    ).all()
    for number, organisation in enumerate(organisations, start=1):
        reason = invite(organisation)
        if reason:
            outcome.skipped.append((organisation.name, reason))
        else:
            outcome.sent.append(organisation.name)
        if progress:
            progress(number, organisation.name)
    return outcome
