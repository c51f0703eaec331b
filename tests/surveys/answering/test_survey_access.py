"""Who may answer a survey: members of an invited organisation, or every member when organisers open it
to all. A member of any other organisation finds no such survey (404), by typing its address or otherwise.
Two organisations, two surveys: each member reaches only their own."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.surveys.invitations.services import invite_organisation, revoke_invitation
from app.surveys.models import Response, Survey, SurveyVersion
from app.surveys.services import DEFAULT_DEFINITION, ensure_default_survey
from tests.conftest import page_text, sign_in


def _second_survey() -> Survey:
    data = json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
    survey = Survey(slug="second-survey", title="A second survey", draft=data)
    survey.versions.append(SurveyVersion(number=1, definition=data))
    db.session.add(survey)
    db.session.commit()
    return survey


@pytest.fixture
def two_of_each(app, make_organisation, make_user):
    """Survey A invites organisation 1, survey B organisation 2; a member of each."""
    first, second = ensure_default_survey(), _second_survey()
    org1 = make_organisation("First Council", contact_email="ict@first.example")
    org2 = make_organisation("Second Council", contact_email="ict@second.example")
    assert invite_organisation(first, org1) is None
    assert invite_organisation(second, org2) is None
    member1 = make_user("member", organisation=org1)
    member2 = make_user("member", organisation=org2)
    return first, second, org1, org2, member1, member2


def _pages(slug: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/surveys/{slug}/"),
        ("POST", f"/surveys/{slug}/start"),
        ("GET", f"/surveys/{slug}/questions/provides"),
        ("POST", f"/surveys/{slug}/questions/provides"),
        ("GET", f"/surveys/{slug}/check"),
        ("POST", f"/surveys/{slug}/submit"),
        ("GET", f"/surveys/{slug}/done"),
        ("GET", f"/surveys/{slug}/comparison"),
    ]


def test_a_member_cannot_open_or_start_a_survey_their_organisation_was_not_invited_to(client, two_of_each):
    first, second, org1, org2, member1, _ = two_of_each
    sign_in(client, member1.email)
    assert client.get(f"/surveys/{first.slug}/").status_code == 200
    for method, url in _pages(second.slug):
        response = client.open(url, method=method, data={"provides_education": "no"})
        assert response.status_code == 404, (method, url)
    assert db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == second.id)) == 0
    assert client.post(f"/surveys/{first.slug}/start").status_code == 302
    assert db.session.scalar(select(Response.organisation_id).where(Response.survey_id == first.id)) == org1.id


def test_each_member_sees_only_the_surveys_their_organisation_may_answer(client, two_of_each):
    first, second, _, _, member1, member2 = two_of_each
    sign_in(client, member1.email)
    listing = page_text(client.get("/surveys/"))
    assert first.title in listing and second.title not in listing
    client.post("/sign-out")
    sign_in(client, member2.email)
    listing = page_text(client.get("/surveys/"))
    assert second.title in listing and first.title not in listing
    assert client.get(f"/surveys/{first.slug}/").status_code == 404


def test_organisers_can_open_a_survey_to_all_members_and_the_dashboard_says_so(client, two_of_each, make_user):
    _, second, _, _, member1, _ = two_of_each
    organiser = make_user("organiser")
    sign_in(client, organiser.email)
    dashboard = page_text(client.get(f"/surveys/manage/{second.slug}/"))
    assert "Invited organisations only" in dashboard
    response = client.post(f"/surveys/manage/{second.slug}/access", data={"open": "yes"}, follow_redirects=True)
    assert "Every member can now answer this survey" in page_text(response)
    assert "Open to all members" in page_text(response)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "surveys.access_changed"))
    assert event.actor_id == organiser.id and event.detail == {"open_to_all_members": True}
    client.post("/sign-out")

    sign_in(client, member1.email)
    assert second.title in page_text(client.get("/surveys/"))
    assert client.post(f"/surveys/{second.slug}/start").status_code == 302
    client.post("/sign-out")

    sign_in(client, organiser.email)
    client.post(f"/surveys/manage/{second.slug}/access", data={"open": "no"})
    db.session.expire_all()
    assert db.session.get(Survey, second.id).open_to_all_members is False


def test_a_new_survey_is_for_invited_organisations_only(app):
    survey = Survey(slug="brand-new", title="Brand new survey", draft={})
    db.session.add(survey)
    db.session.commit()
    db.session.execute(Survey.__table__.insert().values(slug="by-hand", title="Inserted by hand", draft={}))
    db.session.commit()
    assert db.session.scalars(select(Survey.open_to_all_members)).all() == [False, False]


def test_a_revoked_invitation_no_longer_lets_members_in_unless_they_had_started(client, two_of_each, make_user):
    first, second, org1, _, member1, _ = two_of_each
    from app.surveys.models import Invitation

    invitation = db.session.scalar(select(Invitation).where(Invitation.organisation_id == org1.id))
    revoke_invitation(invitation)
    sign_in(client, member1.email)
    assert client.get(f"/surveys/{first.slug}/").status_code == 404

    other = make_user("member")
    assert invite_organisation(first, other.organisation) is None
    client.post("/sign-out")
    sign_in(client, other.email)
    assert client.post(f"/surveys/{first.slug}/start").status_code == 302
    invitation = db.session.scalar(select(Invitation).where(Invitation.organisation_id == other.organisation_id))
    revoke_invitation(invitation)
    # What their organisation started stays theirs to see and finish.
    assert client.get(f"/surveys/{first.slug}/").status_code == 200


def test_non_members_are_still_refused_and_visitors_sent_to_sign_in(client, two_of_each, make_user):
    _, second, *_ = two_of_each
    assert client.get(f"/surveys/{second.slug}/").status_code == 302
    sign_in(client, make_user("analyst").email)
    assert client.get(f"/surveys/{second.slug}/").status_code == 403


def test_the_demo_member_can_answer_the_demo_survey(runner, client):
    result = runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    survey = ensure_default_survey()
    assert survey.open_to_all_members is False  # answered because their organisation is invited
    sign_in(client, "member@demo.example", "demo-password-1")
    assert survey.title in page_text(client.get("/surveys/"))
    assert client.get(f"/surveys/{survey.slug}/").status_code == 200
    assert client.post(f"/surveys/{survey.slug}/start").status_code == 302
