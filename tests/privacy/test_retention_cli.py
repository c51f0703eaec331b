"""`flask retention apply`: what a cron job (or an admin at a terminal) sees and what it changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clock import utcnow
from app.email.models import OutboxMessage
from app.extensions import db
from app.privacy.retention import RULES


@pytest.fixture
def old_data(app, tmp_path):
    """An audit event with an IP address 100 days old and an email text 40 days old."""
    app.instance_path = str(tmp_path)
    now = utcnow()
    event = AuditEvent(action="signed-in", ip_address="198.51.100.7", occurred_at=now - timedelta(days=100), detail={})
    mail = OutboxMessage(
        recipient="x@example.org",
        subject="Hello",
        template="t",
        status="sent",
        text_body="Hello Xavier",
        created_at=now - timedelta(days=40),
    )
    db.session.add_all([event, mail])
    db.session.commit()
    return event.id, mail.id


def test_a_dry_run_lists_each_kind_with_its_count_and_changes_nothing(runner, old_data):
    result = runner.invoke(args=["retention", "apply", "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for rule in RULES:
        assert any(rule.kind in line and rule.title in line for line in lines), rule.kind
    assert any("audit_addresses" in line and " 1 due" in line and "90 days after the event" in line for line in lines)
    assert any("outbox_bodies" in line and " 1 due" in line for line in lines)
    assert "2 items due. Run without --dry-run to apply." in result.output
    db.session.expire_all()
    assert db.session.get(AuditEvent, old_data[0]).ip_address == "198.51.100.7"
    assert db.session.get(OutboxMessage, old_data[1]).text_body == "Hello Xavier"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied")) is None


def test_applying_shows_progress_and_counts_and_is_audit_logged(runner, old_data):
    result = runner.invoke(args=["retention", "apply"])

    assert result.exit_code == 0, result.output
    assert "Applying the retention schedule" in result.output  # the progress bar's label
    assert any("audit_addresses" in line and " 1 done" in line for line in result.output.splitlines())
    assert "2 items done; recorded in the audit log." in result.output
    db.session.expire_all()
    assert db.session.get(AuditEvent, old_data[0]).ip_address is None
    assert db.session.get(OutboxMessage, old_data[1]).text_body is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied"))
    assert event.detail["counts"]["audit_addresses"] == 1
    assert event.detail["counts"]["outbox_bodies"] == 1
    assert event.actor_id is None and event.ip_address is None


def test_a_bad_period_is_a_plain_error(runner, app):
    app.config["RETENTION_VOLUNTEER_MONTHS"] = -1

    result = runner.invoke(args=["retention", "apply", "--dry-run"])

    assert result.exit_code == 1
    assert "RETENTION_VOLUNTEER_MONTHS must be a whole number of months, 1 or more" in result.output
    assert "Traceback" not in result.output
