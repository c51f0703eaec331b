"""The surveys' parts of home pages (app/surveys/home.py): a member's survey and where their organisation has
got to, with the one button that carries on; an organiser's open surveys with their response rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.surveys.home import member_surveys, open_survey_progress
from app.surveys.invitations.services import record_invitation
from app.surveys.models import Response, Survey
from app.surveys.services import ensure_default_survey
from tests.conftest import page_text
from tests.surveys.conftest import answer_page


def _response(survey: Survey, organisation, status: str = "in_progress", changed: bool = False) -> Response:
    response = Response(
        survey_id=survey.id,
        version_id=survey.current_version.id,
        organisation_id=organisation.id,
        reference=f"REF-{organisation.id}",
        status=status,
        submitted_at=datetime(2026, 11, 3, 14, 5, tzinfo=UTC) if status == "submitted" else None,
        submission_count=1 if status == "submitted" else 0,
        changed_since_submission=changed,
    )
    db.session.add(response)
    db.session.commit()
    return response


def test_each_state_of_a_response_has_its_own_words_and_button(app, survey, make_organisation):
    not_started, started, changed, submitted = (make_organisation() for _ in range(4))
    _response(survey, started)
    _response(survey, changed, "submitted", changed=True)
    _response(survey, submitted, "submitted")
    with app.test_request_context():
        found = {org.name: member_surveys(org.id)[0] for org in (not_started, started, changed, submitted)}
    assert [(item.status_label, item.button) for item in found.values()] == [
        ("Not started", "Start now"),
        ("In progress", "Continue"),
        ("Changes not yet sent", "Check and send your changes"),
        ("Submitted", "View or change your answers"),
    ]
    assert found[not_started.name].url == "/surveys/schools-ict/"
    assert found[started.name].url == "/surveys/schools-ict/questions/provides"  # where nothing is answered yet
    assert found[changed.name].url == found[submitted.name].url == "/surveys/schools-ict/check"


def test_a_member_sees_only_the_surveys_open_now_that_their_organisation_may_answer(app, make_organisation):
    survey = ensure_default_survey()  # invited organisations only
    invited, other = make_organisation(), make_organisation()
    record_invitation(survey, invited, "ict@invited.example")
    db.session.commit()
    with app.test_request_context():
        assert [item.survey.title for item in member_surveys(invited.id)] == [survey.title]
        assert member_surveys(other.id) == []
        survey.closes_at = datetime.now(UTC) - timedelta(days=1)
        db.session.commit()
        assert member_surveys(invited.id) == []


def test_the_members_home_carries_on_where_their_organisation_left_off(client, signed_in, survey):
    member = signed_in("member")
    page = page_text(client.get("/"))
    assert "Your organisation's survey" in page and "Not started" in page
    assert 'href="/surveys/schools-ict/"' in page and "Start now" in page
    assert f"Nobody from {member.organisation.name} has started it yet" in page

    client.post("/surveys/schools-ict/start")
    answer_page(client, "provides", {"provides_education": "no"})
    page = page_text(client.get("/"))
    assert "In progress" in page and "Continue" in page
    assert "Not started" not in page


def test_the_members_home_says_when_changes_are_not_yet_sent(client, signed_in, survey):
    member = signed_in("member")
    _response(survey, member.organisation, "submitted", changed=True)
    page = page_text(client.get("/"))
    assert "Changes not yet sent" in page
    assert "submitted its answers on 3 November 2026 at 2:05pm (reference REF-" in page
    assert "Some answers have changed since then and are not submitted yet" in page
    assert 'href="/surveys/schools-ict/check"' in page and "Check and send your changes" in page


def test_a_member_with_nothing_to_answer_is_told_so(client, signed_in, app):
    ensure_default_survey()  # not open to their organisation
    member = signed_in("member")
    page = page_text(client.get("/"))
    assert f"There is no survey for {member.organisation.name} to answer at the moment" in page
    assert "Start now" not in page


def test_response_rates_count_the_organisations_asked(app, make_organisation):
    survey = ensure_default_survey()
    invited = [make_organisation() for _ in range(4)]
    for organisation in invited:
        record_invitation(survey, organisation, f"ict{organisation.id}@example.org")
    db.session.commit()
    _response(survey, invited[0], "submitted")
    _response(survey, invited[1], "in_progress")
    _response(survey, make_organisation(), "submitted")  # answered before the survey was limited to invitations
    [progress], others = open_survey_progress()
    assert (progress.submitted, progress.in_progress, progress.asked, progress.asked_label) == (
        1,
        1,
        4,
        "invited organisations",
    )
    assert progress.rate == 25 and others == 0

    survey.open_to_all_members = True
    db.session.commit()
    [progress], _ = open_survey_progress()
    assert (progress.submitted, progress.in_progress, progress.asked) == (2, 1, 5)
    assert progress.asked_label == "member organisations" and progress.rate == 40


def test_surveys_not_open_are_counted_not_listed(app):
    survey = ensure_default_survey()
    survey.opens_at = datetime.now(UTC) + timedelta(days=3)
    db.session.commit()
    assert open_survey_progress() == ([], 1)


def test_the_organisers_home_shows_each_open_surveys_response_rate(client, signed_in, make_organisation):
    survey = ensure_default_survey()
    first, second = make_organisation(), make_organisation()
    for organisation in (first, second):
        record_invitation(survey, organisation, f"ict{organisation.id}@example.org")
    db.session.commit()
    _response(survey, first, "submitted")
    signed_in("organiser")
    page = page_text(client.get("/"))
    assert "Delivery of ICT services to schools" in page
    assert "1 of 2 invited organisations (50%)" in page
    assert 'href="/surveys/manage/schools-ict/"' in page and 'href="/surveys/results/schools-ict/"' in page
    assert 'href="/surveys/manage/"' in page  # the list of every survey


def test_the_organisers_home_says_when_no_survey_is_open(client, signed_in, app):
    survey = ensure_default_survey()
    survey.closes_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    signed_in("organiser")
    page = page_text(client.get("/"))
    assert "No survey is open at the moment." in page
    assert "All surveys (1 more that is not open)" in page.replace("</a>", "")
