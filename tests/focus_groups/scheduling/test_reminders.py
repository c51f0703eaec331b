"""Reminders (scheduling/reminders.py): a week and a day before each session, each sent once, and tried again
when the email failed."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.scheduling.reminders import send_session_reminders
from tests.conftest import text_part
from tests.focus_groups.scheduling.support import move_to, place, to


def invited_group(make_study, volunteer, statuses=("invited", "accepted", "declined", "withdrawn")):
    study = make_study(slots=1)
    slot = study.slots[0]  # 1 March 2055, 10:00 UTC
    slot.status = "confirmed"
    db.session.commit()
    return slot, [place(slot, volunteer(study), status=status) for status in statuses]


def test_reminders_a_week_and_a_day_before_each_sent_once(app, mailbox, make_study, volunteer):
    slot, (invited, accepted, declined, withdrawn) = invited_group(make_study, volunteer)
    starts = datetime(2055, 3, 1, 10, 0, tzinfo=UTC)

    assert send_session_reminders(starts - timedelta(days=8)) == 0  # too early
    assert send_session_reminders(starts - timedelta(days=4)) == 2
    assert send_session_reminders(starts - timedelta(days=4)) == 0  # run twice: sent once
    assert send_session_reminders(starts - timedelta(days=2)) == 0
    assert sorted(m["To"] for m in mailbox) == sorted([invited.volunteer.email, accepted.volunteer.email])
    assert all("next week" in m["Subject"] for m in mailbox)
    assert "You have not told us yet" in text_part(to(mailbox, invited.volunteer.email)[0])

    mailbox.clear()
    assert send_session_reminders(starts - timedelta(hours=20)) == 2
    assert send_session_reminders(starts - timedelta(hours=3)) == 0
    assert len(mailbox) == 2 and all("tomorrow" in m["Subject"] for m in mailbox)
    assert send_session_reminders(starts + timedelta(hours=1)) == 0  # past sessions: nothing
    db.session.expire_all()
    assert invited.reminded_week_at is not None and invited.reminded_day_at is not None
    assert declined.reminded_week_at is None and withdrawn.reminded_day_at is None


def test_a_late_invitation_gets_only_the_day_reminder_and_cancelled_sessions_none(app, mailbox, make_study, volunteer):
    slot, (invited,) = invited_group(make_study, volunteer, statuses=("invited",))
    starts = datetime(2055, 3, 1, 10, 0, tzinfo=UTC)
    assert send_session_reminders(starts - timedelta(hours=12)) == 1
    assert send_session_reminders(starts - timedelta(hours=11)) == 0
    db.session.expire_all()
    assert invited.reminded_week_at is None and invited.reminded_day_at is not None

    other, (person,) = invited_group(make_study, volunteer, statuses=("invited",))
    other.status = "cancelled"
    db.session.commit()
    assert send_session_reminders(starts - timedelta(hours=10)) == 0
    db.session.expire_all()
    assert person.reminded_day_at is None


def test_send_reminders_command(app, runner, mailbox, make_study, volunteer):
    slot, (invited, accepted) = invited_group(make_study, volunteer, statuses=("invited", "accepted"))
    move_to(slot, utcnow() + timedelta(days=3))
    result = runner.invoke(args=["focus-groups", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 focus-group reminders." in result.output
    result = runner.invoke(args=["focus-groups", "send-reminders"])
    assert "Sent 0 focus-group reminders." in result.output
    assert len(mailbox) == 2


def test_a_reminder_whose_email_failed_is_sent_on_the_next_run(app, mailbox, make_study, volunteer):
    _, (invited,) = invited_group(make_study, volunteer, statuses=("invited",))
    starts = datetime(2055, 3, 1, 10, 0, tzinfo=UTC)
    working_port = app.config["MAIL_PORT"]
    with socket.socket() as probe:  # a port nobody listens on: the SMTP connection is refused
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app.config["MAIL_PORT"] = dead_port
    assert send_session_reminders(starts - timedelta(days=4)) == 0
    (failed,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed.recipient == invited.volunteer.email
    db.session.expire_all()
    assert invited.reminded_week_at is None

    app.config["MAIL_PORT"] = working_port
    assert send_session_reminders(starts - timedelta(days=4)) == 1
    assert [m["To"] for m in mailbox] == [invited.volunteer.email]
    assert send_session_reminders(starts - timedelta(days=4)) == 0
