"""Scheduling focus-group sessions: confirming a group, invitations with calendar files, answers,
reserves promoted when someone drops out, changes and cancellations, reminders, attendance, and a
volunteer's withdrawal (which erases their personal details but keeps their pseudonym).

The views and the `send-reminders` command call these functions; each leaves committing to its
caller unless it says otherwise (the ones that send many emails commit one email at a time, so a
mail outage half-way leaves an accurate record of who was sent what).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.audit.services import record, without_addresses
from app.auth.erasure import Erasure, erasure_step, forget
from app.auth.models import User, UserRole
from app.auth.roles import ADMIN, FACILITATOR, ORGANISER
from app.clock import aware, london, utcnow
from app.database import write_transaction
from app.email.models import OutboxMessage
from app.email.sender import external_url, send_email, send_email_after_commit
from app.extensions import db
from app.focus_groups import ical
from app.focus_groups.composition.optimiser import reserve_preference
from app.focus_groups.composition.planning import organisation_key
from app.focus_groups.models import Placement, Slot, Volunteer
from app.focus_groups.recruitment.volunteering import forget_pending_changes
from app.focus_groups.services import email_fingerprint, new_salt, slot_ends_at, volunteer_token

ACTIVE = ("proposed", "invited", "accepted")  # a participant still expected to come
ATTENDING = ("invited", "accepted")  # invited: told of every change and reminded
WEEK = timedelta(days=7)
DAY = timedelta(hours=24)


# --- Choosing the reserve to promote: a plain function of plain data ---------------------------


@dataclass(frozen=True)
class Person:
    """What the choice of a reserve needs to know about someone in (or waiting for) a group."""

    id: int
    region: str
    council_type: str
    supports_schools: bool
    organisation: str | None = None  # planning.organisation_key; None when unknown
    if_need_be: bool = False  # the slot suits them only "if need be"
    reserve_rank: int | None = None  # 1 = the composition's first choice


def choose_reserve(
    group: Sequence[Person], reserves: Sequence[Person], taken: Collection[str] = frozenset()
) -> int | None:
    """The id of the reserve who best keeps the group diverse, or None when nobody fits.

    A reserve from an organisation already in the group, or in `taken` (the organisations
    represented elsewhere in the study, when it allows one person per organisation), is never
    chosen. Among the others: the most regions and council types new to the group first; then the
    one whose answer to "supports schools" is rarer in the group; then someone for whom the time
    suits ("yes" before "if need be"); then the composition's reserve order.
    """
    organisations = {person.organisation for person in group if person.organisation} | set(taken)

    def preference(reserve: Person) -> tuple:
        fit = reserve_preference(
            group, reserve.region, reserve.council_type, reserve.supports_schools, reserve.if_need_be
        )
        rank = reserve.reserve_rank if reserve.reserve_rank is not None else float("inf")
        return (*fit, rank, reserve.id)

    eligible = [r for r in reserves if not (r.organisation and r.organisation in organisations)]
    return min(eligible, key=preference).id if eligible else None


def person_for(placement: Placement) -> Person:
    """The plain data `choose_reserve` needs, from a placement (organisations keyed as composition keys them)."""
    volunteer = placement.volunteer
    return Person(
        id=placement.id,
        region=volunteer.region,
        council_type=volunteer.council_type,
        supports_schools=volunteer.supports_schools,
        organisation=organisation_key(volunteer),
        if_need_be=placement.if_need_be,
        reserve_rank=placement.reserve_rank,
    )


# --- Who is where -----------------------------------------------------------------------------


def participants(slot: Slot, statuses: Iterable[str] = ACTIVE) -> list[Placement]:
    """The slot's participants with one of `statuses`, in placement order."""
    wanted = set(statuses)
    return [p for p in slot.placements if p.role == "participant" and p.status in wanted]


def waiting_reserves(slot: Slot) -> list[Placement]:
    """Reserves for the slot who could still be promoted."""
    return [
        p
        for p in slot.placements
        if p.role == "reserve" and p.status == "proposed" and p.volunteer.erased_at is None and p.volunteer.email
    ]


