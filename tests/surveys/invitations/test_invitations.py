"""Invitations by organisation, access through the link, revoking, and reminders every 48 hours at most."""

import io
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.surveys.invitations.services import due_for_reminder, send_invitations, send_reminders
from app.surveys.models import Invitation, Response, Survey
from tests.conftest import link_in, page_text, text_part
from tests.surveys.conftest import NO_SCHOOLS, answer_page


def test_organisers_invite_organisations_filtered_by_region(client, signed_in, survey, make_organisation, mailbox):
    signed_in("organiser")
    cardiff = make_organisation(
        name="Cardiff Council", region="wales", council_type="welsh", contact_email="ict@cardiff.example"
    )
    make_organisation(
        name="Kent County Council", region="south-east", council_type="county", contact_email="ict@kent.example"
    )
    page = page_text(client.get("/surveys/manage/schools-ict/invite?region=wales"))
    assert "Cardiff Council" in page and "Kent County Council" not in page
    response = client.post("/surveys/manage/schools-ict/invite?region=wales", data={"organisation": [cardiff.id]})
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    job_page = page_text(client.get(response.headers["Location"]))
    assert "1 invitation sent" in job_page and "1 of 1 done" in job_page
    [message] = mailbox
    assert message["To"] == "ict@cardiff.example"
    assert "Answer for Cardiff Council" in text_part(message) and "/surveys/invitation/" in text_part(message)


def test_organisations_without_an_address_are_listed_not_invited(app, survey, make_organisation):
    org = make_organisation(name="Quiet Council")
    outcome = send_invitations(survey, [org.id])
    assert outcome.sent == [] and outcome.skipped == [("Quiet Council", "no contact email and no member accounts")]


def test_the_invitation_link_lets_someone_without_an_account_answer(app, client, survey, make_organisation, mailbox):
    org = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    send_invitations(survey, [org.id])
    link = link_in(mailbox[0])
    response = client.get(link)
    assert response.headers["Location"] == "/surveys/schools-ict/"
    assert "Cardiff Council" in page_text(client.get("/surveys/schools-ict/"))
    client.post("/surveys/schools-ict/start")
    for page_id, data in NO_SCHOOLS.items():
        assert answer_page(client, page_id, data).status_code == 302
    ref = db.session.scalar(select(Response.reference))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    response = db.session.scalar(select(Response))
    assert response.status == "submitted" and response.via_invitation and response.organisation_id == org.id
    assert mailbox[-1]["To"] == "ict@cardiff.example"  # the receipt goes to the invitation's address


def test_an_invitation_link_lasts_while_its_holder_keeps_answering(app, client, survey, make_organisation, mailbox):
    """Like a signed-in member's session: kept alive by activity, ended after the idle time."""
    org = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    send_invitations(survey, [org.id])
    followed = client.get(link_in(mailbox[0]))
    assert "Expires=" in followed.headers["Set-Cookie"]  # kept by the browser, for the idle time
    for minutes in (20, 25, 29):  # an hour and more of work, never half an hour idle
        with client.session_transaction() as session:
            session["last_seen"] = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
        assert "Cardiff Council" in page_text(client.get("/surveys/schools-ict/"))
        with client.session_transaction() as session:
            assert datetime.now(UTC) - datetime.fromisoformat(session["last_seen"]) < timedelta(minutes=1)
    with client.session_transaction() as session:
        session["last_seen"] = (datetime.now(UTC) - timedelta(minutes=31)).isoformat()
    ended = client.get("/surveys/schools-ict/")
    assert ended.status_code == 302
    page = page_text(client.get(ended.headers["Location"]))
    assert "follow the link in your organisation's invitation email again" in page
    gone = client.get("/surveys/schools-ict/")  # the grant is gone
    assert gone.status_code == 302
    client.get(gone.headers["Location"])
    assert client.get(link_in(mailbox[0])).headers["Location"] == "/surveys/schools-ict/"  # the link still works
    assert "invitation email again" not in page_text(client.get("/surveys/schools-ict/"))


def test_a_visitor_on_a_survey_page_is_told_to_sign_in_or_follow_the_invitation_link(client, survey):
    """Also what someone sees whose link's access ended when the browser dropped the session cookie."""
    response = client.get("/surveys/schools-ict/questions/provides")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    page = page_text(client.get(response.headers["Location"]))
    assert "Sign in to answer this survey, or follow the link in your organisation's invitation email" in page


