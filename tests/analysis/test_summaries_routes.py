"""The themed summary pages through the test client: what an analyst sees, choosing and ordering quotes,
writing versioned summaries, who may use them, CSRF, and bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.analysis.models import ChosenQuote, ThemeSummary
from app.audit.models import AuditEvent
from app.extensions import db
from tests.analysis.test_summaries import DEFINITIONS, PUPILS, make_themed_study
from tests.conftest import PASSWORD, sign_in
from tests.conftest import page_text as html_text


@pytest.fixture
def themed(app):
    return make_themed_study()


@pytest.fixture
def analyst_client(client, make_user):
    assert sign_in(client, make_user("analyst", name="Ann Analyst").email).status_code == 302
    return client


def page_text(response) -> str:
    """The words a person reads: the page without its tags, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html_text(response)).split())


def url(study, tail: str = "") -> str:
    return f"/analysis/{study.id}/themes{tail}"


def summaries() -> int:
    return db.session.scalar(select(func.count(ThemeSummary.id)))


def test_the_themes_page_shows_each_themes_reach_and_the_co_occurrence(themed, analyst_client):
    study, _ = themed
    response = analyst_client.get(url(study))
    assert response.status_code == 200
    text = page_text(response)
    assert "These figures count accepted codes only" in text and "unreviewed suggestions: passages" not in text
    row = re.search(r"Pupils and schools (\d+) (\d+) (\d+) (\d+)", text)
    assert row.groups() == ("5", "2", "2", "3")
    assert "User definitions and Pupils and schools 2" in text
    assert "Co-occurrence matrix" in text and "<svg" in response.get_data(as_text=True)
    switched = page_text(analyst_client.get(url(study, "?suggestions=1")))
    assert "These figures include unreviewed suggestions" in switched
    assert re.search(r"Pupils and schools 6 1 2 2 4", switched)


def test_a_study_with_nothing_coded_says_so_instead_of_a_table_of_noughts(make_study, analyst_client):
    study = make_study()
    response = analyst_client.get(url(study))
    text = page_text(response)
    assert "No passage carries a theme yet among the accepted codes, so there is nothing to count" in text
    assert "Each theme's passages, sessions" not in text  # no table of noughts
    assert f'href="/analysis/{study.id}/themes/pupils-and-schools"' in response.get_data(as_text=True)
    assert f'href="/analysis/{study.id}/review"' in response.get_data(as_text=True)


def test_the_co_occurrence_chart_says_1_passage_not_1_passages():
    from app.surveys.results.charts import bar_chart

    chart = str(bar_chart([("Pupils and schools", 1), ("User definitions", 2)], title="With it", unit="passages"))
    assert ">1 passage<" in chart and ">2 passages<" in chart


def test_a_themes_page_shows_figures_quotes_and_no_name(themed, analyst_client):
    study, passages = themed
    text = page_text(analyst_client.get(url(study, f"/{PUPILS}")))
    assert "Pupils and schools" in text and "Nobody has written a summary of this theme yet" in text
    assert "Wales Small group 1 2 50%" in text and "London Small group 2 2 100%" in text
    assert "Org 004 · London borough · Survey answer – How should users be counted?" in text
    assert "P1 · Welsh council · Session note" in text
    assert "confidence 95%" in text and "how sure the automatic tagging was" in text  # as on the review page
    assert "org:4" not in text and "person:P9" not in text
    assert "User definitions 2" in text  # found with it
    assert "No published survey feeds this study" in text
    assert "No participant's proportion grid adds up to 100% yet" in text
    assert "Unreviewed suggestion" not in text
    switched = page_text(analyst_client.get(url(study, f"/{PUPILS}?suggestions=1")))
    assert "Includes unreviewed suggestions" in switched and "Unreviewed suggestion" in switched


def test_an_analyst_chooses_moves_and_removes_quotes(themed, analyst_client):
    study, passages = themed
    for name in ("p2", "p4"):
        response = analyst_client.post(url(study, f"/{PUPILS}/quotes/{passages[name].id}/choose"))
        assert response.status_code == 302 and response.headers["Location"].endswith(url(study, f"/{PUPILS}"))
    analyst_client.post(url(study, f"/{PUPILS}/quotes/{passages['p4'].id}/move"), data={"direction": "up"})
    order = db.session.scalars(select(ChosenQuote.passage_id).order_by(ChosenQuote.position)).all()
    assert order == [passages["p4"].id, passages["p2"].id]
    text = page_text(analyst_client.get(url(study, f"/{PUPILS}")))
    assert text.index("Passage p4") < text.index("Passage p2") < text.index("Suggested quotes")
    assert "Move down quote 1" in text and "Move up quote 2" in text
    analyst_client.post(url(study, f"/{PUPILS}/quotes/{passages['p2'].id}/remove"))
    assert db.session.scalars(select(ChosenQuote.passage_id)).all() == [passages["p4"].id]
    refused = analyst_client.post(url(study, f"/{PUPILS}/quotes/{passages['p6'].id}/choose"), follow_redirects=True)
    assert "That passage is not coded with this theme" in page_text(refused)
    bad = analyst_client.post(url(study, f"/{PUPILS}/quotes/{passages['p4'].id}/move"), data={"direction": "left"})
    assert bad.status_code == 400
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("analysis.quote_chosen") == 2 and "analysis.quote_removed" in actions


