"""Version 2 of the default survey: two optional free-text questions on counting users and on groups given a
different service, answered and exported like the other free text; and installed copies still on version 1
brought up to date by publishing it as their next version, with earlier responses left on theirs.
(Their columns in the CSV, XLSX and JSON exports are checked with the others: results/test_export_columns.py,
and results/support.py for the answers the export tests write out cell by cell.)"""

import copy
import json
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.surveys.answering.pages import route
from app.surveys.authoring.definition import load_definition
from app.surveys.models import Response, Survey, SurveyVersion
from app.surveys.results.dataset import submitted_rows
from app.surveys.results.free_text import free_text_passages
from app.surveys.services import (
    DEFAULT_DEFINITION,
    DEFAULT_SLUG,
    EARLIER_DEFAULT_DEFINITIONS,
    definition_fingerprint,
    definition_for,
    update_default_survey,
)
from tests.conftest import page_text
from tests.surveys.conftest import NO_SCHOOLS, answer_all, answer_page

SHIPPED = json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))
NEW_QUESTIONS = ["users_counting", "service_differences"]


EARLIER_FOCUS_GROUP_HINT = (
    'Socitm is holding focus groups on "Who are our users?" over the spring: about 6 people from a range of '
    "regions and council types, online, for about an hour."
)


def version_1() -> dict:
    """The default definition as first shipped: the current one without the page of the two new questions,
    and with the focus-group page's first hint (which version 3 replaced, as the study's slots contradicted it)."""
    data = copy.deepcopy(SHIPPED)
    for section in data["sections"]:
        section["pages"] = [p for p in section["pages"] if p["id"] != "users_and_service"]
        for page in section["pages"]:
            if page["id"] == "focus_group":
                page["hint"] = EARLIER_FOCUS_GROUP_HINT
    return data


def test_version_2_as_shipped_is_recognised_and_the_focus_group_page_no_longer_states_the_sessions_format():
    version_2 = copy.deepcopy(SHIPPED)
    for section in version_2["sections"]:
        for page in section["pages"]:
            if page["id"] == "focus_group":
                assert "hour" not in page["hint"] and "online" in page["hint"]  # "whether it is online or in person"
                page["hint"] = EARLIER_FOCUS_GROUP_HINT
    assert definition_fingerprint(version_2) in EARLIER_DEFAULT_DEFINITIONS


def install_version_1() -> Survey:
    """The default survey as installed before version 2 shipped (published then, so that the cached parsed
    definitions, keyed by version id and publication time, never mix it up with another test's version 1)."""
    data = version_1()
    survey = Survey(slug=DEFAULT_SLUG, title=data["title"], draft=data)
    survey.versions.append(
        SurveyVersion(number=1, definition=data, published_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    )
    db.session.add(survey)
    db.session.commit()
    return survey


def test_the_two_questions_are_optional_long_text_on_every_route():
    definition = load_definition(SHIPPED)
    page = definition.page("users_and_service")
    assert [q.id for q in page.questions] == NEW_QUESTIONS
    for question in page.questions:
        assert question.type == "long_text" and not question.required
    assert "counted when benchmarking" in definition.question("users_counting").label
    assert "quality, priority or attention" in definition.question("service_differences").label
    assert "why" in definition.question("service_differences").label
    for provides in ("yes", "no"):  # asked of every organisation, with or without schools
        ids = [p.id for p in route(definition, {"provides_education": provides})]
        assert ids.index("pupils_as_users") + 1 == ids.index("users_and_service") == ids.index("focus_group") - 1


def test_version_1_as_shipped_is_recognised_so_installed_copies_can_be_updated():
    assert definition_fingerprint(version_1()) in EARLIER_DEFAULT_DEFINITIONS
    assert definition_fingerprint(SHIPPED) not in EARLIER_DEFAULT_DEFINITIONS
    reordered = json.loads(json.dumps(version_1(), sort_keys=True))  # as a database may hand it back
    assert definition_fingerprint(reordered) == definition_fingerprint(version_1())


def test_a_member_may_leave_them_blank_or_answer_them_and_analysts_read_the_answers(client, signed_in, survey):
    signed_in("member")
    answer_all(client, {k: v for k, v in NO_SCHOOLS.items() if k != "users_and_service"})
    page = page_text(client.get("/surveys/schools-ict/questions/users_and_service"))
    assert "Counting users, and the service they receive" in page and "(optional)" in page
    ref = db.session.scalar(select(Response.reference))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    assert db.session.scalar(select(Response.status)) == "submitted"  # submitted with both left blank

    answer_page(
        client,
        "users_and_service",
        {
            "users_counting": "Headcount, not FTE. Pupils go on a line of their own.",
            "service_differences": "Members get a VIP line, for politics.",
        },
    )
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    db.session.expire_all()
    response = db.session.scalar(select(Response))
    assert response.submitted_answers["users_counting"] == "Headcount, not FTE. Pupils go on a line of their own."

    rows = list(submitted_rows(survey))
    passages = free_text_passages(definition_for(survey.current_version), rows)
    assert [(p.section, p.text) for p in passages if p.section in NEW_QUESTIONS] == [
        ("users_counting", "Headcount, not FTE."),
        ("users_counting", "Pupils go on a line of their own."),
        ("service_differences", "Members get a VIP line, for politics."),
    ]

    client.post("/sign-out")
    signed_in("analyst")
    free_text = page_text(client.get("/surveys/results/schools-ict/free-text"))
    assert (
        "Headcount, not FTE. Pupils go on a line of their own." in free_text
        and "Members get a VIP line, for politics." in free_text
    )


def test_an_installed_version_1_gets_the_questions_as_version_2_and_its_responses_stay_on_1(app, make_organisation):
    survey = install_version_1()
    first = survey.current_version
    organisation = make_organisation()
    db.session.add(
        Response(survey_id=survey.id, version_id=first.id, organisation_id=organisation.id, reference="SIC-V1")
    )
    db.session.commit()

    published = update_default_survey()
    assert published is not None and published.number == 2
    db.session.expire_all()
    survey = db.session.scalar(select(Survey).where(Survey.slug == DEFAULT_SLUG))
    assert [v.number for v in survey.versions] == [1, 2]
    assert set(NEW_QUESTIONS) <= {q.id for q in definition_for(survey.current_version).questions}
    assert definition_fingerprint(survey.draft) == definition_fingerprint(SHIPPED)
    old = db.session.scalar(select(Response).where(Response.reference == "SIC-V1"))
    assert old.version.number == 1  # answered version 1, and still valid against it
    assert "users_counting" not in {q.id for q in definition_for(old.version).questions}
    assert update_default_survey() is None  # already current: nothing more to publish


def test_a_survey_organisers_have_changed_is_left_alone(app):
    survey = install_version_1()
    edited = version_1()
    edited["sections"][0]["title"] = "Schools"
    survey.draft = edited  # an organiser is editing the draft
    db.session.commit()
    assert update_default_survey() is None
    db.session.expire_all()
    assert [v.number for v in db.session.scalars(select(SurveyVersion))] == [1]


def test_install_default_says_when_it_published_the_new_version(app, runner):
    install_version_1()
    result = runner.invoke(args=["surveys", "install-default"])
    assert result.exit_code == 0 and "was updated: version 2 published." in result.output
    again = runner.invoke(args=["surveys", "install-default"])
    assert "was already installed." in again.output