def test_a_stale_signed_in_session_is_not_taken_for_an_invitation(client, make_user):
    """A session whose person signed out elsewhere is a visitor's: no idle bookkeeping, no cookie."""
    from sqlalchemy import update

    from app.auth.models import User
    from tests.conftest import sign_in

    user = make_user("member")
    sign_in(client, user.email)
    db.session.execute(update(User).where(User.id == user.id).values(session_token="revoked-elsewhere"))
    db.session.commit()
    response = client.get("/privacy")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_revoked_or_resent_link_stops_working(app, client, signed_in, survey, make_organisation, mailbox):
    org = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    send_invitations(survey, [org.id])
    old_link = link_in(mailbox[0])
    browser = app.test_client()  # a second browser, following the links
    signed_in("organiser")
    client.post(f"/surveys/manage/schools-ict/invitations/{org.id}/resend")
    new_link = link_in(mailbox[1])
    assert new_link != old_link
    assert browser.get(old_link).status_code == 404
    assert browser.get(new_link).status_code == 302
    assert "Revoke Cardiff Council" in page_text(client.get(f"/surveys/manage/schools-ict/invitations/{org.id}/revoke"))
    client.post(f"/surveys/manage/schools-ict/invitations/{org.id}/revoke")
    assert browser.get(new_link).status_code == 404
    assert "does not work" in page_text(browser.get(new_link))


def test_reminders_go_to_non_responders_at_most_every_48_hours(app, survey, make_organisation, mailbox):
    quiet = make_organisation(name="Quiet Council", contact_email="ict@quiet.example")
    busy = make_organisation(name="Busy Council", contact_email="ict@busy.example")
    send_invitations(survey, [quiet.id, busy.id])
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=busy.id,
            reference="SIC-TEST-0001",
            status="submitted",
        )
    )
    db.session.commit()
    now = datetime.now(UTC)
    assert send_reminders(survey, now=now) == []  # invited moments ago: too soon
    later = now + timedelta(hours=49)
    assert send_reminders(survey, now=later) == ["Quiet Council"]
    assert send_reminders(survey, now=later + timedelta(hours=1)) == []  # never twice within 48 hours
    assert send_reminders(survey, now=later + timedelta(hours=49)) == ["Quiet Council"]
    reminders = [m for m in mailbox if m["Subject"].startswith("Reminder")]
    assert [m["To"] for m in reminders] == ["ict@quiet.example", "ict@quiet.example"]
    invitation = db.session.scalar(select(Invitation).where(Invitation.organisation_id == quiet.id))
    assert invitation.reminders_sent == 2
    invitation_email = next(m for m in mailbox if m["To"] == "ict@quiet.example")
    assert link_in(reminders[0]) == link_in(invitation_email)  # the same link as the invitation


def test_no_reminders_after_closing(app, survey, make_organisation, mailbox):
    org = make_organisation(contact_email="ict@x.example")
    send_invitations(survey, [org.id])
    survey.closes_at = datetime.now(UTC) + timedelta(hours=10)
    db.session.commit()
    assert send_reminders(survey, now=datetime.now(UTC) + timedelta(hours=50)) == []
    assert due_for_reminder(survey, now=datetime.now(UTC) + timedelta(hours=50)) == []


def test_send_reminders_command(app, runner, survey, make_organisation, mailbox):
    org = make_organisation(name="Quiet Council", contact_email="ict@quiet.example")
    send_invitations(survey, [org.id])
    invitation = db.session.scalar(select(Invitation))
    invitation.sent_at = datetime.now(UTC) - timedelta(days=3)
    db.session.commit()
    result = runner.invoke(args=["surveys", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Reminded 1 organisation" in result.output and "Quiet Council" in result.output
    again = runner.invoke(args=["surveys", "send-reminders"])
    assert "Reminded 0 organisations" in again.output


def test_dashboard_shows_coverage_gaps_and_non_responders(client, signed_in, survey, make_organisation):
    signed_in("organiser")
    org = make_organisation(
        name="Cardiff Council", region="wales", council_type="welsh", contact_email="ict@cardiff.example"
    )
    make_organisation(name="Kent County Council", region="south-east", council_type="county")
    send_invitations(survey, [org.id])
    page = page_text(client.get("/surveys/manage/schools-ict/"))
    assert "Response rate by region" in page and "Response rate by council type" in page
    assert "No responses" in page and "Cardiff Council" in page and "Not started" in page
    assert "completion rate" in page and "digital take-up" in page and "user satisfaction" in page


def test_dates_are_checked_and_saved(client, signed_in, survey):
    signed_in("organiser")
    page = page_text(
        client.post(
            "/surveys/manage/schools-ict/dates",
            data={
                "opens-day": "31",
                "opens-month": "2",
                "opens-year": "2055",
                "closes-day": "",
                "closes-month": "",
                "closes-year": "",
            },
        )
    )
    assert "The opening date must be a real date" in page and 'value="31"' in page
    page = page_text(
        client.post(
            "/surveys/manage/schools-ict/dates",
            data={
                "opens-day": "10",
                "opens-month": "3",
                "opens-year": "2055",
                "closes-day": "1",
                "closes-month": "3",
                "closes-year": "2055",
            },
        )
    )
    assert "The closing date must be the same as or after the opening date" in page
    client.post(
        "/surveys/manage/schools-ict/dates",
        data={
            "opens-day": "1",
            "opens-month": "3",
            "opens-year": "2055",
            "closes-day": "30",
            "closes-month": "4",
            "closes-year": "2055",
        },
    )
    db.session.expire_all()
    saved = db.session.scalar(select(Survey))
    assert saved.opens_at is not None and saved.closes_at is not None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "surveys.dates_changed"))


