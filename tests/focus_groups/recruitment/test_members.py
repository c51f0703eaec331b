"""Members who asked in the survey to hear about focus groups (recruitment/members.py): who an organiser
sees for a study, and inviting them once each, by email over SMTP, audit-logged."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.recruitment.members import interested_members, invite_members
from app.focus_groups.scheduling.withdrawal import leave_study
from tests.conftest import text_part


def _names(members) -> list[str]:
    return [m.user.name for m in members]


def test_members_who_said_yes_are_listed_with_their_organisation(make_study, make_interested_member):
    study = make_study(slots=1)
    ann = make_interested_member("Ann Jones", organisation_name="Cardiff Council", region="wales", council_type="welsh")
    make_interested_member("Bob Said No", answer="no")
    [member] = interested_members(study).to_invite
    assert member.user == ann
    assert (member.organisation.name, member.organisation.region_label, member.organisation.council_type_label) == (
        "Cardiff Council",
        "Wales",
        "Welsh council",
    )
    assert member.answered_at.date().isoformat() == "2026-11-21"
    assert member.invited_at is None


def test_the_newest_answer_comes_first(make_study, make_interested_member):
    study = make_study(slots=1)
    make_interested_member("Older Answer")
    make_interested_member("Newer Answer")
    assert _names(interested_members(study).to_invite) == ["Newer Answer", "Older Answer"]


def test_volunteers_withdrawn_and_erased_people_are_left_out(make_study, make_interested_member, make_volunteer):
    study = make_study(slots=1)
    volunteered = make_interested_member("Already Volunteered")
    make_volunteer(study, name="Already Volunteered", email=volunteered.email.upper())
    withdrew = make_interested_member("Withdrew Elsewhere")
    other_study = make_study(slots=1, title="Another study")
    volunteer = make_volunteer(other_study, email=withdrew.email)
    leave_study(volunteer)
    erased = make_interested_member("Erased Person")
    erased.erased_at = erased.created_at
    turned_off = make_interested_member("Turned Off")
    turned_off.disabled = True
    db.session.commit()
    make_interested_member("Still Keen")
    assert _names(interested_members(study).to_invite) == ["Still Keen"]
    # Someone who volunteered for another study (and did not withdraw) may still be invited to this one.
    assert "Already Volunteered" in _names(interested_members(other_study).to_invite)


def test_inviting_emails_each_member_the_volunteer_form_once(make_study, make_interested_member, mailbox):
    study = make_study(slots=2)
    ann = make_interested_member("Ann Jones", organisation_name="Cardiff Council", region="wales", council_type="welsh")
    outcome = invite_members(study, [ann.id])
    assert outcome.sent == ["Ann Jones"]
    [message] = mailbox
    assert message["To"] == ann.email
    assert message["Subject"] == f"Take part in a focus group: {study.title}"
    body = text_part(message)
    assert body.startswith("Dear Ann Jones,")
    assert "You said in Socitm's member survey that you would like to hear about taking part" in body
    assert f"/focus-groups/{study.id}/volunteer?organisation={ann.organisation_id}" in body
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.member_invited")).all()
    assert [(e.object_id, e.detail["user_id"]) for e in events] == [(str(study.id), ann.id)]

    again = invite_members(study, [ann.id])  # a second click
    assert again.sent == [] and again.already_invited == 1
    assert len(mailbox) == 1
    members = interested_members(study)
    assert members.to_invite == [] and _names(members.invited) == ["Ann Jones"]
    assert members.invited[0].invited_at is not None


def test_only_members_still_to_invite_are_invited(make_study, make_interested_member, make_user, mailbox):
    study = make_study(slots=1)
    said_no = make_interested_member("Said No", answer="no")
    stranger = make_user("member")
    outcome = invite_members(study, [said_no.id, stranger.id, 999999])
    assert outcome.sent == [] and outcome.not_invitable == 3 and mailbox == []


def test_nobody_is_invited_while_the_study_is_not_recruiting(make_study, make_interested_member, mailbox):
    study = make_study(slots=1)
    study.recruiting = False
    db.session.commit()
    member = make_interested_member()
    outcome = invite_members(study, [member.id])
    assert outcome.sent == [] and outcome.not_invitable == 1 and mailbox == []
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "focus_groups.member_invited"))
        == 0
    )
