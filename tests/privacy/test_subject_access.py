"""Subject access: one archive of everything held about a person or a volunteer, and nobody else."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.email.models import OutboxAttachment, OutboxMessage
from app.extensions import db
from app.focus_groups.models import Placement
from app.focus_groups.notes.models import Note
from app.privacy.subject_access import (
    COLUMNS,
    export_subject,
    find_subject,
    subject_archive,
    subject_for_person,
    subject_for_volunteer,
)
from app.surveys.models import Answer, Response
from app.surveys.services import ensure_default_survey

WHEN = datetime(2055, 3, 1, 10, 30, tzinfo=UTC)


def read_archive(data: bytes) -> tuple[dict, dict[str, list[dict]], str]:
    """The archive's data.json, its CSV files as rows, and all its text (to look for what must be absent)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    tabled = ["README.txt", "data.json", *(f"{name}.csv" for name in COLUMNS)]
    assert names[: len(tabled)] == tabled
    assert all(name.startswith("attachments/email-") for name in names[len(tabled) :])
    tables = {
        name[:-4]: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        for name in names
        if name.endswith(".csv")
    }
    everything = "\n".join(archive.read(name).decode("utf-8-sig", "replace") for name in names)
    return json.loads(archive.read("data.json")), tables, everything


@pytest.fixture
def people(app, make_user, make_organisation, make_study, make_volunteer):
    """Ann (a member who also volunteered, placed as P2) and Bob (another member and volunteer, P1),
    with answers, emails, audit events and notes each, and an admin who acted on Ann's account."""
    org_a = make_organisation(name="Anytown Council", contact_email="ANN@anytown.example")
    org_b = make_organisation(name="Boroughton Council", contact_email="bob@boroughton.example")
    ann = make_user("member", name="Ann Archer", email="ann@anytown.example", organisation=org_a)
    bob = make_user("member", name="Bob Bowman", email="bob@boroughton.example", organisation=org_b)
    admin = make_user("admin", name="Ada Admin", email="ada@socitm.example")
    survey = ensure_default_survey()
    for who, org in ((ann, org_a), (bob, org_b)):
        response = Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference=f"SIS-{who.id:04d}-AAAA",
        )
        response.answers.append(
            Answer(question_id="provides_education", value="yes", updated_by_id=who.id, updated_by_label=who.name)
        )
        db.session.add(response)
    db.session.add_all(
        [
            OutboxMessage(
                recipient=ann.email,
                subject="Reset your password",
                template="password_reset",
                status="outbox",
                text_body="Hello Ann, reset it here: http://localhost/password/reset/SECRET-TOKEN-123",
            ),
            OutboxMessage(
                recipient=bob.email, subject="For Bob", template="invitation", status="sent", text_body="Hi Bob"
            ),
            AuditEvent(action="signed-in", actor_id=ann.id, actor_label=ann.email, ip_address="203.0.113.1", detail={}),
            AuditEvent(
                action="people.person_updated",
                actor_id=admin.id,
                actor_label=admin.email,
                object_type="user",
                object_id=str(ann.id),
                ip_address="198.51.100.99",
                detail={"roles": ["member"]},
            ),
            AuditEvent(action="signed-in", actor_id=bob.id, actor_label=bob.email, ip_address="203.0.113.2", detail={}),
        ]
    )
    study = make_study(slots=1)
    slot = study.slots[0]
    slot.status = "confirmed"
    ann_v = make_volunteer(
        study, name="Ann Archer", email="Ann@Anytown.example", job_role="ICT manager", access_needs="Step-free access"
    )
    bob_v = make_volunteer(study, name="Bob Bowman", email="bob@boroughton.example")
    db.session.add_all(
        [
            Placement(study_id=study.id, slot_id=slot.id, volunteer_id=ann_v.id, pseudonym="P2", status="accepted"),
            Placement(study_id=study.id, slot_id=slot.id, volunteer_id=bob_v.id, pseudonym="P1", status="accepted"),
            Note(
                slot_id=slot.id,
                text="P2 counts pupils as users.",
                pseudonyms=["P2"],
                created_at=WHEN,
                minutes_since_start=30,
            ),
            Note(
                slot_id=slot.id,
                text="P1 disagrees strongly.",
                pseudonyms=["P1"],
                created_at=WHEN,
                minutes_since_start=31,
            ),
            Note(
                slot_id=slot.id,
                text="P1 and P2 agree on schools.",
                pseudonyms=["P1", "P2"],
                created_at=WHEN,
                minutes_since_start=32,
            ),
        ]
    )
    db.session.add_all(
        [
            # A failed sign-in with Ann's address (for no account: not necessarily hers, so no IP shown).
            AuditEvent(
                action="auth.sign_in_failed",
                object_type="user",
                ip_address="192.0.2.50",
                detail={"email": "ann@anytown.example"},
            ),
            AuditEvent(
                action="auth.sign_in_failed",
                object_type="user",
                ip_address="192.0.2.51",
                detail={"email": "bob@boroughton.example"},
            ),
            # Ann answering through her volunteer link: her own record, her address.
            AuditEvent(
                action="focus_groups.invitation_accepted",
                object_type="volunteer",
                object_id=str(ann_v.id),
                ip_address="192.0.2.60",
                detail={},
            ),
        ]
    )
    db.session.commit()
    return {"ann": ann, "bob": bob, "admin": admin, "ann_v": ann_v, "bob_v": bob_v, "study": study}


