"""The recommendation pages through the test client: panels, decisions, history, rules editing with a
preview, sign-off and reopening behind confirmation pages, who may do what, and bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.analysis.models import OUTCOMES, OutcomeDecision, ScoringRules, SignOff
from app.analysis.recommendation import record_decision
from app.analysis.scoring import shipped_document
from app.extensions import db
from tests.conftest import sign_in


@pytest.fixture
def study(make_study):
    return make_study()


@pytest.fixture
def signed_in(client, make_user):
    def sign(role: str, name: str = "Someone"):
        person = make_user(role, name=name)
        sign_in(client, person.email)
        return person

    return sign


def _decide(client, study, outcome="amend-definition", decision="recommend", rationale="The costs move."):
    data = {f"{outcome}-decision": decision, f"{outcome}-rationale": rationale}
    return client.post(f"/analysis/{study.id}/recommendation/{outcome}", data=data)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_page_shows_four_panels_with_rules_scores_and_no_data_stated(client, signed_in, study):
    signed_in("analyst")
    page = _text(client.get(f"/analysis/{study.id}/recommendation"))
    for label in OUTCOMES.values():
        assert label.replace('"', "&#34;") in page
    assert "Nothing on this page decides on its own" in page
    assert "No data (nobody to count yet)" in page and "No rule is met: 0" in page
    assert "Rule 1</strong>, supports (weight 3)" in page and "at least 25%" in page
    assert "Not signed off yet: 0 of 4 outcomes have a decision" in page
    assert "score 0 of a possible 6" in page and "This outcome's rules allow scores from -2 to 6" in page
    assert "Sign off the recommendation" not in page  # analysts do not sign off
    assert "This outcome's rules use no theme" not in page


def test_an_analyst_records_a_decision_and_it_shows_with_who_and_when(client, signed_in, study):
    signed_in("analyst", name="Ana Lyst")
    response = _decide(client, study)
    assert response.status_code == 302 and response.headers["Location"].endswith("#outcome-amend-definition")
    page = _text(client.get(f"/analysis/{study.id}/recommendation"))
    assert "is recorded" in page and "The costs move." in page and "by Ana Lyst on" in page
    _decide(client, study, decision="needs-more-evidence", rationale="Wait.")
    history = _text(client.get(f"/analysis/{study.id}/recommendation/history?outcome=amend-definition"))
    assert history.count("Ana Lyst") == 2 and "The costs move." in history and "Needs more evidence" in history


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose recommend, do not recommend or needs more evidence"),
        ({"amend-definition-decision": "recommend"}, "Give the rationale for the decision"),
        ({"amend-definition-decision": "maybe", "amend-definition-rationale": "x"}, "Not a valid choice"),
        (
            {"amend-definition-decision": "recommend", "amend-definition-rationale": "x" * 5001},
            "The rationale must be 5000 characters or fewer",
        ),
    ],
)
def test_bad_decisions_show_an_error_and_keep_the_input(client, signed_in, study, data, message):
    signed_in("analyst")
    response = client.post(f"/analysis/{study.id}/recommendation/amend-definition", data=data)
    page = _text(response)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    assert page.startswith("<!DOCTYPE html>") or "<title>Error:" in page
    assert db.session.query(OutcomeDecision).count() == 0


def test_an_unknown_outcome_or_study_is_not_found(client, signed_in, study):
    signed_in("analyst")
    assert _decide(client, study, outcome="abolish-benchmarking").status_code == 404
    assert client.get("/analysis/999999/recommendation").status_code == 404
    assert client.get(f"/analysis/{study.id}/recommendation/rules/versions/7").status_code == 404
    assert client.get(f"/analysis/{study.id}/recommendation/rules/versions/{'9' * 5000}").status_code == 404


def test_sign_off_asks_first_says_what_is_missing_and_locks_until_reopened(client, signed_in, study, make_user):
    analyst = make_user("analyst")
    record_decision(study, "amend-definition", "recommend", "Because.", by=analyst)
    signed_in("lead_analyst", name="Lee Lead")
    page = _text(client.get(f"/analysis/{study.id}/recommendation/sign-off"))
    assert "It cannot be signed off yet" in page and "Develop a new module" in page
    refused = client.post(f"/analysis/{study.id}/recommendation/sign-off", data={"note": ""})
    assert refused.status_code == 409 and "Missing:" in _text(refused)
    for outcome in list(OUTCOMES)[1:]:
        record_decision(study, outcome, "do-not-recommend", "No.", by=analyst)
    assert "Signing off locks the recommendation" in _text(client.get(f"/analysis/{study.id}/recommendation/sign-off"))
    assert client.post(f"/analysis/{study.id}/recommendation/sign-off", data={"note": "Board"}).status_code == 302
    page = _text(client.get(f"/analysis/{study.id}/recommendation"))
    assert "Signed off by Lee Lead on" in page and "Record the decision" not in page
    assert "Reopen the recommendation" in page
    assert _decide(client, study).status_code == 409  # a crafted post while locked changes nothing
    assert db.session.query(OutcomeDecision).count() == 4
    assert "Say why" in _text(client.post(f"/analysis/{study.id}/recommendation/reopen", data={"reason": ""}))
    reopened = client.post(f"/analysis/{study.id}/recommendation/reopen", data={"reason": "New data."})
    assert reopened.status_code == 302
    assert "Record the decision" in _text(client.get(f"/analysis/{study.id}/recommendation"))
    history = _text(client.get(f"/analysis/{study.id}/recommendation/history"))
    assert "Signed off by Lee Lead" in history and "Reopened by Lee Lead" in history and "New data." in history
    assert [row.action for row in db.session.scalars(select(SignOff).order_by(SignOff.id))] == [
        "signed-off",
        "reopened",
    ]


def test_a_lead_previews_then_saves_rules_and_earlier_versions_stay_readable(client, signed_in, study):
    signed_in("lead_analyst", name="Lee Lead")
    edit = _text(client.get(f"/analysis/{study.id}/recommendation/rules/edit"))
    assert "[[rule]]" in edit and "Save as version 1" in edit
    text = shipped_document().replace("threshold = 25\nweight = 3", "threshold = 25\nweight = 5", 1)
    data = {"document": text, "note": "Movers count more.", "base_version": "0"}
    preview = client.post(f"/analysis/{study.id}/recommendation/rules/edit", data={**data, "action": "preview"})
    assert preview.status_code == 200 and "Preview: the scores with these rules" in _text(preview)
    assert "supports (weight 5)" in _text(preview) and db.session.query(ScoringRules).count() == 0
    saved = client.post(f"/analysis/{study.id}/recommendation/rules/edit", data={**data, "action": "save"})
    assert saved.status_code == 302
    rules = _text(client.get(f"/analysis/{study.id}/recommendation/rules"))
    assert (
        "Version 1 of the scoring rules is saved" in rules
        and "by Lee Lead on" in rules
        and "Movers count more." in rules
    )
    shipped = _text(client.get(f"/analysis/{study.id}/recommendation/rules/shipped"))
    assert "This is an earlier version" in shipped and "supports (weight 3)" in shipped
    assert "rules version 1" not in shipped  # the version shown is 0
    assert "(version 1)" in _text(client.get(f"/analysis/{study.id}/recommendation"))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('[[rule]]\noutcome = "amend-definition"\nmeasure = ', "The rules are not valid TOML"),
        (shipped_document().replace("survey.supports_pupils", "survey.nothing", 1), "Rule 8 (line"),
        ("x" * 20_001, "The rules must be 20000 characters or fewer"),
    ],
)
def test_bad_rules_are_shown_on_the_field_and_kept(client, signed_in, study, document, message):
    signed_in("lead_analyst")
    response = client.post(
        f"/analysis/{study.id}/recommendation/rules/edit",
        data={"document": document, "note": "", "base_version": "0", "action": "save"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    assert db.session.query(ScoringRules).count() == 0


@pytest.mark.parametrize("role", ["member", "organiser", "facilitator"])
def test_people_outside_the_analysis_can_do_nothing(client, signed_in, study, role):
    signed_in(role)
    assert client.get(f"/analysis/{study.id}/recommendation").status_code == 403
    assert _decide(client, study).status_code == 403
    assert client.post(f"/analysis/{study.id}/recommendation/sign-off", data={}).status_code == 403
    assert db.session.query(OutcomeDecision).count() == 0


def test_analysts_decide_but_cannot_sign_off_reopen_or_edit_rules(client, signed_in, study):
    signed_in("analyst")
    assert "Edit the rules" not in _text(client.get(f"/analysis/{study.id}/recommendation/rules"))
    for path in ("sign-off", "reopen", "rules/edit"):
        assert client.get(f"/analysis/{study.id}/recommendation/{path}").status_code == 403
        assert client.post(f"/analysis/{study.id}/recommendation/{path}", data={}).status_code == 403
