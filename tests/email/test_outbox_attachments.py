"""The outbox keeps an email's attachments (a session's .ics) with its bodies: admins see each one's name, type
and size and download it, with the secrets of links in it hidden as in the message; erasure takes them away."""

from __future__ import annotations

from icalendar import Calendar, Event
from sqlalchemy import func, select

from app.email.models import OutboxAttachment, OutboxMessage
from app.email.routes import size_label
from app.email.sender import external_url, redact_outbox, send_email
from app.extensions import db
from tests.conftest import page_text

SECRET = "a-long-secret-token-0123456789abcdefghij"


def invitation_ics() -> bytes:
    """A calendar like a session invitation's: a long description whose links carry a token (so it is folded)."""
    calendar = Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", "fg-slot-1-volunteer-1@localhost")
    event.add("summary", "Socitm focus group: Who are our users?")
    event.add(
        "description",
        f"Accept or decline: {external_url('focus_groups.respond', token=SECRET)}\n"
        f"Leave the study, with commas, and semicolons; too: {external_url('focus_groups.withdraw', token=SECRET)}",
    )
    calendar.add_component(event)
    return calendar.to_ical()


class _Person:
    name = "Sam Patel"
    email = "sam@kent.example"
    organisation = None


def send_with_calendar(to: str = "sam@kent.example") -> OutboxMessage:
    record = send_email(
        to,
        "Invitation: Socitm focus group",
        "invitation",
        [("invite.ics", "text/calendar; method=REQUEST", invitation_ics())],
        user=_Person(),
        invited_by=None,
        link="http://localhost/invitation/abc",
        hours=72,
    )
    db.session.commit()
    return record


def test_the_outbox_keeps_each_attachment_with_its_name_type_and_size(app):
    record = send_with_calendar()
    [kept] = record.attachments
    assert (kept.filename, kept.content_type) == ("invite.ics", "text/calendar; method=REQUEST")
    assert kept.data == invitation_ics() and kept.size == len(invitation_ics())


def test_sent_emails_keep_no_attachment(app, mailbox):
    record = send_with_calendar()
    assert record.status == "sent" and record.attachments == []
    assert len(list(mailbox[0].iter_attachments())) == 1  # the recipient still gets it
    assert db.session.scalar(select(func.count(OutboxAttachment.id))) == 0


def test_an_admin_sees_the_attachments_and_downloads_them_with_links_hidden(client, signed_in):
    signed_in("admin")
    record = send_with_calendar()
    text = page_text(client.get(f"/admin/outbox/{record.id}"))
    assert "Attachments" in text and "Download invite.ics" in text
    assert f"Calendar file (text/calendar), {size_label(len(invitation_ics()))}" in text
    kept = record.attachments[0]
    download = client.get(f"/admin/outbox/{record.id}/attachments/{kept.id}")
    assert download.status_code == 200 and download.mimetype == "text/calendar"
    assert (
        download.headers["Content-Disposition"].startswith("attachment;")
        and "invite.ics" in download.headers["Content-Disposition"]
    )
    # Another admin may not act as the volunteer: the token is hidden, the calendar still reads as one.
    calendar = Calendar.from_ical(download.data)
    [event] = calendar.walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert SECRET not in download.get_data(as_text=True).replace("\r\n ", "")
    assert "http://localhost/focus-groups/respond/[link hidden]" in description
    assert "http://localhost/focus-groups/withdraw/[link hidden]" in description
    assert "with commas, and semicolons; too" in description
    assert str(event["SUMMARY"]) == "Socitm focus group: Who are our users?"


def test_the_recipient_downloads_their_own_attachment_as_it_was_sent(client, signed_in):
    admin = signed_in("admin", email="sam@kent.example")
    record = send_with_calendar(admin.email)
    download = client.get(f"/admin/outbox/{record.id}/attachments/{record.attachments[0].id}")
    assert download.data == invitation_ics()


def test_an_attachment_is_found_only_under_its_own_message(client, signed_in):
    signed_in("admin")
    first, second = send_with_calendar(), send_with_calendar("kim@kent.example")
    assert client.get(f"/admin/outbox/{first.id}/attachments/{second.attachments[0].id}").status_code == 404
    assert client.get(f"/admin/outbox/{first.id}/attachments/999999").status_code == 404


def test_a_message_without_attachments_lists_none(client, signed_in):
    signed_in("admin")
    record = send_email(
        "sam@kent.example", "Welcome", "invitation", user=_Person(), invited_by=None, link="http://x/y", hours=72
    )
    db.session.commit()
    assert "Attachments" not in page_text(client.get(f"/admin/outbox/{record.id}"))


def test_erasing_the_recipient_takes_their_attachments_away(app):
    theirs, others = send_with_calendar(), send_with_calendar("kim@kent.example")
    redact_outbox(
        "Erased person 1",
        addresses=["Sam@Kent.example"],
        mentioned=lambda *columns: columns[0].contains("Sam Patel"),
        redact=lambda text: text,
    )
    db.session.commit()
    db.session.expire_all()
    assert theirs.attachments == [] and len(others.attachments) == 1


def test_sizes_are_written_as_gov_uk_writes_them():
    assert [size_label(n) for n in (1, 900, 1000, 1234, 2_500_000)] == [
        "1 byte",
        "900 bytes",
        "1 KB",
        "1.2 KB",
        "2.5 MB",
    ]
