"""The emails about a session: to volunteers (with their calendar files and their own links, and
nothing they typed) and the notices to organisers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import current_app

from app.clock import aware, london, utcnow
from app.email.models import OutboxMessage
from app.email.sender import external_url, send_email
from app.focus_groups.models import Placement, Slot, Volunteer
from app.focus_groups.scheduling import ical
from app.focus_groups.scheduling.staff import organisers
from app.focus_groups.services import slot_ends_at, volunteer_token


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
        uid=ical.session_uid(slot.id, volunteer.id, config["ICS_UID_DOMAIN"]),
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
