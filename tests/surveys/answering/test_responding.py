"""A member answers the survey through the pages: routing, saving, conflicts, submission, receipts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.surveys.models import Answer, Response, ResponseSnapshot
from tests.conftest import page_text, sign_in
from tests.surveys.conftest import NO_SCHOOLS, answer_all, answer_page


def test_member_starts_from_their_surveys_list(client, signed_in, survey):
    user = signed_in("member")
    page = page_text(client.get("/surveys/"))
    assert "Delivery of ICT services to schools" in page and "Not started" in page
    start = page_text(client.get("/surveys/schools-ict/"))
    assert user.organisation.name in start and "Start now" in start
    response = client.post("/surveys/schools-ict/start")
    assert response.headers["Location"] == "/surveys/schools-ict/questions/provides"
    first = page_text(client.get(response.headers["Location"]))
    assert "Section 1 of" in first and "Does your ICT service provide any services to schools" in first
    assert 'name="action" value="back"' in first and "govuk-back-link" in first


def test_the_short_path_for_an_organisation_without_schools(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    response = answer_page(client, "provides", {"provides_education": "no"})
    assert response.headers["Location"] == "/surveys/schools-ict/questions/user_counts"
    answer_all(client)
    check = page_text(client.get("/surveys/schools-ict/check"))
    assert "Check your answers before submitting" in check
    assert "Which types of education setting" not in check  # skipped pages are not shown
    assert "Total users: 3,600" in check and "£4,200,000.00" in check


def test_errors_keep_the_answers_and_link_to_the_field(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    answer_page(client, "provides", {"provides_education": "yes"})
    response = answer_page(client, "settings", {"education_settings": ["special"], "settings_supported": "lots"})
    page = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in page and 'href="#settings_supported"' in page
    assert 'value="lots"' in page and 'value="special" checked' in page
    assert "<title>Error:" in page


def test_check_answers_change_links_return_to_the_summary(client, signed_in, survey):
    signed_in("member")
    answer_all(client)
    check = page_text(client.get("/surveys/schools-ict/check"))
    assert "/surveys/schools-ict/questions/size?return=check" in check
    page = client.get("/surveys/schools-ict/questions/size?return=check").get_data(as_text=True)
    ref = re.search(r'name="response_ref" value="([^"]+)"', page).group(1)
    revs = dict(re.findall(r'name="(rev-[^"]+)" value="(\d+)"', page))
    response = client.post(
        "/surveys/schools-ict/questions/size?return=check",
        data={"response_ref": ref, **revs, "ict_revenue_spend": "5000000", "ict_staff_fte": "40"},
    )
    assert response.headers["Location"] == "/surveys/schools-ict/check"
    assert "£5,000,000.00" in page_text(client.get("/surveys/schools-ict/check"))


def test_submission_happens_once_and_sends_a_receipt(client, signed_in, survey, mailbox):
    user = signed_in("member")
    answer_all(client)
    ref = db.session.scalar(select(Response.reference))
    first = client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    second = client.post("/surveys/schools-ict/submit", data={"response_ref": ref})  # a double click
    assert first.headers["Location"] == second.headers["Location"] == "/surveys/schools-ict/done"
    response = db.session.scalar(select(Response))
    assert response.status == "submitted" and response.submission_count == 1
    assert db.session.scalar(select(func.count(ResponseSnapshot.id))) == 1
    assert [m["To"] for m in mailbox] == [user.email]
    assert ref in mailbox[0].get_body(("plain",)).get_content()
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert "Response submitted" in done and ref in done


def test_submitting_with_questions_missing_goes_to_the_first_one(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    answer_page(client, "provides", {"provides_education": "no"})
    ref = db.session.scalar(select(Response.reference))
    response = client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    assert response.headers["Location"] == "/surveys/schools-ict/questions/user_counts"
    assert db.session.scalar(select(Response.status)) == "in_progress"


def test_a_response_missing_an_answer_when_written_is_not_submitted(client, signed_in, survey):
    """The check is made again inside the write, where a colleague's change can no longer slip in."""
    from app.surveys.answering.services import ResponseIncomplete, submit_response
    from app.surveys.services import response_for

    member = signed_in("member")
    answer_all(client, {"provides": NO_SCHOOLS["provides"]})
    response = response_for(survey, member.organisation_id)
    with pytest.raises(ResponseIncomplete) as incomplete:
        submit_response(response, user=member)
    assert incomplete.value.page.id == "user_counts"
    db.session.expire_all()
    stored = db.session.get(Response, response.id)
    assert stored.status == "in_progress" and stored.submission_count == 0
    assert db.session.scalar(select(func.count(ResponseSnapshot.id))) == 0


def test_changing_a_submitted_response_keeps_the_earlier_version(client, signed_in, survey):
    signed_in("member")
    answer_all(client)
    ref = db.session.scalar(select(Response.reference))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    answer_page(client, "size", {"ict_revenue_spend": "5000000", "ict_staff_fte": "40"})
    assert "not submitted yet" in page_text(client.get("/surveys/schools-ict/"))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    snapshots = db.session.scalars(select(ResponseSnapshot).order_by(ResponseSnapshot.submission_number)).all()
    assert [s.answers["ict_revenue_spend"] for s in snapshots] == [4200000, 5000000]
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "surveys.response_changed")) == 1
    )