def organisations_elsewhere(slot: Slot, leaving: Placement | None = None) -> set[str]:
    """Organisations with a participant still expected in another slot of the study (for "one per
    organisation"): nobody from them may be promoted into this slot."""
    rows = db.session.scalars(
        select(Placement).where(
            Placement.study_id == slot.study_id,
            Placement.slot_id != slot.id,
            Placement.role == "participant",
            Placement.status.in_(ACTIVE),
        )
    )
    return {organisation_key(p.volunteer) for p in rows if leaving is None or p.id != leaving.id}


def lock_slot(slot: Slot) -> Slot:
    """Take the slot's row lock for the rest of the transaction, then forget what was read before it.

    Answers, withdrawals, promotions and changes to one session take this lock first, so on
    PostgreSQL they run one after another and each sees what the one before it committed (SQLite
    ignores FOR UPDATE; its writing requests already hold the database lock from their first
    statement: see app/database.py). Pending changes are flushed first, so none are lost.
    """
    db.session.flush()
    db.session.execute(select(Slot).where(Slot.id == slot.id).with_for_update()).scalar_one()
    db.session.expire_all()
    return slot


def has_started(slot: Slot, now: datetime | None = None) -> bool:
    """Whether the session's start time has passed."""
    return aware(slot.starts_at) <= (now or utcnow())


def is_upcoming_session(slot: Slot, now: datetime | None = None) -> bool:
    """A confirmed session that has not started yet."""
    return slot.status == "confirmed" and not has_started(slot, now)


def next_pseudonym(slot: Slot) -> str:
    """The next unused pseudonym in the session (numbers are never reused, even after someone leaves)."""
    numbers = [int(p.pseudonym[1:]) for p in slot.placements if p.pseudonym and p.pseudonym[1:].isdigit()]
    return f"P{max(numbers, default=0) + 1}"


def organisers() -> list[User]:
    """Everyone who holds the organiser role and can still use the service (they get notices)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == ORGANISER, User.disabled.is_(False), User.erased_at.is_(None))
            .order_by(User.id)
        )
    )


def facilitators() -> list[User]:
    """People who can be given a session to facilitate or take notes in."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == FACILITATOR, User.disabled.is_(False), User.erased_at.is_(None))
            .order_by(User.name)
        )
    )


def can_see_session(user, slot: Slot) -> bool:
    """Organisers and admins see every session; a facilitator only the confirmed (or since cancelled)
    sessions they facilitate or take notes in, never a candidate slot."""
    if user.has_role(ADMIN, ORGANISER):
        return True
    return (
        user.has_role(FACILITATOR)
        and slot.status != "candidate"
        and user.id in (slot.facilitator_id, slot.note_taker_id)
    )


def sessions_for(user, now: datetime | None = None) -> tuple[list[Slot], list[Slot]]:
    """The confirmed or cancelled sessions a person works on (all of them for organisers and admins):
    upcoming, then past. Candidate slots are not sessions yet, so nobody sees them here."""
    now = now or utcnow()
    query = select(Slot).where(Slot.status != "candidate")
    if not user.has_role(ADMIN, ORGANISER):
        query = query.where((Slot.facilitator_id == user.id) | (Slot.note_taker_id == user.id))
    slots = list(db.session.scalars(query.order_by(Slot.starts_at)))
    upcoming = [s for s in slots if slot_ends_at(s) > now]
    past = sorted((s for s in slots if slot_ends_at(s) <= now), key=lambda s: aware(s.starts_at), reverse=True)
    return upcoming, past


# --- Emails to volunteers ---------------------------------------------------------------------


def respond_link(volunteer: Volunteer) -> str:
    """The volunteer's link to accept or decline, which needs no account."""
    return external_url("focus_groups.respond", token=volunteer_token(volunteer, "respond"))


def withdraw_link(volunteer: Volunteer) -> str:
    """The volunteer's link to leave the study and have their details erased."""
    return external_url("focus_groups.withdraw", token=volunteer_token(volunteer, "withdraw"))


