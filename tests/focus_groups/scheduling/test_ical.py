"""Calendar files for sessions: they parse back with the right method, UID, sequence and UK times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from app.focus_groups.scheduling.ical import (
    SessionEvent,
    cancellation_calendar,
    invitation_calendar,
    session_uid,
)


def event(starts_at: datetime, sequence: int = 0, **changes) -> SessionEvent:
    values = {
        "uid": session_uid(7, 42, "research.socitm.example"),
        "sequence": sequence,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=90),
        "summary": "Socitm focus group: Who are our users?",
        "description": "Accept or decline: https://research.socitm.example/focus-groups/respond/42.abc",
        "location": "https://meet.example.org/1",
        "organizer": "Socitm research <research@socitm.example>",
        "attendee_email": "sam@example.org",
        "stamp": datetime(2027, 1, 5, 9, 0, tzinfo=UTC),
    }
    values.update(changes)
    return SessionEvent(**values)


def parse(data: bytes):
    calendar = Calendar.from_ical(data)
    (entry,) = calendar.events
    return calendar, entry


def test_uid_is_stable_per_session_and_attendee_and_names_the_domain():
    assert session_uid(7, 42, "research.socitm.example") == "fg-slot-7-volunteer-42@research.socitm.example"
    assert session_uid(7, 42, "research.socitm.example") == session_uid(7, 42, "research.socitm.example")
    assert session_uid(7, 43, "research.socitm.example") != session_uid(7, 42, "research.socitm.example")


def test_invitation_is_a_request_in_london_time_with_its_timezone():
    calendar, entry = parse(invitation_calendar(event(datetime(2027, 3, 10, 10, 0, tzinfo=UTC))))
    assert calendar["METHOD"] == "REQUEST"
    assert str(entry["UID"]) == "fg-slot-7-volunteer-42@research.socitm.example"
    assert entry["SEQUENCE"] == 0
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
    assert str(entry.start.tzinfo) == "Europe/London"
    assert (entry.start.hour, entry.start.minute) == (10, 0)  # GMT in March before the clocks change
    assert entry.end - entry.start == timedelta(minutes=90)
    assert b"DTSTART;TZID=Europe/London:20270310T100000" in invitation_calendar(
        event(datetime(2027, 3, 10, 10, 0, tzinfo=UTC))
    )
    assert str(entry["LOCATION"]) == "https://meet.example.org/1"
    assert "respond/42.abc" in str(entry["DESCRIPTION"])
    assert str(entry["ORGANIZER"]) == "mailto:research@socitm.example"
    assert entry["ORGANIZER"].params["CN"] == "Socitm research"
    attendee = entry["ATTENDEE"]
    assert str(attendee) == "mailto:sam@example.org"
    assert attendee.params["RSVP"] == "TRUE"
    assert "CN" not in attendee.params


def test_summer_sessions_keep_their_wall_clock_time():
    """10:00 UTC in June is 11:00 British Summer Time; the VTIMEZONE says so."""
    data = invitation_calendar(event(datetime(2027, 6, 10, 10, 0, tzinfo=UTC)))
    calendar, entry = parse(data)
    assert (entry.start.hour, entry.start.utcoffset()) == (11, timedelta(hours=1))
    assert b"DTSTART;TZID=Europe/London:20270610T110000" in data
    (timezone,) = calendar.timezones
    assert {str(sub["TZNAME"]) for sub in timezone.subcomponents} == {"GMT", "BST"}


def test_update_keeps_the_uid_and_raises_the_sequence():
    first = parse(invitation_calendar(event(datetime(2027, 3, 10, 10, 0, tzinfo=UTC))))[1]
    later = event(
        datetime(2027, 3, 17, 14, 30, tzinfo=UTC), sequence=1, location="Socitm, 1 Example Street, Northampton"
    )
    calendar, updated = parse(invitation_calendar(later))
    assert calendar["METHOD"] == "REQUEST"
    assert updated["UID"] == first["UID"]
    assert updated["SEQUENCE"] == 1
    assert (updated.start.day, updated.start.hour, updated.start.minute) == (17, 14, 30)
    assert str(updated["LOCATION"]) == "Socitm, 1 Example Street, Northampton"


def test_cancellation_is_a_cancel_with_status_cancelled():
    calendar, entry = parse(cancellation_calendar(event(datetime(2027, 3, 10, 10, 0, tzinfo=UTC), sequence=2)))
    assert calendar["METHOD"] == "CANCEL"
    assert str(entry["STATUS"]) == "CANCELLED"
    assert entry["SEQUENCE"] == 2
    assert str(entry["UID"]) == "fg-slot-7-volunteer-42@research.socitm.example"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]


def test_the_attendee_is_only_an_address_that_calendars_read_back():
    """No CN: the invitation goes to an address nobody confirmed, so it names nobody as they typed it.

    The address, role and RSVP request survive a round trip, for a request and a cancellation alike.
    """
    for build in (invitation_calendar, cancellation_calendar):
        data = build(event(datetime(2027, 3, 10, 10, 0, tzinfo=UTC)))
        _, entry = parse(data)
        attendee = entry["ATTENDEE"]
        assert str(attendee) == "mailto:sam@example.org"
        assert "CN" not in attendee.params
        assert (attendee.params["ROLE"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == (
            "REQ-PARTICIPANT",
            "NEEDS-ACTION",
            "TRUE",
        )
        unfolded = data.replace(b"\r\n ", b"")  # lines over 75 octets are folded (RFC 5545, 3.1)
        assert b"ATTENDEE;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:sam@example.org\r\n" in unfolded


def test_a_session_event_has_no_field_for_the_attendee_name():
    """The name cannot be passed by mistake: SessionEvent refuses it."""
    with pytest.raises(TypeError):
        event(datetime(2027, 3, 10, 10, 0, tzinfo=UTC), attendee_name="Click http://evil.example to claim")
