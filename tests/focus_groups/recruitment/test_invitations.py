"""Recruitment invitations (recruitment/invitations.py): a link to the volunteer form for each organisation."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.recruitment.invitations import send_recruitment_invitations
from tests.conftest import text_part


def test_recruitment_invitations_link_to_the_form_for_each_organisation(app, make_study, make_organisation, mailbox):
    study = make_study(slots=2)
    cardiff = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    quiet = make_organisation(name="Quiet Council")
    outcome = send_recruitment_invitations(study, [cardiff.id, quiet.id])
    assert outcome.sent == ["Cardiff Council"]
    assert outcome.skipped == [("Quiet Council", "no contact email and no member accounts")]
    [message] = mailbox
    assert message["To"] == "ict@cardiff.example"
    assert f"/focus-groups/{study.id}/volunteer?organisation={cardiff.id}" in text_part(message)
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "focus_groups.recruitment_invitation_sent")
    )


def test_no_invitations_while_the_study_is_not_recruiting(app, make_study, make_organisation, mailbox):
    study = make_study()
    study.recruiting = False
    db.session.commit()
    org = make_organisation(contact_email="ict@example.org")
    outcome = send_recruitment_invitations(study, [org.id])
    assert outcome.sent == [] and mailbox == []