def session_event(placement: Placement, now: datetime | None = None, sequence: int | None = None) -> ical.SessionEvent:
    """The calendar entry for this placement's session, as it stands now (`sequence`: the slot's, unless given)."""
    slot, volunteer = placement.slot, placement.volunteer
    config = current_app.config
    where = "Online: " + slot.location if slot.online else slot.location
    description = (
        f'A focus group for Socitm\'s study "{slot.study.title}", about {slot.duration_minutes} minutes.\n'
        f"{where}\n\n"
        f"Accept or decline: {respond_link(volunteer)}\n"
        f"Leave the study and have your details erased: {withdraw_link(volunteer)}"
    )
    return ical.SessionEvent(
        uid=ical.session_uid(slot.id, volunteer.id, config["APP_BASE_URL"]),
        sequence=slot.sequence if sequence is None else sequence,
        starts_at=aware(slot.starts_at),
        ends_at=slot_ends_at(slot),
        summary=f"Socitm focus group: {slot.study.title}",
        description=description,
        location=slot.location,
        organizer=config["MAIL_DEFAULT_SENDER"],
        attendee_email=volunteer.email or "",
        stamp=now or utcnow(),
    )


def _session_context(placement: Placement) -> dict:
    """What the session emails' templates may say: only what organisers set, and the volunteer's links.

    Nothing the volunteer typed (name, job role, organisation, access needs) reaches the templates,
    as neither the volunteer nor the placement is passed: volunteers join without confirming their
    address, so a "name" could be a phishing message that organisers would send on in Socitm's name.
    """
    slot, volunteer = placement.slot, placement.volunteer
    return {
        "study": slot.study,
        "slot": slot,
        "placement_status": placement.status,
        "starts_at": london(slot.starts_at),
        "ends_at": london(slot_ends_at(slot)),
        "respond_link": respond_link(volunteer),
        "withdraw_link": withdraw_link(volunteer),
    }


EMAILS = {
    # kind: (template, subject, which calendar file)
    "invite": ("fg_invitation", "Invitation: Socitm focus group on {when}", "request"),
    "promote": ("fg_promotion", "A place has come up: Socitm focus group on {when}", "request"),
    "update": ("fg_update", "Changed: Socitm focus group on {when}", "request"),
    "cancel": ("fg_cancellation", "Cancelled: Socitm focus group on {when}", "cancel"),
    # The volunteer's own answer: their event leaves their calendar (see `own_cancellation`).
    "declined": ("fg_cancellation", "You have declined: Socitm focus group on {when}", "own_cancel"),
    "reminder_week": ("fg_reminder", "Reminder: Socitm focus group next week, {when}", None),
    "reminder_day": ("fg_reminder", "Reminder: Socitm focus group tomorrow, {when}", None),
}


def own_cancellation(placement: Placement, now: datetime | None = None) -> tuple[str, str, bytes]:
    """A METHOD:CANCEL attachment that takes one volunteer's event for the session out of their calendar.

    Each volunteer has their own event (the UID names slot and volunteer), so raising the SEQUENCE of
    this one event to the slot's plus one supersedes every version they were sent, and touches
    nobody else's. Nothing is sent to that event afterwards: declined and withdrawn places get no
    updates, cancellations or reminders.
    """
    data = ical.cancellation_calendar(session_event(placement, now, sequence=placement.slot.sequence + 1))
    return ("cancellation.ics", ical.CANCEL_CONTENT_TYPE, data)


def email_volunteer(placement: Placement, kind: str, now: datetime | None = None) -> OutboxMessage:
    """Send one of the session emails (EMAILS) to the placement's volunteer, with its calendar file;
    returns the outbox record (its status says whether it went)."""
    template, subject, calendar = EMAILS[kind]
    volunteer = placement.volunteer
    when = london(placement.slot.starts_at).strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")
    attachments = []
    if calendar == "request":
        data = ical.invitation_calendar(session_event(placement, now))
        attachments.append(("invitation.ics", ical.REQUEST_CONTENT_TYPE, data))
    elif calendar == "cancel":
        data = ical.cancellation_calendar(session_event(placement, now))
        attachments.append(("cancellation.ics", ical.CANCEL_CONTENT_TYPE, data))
    elif calendar == "own_cancel":
        attachments.append(own_cancellation(placement, now))
    return send_email(
        volunteer.email,
        subject.format(when=when),
        template,
        attachments=attachments,
        kind=kind,
        **_session_context(placement),
    )


