"""Confirming a group and sending its invitations (one commit per email, so a mail outage half-way
leaves an accurate record of who was sent what), and the participants' answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import update

from app.audit.services import record, recorded_since
from app.auth.models import User
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Placement, Slot
from app.focus_groups.scheduling.emails import email_volunteer
from app.focus_groups.scheduling.placements import ATTENDING, is_upcoming_session, lock_slot, participants
from app.focus_groups.scheduling.reserves import fill_vacancy


def to_invite(slot: Slot) -> list[Placement]:
    """The participants who will be invited when the group is confirmed."""
    return [p for p in participants(slot, ("proposed",)) if p.volunteer.email and p.volunteer.erased_at is None]


def confirm_slot(slot: Slot, by=None, now: datetime | None = None) -> list[int]:
    """Make a candidate slot a confirmed session and give its participants pseudonyms P1..Pn.

    Returns the ids of the placements to invite (send them with `send_session_emails`). Reserves get
    their pseudonym only if they are promoted. One unit of work: it owns its transaction.
    """
    with write_transaction():
        now = now or utcnow()
        # Claimed with a conditional update, so two organisers confirming at once cannot both number the group.
        claimed = db.session.execute(
            update(Slot)
            .where(Slot.id == slot.id, Slot.status == "candidate")
            .values(status="confirmed", confirmed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise ValueError("Only a candidate slot can be confirmed")
        db.session.refresh(slot)
        invitees = to_invite(slot)
        for number, placement in enumerate(invitees, start=1):
            placement.pseudonym = f"P{number}"
        record("focus_groups.slot_confirmed", slot, actor=by, study=slot.study_id, participants=len(invitees))
        return [p.id for p in invitees]


def _claim_invitation(placement: Placement) -> bool:
    """Mark a proposed placement invited, unless someone else already has (then nothing is sent twice)."""
    claimed = db.session.execute(
        update(Placement)
        .where(Placement.id == placement.id, Placement.status == "proposed")
        .values(status="invited", invited_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(placement)
    return claimed == 1


def send_session_emails(
    slot_id: int,
    kind: str,
    placement_ids: Sequence[int],
    by_id: int | None = None,
    progress: Callable[[int, str], None] | None = None,
    since: datetime | None = None,
) -> dict:
    """Send `kind` ("invite", "update" or "cancel") to each placement in turn, one commit per email.

    Invitations go only to placements still proposed (so a second run sends nothing twice) and
    mark them invited. An update goes only to someone still invited or accepted when their turn
    comes (a decline while the job runs must not put the event back in their calendar). Returns
    who was sent one and who was skipped, by pseudonym. `since`: when the batch began (a background
    job's start); an update or cancellation sent to a placement since then is not sent again when the
    job runs twice (after a restart, or tried again).
    """
    sent: list[str] = []
    skipped: list[list[str]] = []
    by = db.session.get(User, by_id) if by_id else None
    for number, placement_id in enumerate(placement_ids, start=1):
        with write_transaction():
            slot = db.session.get(Slot, slot_id)
            if slot is not None:
                lock_slot(slot)  # an answer being given now lands before or after this email, not during
            placement = db.session.get(Placement, placement_id)
            label = (placement.pseudonym or f"placement {placement_id}") if placement else f"placement {placement_id}"
            if placement is None or placement.slot_id != slot_id or not placement.volunteer.email:
                skipped.append([label, "no longer in this session"])
            elif kind == "invite" and not _claim_invitation(placement):
                skipped.append([label, "already invited"])
            elif kind == "update" and (placement.role != "participant" or placement.status not in ATTENDING):
                skipped.append([label, f"{placement.status} since the change"])
            elif since is not None and _sent_since(placement, kind, since):
                sent.append(label)  # this batch sent it already
            else:
                email_volunteer(placement, kind)
                record(
                    f"focus_groups.session_{kind}_sent",
                    placement,
                    actor=by,
                    slot=slot_id,
                    pseudonym=placement.pseudonym,
                    sequence=placement.slot.sequence,
                )
                sent.append(label)
        if progress:
            progress(number, label)
    return {"sent": sent, "skipped": skipped}


def _sent_since(placement: Placement, kind: str, since: datetime) -> bool:
    """Whether the placement was sent `kind` at or after `since`, as the audit trail records."""
    return bool(recorded_since(f"focus_groups.session_{kind}_sent", "placement", placement.id, since))


# --- Answers, reserves and withdrawals --------------------------------------------------------


def respond(placement: Placement, answer: str, now: datetime | None = None) -> bool:
    """Record an invited participant's answer ("accept" or "decline"); False when nothing changed.

    Declining frees the place for the best reserve and sends the volunteer a confirmation whose
    calendar file takes the session out of their calendar. Answering again with the same answer
    (a double-submitted form, two tabs) changes nothing. The slot is locked first, so answers to
    one session are handled one at a time. One unit of work: it owns its transaction.
    """
    with write_transaction():
        now = now or utcnow()
        new_status = {"accept": "accepted", "decline": "declined"}[answer]
        lock_slot(placement.slot)
        if placement.status == new_status:
            return False
        if placement.status not in ATTENDING or placement.role != "participant":
            raise ValueError(f"A placement that is {placement.status} cannot be answered")
        if not is_upcoming_session(placement.slot, now):
            raise ValueError("The session is not upcoming")
        from_statuses = ("invited",) if new_status == "accepted" else ATTENDING
        changed = db.session.execute(
            update(Placement)
            .where(Placement.id == placement.id, Placement.role == "participant", Placement.status.in_(from_statuses))
            .values(status=new_status, responded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(placement)
        if changed != 1:  # answered a moment ago by another request
            return False
        record(
            f"focus_groups.invitation_{new_status}",
            placement,
            slot=placement.slot_id,
            pseudonym=placement.pseudonym,
        )
        if new_status == "declined":
            if placement.volunteer.email:
                email_volunteer(placement, "declined", now)
            fill_vacancy(placement.slot, placement, f"{placement.pseudonym} declined the invitation", now=now)
        return True