def test_definition_export_import_and_publish(client, signed_in, survey):
    signed_in("organiser")
    exported = client.get("/surveys/manage/schools-ict/definition.json")
    data = json.loads(exported.get_data(as_text=True))
    assert data["title"] == "Delivery of ICT services to schools"
    data["title"] = "Schools ICT, second round"
    response = client.post(
        "/surveys/manage/import",
        data={"file": (io.BytesIO(json.dumps(data).encode()), "d.json")},
        content_type="multipart/form-data",
    )
    assert response.headers["Location"] == "/surveys/manage/schools-ict-second-round/"
    page = page_text(client.get("/surveys/manage/schools-ict-second-round/publish"))
    assert "publishes the draft as version 1" in page
    client.post("/surveys/manage/schools-ict-second-round/publish")
    second = db.session.scalar(select(Survey).where(Survey.slug == "schools-ict-second-round"))
    assert second.current_version.number == 1
    page = page_text(client.get("/surveys/manage/schools-ict-second-round/publish"))
    assert "There is nothing new to publish" in page


def test_importing_a_broken_definition_lists_every_problem(client, signed_in):
    signed_in("organiser")
    bad = {"title": "", "sections": [{"id": "Bad Id", "title": "x", "pages": []}]}
    page = page_text(
        client.post(
            "/surveys/manage/import",
            data={"file": (io.BytesIO(json.dumps(bad).encode()), "d.json")},
            content_type="multipart/form-data",
        )
    )
    assert "Nothing was imported" in page and "sections/0/id" in page
    page = page_text(
        client.post(
            "/surveys/manage/import",
            data={"file": (io.BytesIO(b"{not json"), "d.json")},
            content_type="multipart/form-data",
        )
    )
    assert "not valid JSON" in page
    assert re.search(r"There is a problem", page)


def test_install_default_command(app, runner):
    first = runner.invoke(args=["surveys", "install-default"])
    again = runner.invoke(args=["surveys", "install-default"])
    assert "installed." in first.output and "was already installed" in again.output
    assert db.session.scalar(select(Survey).where(Survey.slug == "schools-ict")).current_version.number == 1


def test_the_funnel_names_each_page_without_placeholders(app, survey):
    from app.surveys.invitations.tracking import build_dashboard

    steps = [step for step, _count in build_dashboard(survey).funnel]
    assert steps[0] == "Invited" and steps[1] == "Started" and steps[-1] == "Submitted"
    assert "Reached: Which ICT services do you provide to the education settings you support?" in steps
    assert not any("{" in step for step in steps)


def test_the_funnel_counts_each_page_reached_once(app, client, signed_in, survey):
    from app.surveys.invitations.tracking import build_dashboard
    from app.surveys.models import PageVisit

    signed_in("member")
    client.post("/surveys/schools-ict/start")
    for _ in range(3):  # shown again and again, reached once
        assert client.get("/surveys/schools-ict/questions/provides").status_code == 200
    assert answer_page(client, "provides", NO_SCHOOLS["provides"]).status_code == 302
    assert client.get("/surveys/schools-ict/questions/user_counts").status_code == 200
    visits = db.session.scalars(select(PageVisit.page_id).order_by(PageVisit.page_id)).all()
    assert visits == ["provides", "user_counts"]
    funnel = dict(build_dashboard(survey).funnel)
    reached = {step: count for step, count in funnel.items() if step.startswith("Reached:")}
    assert sorted(reached.values(), reverse=True)[:2] == [1, 1] and sum(reached.values()) == 2


def _part_way(survey, organisation):
    """The organisation has saved answers but not sent them."""
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=organisation.id,
            reference=f"SIC-PART-{organisation.id}",
            status="in_progress",
        )
    )
    db.session.commit()


def _ticked(page: str) -> set[str]:
    return set(re.findall(r'name="organisation" type="checkbox" value="(\d+)" checked', page))


