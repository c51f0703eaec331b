"""Routing, piping, and reading a page's answers: every rule a respondent can meet."""

import json

import pytest
from werkzeug.datastructures import MultiDict

from app.surveys.answering.pages import (
    DONT_KNOW,
    TamperedAnswer,
    display_value,
    first_unanswered_page,
    next_page,
    pipe,
    previous_page,
    read_page,
    relevant_answers,
    route,
)
from app.surveys.authoring.definition import load_definition
from app.surveys.services import DEFAULT_DEFINITION

SURVEY = load_definition(json.loads(DEFAULT_DEFINITION.read_text()))


def _read(page_id, form, answers=None):
    return read_page(SURVEY, SURVEY.page(page_id), MultiDict(form), answers or {})


def test_an_organisation_without_education_services_gets_the_short_path():
    pages = [p.id for p in route(SURVEY, {"provides_education": "no"})]
    assert pages == [
        "provides",
        "user_counts",
        "benchmark_counting",
        "size",
        "pupils_as_users",
        "users_and_service",
        "focus_group",
    ]
    assert next_page(SURVEY, {"provides_education": "no"}, "provides").id == "user_counts"
    assert previous_page(SURVEY, {"provides_education": "no"}, "user_counts").id == "provides"


def test_an_organisation_with_education_services_sees_every_page():
    pages = [p.id for p in route(SURVEY, {"provides_education": "yes"})]
    assert "settings" in pages and "strain_incidents" in pages and len(pages) == len(SURVEY.pages)


def test_skipped_answers_are_left_out_when_the_route_changes():
    answers = {"provides_education": "no", "settings_supported": 12, "users": {"pupils": 0}}
    assert relevant_answers(SURVEY, answers) == {"provides_education": "no", "users": {"pupils": 0}}


def test_piping_earlier_answers_into_labels_is_escaped():
    label = SURVEY.question("services_to_schools").label
    assert str(pipe(label, SURVEY, {"settings_supported": 12})) == (
        "Which ICT services do you provide to the 12 education settings you support?"
    )
    assert "&lt;b&gt;" in str(pipe("Hello <b>{settings_supported}</b>", SURVEY, {"settings_supported": 3}))


def test_required_answers_are_asked_for_in_plain_english():
    result = _read("provides", {})
    assert result.errors == {
        "provides_education": ("Select yes if your ICT service provides any services to schools, academies or pupils")
    }


def test_unknown_options_are_tampering():
    with pytest.raises(TamperedAnswer):
        _read("provides", {"provides_education": "maybe"})
    with pytest.raises(TamperedAnswer):
        _read("settings", {"education_settings": ["maintained-primary", "hacked"]}, {"provides_education": "yes"})


@pytest.mark.parametrize(
    "typed,message",
    [
        ("twelve", "Enter the number of education settings you support as a number"),
        ("12.5", "Enter the number of education settings you support as a whole number"),
        ("-3", "The number of education settings you support must be 1 setting or more"),
        ("6000", "The number of education settings you support must be 5,000 settings or less"),
    ],
)
def test_number_checks_keep_what_was_typed(typed, message):
    result = _read(
        "settings", {"education_settings": ["special"], "settings_supported": typed}, {"provides_education": "yes"}
    )
    assert result.errors["settings_supported"] == message
    assert result.raw["settings_supported"] == typed


def test_numbers_accept_commas_and_store_numbers():
    result = _read(
        "settings", {"education_settings": ["special"], "settings_supported": "1,200"}, {"provides_education": "yes"}
    )
    assert result.ok and result.values["settings_supported"] == 1200


def test_other_please_specify_needs_the_text():
    result = _read(
        "settings", {"education_settings": ["other"], "settings_supported": "3"}, {"provides_education": "yes"}
    )
    assert result.errors == {"education_settings__other": "Describe another type of setting"}
    result = _read(
        "settings",
        {"education_settings": ["other"], "education_settings__other": "Hospital schools", "settings_supported": "3"},
        {"provides_education": "yes"},
    )
    assert result.values["education_settings__other"] == "Hospital schools"


def test_an_exclusive_option_cannot_be_combined():
    result = _read("benchmark_counting", {"counted_in_benchmark": ["office_staff", "no-return"]})
    assert "on its own" in result.errors["counted_in_benchmark"]


@pytest.mark.parametrize(
    "typed,message",
    [
        ("101", "The share of devices must be 100% or less"),
        ("-1", "The share of devices cannot be negative"),
    ],
)
def test_percentages_stay_between_0_and_100(typed, message):
    form = {
        "share_devices": typed,
        "share_licences.dont_know": "yes",
        "share_staff_time.dont_know": "yes",
        "share_spend.dont_know": "yes",
    }
    assert _read("strain_resources", form, {"provides_education": "yes"}).errors == {"share_devices": message}


