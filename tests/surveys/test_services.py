"""The survey's dates (surveys/services.py), stated once and the same way everywhere: the tracking page,
the members' pages and the emails."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.extensions import db
from app.surveys.invitations.services import send_invitations
from app.surveys.services import set_dates, survey_dates
from tests.conftest import page_text, sign_in, text_part

NOW = datetime(2055, 3, 15, 12, 0, tzinfo=UTC)


def test_a_survey_published_without_an_opening_date_opened_when_it_was_first_published(app, survey):
    first = survey.versions[0].published_at
    dates = survey_dates(survey, NOW)
    assert dates.opens_label == "Opened" and dates.opens_at.replace(tzinfo=None) == first.replace(tzinfo=None)
    assert dates.closes_label == "Closes" and dates.closes_at is None


def test_dates_say_opens_or_opened_and_closes_or_closed(app, survey):
    set_dates(survey, date(2055, 4, 1), date(2055, 4, 30))
    dates = survey_dates(survey, NOW)
    assert (dates.opens_label, dates.closes_label) == ("Opens", "Closes")
    later = survey_dates(survey, datetime(2055, 5, 1, 9, 0, tzinfo=UTC))
    assert (later.opens_label, later.closes_label) == ("Opened", "Closed")


def test_a_drafts_opening_is_when_it_is_published(app, survey):
    from app.surveys.authoring.services import import_draft_survey

    draft = import_draft_survey({**survey.current_version.definition, "title": "A draft"})
    assert survey_dates(draft, NOW).opens_at is None and survey_dates(draft, NOW).opens_label == "Opens"


def test_the_tracking_page_the_start_page_and_the_invitation_give_the_same_closing_time(
    app, client, signed_in, make_user, survey, make_organisation, mailbox
):
    set_dates(survey, None, date(2055, 4, 30))
    db.session.commit()
    closes = "30 April 2055 at 11:59pm"
    signed_in("organiser")
    page = page_text(client.get("/surveys/manage/schools-ict/"))
    assert "Opened" in page and "When published" not in page and closes in page
    assert "closes at 11:59pm on the closing date" in page_text(client.get("/surveys/manage/schools-ict/dates"))
    org = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    send_invitations(survey, [org.id])
    assert f"The survey closes on {closes}." in " ".join(text_part(mailbox[0]).split())
    member = app.test_client()
    sign_in(member, make_user("member").email)
    assert f"The survey closes on {closes}." in page_text(member.get("/surveys/schools-ict/"))
