"""The retention schedule, with a fixed clock: each kind of personal data past its period is erased,
deleted or redacted, what is not yet due stays, and a dry run changes nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.analysis.models import PendingUpload
from app.audit.models import AuditEvent
from app.auth.models import AccountToken
from app.email.models import OutboxAttachment, OutboxMessage
from app.extensions import db
from app.focus_groups.models import Volunteer
from app.focus_groups.recruitment.models import VolunteerChange
from app.focus_groups.studies.services import add_slot
from app.jobs.models import Job, JobFile
from app.privacy.retention import (
    RetentionSettingError,
    apply_retention,
    months_before,
    plan_retention,
    retention_schedule,
)
from app.surveys.models import Answer, Response
from app.surveys.services import ensure_default_survey

NOW = datetime(2056, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _at(moment: datetime) -> float:
    return moment.timestamp()


@pytest.fixture
def world(app, tmp_path, make_user, make_organisation, make_study, make_volunteer):
    """One item due and one not due for each kind, as of NOW (periods: the defaults)."""
    app.instance_path = str(tmp_path)  # job files of this test only
    # Volunteers: study A's last session ended March 2055 (over 12 months before NOW); study B's is in
    # September 2055 (under 12 months).
    old_study = make_study(slots=3, title="Old study")
    recent_study = make_study(slots=0, title="Recent study")
    add_slot(recent_study, datetime(2055, 9, 1, 10, tzinfo=UTC), location="https://meet.example.org/b")
    db.session.commit()
    old = make_volunteer(old_study, name="Olive Oldfield", email="olive@example.org", job_role="Head of ICT")
    recent = make_volunteer(recent_study, name="Rita Recent", email="rita@example.org")
    # Pending changes: the details go once the link expires (7 days after they were given).
    expired_change = VolunteerChange(
        volunteer_id=recent.id,
        token_hash="e" * 64,
        details={"name": "Rita Renamed"},
        created_at=NOW - 8 * DAY,
        expires_at=NOW - DAY,
    )
    live_change = VolunteerChange(
        volunteer_id=recent.id,
        token_hash="f" * 64,
        details={"name": "Rita Later"},
        created_at=NOW - DAY,
        expires_at=NOW + 6 * DAY,
    )
    # Drafts: the survey closed in November 2055, over 6 months before NOW.
    survey = ensure_default_survey()
    survey.closes_at = datetime(2055, 11, 15, tzinfo=UTC)
    draft_org, submitted_org = make_organisation(), make_organisation()
    draft = Response(
        survey_id=survey.id,
        version_id=survey.current_version.id,
        organisation_id=draft_org.id,
        reference="SIS-DRAF-T001",
    )
    draft.answers.append(Answer(question_id="provides_education", value="yes", updated_by_label="Dee Draft"))
    submitted = Response(
        survey_id=survey.id,
        version_id=survey.current_version.id,
        organisation_id=submitted_org.id,
        reference="SIS-SUBM-T001",
        status="submitted",
        submitted_at=datetime(2055, 10, 1, tzinfo=UTC),
        submitted_answers={"provides_education": "no"},
    )
    db.session.add_all([draft, submitted])
    # Audit IP addresses: 90 days.
    old_event = AuditEvent(action="signed-in", ip_address="203.0.113.9", occurred_at=NOW - 91 * DAY, detail={})
    new_event = AuditEvent(action="signed-in", ip_address="203.0.113.10", occurred_at=NOW - 89 * DAY, detail={})
    # Outbox bodies: 30 days.
    old_mail = OutboxMessage(
        recipient="a@example.org",
        subject="Old",
        template="t",
        status="sent",
        text_body="Hello Ann",
        html_body="<p>Hello Ann</p>",
        created_at=NOW - 31 * DAY,
        attachments=[OutboxAttachment(filename="ann.ics", content_type="text/calendar", size=5, data=b"Ann's")],
    )
    new_mail = OutboxMessage(
        recipient="b@example.org",
        subject="New",
        template="t",
        status="sent",
        text_body="Hello Bob",
        created_at=NOW - 29 * DAY,
        attachments=[OutboxAttachment(filename="bob.ics", content_type="text/calendar", size=5, data=b"Bob's")],
    )
    # Tokens: deleted 7 days after they expired or were used.
    person = make_user("member")
    expired = AccountToken(user_id=person.id, purpose="reset", token_hash="a" * 64, expires_at=NOW - 8 * DAY)
    used = AccountToken(
        user_id=person.id, purpose="invitation", token_hash="b" * 64, expires_at=NOW + DAY, used_at=NOW - 10 * DAY
    )
    live = AccountToken(user_id=person.id, purpose="reset", token_hash="c" * 64, expires_at=NOW + DAY)
    lately_expired = AccountToken(user_id=person.id, purpose="reset", token_hash="d" * 64, expires_at=NOW - 6 * DAY)
    # Job records (30 days, with their file) and job files (24 hours).
    folder = Path(current_app.instance_path) / "job-files"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, age in (
        ("old-job.csv", 40 * DAY),
        ("stale.csv", timedelta(hours=25)),
        ("fresh.csv", timedelta(hours=23)),
    ):
        path = folder / name
        path.write_text("organisation,answer\nA Council,yes\n")
        os.utime(path, (_at(NOW - age), _at(NOW - age)))
        files[name] = path
    old_job = Job(
        kind="export",
        title="Old export",
        status="done",
        result={"file": files["old-job.csv"].name},
        finished_at=NOW - 31 * DAY,
    )
    new_job = Job(kind="export", title="New export", status="done", result={}, finished_at=NOW - 29 * DAY)
    fresh_job = Job(kind="export", title="Fresh export", status="done", result={}, finished_at=NOW - DAY / 24)
    db.session.add_all(
        [
            expired_change,
            live_change,
            old_event,
            new_event,
            old_mail,
            new_mail,
            expired,
            used,
            live,
            lately_expired,
            old_job,
            new_job,
            fresh_job,
        ]
    )
    db.session.flush()
    # Files jobs made, kept in the database: one 25 hours old (due), one 23 hours old.
    stale_kept = JobFile(job_id=new_job.id, name="s.csv", size=1, data=b"s", created_at=NOW - timedelta(hours=25))
    fresh_kept = JobFile(job_id=fresh_job.id, name="f.csv", size=1, data=b"f", created_at=NOW - timedelta(hours=23))
    db.session.add_all([stale_kept, fresh_kept])
    # Projects uploaded for import and never confirmed: one uploaded 61 minutes ago (due), one 59.
    lead = make_user("lead_analyst")
    uploads = {
        name: PendingUpload(
            key=key * 32, user_id=lead.id, study_id=recent_study.id, size=1, data=b"q", created_at=NOW - age
        )
        for name, key, age in (("stale", "a", timedelta(minutes=61)), ("fresh", "b", timedelta(minutes=59)))
    }
    db.session.add_all(uploads.values())
    db.session.commit()
    yield {
        "old": old.id,
        "recent": recent.id,
        "draft": draft.id,
        "submitted": submitted.id,
        "old_event": old_event.id,
        "new_event": new_event.id,
        "old_mail": old_mail.id,
        "new_mail": new_mail.id,
        "tokens": {"expired": expired.id, "used": used.id, "live": live.id, "lately_expired": lately_expired.id},
        "changes": (expired_change.id, live_change.id),
        "old_job": old_job.id,
        "new_job": new_job.id,
        "files": files,
        "kept": {"stale": stale_kept.id, "fresh": fresh_kept.id},
        "uploads": {name: upload.key for name, upload in uploads.items()},
    }


DUE = {
    "volunteers": 1,
    "draft_responses": 1,
    "audit_addresses": 1,
    "outbox_bodies": 1,
    "job_files": 3,  # the old job's file and the stale one on disk, and the stale one kept in the database
    "job_records": 1,
    "account_tokens": 2,
    "pending_changes": 1,
    "pending_uploads": 1,
}


def _state(world) -> dict:
    db.session.expire_all()
    return {
        "old_name": db.session.get(Volunteer, world["old"]).name,
        "recent_name": db.session.get(Volunteer, world["recent"]).name,
        "draft": db.session.get(Response, world["draft"]) is not None,
        "submitted": db.session.get(Response, world["submitted"]) is not None,
        "old_ip": db.session.get(AuditEvent, world["old_event"]).ip_address,
        "new_ip": db.session.get(AuditEvent, world["new_event"]).ip_address,
        "old_body": db.session.get(OutboxMessage, world["old_mail"]).text_body,
        "new_body": db.session.get(OutboxMessage, world["new_mail"]).text_body,
        "tokens": {k: db.session.get(AccountToken, v) is not None for k, v in world["tokens"].items()},
        "old_job": db.session.get(Job, world["old_job"]) is not None,
        "new_job": db.session.get(Job, world["new_job"]) is not None,
        "files": {name: path.exists() for name, path in world["files"].items()},
        "kept": {name: db.session.get(JobFile, i) is not None for name, i in world["kept"].items()},
        "changes": [db.session.get(VolunteerChange, i).details for i in world["changes"]],
        "uploads": {name: db.session.get(PendingUpload, key) is not None for name, key in world["uploads"].items()},
    }


def test_a_dry_run_counts_what_is_due_and_changes_nothing(world):
    before = _state(world)
    events = db.session.scalar(select(func.count(AuditEvent.id)))

    plan = plan_retention(NOW)

    assert plan.counts() == DUE
    assert plan.total == 12
    assert _state(world) == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


def test_applying_removes_what_is_due_and_keeps_the_rest(world):
    done = apply_retention(plan_retention(NOW))

    assert done == DUE
    after = _state(world)
    # Volunteers: erased through the withdrawal service; the recent study's volunteer is untouched.
    old = db.session.get(Volunteer, world["old"])
    assert (old.name, old.email, old.job_role, old.organisation_name) == (None, None, None, None)
    assert old.erased_at is not None and old.region == "london"
    assert after["recent_name"] == "Rita Recent"
    # They did not ask to leave, so no "you have left" email goes to them; the audit trail says why.
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject == "You have left the Socitm focus groups")
    ).all()
    withdrawn = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteer_withdrawn"))
    assert [event.detail.get("reason") for event in withdrawn] == ["retention"]
    # Drafts of the long-closed survey go with their answers; the submitted response stays.
    assert not after["draft"] and after["submitted"]
    assert db.session.scalar(select(func.count(Answer.id)).where(Answer.updated_by_label == "Dee Draft")) == 0
    # Audit addresses and email texts past their period go; newer ones stay.
    assert after["old_ip"] is None and after["new_ip"] == "203.0.113.10"
    assert after["old_body"] is None and db.session.get(OutboxMessage, world["old_mail"]).html_body is None
    assert db.session.get(OutboxMessage, world["old_mail"]).recipient == "a@example.org"
    assert after["new_body"] == "Hello Bob"
    # Attachments go with the texts they came with.
    assert db.session.scalars(select(OutboxAttachment.filename)).all() == ["bob.ics"]
    # Tokens used or expired over 7 days ago go; a live one and one expired 6 days ago stay.
    assert after["tokens"] == {"expired": False, "used": False, "live": True, "lately_expired": True}
    # Job records over 30 days old go with their file; files over 24 hours old go.
    assert (after["old_job"], after["new_job"]) == (False, True)
    assert after["files"] == {"old-job.csv": False, "stale.csv": False, "fresh.csv": True}
    assert after["kept"] == {"stale": False, "fresh": True}
    # The volunteer form's pending changes: an expired link's details go; a live one's stay.
    assert after["changes"] == [None, {"name": "Rita Later"}]
    # Projects uploaded for import: one not confirmed within the hour goes; a newer one stays.
    assert after["uploads"] == {"stale": False, "fresh": True}


def test_a_run_is_audit_logged_with_its_counts(world):
    apply_retention(plan_retention(NOW))

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied"))
    assert event.detail["counts"] == DUE
    assert event.detail["periods"]["volunteers"] == "12 months"
    assert event.detail["as_of"] == "2056-06-01T12:00:00+00:00"


def test_a_second_run_finds_nothing_left(world):
    apply_retention(plan_retention(NOW))

    assert plan_retention(NOW).total == 0


def test_periods_come_from_the_configuration(world, app):
    app.config.update(RETENTION_AUDIT_ADDRESS_DAYS=88, RETENTION_DRAFT_RESPONSE_MONTHS=7)

    counts = plan_retention(NOW).counts()

    assert counts["audit_addresses"] == 2  # 89 days old is now past the period
    assert counts["draft_responses"] == 0  # closed 15 November 2055: under 7 months before NOW


def test_volunteers_of_a_study_still_running_are_kept(world, make_study, make_volunteer):
    study = make_study(slots=0, title="Future study")
    add_slot(study, NOW + 30 * DAY, location="https://meet.example.org/f")
    db.session.commit()
    keeper = make_volunteer(study, name="Kim Keeper")
    # Volunteered long ago, but the study's last session is still to come.
    keeper.created_at = NOW - 800 * DAY
    db.session.commit()

    assert keeper.id not in plan_retention(NOW).kinds[0].items


def test_a_period_below_one_is_refused(app):
    app.config["RETENTION_OUTBOX_BODY_DAYS"] = 0

    with pytest.raises(RetentionSettingError, match="RETENTION_OUTBOX_BODY_DAYS"):
        retention_schedule()


def test_months_are_calendar_months():
    assert months_before(datetime(2056, 3, 31, 9, tzinfo=UTC), 1) == datetime(2056, 2, 29, 9, tzinfo=UTC)
    assert months_before(datetime(2056, 1, 15, tzinfo=UTC), 12) == datetime(2055, 1, 15, tzinfo=UTC)


def test_a_study_with_no_sessions_keeps_volunteers_12_months_from_volunteering(world, make_study, make_volunteer):
    study = make_study(slots=0, title="Study that never ran")
    early = make_volunteer(study, name="Early Volunteer")
    late = make_volunteer(study, name="Late Volunteer")
    early.created_at = NOW - 400 * DAY
    late.created_at = NOW - 300 * DAY
    db.session.commit()

    due = plan_retention(NOW, kinds=["volunteers"]).kinds[0].items

    assert early.id in due and late.id not in due


def test_someone_who_joins_a_study_whose_sessions_are_long_past_is_kept_12_months_from_joining(
    world, make_study, make_volunteer
):
    study = make_study(slots=1, title="Study that ran long ago")  # its one session: 1 March 2055
    newcomer = make_volunteer(study, name="Nia Newcomer")  # volunteering for a round not yet scheduled
    newcomer.created_at = NOW - 10 * DAY
    old_hand = make_volunteer(study, name="Olu Oldhand")
    old_hand.created_at = NOW - 500 * DAY
    db.session.commit()

    due = plan_retention(NOW, kinds=["volunteers"]).kinds[0].items

    assert newcomer.id not in due and old_hand.id in due


def test_a_cancelled_session_does_not_extend_a_study(world, make_study, make_volunteer):
    study = make_study(slots=1, title="Study with a cancelled late session")  # 1 March 2055
    cancelled = add_slot(study, NOW - 30 * DAY, location="https://meet.example.org/c")
    cancelled.status = "cancelled"
    db.session.commit()
    volunteer = make_volunteer(study, name="Cal Cancelled")

    assert volunteer.id in plan_retention(NOW, kinds=["volunteers"]).kinds[0].items
