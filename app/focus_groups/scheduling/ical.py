"""Calendar invitations (.ics) for focus-group sessions: plain functions of plain data.

One event per session and attendee, with a UID that never changes for that pair, so a calendar
program replaces the event it already holds when an update (a higher SEQUENCE) or a cancellation
arrives. Times are written in Europe/London with the VTIMEZONE that defines it, so the session
shows at the right wall-clock time across the change to and from British Summer Time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress

from app.clock import LONDON, utcnow

PRODID = "-//Socitm member research//Focus groups//EN"
REQUEST_CONTENT_TYPE = "text/calendar; method=REQUEST"
CANCEL_CONTENT_TYPE = "text/calendar; method=CANCEL"


@dataclass(frozen=True)
class SessionEvent:
    """Everything a calendar entry for one attendee of one session says."""

    uid: str
    sequence: int
    starts_at: datetime  # timezone-aware
    ends_at: datetime  # timezone-aware
    summary: str
    description: str
    location: str
    organizer: str  # "Name <address>", as MAIL_DEFAULT_SENDER is written
    attendee_email: str  # the attendee is only this address (see `_attendee`)
    stamp: datetime | None = None  # when this version was issued (default: now)


def session_uid(slot_id: int, volunteer_id: int, domain: str) -> str:
    """The stable UID of one attendee's event for one session (the same for every update).

    `domain` is fixed configuration (ICS_UID_DOMAIN), never where a request reached the app: a UID that
    followed the address (localhost one day, 127.0.0.1 the next) would put a second event in the calendar.
    """
    return f"fg-slot-{slot_id}-volunteer-{volunteer_id}@{domain}"


def _organizer(text: str) -> vCalAddress:
    """ORGANIZER from "Name <address>" (MAIL_DEFAULT_SENDER, which we write ourselves)."""
    name, email = parseaddr(text)
    address = vCalAddress(f"mailto:{email or text}")
    if name:
        address.params["CN"] = name
    return address


def _attendee(email: str) -> vCalAddress:
    """ATTENDEE from the address alone, with no CN (common name) parameter.

    Invitations go to volunteers who never confirmed their address, so they carry no text anyone
    typed into the volunteer form: a "name" could be a phishing message sent in Socitm's name.
    CN is optional (RFC 5545); calendar programs show the address instead.
    """
    address = vCalAddress(f"mailto:{email}")
    address.params.update(ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE")
    return address


def _calendar(method: str, event: SessionEvent, status: str) -> bytes:
    start = event.starts_at.astimezone(LONDON)
    end = event.ends_at.astimezone(LONDON)
    attendee = _attendee(event.attendee_email)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add("calscale", "GREGORIAN")
    entry = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        start=start,
        end=end,
        stamp=(event.stamp or utcnow()).astimezone(UTC),
        summary=event.summary,
        description=event.description,
        location=event.location,
        organizer=_organizer(event.organizer),
        attendees=[attendee],
        status=status,
    )
    calendar.add_component(entry)
    # Only the years around the session: a full history of British Summer Time would be long.
    calendar.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(end.year + 2, 1, 1))
    return calendar.to_ical()


def invitation_calendar(event: SessionEvent) -> bytes:
    """METHOD:REQUEST: a new invitation, or an update of one (send it with a higher sequence)."""
    return _calendar("REQUEST", event, "CONFIRMED")


def cancellation_calendar(event: SessionEvent) -> bytes:
    """METHOD:CANCEL with STATUS:CANCELLED: removes the event from the attendee's calendar."""
    return _calendar("CANCEL", event, "CANCELLED")
