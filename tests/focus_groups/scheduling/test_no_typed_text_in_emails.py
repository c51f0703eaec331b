"""Emails to volunteers carry no text a volunteer typed (issue 11, finding 4).

Volunteers join the pool without confirming their address, so anyone can volunteer with somebody
else's address and a "name" that is really a message. Every email the study then sends them (and
every calendar file) greets them with fixed words and says only what organisers set: the study, the
time, the place and the volunteer's own links.
"""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from app.clock import aware
from app.extensions import db
from app.focus_groups.scheduling.changes import cancel_slot, reschedule_slot
from app.focus_groups.scheduling.invitations import confirm_slot, respond, send_session_emails
from app.focus_groups.scheduling.reminders import send_session_reminders
from app.focus_groups.scheduling.withdrawal import withdraw_volunteer
from app.focus_groups.services import volunteer_token
from tests.conftest import text_part
from tests.focus_groups.scheduling.support import calendar_in, move_to, place, soon, to

PHISH = "Click http://evil.example to claim"


def everything_in(message) -> str:
    """All a recipient's programs could show of an email: every header, and every part decoded
    (quoted-printable and base64 undone, calendar lines unfolded, HTML entities decoded)."""
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        pieces.extend(f"{name}: {value}" for name, value in part.items())
        if part.is_multipart():
            continue
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        content = content.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "")
        pieces.append(html.unescape(content))
    return "\n".join(pieces)


@pytest.fixture
def hostile(make_study, make_volunteer, make_user):
    """A confirmed-to-be session whose participant and reserve typed a message into every free-text field."""
    study = make_study(slots=1)
    slot = study.slots[0]
    move_to(slot, soon())
    people = [make_volunteer(study, available=[slot]) for _ in range(3)]
    reserve = make_volunteer(study, available=[slot])
    for number, person in enumerate((people[0], reserve), start=1):
        person.name = person.job_role = person.access_needs = PHISH
        person.organisation_name = f"{PHISH} ({number})"  # two organisations, so the reserve can be promoted
    db.session.commit()
    participants = [place(slot, person) for person in people]
    reserve_place = place(slot, reserve, "reserve", 1)
    return study, slot, participants, reserve_place, make_user("organiser")


def test_no_email_or_calendar_file_to_a_volunteer_carries_what_they_typed(app, mailbox, hostile):
    study, slot, (sender, decliner, other), reserve, organiser = hostile

    # Confirmed: invitations with a calendar file.
    invited = confirm_slot(slot, by=organiser)
    db.session.commit()
    assert send_session_emails(slot.id, "invite", invited, by_id=organiser.id)["sent"] == ["P1", "P2", "P3"]
    respond(sender, "accept")
    db.session.commit()
    # Someone declines: a confirmation to them, and the reserve is offered the place.
    respond(decliner, "decline")
    db.session.commit()
    db.session.refresh(reserve)
    assert (reserve.role, reserve.status, reserve.pseudonym) == ("participant", "invited", "P4")
    # Rescheduled: an update with a new calendar file.
    updated = reschedule_slot(
        slot,
        starts_at=soon(45),
        duration_minutes=90,
        location="https://meet.example.org/new",
        online=True,
        by=organiser,
    )
    db.session.commit()
    assert sorted(send_session_emails(slot.id, "update", updated)["sent"]) == ["P1", "P3", "P4"]
    # Reminders a week and a day before.
    starts = aware(slot.starts_at)
    assert send_session_reminders(starts - timedelta(days=4)) == 3
    assert send_session_reminders(starts - timedelta(hours=20)) == 3
    # The promoted reserve declines too; then the session is cancelled; then the participant leaves.
    respond(reserve, "decline")
    db.session.commit()
    cancelled = cancel_slot(slot, by=organiser)
    db.session.commit()
    assert sorted(send_session_emails(slot.id, "cancel", cancelled)["sent"]) == ["P1", "P3"]
    withdraw_link = f"/focus-groups/withdraw/{volunteer_token(sender.volunteer, 'withdraw')}"
    respond_link = f"/focus-groups/respond/{volunteer_token(sender.volunteer, 'respond')}"
    sender_address, reserve_address = sender.volunteer.email, reserve.volunteer.email
    withdraw_volunteer(sender.volunteer)
    db.session.commit()

    # Every kind of email a volunteer gets went out...
    assert [m["Subject"].split(":")[0] for m in to(mailbox, sender_address)] == [
        "Invitation",
        "Changed",
        "Reminder",
        "Reminder",
        "Cancelled",
        "You have left the Socitm focus groups",
    ]
    assert [m["Subject"].split(":")[0] for m in to(mailbox, reserve_address)] == [
        "A place has come up",
        "Changed",
        "Reminder",
        "Reminder",
        "You have declined",
    ]
    # ...and neither that nor any other email (organisers' notices included) holds the typed text.
    assert len(mailbox) > 11
    for message in mailbox:
        seen = everything_in(message)
        assert "evil.example" not in seen, (message["To"], message["Subject"])
        assert PHISH not in seen
        if message["To"] != organiser.email:
            assert text_part(message).startswith("Hello,\r\n")

    # They stay useful: fixed greeting, the study, the time, the place, the volunteer's own links.
    invitation = to(mailbox, sender_address)[0]
    body = text_part(invitation)
    assert body.startswith("Hello,\r\n")
    assert f'Socitm\'s study "{study.title}"' in body
    assert "When: " in body and "(UK time)" in body and "Where: online, at https://meet.example.org/1" in body
    assert respond_link in body and withdraw_link in body
    html_body = invitation.get_body(("html",)).get_content()
    assert "<p>Hello,</p>" in html_body and respond_link in html_body
    method, calendar = calendar_in(invitation)
    (entry,) = calendar.events
    assert method == "REQUEST" and str(entry["SUMMARY"]) == f"Socitm focus group: {study.title}"
    assert str(entry["ATTENDEE"]) == f"mailto:{sender_address}" and "CN" not in entry["ATTENDEE"].params
    assert respond_link in str(entry["DESCRIPTION"])
    reminder = to(mailbox, reserve_address)[2]
    assert "You have not told us yet whether you can come" in text_part(reminder)
    assert to(mailbox, sender_address)[2].get_body(("plain",)).get_content().count("You have not told us") == 0