def notify_organisers(slot: Slot, headline: str, lines: Sequence[str]) -> int:
    """Tell every organiser what happened to a session (pseudonyms only: no volunteer's details)."""
    link = external_url("focus_groups.slot_detail", study_id=slot.study_id, slot_id=slot.id)
    people = organisers()
    for person in people:
        send_email(
            person.email,
            f"Focus group: {headline}",
            "fg_organiser_notice",
            person=person,
            slot=slot,
            study=slot.study,
            starts_at=london(slot.starts_at),
            headline=headline,
            lines=list(lines),
            link=link,
        )
    return len(people)


# --- Confirming a group and sending its invitations -------------------------------------------


def to_invite(slot: Slot) -> list[Placement]:
    """The participants who will be invited when the group is confirmed."""
    return [p for p in participants(slot, ("proposed",)) if p.volunteer.email and p.volunteer.erased_at is None]


def confirm_slot(slot: Slot, by=None, now: datetime | None = None) -> list[int]:
    """Make a candidate slot a confirmed session and give its participants pseudonyms P1..Pn.

    Returns the ids of the placements to invite (send them with `send_session_emails`). Reserves get
    their pseudonym only if they are promoted. The caller commits.
    """
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
) -> dict:
    """Send `kind` ("invite", "update" or "cancel") to each placement in turn, one commit per email.

    Invitations go only to placements still proposed (so a second run sends nothing twice) and
    mark them invited. An update goes only to someone still invited or accepted when their turn
    comes (a decline while the job runs must not put the event back in their calendar). Returns
    who was sent one and who was skipped, by pseudonym.
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


# --- Answers, reserves and withdrawals --------------------------------------------------------


def respond(placement: Placement, answer: str, now: datetime | None = None) -> bool:
    """Record an invited participant's answer ("accept" or "decline"); False when nothing changed.

    Declining frees the place for the best reserve and sends the volunteer a confirmation whose
    calendar file takes the session out of their calendar. Answering again with the same answer
    (a double-submitted form, two tabs) changes nothing. The slot is locked first, so answers to
    one session are handled one at a time. The caller commits.
    """
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


def withdraw_volunteer(volunteer: Volunteer, now: datetime | None = None, *, retention: bool = False) -> bool:
    """A volunteer leaves the study (see `_withdraw`). Nothing recorded on the way (the promotion of
    a reserve included) keeps the address the request came from: it is the leaver's. `retention`:
    their record's time is up (`flask retention apply`), so no "you have left" email goes to them."""
    with without_addresses():
        return _withdraw(volunteer, now, notify=not retention, reason="retention" if retention else None)


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


# --- Changes to a confirmed session -----------------------------------------------------------


def reschedule_slot(
    slot: Slot,
    *,
    starts_at: datetime,
    duration_minutes: int,
    location: str,
    online: bool,
    by=None,
) -> list[int]:
    """Change a confirmed session's time or place; returns the placements to send the update to.

    The calendar SEQUENCE goes up so calendars replace the old entry; a new time resets the
    reminders. Nothing changes (and nothing is sent) when the details are the same. The caller commits.
    """
    lock_slot(slot)
    if slot.status != "confirmed":
        raise ValueError("Only a confirmed session can be changed")
    new_start = starts_at.astimezone(UTC)
    changes = {}
    if new_start != aware(slot.starts_at):
        changes["starts_at"] = new_start.isoformat()
    if duration_minutes != slot.duration_minutes:
        changes["duration_minutes"] = duration_minutes
    if location != slot.location or online != slot.online:
        changes["location"] = location
    if not changes:
        return []
    if "starts_at" in changes:
        slot.starts_at = new_start
        for placement in slot.placements:
            placement.reminded_week_at = None
            placement.reminded_day_at = None
    slot.duration_minutes = duration_minutes
    slot.location = location
    slot.online = online
    slot.sequence += 1
    record("focus_groups.slot_rescheduled", slot, actor=by, sequence=slot.sequence, **changes)
    return [p.id for p in participants(slot, ATTENDING)]