def test_the_invitation_page_selects_only_organisations_never_invited(
    client, signed_in, survey, make_organisation, mailbox
):
    signed_in("organiser")
    new = make_organisation(name="New Council", contact_email="ict@new.example")
    invited = make_organisation(name="Invited Council", contact_email="ict@invited.example")
    started = make_organisation(name="Started Council", contact_email="ict@started.example")
    send_invitations(survey, [invited.id, started.id])
    _part_way(survey, started)
    page = page_text(client.get("/surveys/manage/schools-ict/invite"))
    assert _ticked(page) == {str(new.id)}
    assert "Organisations never invited are selected" in page and "All are selected" not in page
    assert "Started Council" in page and "part-way through" in page
    # Nothing chosen: the error is shown and nothing is sent.
    page = page_text(client.post("/surveys/manage/schools-ict/invite", data={}))
    assert "Select at least one organisation to invite" in page and len(mailbox) == 2


def test_sending_again_to_an_organisation_part_way_through_asks_first(
    app, client, signed_in, survey, make_organisation, mailbox
):
    signed_in("organiser")
    new = make_organisation(name="New Council", contact_email="ict@new.example")
    started = make_organisation(name="Started Council", contact_email="ict@started.example")
    send_invitations(survey, [started.id])
    _part_way(survey, started)
    old_link = link_in(mailbox[0])
    response = client.post("/surveys/manage/schools-ict/invite", data={"organisation": [new.id, started.id]})
    page = page_text(response)
    assert response.status_code == 200 and "Started Council is part-way through: send a new invitation?" in page
    assert "Their answers so far are kept" in page and "stops working at once" in page
    assert "New Council" not in page.split("<ul")[1].split("</ul>")[0]  # only those part-way are listed
    assert len(mailbox) == 1 and app.test_client().get(old_link).status_code == 302  # nothing sent yet
    response = client.post(
        "/surveys/manage/schools-ict/invite", data={"organisation": [new.id, started.id], "confirmed": "yes"}
    )
    assert response.status_code == 302 and "2 invitations sent" in page_text(client.get(response.headers["Location"]))
    assert {m["To"] for m in mailbox[1:]} == {"ict@new.example", "ict@started.example"}
    assert db.session.scalar(select(Response.status).where(Response.organisation_id == started.id)) == "in_progress"


def test_resending_from_the_dashboard_to_an_organisation_part_way_through_asks_first(
    client, signed_in, survey, make_organisation, mailbox
):
    signed_in("organiser")
    started = make_organisation(name="Started Council", contact_email="ict@started.example")
    send_invitations(survey, [started.id])
    _part_way(survey, started)
    path = f"/surveys/manage/schools-ict/invitations/{started.id}/resend"
    page = page_text(client.post(path))
    assert "Started Council is part-way through" in page and f'action="{path}"' in page and len(mailbox) == 1
    response = client.post(path, data={"confirmed": "yes"}, follow_redirects=True)
    assert "A new invitation has been sent to Started Council" in page_text(response) and len(mailbox) == 2


def test_reminders_list_who_they_go_to_before_they_are_sent(client, signed_in, survey, make_organisation, mailbox):
    from sqlalchemy import update

    signed_in("organiser")
    quiet = make_organisation(name="Quiet Council", contact_email="ict@quiet.example")
    recent = make_organisation(name="Recent Council", contact_email="ict@recent.example")
    send_invitations(survey, [quiet.id])
    db.session.execute(update(Invitation).values(sent_at=datetime.now(UTC) - timedelta(days=3)))
    db.session.commit()
    send_invitations(survey, [recent.id])  # invited moments ago: not due
    assert 'href="/surveys/manage/schools-ict/remind"' in page_text(client.get("/surveys/manage/schools-ict/"))
    page = page_text(client.get("/surveys/manage/schools-ict/remind"))
    assert "Send 1 reminder?" in page and "Quiet Council" in page and "Recent Council" not in page
    assert len(mailbox) == 2  # the two invitations: looking sends nothing
    response = client.post("/surveys/manage/schools-ict/remind")
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    assert [m["To"] for m in mailbox if m["Subject"].startswith("Reminder")] == ["ict@quiet.example"]
    nobody = client.get("/surveys/manage/schools-ict/remind", follow_redirects=True)
    assert "No organisations are due a reminder" in page_text(nobody)


def test_the_funnel_says_which_pages_only_some_organisations_see(app, client, signed_in, survey):
    """Routing explains a later page with more visitors than an earlier one: the schools pages are marked."""
    from app.surveys.invitations.tracking import build_dashboard

    board = build_dashboard(survey)
    assert "Reached: Which ICT services do you provide to the education settings you support?" in board.routed_steps
    assert not any(step in board.routed_steps for step in ("Invited", "Started", "Submitted"))
    signed_in("organiser")
    page = page_text(client.get("/surveys/manage/schools-ict/"))
    assert "a later page can have more organisations than an earlier one" in page
    assert "Shown only to some organisations" in page