def test_an_analyst_writes_a_summary_in_versions_and_reads_the_history(themed, analyst_client):
    study, _ = themed
    form = page_text(analyst_client.get(url(study, f"/{PUPILS}/summary")))
    assert "Saving adds version 1" in form
    response = analyst_client.post(
        url(study, f"/{PUPILS}/summary"), data={"text": "Pupils come up often.", "base_number": "0"}
    )
    assert response.status_code == 302
    analyst_client.post(url(study, f"/{PUPILS}/summary"), data={"text": "Second thoughts.", "base_number": "1"})
    text = page_text(analyst_client.get(url(study, f"/{PUPILS}")))
    assert "Second thoughts." in text and "Version 2, saved" in text and "by Ann Analyst" in text
    history = page_text(analyst_client.get(url(study, f"/{PUPILS}/history")))
    assert history.index("Version 2 (current)") < history.index("Second thoughts.") < history.index("Version 1")
    assert "Pupils come up often." in history
    stale = analyst_client.post(url(study, f"/{PUPILS}/summary"), data={"text": "Late edit.", "base_number": "1"})
    stale_text = page_text(stale)
    assert stale.status_code == 200 and "Someone saved version 2 of this summary" in stale_text
    assert "Late edit." in stale_text and summaries() == 2
    events = db.session.scalar(select(func.count()).where(AuditEvent.action == "analysis.theme_summary_saved"))
    assert events == 2
    empty = page_text(analyst_client.get(url(study, f"/{DEFINITIONS}/history")))
    assert "Nobody has written a summary of this theme yet" in empty


def test_an_over_long_or_empty_summary_is_refused_and_the_text_kept(themed, analyst_client):
    study, _ = themed
    long_text = "word " * 2001
    response = analyst_client.post(url(study, f"/{PUPILS}/summary"), data={"text": long_text, "base_number": "0"})
    text = page_text(response)
    assert response.status_code == 200 and "There is a problem" in text
    assert "The summary must be 10,000 characters or fewer" in text and "word word" in text
    empty = page_text(analyst_client.post(url(study, f"/{PUPILS}/summary"), data={"text": " ", "base_number": "0"}))
    assert "Enter the summary of the theme" in empty
    odd = analyst_client.post(url(study, f"/{PUPILS}/summary"), data={"text": "Fine.", "base_number": "x" * 5000})
    assert odd.status_code == 200 and summaries() == 0


def test_unknown_themes_and_huge_or_foreign_ids_are_not_found(themed, analyst_client):
    study, passages = themed
    other, other_passages = make_themed_study("Another study")
    huge = "9" * 5000
    for path in (
        url(study, "/not-a-theme"),
        url(study, "/not-a-theme/summary"),
        url(study, "/not-a-theme/history"),
        f"/analysis/{huge}/themes",
        f"/analysis/{huge}/themes/{PUPILS}",
        url(study, f"/{PUPILS}/quotes/{huge}/choose"),
        url(study, f"/{PUPILS}/quotes/{other_passages['p2'].id}/choose"),
        url(study, "/" + "x" * 600),
    ):
        method = analyst_client.post if path.endswith("/choose") else analyst_client.get
        assert method(path).status_code == 404, path
    assert db.session.scalar(select(func.count(ChosenQuote.id))) == 0


@pytest.mark.parametrize("role", ["member", "facilitator", "organiser"])
def test_people_who_are_not_analysts_cannot_see_or_change_summaries(themed, client, make_user, role):
    study, passages = themed
    assert sign_in(client, make_user(role).email).status_code == 302
    assert client.get(url(study)).status_code == 403
    assert client.get(url(study, f"/{PUPILS}")).status_code == 403
    assert client.post(url(study, f"/{PUPILS}/summary"), data={"text": "x", "base_number": "0"}).status_code == 403
    assert client.post(url(study, f"/{PUPILS}/quotes/{passages['p2'].id}/choose")).status_code == 403
    assert summaries() == 0 and db.session.scalar(select(func.count(ChosenQuote.id))) == 0


@pytest.mark.parametrize("role", ["lead_analyst", "admin"])
def test_lead_analysts_and_administrators_may_use_them(themed, client, make_user, role):
    study, _ = themed
    assert sign_in(client, make_user(role).email).status_code == 302
    assert client.get(url(study, f"/{PUPILS}")).status_code == 200


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_posts_without_a_token_change_nothing(self, themed, client, make_user):
        study, passages = themed
        user = make_user("analyst")
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        for path, data in (
            (url(study, f"/{PUPILS}/summary"), {"text": "No token", "base_number": "0"}),
            (url(study, f"/{PUPILS}/quotes/{passages['p2'].id}/choose"), {}),
        ):
            assert client.post(path, data=data).status_code == 400
        assert summaries() == 0 and db.session.scalar(select(func.count(ChosenQuote.id))) == 0


def test_the_related_survey_figures_show_with_links_to_the_results(themed, analyst_client, make_organisation):
    from datetime import UTC, datetime

    from app.analysis.services import link_surveys
    from app.surveys.models import Response
    from app.surveys.services import ensure_default_survey

    study, _ = themed
    survey = ensure_default_survey()
    answers = ({"provides_education": "yes", "users_counting": "Pupils apart."}, {"provides_education": "no"})
    for n, given in enumerate(answers):
        db.session.add(
            Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=make_organisation(name=f"Secret Council {n}").id,
                reference=f"R-{n}",
                status="submitted",
                submitted_at=datetime.now(UTC),
                submitted_answers=given,
            )
        )
    db.session.commit()
    link_surveys(study, {survey.id})
    response = analyst_client.get(url(study, f"/{DEFINITIONS}"))
    text = page_text(response)
    assert "Organisations that provide ICT services to pupils: 1 of 2 (50%; 95% interval" in text
    assert "Small group" in text and "the impact model" in text
    assert "1 of 2 responding organisations answered" in text
    assert "2 passages from the answers to this question" in text
    html = response.get_data(as_text=True)
    assert f'href="/surveys/results/{survey.slug}/impact"' in html
    assert "section=users_counting" in html and "Secret Council" not in text