def cancel_slot(slot: Slot, by=None, now: datetime | None = None) -> list[int]:
    """Cancel a confirmed session; returns the placements to send the cancellation to. The caller commits."""
    lock_slot(slot)
    if slot.status != "confirmed":
        raise ValueError("Only a confirmed session can be cancelled")
    now = now or utcnow()
    told = [p.id for p in participants(slot, ATTENDING)]
    slot.status = "cancelled"
    slot.cancelled_at = now
    slot.sequence += 1
    for placement in slot.placements:
        if placement.status in ACTIVE:
            placement.status = "cancelled"
    record("focus_groups.slot_cancelled", slot, actor=by, sequence=slot.sequence, told=len(told))
    return told


def set_staff(slot: Slot, facilitator_id: int | None, note_taker_id: int | None, by=None) -> None:
    """Give the session its facilitator and note-taker (either may be nobody). The caller commits."""
    slot.facilitator_id = facilitator_id
    slot.note_taker_id = note_taker_id
    record("focus_groups.slot_staff_set", slot, actor=by, facilitator=facilitator_id, note_taker=note_taker_id)


def set_names_visible(slot: Slot, visible: bool, by=None) -> None:
    """Let the session's facilitator and note-taker see participants' names, or stop them. The caller commits."""
    if slot.names_visible != visible:
        slot.names_visible = visible
        record("focus_groups.slot_names_visible", slot, actor=by, visible=visible)


def attendance_rows(slot: Slot) -> list[Placement]:
    """The participants whose attendance can be recorded: everyone who was invited to come."""
    return participants(slot, ("invited", "accepted", "withdrawn"))


def record_attendance(slot: Slot, answers: dict[int, str | None], by=None) -> int:
    """Record who attended (attended, no_show, withdrew; None clears it); returns how many changed.

    The caller commits.
    """
    changed = 0
    for placement in attendance_rows(slot):
        if placement.id in answers and answers[placement.id] != placement.attendance:
            placement.attendance = answers[placement.id]
            changed += 1
            record(
                "focus_groups.attendance_recorded",
                placement,
                actor=by,
                slot=slot.id,
                pseudonym=placement.pseudonym,
                attendance=placement.attendance or "not recorded",
            )
    return changed


# --- Reminders --------------------------------------------------------------------------------


def send_session_reminders(now: datetime | None = None) -> int:
    """Remind invited participants a week before their session and again the day before; returns
    how many reminders were sent.

    A week reminder goes when the session is within 7 days and more than 24 hours away, a day
    reminder within the last 24 hours; never for a past or cancelled session or to anyone who
    declined or withdrew. Each is claimed with a conditional update before it is sent, so it is
    never sent twice, even when two runs overlap; when the email fails, the claim is released, so
    the next run tries again.
    """
    now = (now or utcnow()).astimezone(UTC)
    due = db.session.scalars(
        select(Placement)
        .join(Slot, Slot.id == Placement.slot_id)
        .where(
            Slot.status == "confirmed",
            Slot.starts_at > now,
            Slot.starts_at <= now + WEEK,
            Placement.role == "participant",
            Placement.status.in_(ATTENDING),
            (Placement.reminded_week_at.is_(None)) | (Placement.reminded_day_at.is_(None)),
        )
        .order_by(Slot.starts_at, Placement.id)
    ).all()
    sent = 0
    for placement in due:
        ahead = aware(placement.slot.starts_at) - now
        if ahead <= timedelta(0) or ahead > WEEK:
            continue
        column = Placement.reminded_day_at if ahead <= DAY else Placement.reminded_week_at
        with write_transaction():
            claimed = db.session.execute(
                update(Placement)
                .where(
                    Placement.id == placement.id,
                    column.is_(None),
                    Placement.status.in_(ATTENDING),
                )
                .values({column.key: now})
                .execution_options(synchronize_session=False)
            ).rowcount
        db.session.expire(placement)
        if claimed != 1:
            continue
        kind = "reminder_day" if ahead <= DAY else "reminder_week"
        with write_transaction():
            outcome = email_volunteer(placement, kind, now)
            if outcome.status == "failed":
                db.session.execute(
                    update(Placement)
                    .where(Placement.id == placement.id, column == now)
                    .values({column.key: None})
                    .execution_options(synchronize_session=False)
                )
                continue
            record("focus_groups.reminder_sent", placement, slot=placement.slot_id, kind=kind)
        sent += 1
    return sent