def test_a_persons_archive_holds_their_account_answers_emails_events_and_volunteering(people):
    data, tables, everything = read_archive(subject_archive(subject_for_person(people["ann"]))[0])

    assert data["subject"] == {"name": "Ann Archer", "email_addresses": ["ann@anytown.example"]}
    assert tables["account"][0]["email"] == "ann@anytown.example"
    assert tables["account"][0]["organisation"] == "Anytown Council"
    assert [(r["question_id"], r["updated_by_label"]) for r in tables["answers_edited"]] == [
        ("provides_education", "Ann Archer")
    ]
    assert tables["organisation_contact"] == [
        {"organisation": "Anytown Council", "contact_email": "ANN@anytown.example"}
    ]
    [email] = tables["emails"]
    assert email["subject"] == "Reset your password"
    assert "SECRET-TOKEN-123" not in everything  # a link that may still work reaches nobody but its recipient
    assert "http://localhost/password/reset/[link hidden]" in email["text"]
    actions = [(r["action"], r["by"], r["ip_address"]) for r in tables["audit_events"]]
    assert ("signed-in", "ann@anytown.example", "203.0.113.1") in actions
    assert ("people.person_updated", "another user", "") in actions  # the admin's address and IP stay out
    assert ("auth.sign_in_failed", "nobody signed in", "") in actions  # her address was tried: not her IP
    assert ("focus_groups.invitation_accepted", "nobody signed in", "192.0.2.60") in actions
    # The volunteer record with the same address (whatever its case), its consent, place and notes.
    [record] = tables["volunteer_records"]
    assert (record["job_role"], record["access_needs"]) == ("ICT manager", "Step-free access")
    assert tables["consent"][0]["consent_text"].startswith("We keep your name")
    assert tables["placements"][0]["pseudonym"] == "P2"
    assert [r["text"] for r in tables["notes"]] == ["P2 counts pupils as users.", "P1 and P2 agree on schools."]
    assert data["tables"]["answers_edited"][0]["value"] == "yes"


def test_a_persons_archive_holds_nobody_elses_data(people):
    _, _, everything = read_archive(subject_archive(subject_for_person(people["ann"]))[0])

    for other in ("Bob Bowman", "bob@boroughton", "Boroughton", "203.0.113.2", "192.0.2.51", "Hi Bob", "P1 disagrees"):
        assert other not in everything
    for staff in ("ada@socitm.example", "Ada Admin", "198.51.100.99"):
        assert staff not in everything


