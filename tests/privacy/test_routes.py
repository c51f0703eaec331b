"""The admin's subject-access pages and the public privacy notice, through the test client."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import page_text


@pytest.fixture
def volunteer(make_study, make_volunteer):
    study = make_study(slots=1)
    return make_volunteer(study, name="Vera Volunteer", email="vera@example.org")


def test_a_persons_page_links_to_what_we_hold_and_the_archive_downloads(client, signed_in, make_user):
    signed_in("admin")
    ann = make_user("member", name="Ann Archer", email="ann@example.org")

    person_page = page_text(client.get(f"/admin/people/{ann.id}"))
    assert "Download everything we hold about this person" in person_page
    assert f"/admin/privacy/subject-access/people/{ann.id}" in person_page

    page = client.get(f"/admin/privacy/subject-access/people/{ann.id}")
    text = page_text(page)
    assert page.status_code == 200
    assert "Everything we hold about Ann Archer" in text
    assert "account.csv" in text and "Downloading it is recorded in the audit log" in text
    assert f'href="/admin/people/{ann.id}"' in text  # the way back

    response = client.post(f"/admin/privacy/subject-access/people/{ann.id}/archive")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(f"attachment; filename=subject-access-person-{ann.id}-")
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert "ann@example.org" in archive.read("account.csv").decode("utf-8-sig")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.subject_access_exported"))
    assert event.object_id == str(ann.id)


def test_a_volunteers_page_links_to_their_archive(client, signed_in, volunteer):
    signed_in("admin")
    detail = page_text(client.get(f"/focus-groups/{volunteer.study_id}/volunteers/{volunteer.id}"))
    assert "Download everything we hold about this volunteer" in detail

    page = page_text(
        client.get(f"/admin/privacy/subject-access/studies/{volunteer.study_id}/volunteers/{volunteer.id}")
    )
    assert "Everything we hold about Vera Volunteer" in page
    assert "Back to the volunteer" in page

    response = client.post(
        f"/admin/privacy/subject-access/studies/{volunteer.study_id}/volunteers/{volunteer.id}/archive"
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"subject-access-volunteer-{volunteer.id}-" in response.headers["Content-Disposition"]
    records = zipfile.ZipFile(io.BytesIO(response.data)).read("volunteer_records.csv").decode("utf-8-sig")
    assert "vera@example.org" in records


def test_a_volunteer_of_another_study_is_not_found(client, signed_in, volunteer, make_study):
    signed_in("admin")
    other = make_study(slots=0, title="Other study")

    assert client.get(f"/admin/privacy/subject-access/studies/{other.id}/volunteers/{volunteer.id}").status_code == 404
    url = f"/admin/privacy/subject-access/studies/{other.id}/volunteers/{volunteer.id}/archive"
    assert client.post(url).status_code == 404


def test_organisers_cannot_see_or_download_archives(client, signed_in, make_user, volunteer):
    signed_in("organiser")
    ann = make_user("member")

    assert client.get(f"/admin/privacy/subject-access/people/{ann.id}").status_code == 403
    assert client.post(f"/admin/privacy/subject-access/people/{ann.id}/archive").status_code == 403
    url = f"/admin/privacy/subject-access/studies/{volunteer.study_id}/volunteers/{volunteer.id}/archive"
    assert client.post(url).status_code == 403
    detail = page_text(client.get(f"/focus-groups/{volunteer.study_id}/volunteers/{volunteer.id}"))
    assert "Download everything we hold" not in detail
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.subject_access_exported")) is None


def test_finding_someone_by_email_address(client, signed_in, make_user, volunteer):
    signed_in("admin")
    make_user("member", name="Vera Volunteer", email="vera@example.org")

    page = page_text(client.post("/admin/privacy/subject-access", data={"email": " VERA@example.org "}))

    assert "What we hold for VERA@example.org" in page
    assert "Account" in page and "Volunteer record" in page and "Who are our users?" in page
    assert "Download everything we hold about this person" in page


def test_finding_nobody_says_so(client, signed_in):
    signed_in("admin")

    page = page_text(client.post("/admin/privacy/subject-access", data={"email": "nobody@example.org"}))

    assert "We hold no account and no volunteer record with this email address." in page


def test_a_bad_address_gets_the_error_summary_and_is_kept(client, signed_in):
    signed_in("admin")

    page = page_text(client.post("/admin/privacy/subject-access", data={"email": "not an address<script>"}))

    assert "There is a problem" in page
    assert "Enter an email address in the correct format" in page
    assert 'value="not an address&lt;script&gt;"' in client.post(
        "/admin/privacy/subject-access", data={"email": "not an address<script>"}
    ).get_data(as_text=True)
    assert "What we hold for" not in page


def test_the_find_page_is_linked_from_the_admin_home(client, signed_in):
    signed_in("admin")

    assert "/admin/privacy/subject-access" in client.get("/").get_data(as_text=True)


@pytest.fixture
def config_overrides():
    return {
        "RETENTION_VOLUNTEER_MONTHS": 18,
        "RETENTION_AUDIT_ADDRESS_DAYS": 60,
        "RETENTION_JOB_FILE_HOURS": 1,
        "PRIVACY_CONTROLLER": "Socitm Ltd",
        "PRIVACY_CONTACT_EMAIL": "dpo@socitm.example",
    }


def test_the_privacy_notice_states_the_configured_periods_controller_and_contact(client):
    page = page_text(client.get("/privacy"))

    assert "The data controller is Socitm Ltd" in page
    assert 'href="mailto:dpo@socitm.example"' in page
    assert "18 months after the study's last session" in page
    assert "60 days after the event" in page
    assert "1 hour after they were made" in page
    assert "6 months after the survey closes" in page  # a default
    for basis in ("Legitimate interests", "Consent"):
        assert basis in page
    for kind in ("Members answering the survey", "Focus-group volunteers", "Focus-group participants", "Socitm staff"):
        assert kind in page
    assert 'such as "Erased person 17"' in page
    assert "The IP address is removed" in page  # capitals kept ("IP", not "ip")


def test_administrators_are_told_when_the_retention_job_has_not_run(client, signed_in):
    from app.privacy.retention import apply_retention, plan_retention

    signed_in("admin")
    page = page_text(client.get("/"))
    assert "the retention job has never run" in page and "flask retention apply" in page
    apply_retention(plan_retention(datetime.now(UTC)))
    assert "retention job" not in page_text(client.get("/"))


def test_a_retention_run_more_than_two_days_ago_is_overdue(app):
    from app.privacy.retention import apply_retention, plan_retention, retention_overdue

    apply_retention(plan_retention(datetime.now(UTC)))
    assert retention_overdue() is None
    later = datetime.now(UTC) + timedelta(days=3)
    assert retention_overdue(later)["last_run"] is not None


def test_other_roles_are_not_shown_the_retention_warning(client, signed_in):
    signed_in("organiser")
    assert "retention job" not in page_text(client.get("/"))
