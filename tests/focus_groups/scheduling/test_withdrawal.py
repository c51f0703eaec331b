"""Withdrawal (scheduling/withdrawal.py): personal details erased, the pseudonym kept, the place filled, and
only once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clock import aware
from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.scheduling.ical import session_uid
from app.focus_groups.scheduling.withdrawal import withdraw_volunteer
from app.focus_groups.services import email_fingerprint, volunteer_token
from tests.conftest import page_text, text_part
from tests.focus_groups.scheduling.support import calendar_in, confirm, to


def test_withdrawing_erases_personal_details_keeps_the_pseudonym_and_fills_the_place(
    client, signed_in, mailbox, group, make_organisation
):
    study, slot, participants, (rosa, nia) = group
    organiser = signed_in("organiser")
    confirm(client, slot)
    leaving = participants[0]
    volunteer_ = leaving.volunteer
    address, name = volunteer_.email, volunteer_.name
    volunteer_.job_role, volunteer_.access_needs = "Head of ICT", "Step-free access"
    volunteer_.organisation = make_organisation(name="Leaving Borough")
    db.session.commit()
    respond_token = volunteer_token(volunteer_, "respond")
    withdraw_token = volunteer_token(volunteer_, "withdraw")
    invitation = to(mailbox, address)[0]
    assert f"/focus-groups/withdraw/{withdraw_token}" in text_part(invitation)
    mailbox.clear()

    page = client.get(f"/focus-groups/withdraw/{withdraw_token}")
    assert page.status_code == 200 and "Leave the focus-group study?" in page_text(page)
    db.session.expire_all()
    assert volunteer_.email == address  # nothing happens until they confirm

    response = client.post(f"/focus-groups/withdraw/{withdraw_token}", follow_redirects=True)
    assert "You have left the study" in page_text(response)
    db.session.expire_all()
    assert (volunteer_.name, volunteer_.email, volunteer_.job_role, volunteer_.access_needs) == (None,) * 4
    assert (volunteer_.organisation_name, volunteer_.organisation_id) == (None, None)
    assert volunteer_.erased_at is not None and volunteer_.withdrawn_at is not None
    assert (volunteer_.region, volunteer_.council_type, volunteer_.supports_schools) == (
        "london",
        "london-borough",
        True,
    )
    assert (leaving.status, leaving.pseudonym, leaving.attendance) == ("withdrawn", "P1", None)
    # Their place goes to the reserve who keeps the group most varied, and organisers are told.
    assert (nia.role, nia.status, nia.pseudonym) == ("participant", "invited", "P4")
    (confirmation,) = to(mailbox, address)
    assert "You have left" in confirmation["Subject"]
    # ...with a cancellation for their own event, so the session leaves their calendar.
    method, calendar = calendar_in(confirmation)
    (entry,) = calendar.events
    assert method == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == session_uid(slot.id, volunteer_.id, "socitm-research")
    assert entry["SEQUENCE"] == slot.sequence + 1
    assert "removes the focus group" in text_part(confirmation)
    (notice,) = to(mailbox, organiser.email)
    assert "P1 withdrew from the study" in text_part(notice) and name not in text_part(notice)
    assert to(mailbox, nia.volunteer.email)
    # Every old link is dead; the audit log says what happened without saying who.
    assert client.get(f"/focus-groups/respond/{respond_token}").status_code == 404
    assert client.get(f"/focus-groups/withdraw/{withdraw_token}").status_code == 404
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteer_withdrawn"))
    assert event.detail["pseudonym"] == "P1" and event.detail["previous_status"] == "invited"
    assert name not in str(event.detail) and address not in str(event.detail)


def test_withdrawing_after_the_session_marks_attendance_and_promotes_nobody(app, mailbox, group):
    _, slot, participants, (rosa, nia) = group
    slot.status = "confirmed"
    for number, placement in enumerate(participants, start=1):
        placement.status, placement.pseudonym = "accepted", f"P{number}"
    db.session.commit()
    withdraw_volunteer(participants[1].volunteer, now=aware(slot.starts_at) + timedelta(days=2))
    db.session.commit()
    db.session.expire_all()
    assert (participants[1].status, participants[1].attendance, participants[1].pseudonym) == (
        "withdrawn",
        "withdrew",
        "P2",
    )
    assert (rosa.status, nia.status) == ("proposed", "proposed")
    assert [m["Subject"] for m in mailbox] == ["You have left the Socitm focus groups"]


def test_a_reserve_or_unplaced_volunteer_can_withdraw_too(client, mailbox, group, volunteer):
    study, slot, _, (rosa, _) = group
    unplaced = volunteer(study)
    for person in (rosa.volunteer, unplaced):
        response = client.post(f"/focus-groups/withdraw/{volunteer_token(person, 'withdraw')}")
        assert response.status_code == 302
    db.session.expire_all()
    assert rosa.status == "withdrawn" and rosa.volunteer.email is None and unplaced.erased_at is not None
    assert len(mailbox) == 2  # the two confirmations; no organiser notice for a reserve


def test_the_withdrawal_page_offers_a_way_back(client, signed_in, group):
    _, slot, participants, (rosa, _) = group
    signed_in("organiser")
    confirm(client, slot)
    volunteer_ = participants[0].volunteer
    page = page_text(client.get(f"/focus-groups/withdraw/{volunteer_token(volunteer_, 'withdraw')}"))
    keep = f'href="/focus-groups/respond/{volunteer_token(volunteer_, "respond")}"'
    assert "No, keep my place" in page and keep in page
    reserve_page = page_text(client.get(f"/focus-groups/withdraw/{volunteer_token(rosa.volunteer, 'withdraw')}"))
    assert "No, stay in the study" in reserve_page


def test_withdrawal_redacts_the_outbox_and_the_address_in_the_audit_log_and_keeps_a_fingerprint(
    app, client, signed_in, group
):
    """No SMTP server here: the development outbox keeps bodies, which is what must be redacted."""
    _, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    volunteer_ = participants[0].volunteer
    address = volunteer_.email
    other = participants[1].volunteer.email
    visitor = app.test_client()  # the volunteer, from their own browser
    visitor.post(f"/focus-groups/respond/{volunteer_token(volunteer_, 'respond')}", data={"answer": "accept"})
    visitor.post(f"/focus-groups/withdraw/{volunteer_token(volunteer_, 'withdraw')}")
    db.session.expire_all()

    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all() == []
    label = f"Withdrawn volunteer {volunteer_.id}"  # the same anonymous label as everywhere else
    erased = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == label)).all()
    assert {m.template for m in erased} == {"fg_invitation", "fg_withdrawal_confirmation"}
    assert all(m.text_body is None and m.html_body is None for m in erased)
    (kept,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == other))
    assert kept.text_body  # nobody else's email is touched

    events = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    assert events["focus_groups.volunteer_withdrawn"].ip_address is None
    assert events["focus_groups.reserve_promoted"].ip_address is None  # their withdrawal promoted a reserve
    assert events["focus_groups.invitation_accepted"].ip_address is None  # their own earlier answer
    assert events["focus_groups.slot_confirmed"].ip_address is not None  # the organiser's stays
    assert volunteer_.email is None and volunteer_.withdrawn_email_hash == email_fingerprint(address)
    assert email_fingerprint(address.upper()) == volunteer_.withdrawn_email_hash


def test_withdrawing_after_the_session_keeps_recorded_attendance_and_leaves_decliners_alone(app, mailbox, group):
    _, slot, participants, _ = group
    slot.status = "confirmed"
    answers = [("accepted", "attended"), ("accepted", "no_show"), ("declined", None)]
    for number, (placement, (status, attendance)) in enumerate(zip(participants, answers, strict=True), start=1):
        placement.status, placement.attendance, placement.pseudonym = status, attendance, f"P{number}"
    db.session.commit()
    after = aware(slot.starts_at) + timedelta(days=2)
    for placement in participants:
        withdraw_volunteer(placement.volunteer, now=after)
        db.session.commit()
    db.session.expire_all()
    assert [p.status for p in participants] == ["withdrawn"] * 3
    assert [p.attendance for p in participants] == ["attended", "no_show", None]
    # After the session, nobody's calendar needs changing: no cancellation attached.
    assert all(not list(m.iter_attachments()) for m in mailbox)


def test_withdrawing_twice_does_it_once(app, mailbox, group):
    _, _, participants, _ = group
    volunteer_ = participants[0].volunteer
    assert withdraw_volunteer(volunteer_) is True
    db.session.commit()
    assert withdraw_volunteer(volunteer_) is False
    db.session.commit()
    assert len(mailbox) == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteer_withdrawn"))
    assert len(events.all()) == 1