def test_a_volunteers_archive_covers_every_record_with_their_address(people, make_study, make_volunteer):
    later = make_study(slots=1, title="Second study")
    again = make_volunteer(later, name="Bob Bowman", email="BOB@boroughton.example")

    subject = subject_for_volunteer(people["bob_v"])
    data, tables, everything = read_archive(subject_archive(subject)[0])

    assert [int(r["id"]) for r in tables["volunteer_records"]] == [people["bob_v"].id, again.id]
    assert tables["account"][0]["name"] == "Bob Bowman"  # the account with the same address
    assert [r["pseudonym"] for r in tables["placements"]] == ["P1"]
    assert [r["text"] for r in tables["notes"]] == ["P1 disagrees strongly.", "P1 and P2 agree on schools."]
    for other in ("Ann Archer", "ann@anytown.example", "Step-free access", "P2 counts pupils"):
        assert other.lower() not in everything.lower()


def test_a_withdrawn_volunteers_archive_keeps_what_is_left(people):
    from app.focus_groups.scheduling.withdrawal import withdraw_volunteer

    withdraw_volunteer(people["bob_v"])
    db.session.commit()

    data, tables, _ = read_archive(subject_archive(subject_for_volunteer(people["bob_v"]))[0])

    [record] = tables["volunteer_records"]
    assert record["name"] == "" and record["email"] == "" and record["withdrawn_at"]
    assert tables["account"] == []  # no address left to match an account by
    assert [r["pseudonym"] for r in tables["placements"]] == ["P1"]


def test_finding_by_address_ignores_case_and_spaces(people):
    subject = find_subject("  ANN@anytown.example ")

    assert subject.user.id == people["ann"].id
    assert [v.id for v in subject.volunteers] == [people["ann_v"].id]
    assert find_subject("nobody@example.org").user is None


def test_an_export_is_audit_logged_with_row_counts(people):
    export_subject(subject_for_person(people["ann"]), people["ann"], by=people["admin"])

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.subject_access_exported"))
    assert (event.actor_id, event.object_type, event.object_id) == (people["admin"].id, "user", str(people["ann"].id))
    assert event.detail["rows"]["notes"] == 2
    assert event.detail["volunteer_records"] == [people["ann_v"].id]


def test_an_erased_persons_archive_holds_only_the_anonymous_record(people):
    from app.auth.services import erase_person

    erase_person(people["ann"], people["admin"])

    data, tables, everything = read_archive(subject_archive(subject_for_person(people["ann"]))[0])

    assert data["subject"]["name"] == f"Erased person {people['ann'].id}"
    assert tables["account"][0]["status"] == "erased"
    for gone in ("Ann Archer", "ann@anytown.example", "203.0.113.1", "Step-free access", "ICT manager"):
        assert gone.lower() not in everything.lower()
    # What she changed in her organisation's response stays, credited to the label.
    assert [r["updated_by_label"] for r in tables["answers_edited"]] == [f"Erased person {people['ann'].id}"]


def test_a_volunteer_who_signed_up_while_signed_in_brings_their_account(people, make_study, make_volunteer, make_user):
    member = make_user("member", name="Mo Member", email="mo@council.example")
    study = make_study(slots=0, title="Third study")
    # Volunteered under another address while signed in: linked by account, not by address.
    record = make_volunteer(study, name="Mo Member", email="mo.member@home.example", user_id=member.id)
    # ... and under the account's address in another study.
    other = make_volunteer(make_study(slots=0, title="Fourth study"), name="Mo Member", email="mo@council.example")

    subject = subject_for_volunteer(record)
    _, tables, _ = read_archive(subject_archive(subject)[0])

    assert subject.user.id == member.id
    assert tables["account"][0]["email"] == "mo@council.example"
    assert [int(r["id"]) for r in tables["volunteer_records"]] == [record.id, other.id]
    assert [v.id for v in subject_for_person(member).volunteers] == [record.id, other.id]


