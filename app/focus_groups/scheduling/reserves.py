"""Promoting a reserve when someone drops out: the choice (a plain function of plain data), the
promotion and the notice to organisers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from app.audit.services import record
from app.clock import utcnow
from app.extensions import db
from app.focus_groups.composition.optimiser import reserve_preference
from app.focus_groups.composition.planning import organisation_key
from app.focus_groups.models import Placement, Slot
from app.focus_groups.scheduling.emails import email_volunteer, notify_organisers
from app.focus_groups.scheduling.placements import (
    is_upcoming_session,
    lock_slot,
    next_pseudonym,
    organisations_elsewhere,
    participants,
    waiting_reserves,
)


@dataclass(frozen=True)
class GroupMember:
    """What the choice of a reserve needs to know about someone in (or waiting for) a group."""

    id: int
    region: str
    council_type: str
    supports_schools: bool
    organisation: str | None = None  # planning.organisation_key; None when unknown
    if_need_be: bool = False  # the slot suits them only "if need be"
    reserve_rank: int | None = None  # 1 = the composition's first choice


def choose_reserve(
    group: Sequence[GroupMember], reserves: Sequence[GroupMember], taken: Collection[str] = frozenset()
) -> int | None:
    """The id of the reserve who best keeps the group diverse, or None when nobody fits.

    A reserve from an organisation already in the group, or in `taken` (the organisations
    represented elsewhere in the study, when it allows one person per organisation), is never
    chosen. Among the others: the most regions and council types new to the group first; then the
    one whose answer to "supports schools" is rarer in the group; then someone for whom the time
    suits ("yes" before "if need be"); then the composition's reserve order.
    """
    organisations = {person.organisation for person in group if person.organisation} | set(taken)

    def preference(reserve: GroupMember) -> tuple:
        fit = reserve_preference(
            group, reserve.region, reserve.council_type, reserve.supports_schools, reserve.if_need_be
        )
        rank = reserve.reserve_rank if reserve.reserve_rank is not None else float("inf")
        return (*fit, rank, reserve.id)

    eligible = [r for r in reserves if not (r.organisation and r.organisation in organisations)]
    return min(eligible, key=preference).id if eligible else None


def person_for(placement: Placement) -> GroupMember:
    """The plain data `choose_reserve` needs, from a placement (organisations keyed as composition keys them)."""
    volunteer = placement.volunteer
    return GroupMember(
        id=placement.id,
        region=volunteer.region,
        council_type=volunteer.council_type,
        supports_schools=volunteer.supports_schools,
        organisation=organisation_key(volunteer),
        if_need_be=placement.if_need_be,
        reserve_rank=placement.reserve_rank,
    )


def promote(placement: Placement, by=None, now: datetime | None = None) -> bool:
    """Make a reserve a participant with the next pseudonym, and send them the invitation.

    Returns False (and sends nothing) when the placement is no longer a waiting reserve. Call it
    with the slot locked (`lock_slot`), as `fill_vacancy` does, so the pseudonym is not taken twice.
    """
    now = now or utcnow()
    slot = placement.slot
    claimed = db.session.execute(
        update(Placement)
        .where(Placement.id == placement.id, Placement.role == "reserve", Placement.status == "proposed")
        .values(role="participant", reserve_rank=None, pseudonym=next_pseudonym(slot), status="invited", invited_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(placement)
    if claimed != 1:
        return False
    email_volunteer(placement, "promote", now)
    record("focus_groups.reserve_promoted", placement, actor=by, slot=slot.id, pseudonym=placement.pseudonym)
    return True


def fill_vacancy(slot: Slot, vacated: Placement, reason: str, by=None, now: datetime | None = None) -> Placement | None:
    """After a participant drops out of an upcoming session, promote the best reserve and tell organisers.

    When the study allows one person per organisation, a reserve whose organisation already has a
    participant anywhere in the study is passed over. Returns the promoted placement, or None when
    no reserve fits (organisers are told the group is short).
    """
    lock_slot(slot)
    if not is_upcoming_session(slot, now):
        return None
    group = [p for p in participants(slot) if p.id != vacated.id]
    reserves = waiting_reserves(slot)
    taken = organisations_elsewhere(slot, vacated) if slot.study.one_per_organisation else set()
    chosen_id = choose_reserve([person_for(p) for p in group], [person_for(p) for p in reserves], taken)
    chosen = next((p for p in reserves if p.id == chosen_id), None)
    if chosen is not None and promote(chosen, by=by, now=now):
        lines = [reason + ".", f"A reserve has been invited in their place as {chosen.pseudonym}."]
        notify_organisers(slot, f"a reserve was invited to {slot.label}", lines)
        return chosen
    lines = [reason + ".", f"No reserve is available, so the group is one short ({len(group)} participants)."]
    notify_organisers(slot, f"{slot.label} is one participant short", lines)
    return None
