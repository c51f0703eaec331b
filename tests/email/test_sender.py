"""The one email sender: SMTP over loopback, the development outbox, and failures."""

from app.email.models import OutboxMessage
from app.email.sender import send_email
from app.extensions import db


class _Person:
    name = "Sam Patel"
    email = "sam@kent.example"
    organisation = None


def _send():
    record = send_email(
        "sam@kent.example",
        "Welcome",
        "invitation",
        user=_Person(),
        invited_by=None,
        link="http://localhost/invitation/abc",
        hours=72,
    )
    db.session.commit()
    return record


def test_sends_a_plain_text_and_an_html_part_over_smtp(app, mailbox):
    record = _send()
    [message] = mailbox
    assert message["Subject"] == "Welcome" and message["To"] == "sam@kent.example"
    assert message.get_content_type() == "multipart/alternative"
    assert "http://localhost/invitation/abc" in message.get_body(("plain",)).get_content()
    assert 'href="http://localhost/invitation/abc"' in message.get_body(("html",)).get_content()
    assert record.status == "sent"
    assert record.text_body is None and record.html_body is None  # sent mail bodies are not kept


def test_a_subject_too_long_for_one_line_arrives_whole(app, mailbox):
    subject = "A place has come up: Socitm focus group on Wednesday 11 February 2055 at 12:00pm"
    send_email("sam@kent.example", subject, "invitation", user=_Person(), invited_by=None, link="x", hours=72)
    db.session.commit()
    [message] = mailbox
    assert message["Subject"] == subject


def test_without_smtp_the_message_is_kept_in_the_outbox(app):
    record = _send()
    stored = db.session.get(OutboxMessage, record.id)
    assert stored.status == "outbox" and "http://localhost/invitation/abc" in stored.text_body


def test_a_mail_outage_is_recorded_not_raised(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=2)  # nothing listens on port 9
    record = _send()
    assert record.status == "failed" and record.error


def test_the_html_part_is_served_sandboxed_to_admins(client, signed_in, app):
    signed_in("admin")
    record = _send()
    response = client.get(f"/admin/outbox/{record.id}/html")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert "Set your password" in response.get_data(as_text=True)