def test_dont_know_is_an_answer_but_not_together_with_a_number():
    form = {
        "share_devices": "40",
        "share_devices.dont_know": "yes",
        "share_licences": "10",
        "share_staff_time.dont_know": "yes",
        "share_spend": "5",
    }
    result = _read("strain_resources", form, {"provides_education": "yes"})
    assert "not both" in result.errors["share_devices"]
    assert result.values["share_staff_time"] == DONT_KNOW


def test_shares_that_add_up_to_more_than_100_are_refused():
    result = _read(
        "strain_incidents", {"incidents_school_staff": "70", "incidents_pupils": "40"}, {"provides_education": "yes"}
    )
    assert result.errors == {"incidents_pupils": "The shares from school staff and pupils add up to more than 100%"}
    result = _read(
        "strain_incidents",
        {"incidents_school_staff": "70", "incidents_pupils.dont_know": "yes"},
        {"provides_education": "yes"},
    )
    assert result.ok


def test_the_user_grid_checks_each_cell():
    form = {f"users.{c.id}": "0" for c in SURVEY.question("users").categories}
    form.update({"users.pupils": "-5", "users.office_staff": "lots", "users.councillors": ""})
    errors = _read("user_counts", form).errors
    assert errors == {
        "users-pupils": "The number of pupils cannot be negative",
        "users-office_staff": "Enter the number of office-based staff as a whole number",
        "users-councillors": "Enter the number of councillors, or 0",
    }
    form = {f"users.{c.id}": "0" for c in SURVEY.question("users").categories}
    assert _read("user_counts", form).errors == {"users": "Enter the number of users in at least one group"}
    form["users.office_staff"] = "2,400"
    result = _read("user_counts", form)
    assert result.ok and result.values["users"]["office_staff"] == 2400


def test_text_over_the_limit_is_refused_but_kept():
    text = "x" * 1501
    result = _read("pupils_as_users", {"pupils_should_count": "agree", "pupils_reason": text})
    assert result.errors["pupils_reason"] == "Your reason must be 1,500 characters or fewer"
    assert result.raw["pupils_reason"] == text


def test_money_needs_pounds_and_pence_at_most():
    result = _read("size", {"ict_revenue_spend": "£1,250,000.505"})
    assert "pounds and pence" in result.errors["ict_revenue_spend"]
    result = _read("size", {"ict_revenue_spend": "£1,250,000.50", "ict_staff_fte": "42.5"})
    assert result.ok and result.values == {"ict_revenue_spend": 1250000.5, "ict_staff_fte": 42.5}


def test_first_unanswered_page_follows_the_route():
    assert first_unanswered_page(SURVEY, {}).id == "provides"
    assert first_unanswered_page(SURVEY, {"provides_education": "no"}).id == "user_counts"


def test_answers_read_back_as_people_write_them():
    users = SURVEY.question("users")
    counts = {c.id: 0 for c in users.categories} | {"office_staff": 2400, "pupils": 31000}
    text = display_value(users, counts)
    assert "Office-based staff: 2,400" in text and "Total users: 33,400" in text
    assert display_value(SURVEY.question("ict_revenue_spend"), 1250000.5) == "£1,250,000.50"
    assert display_value(SURVEY.question("share_spend"), DONT_KNOW) == "I do not know"
    assert display_value(SURVEY.question("share_spend"), 12.5) == "12.5%"


DATED = load_definition(
    {
        "title": "Dates",
        "sections": [
            {
                "id": "s",
                "title": "S",
                "pages": [
                    {
                        "id": "p",
                        "questions": [
                            {
                                "id": "started",
                                "type": "date",
                                "label": "When did the service start?",
                                "short": "the start date",
                                "min": "2000-01-01",
                                "max": "2058-12-31",
                            }
                        ],
                    }
                ],
            }
        ],
    }
)


@pytest.mark.parametrize(
    "parts,message",
    [
        ({"started-day": "31", "started-month": "2", "started-year": "2026"}, "The start date must be a real date"),
        ({"started-day": "1", "started-month": "", "started-year": "2026"}, "The start date must include a month"),
        ({"started-day": "1", "started-month": "1", "started-year": "1999"}, "must be on or after 1 January 2000"),
        ({"started-day": "x", "started-month": "1", "started-year": "2026"}, "The start date must be a real date"),
    ],
)
def test_impossible_dates_are_refused_with_the_parts_kept(parts, message):
    result = read_page(DATED, DATED.page("p"), MultiDict(parts), {})
    assert message in " ".join(result.errors.values())
    assert result.raw["started-day"] == parts["started-day"]


def test_a_real_date_is_stored_as_iso_and_reads_back_in_words():
    result = read_page(
        DATED, DATED.page("p"), MultiDict({"started-day": "3", "started-month": "4", "started-year": "2026"}), {}
    )
    assert result.values == {"started": "2026-04-03"}
    assert display_value(DATED.question("started"), "2026-04-03") == "3 April 2026"
