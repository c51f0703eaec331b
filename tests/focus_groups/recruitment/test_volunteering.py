"""Volunteering (recruitment/volunteering.py): saving volunteers once per email per study, with consent and an
answer for every slot, and the form's email and audit event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Availability, Volunteer
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.recruitment.pool import other_records
from app.focus_groups.recruitment.volunteering import save_volunteer, volunteer_from_form
from tests.conftest import text_part
from tests.focus_groups.recruitment.support import details


def test_a_volunteer_is_saved_with_consent_and_an_answer_for_every_slot(app, make_study):
    study = make_study(slots=3)
    now = datetime(2055, 1, 5, 12, 0, tzinfo=UTC)
    volunteer, created = save_volunteer(study, details(study, audio_consent=True), now=now)
    db.session.commit()
    assert created
    assert volunteer.consent_version == CURRENT_CONSENT_VERSION and volunteer.audio_consent
    assert volunteer.consented_at.replace(tzinfo=UTC) == now
    assert volunteer.source == "form" and len(volunteer.salt) == 32
    assert [volunteer.answer_for(slot.id) for slot in study.slots] == ["yes", "if_need_be", "no"]
    assert db.session.scalar(select(func.count()).select_from(Availability)) == 3


def test_a_second_expression_of_interest_with_the_same_email_updates_the_first(app, make_study):
    study = make_study(slots=2)
    first, _ = save_volunteer(study, details(study))
    db.session.commit()
    again, created = save_volunteer(
        study,
        details(study, email="ANN@example.org", name="Ann Updated", availability={study.slots[1].id: "yes"}),
    )
    db.session.commit()
    assert not created and again.id == first.id
    assert db.session.scalar(select(func.count(Volunteer.id))) == 1
    assert again.name == "Ann Updated"
    assert [again.answer_for(slot.id) for slot in study.slots] == ["no", "yes"]


def test_the_same_email_may_volunteer_for_another_study(app, make_study):
    one, two = make_study(slots=2, title="One"), make_study(slots=2, title="Two")
    first, _ = save_volunteer(one, details(one))
    second, created = save_volunteer(two, details(two))
    db.session.commit()
    assert created and other_records(second) == [first]


def test_volunteering_through_the_form_emails_the_volunteer_and_is_audited(app, make_study, mailbox):
    study = make_study(slots=2)
    outcome = volunteer_from_form(study, details(study))
    assert outcome.created and outcome.emailed
    [message] = mailbox
    assert message["To"] == "ann@example.org" and "Thank you for volunteering" in message["Subject"]
    body = text_part(message)
    assert "Slot 1" in body and "Yes" in body and "If need be" in body
    assert "/focus-groups/withdraw/" in body  # the withdrawal link
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteered"))
    assert event.object_id == str(outcome.volunteer.id)
    # Again with the same address: nothing changes until its owner confirms, and within the hour no email goes.
    again = volunteer_from_form(study, details(study, job_role="CIO"))
    assert again.pending and not again.emailed and again.volunteer.job_role == "Head of ICT"
    assert len(mailbox) == 1