def test_colleagues_share_one_response_and_never_overwrite_each_other(app, client, signed_in, make_user, survey):
    me = signed_in("member", name="Sam Patel")
    colleague = make_user("member", organisation=me.organisation, name="Jo Bloggs")
    other = app.test_client()
    sign_in(other, colleague.email)
    client.post("/surveys/schools-ict/start")
    other.post("/surveys/schools-ict/start")
    assert db.session.scalar(select(func.count(Response.id))) == 1

    answer_page(client, "provides", {"provides_education": "no"})
    answer_page(client, "user_counts", NO_SCHOOLS["user_counts"])
    # Both open the size page; Jo saves first, then Sam saves a different answer from the stale page.
    page = client.get("/surveys/schools-ict/questions/size").get_data(as_text=True)
    stale = dict(re.findall(r'name="(rev-[^"]+)" value="(\d+)"', page))
    ref = re.search(r'name="response_ref" value="([^"]+)"', page).group(1)
    answer_page(other, "size", {"ict_revenue_spend": "100", "ict_staff_fte": "2"})
    response = client.post(
        "/surveys/schools-ict/questions/size",
        data={"response_ref": ref, **stale, "ict_revenue_spend": "999", "ict_staff_fte": "2"},
    )
    page = page_text(response)
    assert response.status_code == 200
    assert "Jo Bloggs changed" in page
    assert "Their answer: <strong>£100.00</strong>" in page and "Yours: <strong>£999.00</strong>" in page
    assert db.session.scalar(select(Answer.value).where(Answer.question_id == "ict_revenue_spend")) == 100
    # Continuing now saves Sam's answer knowingly.
    answer_page(client, "size", {"ict_revenue_spend": "999", "ict_staff_fte": "2"})
    db.session.expire_all()
    assert db.session.scalar(select(Answer.value).where(Answer.question_id == "ict_revenue_spend")) == 999


def test_one_organisation_never_sees_anothers_draft(app, client, signed_in, make_user, survey):
    signed_in("member")
    answer_all(client)
    stranger_client = app.test_client()
    stranger = make_user("member")
    sign_in(stranger_client, stranger.email)
    page = page_text(stranger_client.get("/surveys/schools-ict/"))
    assert "Start now" in page and "4,200,000" not in page
    ref = db.session.scalar(select(Response.reference))
    stranger_client.post("/surveys/schools-ict/start")
    page = stranger_client.get("/surveys/schools-ict/questions/size").get_data(as_text=True)
    revs = dict(re.findall(r'name="(rev-[^"]+)" value="(\d+)"', page))
    response = stranger_client.post(
        "/surveys/schools-ict/questions/size", data={"response_ref": ref, **revs, "ict_revenue_spend": "1"}
    )
    assert response.status_code == 400
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "surveys.tampered_request")) == 1
    )


def test_fields_from_another_page_are_refused(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    response = answer_page(client, "provides", {"provides_education": "no", "ict_revenue_spend": "1"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_page_names_no_survey_could_have_are_not_found(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    for name in ("no_such_page", "a%00b", "x" * 300, "Provides"):
        assert client.get(f"/surveys/schools-ict/questions/{name}").status_code == 404, name
    # A control character matches no route at all; a name no page has, posted, is a tampered request.
    assert client.post("/surveys/schools-ict/questions/a%00b", data={"action": "continue"}).status_code == 404
    assert client.post("/surveys/schools-ict/questions/Provides", data={"action": "continue"}).status_code == 400
    refused = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "surveys.tampered_request")
    )
    assert refused == 1


def test_unknown_option_values_are_refused(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    response = answer_page(client, "provides", {"provides_education": "perhaps"})
    assert response.status_code == 400


def test_save_and_come_back_later_emails_a_link(client, signed_in, survey, mailbox):
    user = signed_in("member")
    client.post("/surveys/schools-ict/start")
    response = answer_page(client, "provides", {"provides_education": "yes"}, action="save_exit")
    assert "Your answers have been saved" in page_text(response)
    assert db.session.scalar(select(Answer.value).where(Answer.question_id == "provides_education")) == "yes"
    [message] = mailbox
    assert message["To"] == user.email and "/surveys/schools-ict/" in message.get_body(("plain",)).get_content()
    # The start page continues where they left off.
    assert 'href="/surveys/schools-ict/questions/settings"' in client.get("/surveys/schools-ict/").get_data(
        as_text=True
    )


def test_nothing_is_accepted_after_closing(client, signed_in, survey):
    signed_in("member")
    answer_all(client)
    ref = db.session.scalar(select(Response.reference))
    survey.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert "This survey is not open" in page_text(client.get("/surveys/schools-ict/questions/size"))
    response = client.post("/surveys/schools-ict/questions/size", data={"response_ref": ref, "ict_revenue_spend": "1"})
    assert "This survey is not open" in page_text(response)
    assert "This survey is not open" in page_text(
        client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    )
    assert db.session.scalar(select(Response.status)) == "in_progress"


def test_satisfaction_rating_on_the_confirmation_page(client, signed_in, survey):
    signed_in("member")
    answer_all(client)
    ref = db.session.scalar(select(Response.reference))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    page = page_text(client.post("/surveys/schools-ict/done", data={}))
    assert "Select how satisfied you are" in page
    client.post("/surveys/schools-ict/done", data={"satisfaction": "4"})
    assert db.session.scalar(select(Response.satisfaction)) == 4


def test_people_who_are_not_members_cannot_answer(client, signed_in, survey):
    signed_in("analyst")
    assert client.get("/surveys/schools-ict/").status_code == 403


def test_going_back_saves_the_page(client, signed_in, survey):
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    answer_page(client, "provides", {"provides_education": "yes"})
    response = answer_page(
        client, "settings", {"education_settings": ["special"], "settings_supported": "oops"}, action="back"
    )
    assert response.headers["Location"] == "/surveys/schools-ict/questions/provides"
    saved = {a.question_id: a.value for a in db.session.scalars(select(Answer))}
    assert saved["education_settings"] == ["special"] and "settings_supported" not in saved