def test_an_answer_stored_before_nan_was_refused_still_gives_valid_json(people, client):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's json type never accepted NaN or Infinity, so no such answer can be stored there")
    answer = db.session.scalar(select(Answer).where(Answer.updated_by_id == people["ann"].id))
    answer.value = float("nan")
    db.session.commit()
    db.session.expire_all()

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    archive = zipfile.ZipFile(io.BytesIO(subject_archive(subject_for_person(people["ann"]))[0]))
    data = json.loads(archive.read("data.json"), parse_constant=refuse)
    assert data["tables"]["answers_edited"][0]["value"] is None
    client.post("/sign-in", data={"email": "ann@anytown.example", "password": "correct horse battery staple"})
    own = json.loads(client.get("/account/export.json").get_data(as_text=True), parse_constant=refuse)
    assert own["tables"]["answers_edited"][0]["value"] is None


CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
    b"UID:fg-slot-1-volunteer-1@socitm-research\r\nDTSTAMP:20270301T103000Z\r\nSUMMARY:Socitm focus group\r\n"
    b"DESCRIPTION:Accept or decline: http://localhost/focus-groups/respond/SECRET-RESPOND-456\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)
PDF = b"%PDF-1.4\n\x00\x01\x02 binary bytes \xff\xfe\n%%EOF"


def attach(message: OutboxMessage, filename: str, content_type: str, data: bytes) -> None:
    message.attachments.append(
        OutboxAttachment(filename=filename, content_type=content_type, size=len(data), data=data)
    )


def test_the_files_attached_to_a_persons_emails_are_in_the_archive_and_its_manifest(people):
    invitation = OutboxMessage(
        recipient="ann@anytown.example",
        subject="Invitation: Socitm focus group",
        template="fg_invitation",
        status="outbox",
        text_body="You are invited.",
    )
    attach(invitation, "invitation.ics", "text/calendar; method=REQUEST", CALENDAR)
    attach(invitation, "../../etc/passwd .pdf", "application/pdf", PDF)
    attach(invitation, "invitation.ics", "text/calendar; method=REQUEST", CALENDAR)  # the same name twice
    for_bob = OutboxMessage(recipient="bob@boroughton.example", subject="Bob's", template="x", status="outbox")
    attach(for_bob, "bob.ics", "text/calendar", b"Bob's calendar")
    db.session.add_all([invitation, for_bob])
    db.session.commit()

    raw = subject_archive(subject_for_person(people["ann"]))[0]
    data, tables, everything = read_archive(raw)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    folder = f"attachments/email-{invitation.id}"
    assert [name for name in archive.namelist() if name.startswith("attachments/")] == [
        f"{folder}/invitation.ics",
        f"{folder}/etc_passwd_.pdf",  # only a name: no folders, no leading dots or spaces
        f"{folder}/3-invitation.ics",
    ]
    assert archive.read(f"{folder}/etc_passwd_.pdf") == PDF  # the bytes as they were sent
    calendar = archive.read(f"{folder}/invitation.ics")
    assert b"UID:fg-slot-1-volunteer-1@socitm-research" in calendar
    assert b"SECRET-RESPOND-456" not in calendar  # as in the texts, a link that may still work stays hidden
    assert "Bob's calendar" not in everything and "bob.ics" not in everything

    # The manifest lists each file with the email it came with; the email lists its files.
    manifest = tables["email_attachments"]
    assert [(row["subject"], row["filename"], row["file"]) for row in manifest] == [
        ("Invitation: Socitm focus group", "invitation.ics", f"{folder}/invitation.ics"),
        ("Invitation: Socitm focus group", "../../etc/passwd .pdf", f"{folder}/etc_passwd_.pdf"),
        ("Invitation: Socitm focus group", "invitation.ics", f"{folder}/3-invitation.ics"),
    ]
    assert manifest[1]["size"] == str(len(PDF)) and manifest[1]["content_type"] == "application/pdf"
    [email] = [row for row in data["tables"]["emails"] if row["subject"].startswith("Invitation")]
    assert email["attachments"] == [row["file"] for row in manifest]
    readme = archive.read("README.txt").decode()
    assert "email_attachments.csv: files attached to those emails" in readme and "3 rows" in readme
