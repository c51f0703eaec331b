"""Building a survey: the draft editing rules, and the organiser's pages for them."""

import copy
import io
import json
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.extensions import db
from app.surveys.authoring.builder import (
    BuilderError,
    delete_question,
    draft_digest,
    format_options,
    move_question,
    parse_options,
    preview_check_rows,
    preview_step,
    question_from_form,
    save_question,
)
from app.surveys.authoring.definition import definition_problems, load_definition
from app.surveys.authoring.services import save_question_form
from app.surveys.models import Survey
from app.surveys.services import DEFAULT_DEFINITION
from tests.conftest import page_text

DRAFT = json.loads(DEFAULT_DEFINITION.read_text())


def _ids(draft):
    return [q["id"] for s in draft["sections"] for p in s["pages"] for q in p["questions"]]


def test_a_grid_scale_round_trips_through_its_text_box():
    """A grid's scale is still typed one point per line (a choice question's options are rows: test_option_rows)."""
    text = "maintained | Maintained schools | LA maintained\nNone of these [exclusive]\nother | Other [specify]"
    options = parse_options(text)
    assert options == [
        {"value": "maintained", "label": "Maintained schools", "hint": "LA maintained"},
        {"value": "none-of-these", "label": "None of these", "exclusive": True},
        {"value": "other", "label": "Other", "specify": True},
    ]
    assert parse_options(format_options(options)) == options


def test_a_new_question_needs_a_fresh_valid_id_and_text():
    with pytest.raises(BuilderError) as caught:
        question_from_form({"id": "provides_education", "type": "integer", "label": ""}, None, DRAFT)
    assert caught.value.errors == {
        "id": "The id 'provides_education' is already used in this survey",
        "label": "Enter the question text",
    }
    with pytest.raises(BuilderError) as caught:
        question_from_form({"id": "9lives", "type": "", "label": "x"}, None, DRAFT)
    assert set(caught.value.errors) == {"id", "type"}


def test_adding_a_question_keeps_the_draft_valid():
    question = question_from_form(
        {
            "id": "laptops",
            "type": "integer",
            "label": "How many laptops?",
            "min": "0",
            "show_if": "provides_education == 'yes'",
        },
        None,
        DRAFT,
    )
    new = save_question(DRAFT, "size", question, None)
    size = [p for s in new["sections"] for p in s["pages"] if p["id"] == "size"][0]
    assert [q["id"] for q in size["questions"]] == ["ict_revenue_spend", "ict_staff_fte", "laptops"]
    assert definition_problems(new) == [] and "laptops" not in _ids(DRAFT)


def test_a_condition_on_a_later_question_is_refused():
    question = question_from_form(
        {"id": "early", "type": "yes_no", "label": "Early?", "show_if": "pupils_should_count == 'agree'"}, None, DRAFT
    )
    with pytest.raises(BuilderError) as caught:
        save_question(DRAFT, "provides", question, None)
    assert "Unknown question id 'pupils_should_count'" in " ".join(caught.value.errors.values())


def test_moving_questions_within_and_across_pages():
    moved = move_question(DRAFT, "ict_staff_fte", -1)
    assert _ids(moved).index("ict_staff_fte") < _ids(moved).index("ict_revenue_spend")
    across = move_question(DRAFT, "pupils_reason", 1)  # last on its page: goes to the start of the next page
    page = [p for s in across["sections"] for p in s["pages"] if p["id"] == "users_and_service"][0]
    assert [q["id"] for q in page["questions"]] == ["pupils_reason", "users_counting", "service_differences"]
    assert move_question(DRAFT, "provides_education", -1) == DRAFT  # already first


def test_deleting_the_last_question_of_a_page_removes_the_page():
    new = delete_question(DRAFT, "focus_group_interest")
    assert "focus_group" not in [p["id"] for s in new["sections"] for p in s["pages"]]
    only_one = copy.deepcopy(DRAFT)
    only_one["sections"] = [{"id": "s", "title": "S", "pages": [DRAFT["sections"][0]["pages"][0]]}]
    with pytest.raises(BuilderError, match="at least one question"):
        delete_question(only_one, "provides_education")


def test_deleting_a_question_others_depend_on_is_refused():
    with pytest.raises(BuilderError, match="provides_education"):
        delete_question(DRAFT, "provides_education")


def test_saving_the_question_form_adds_a_section_or_says_what_is_wrong(survey):
    form = {"id": "laptops", "type": "integer", "label": "How many laptops?", "min": "0"}
    missing_title = save_question_form(survey, "add-section", {**form, "draft_digest": draft_digest(survey.draft)})
    assert missing_title.question is None
    assert missing_title.errors == {"section_title": "Enter a title for the new section"}
    stale = save_question_form(survey, "add-section", {**form, "section_title": "Devices", "draft_digest": "old"})
    assert stale.question is None and "Someone else changed this draft" in stale.errors["draft"]
    saved = save_question_form(
        survey, "add-section", {**form, "section_title": "Devices", "draft_digest": draft_digest(survey.draft)}
    )
    assert saved.errors == {} and saved.question["id"] == "laptops"
    stored = db.session.scalar(select(Survey)).draft
    assert stored["sections"][-1]["title"] == "Devices" and _ids(stored)[-1] == "laptops"


def test_the_preview_steps_through_the_route_without_a_request():
    definition = load_definition(DRAFT)
    provides = definition.page("provides")
    shown = preview_step(definition, provides, {})
    assert shown.next_page_id is None and shown.back_page_id is None and shown.applies
    assert [q.id for q in shown.questions] == ["provides_education"]
    refused = preview_step(definition, provides, {}, {})
    assert refused.next_page_id is None and "provides_education" in refused.errors
    answered = preview_step(definition, provides, {}, {"provides_education": "no"})
    assert answered.next_page_id == "user_counts" and answered.answers == {"provides_education": "no"}
    assert preview_check_rows(definition, answered.answers)[0][1] == "No"


def _digest(page):
    return re.search(r'name="draft_digest" value="([^"]+)"', page).group(1)


def test_organiser_edits_a_question_and_sees_it_in_the_outline_and_preview(client, signed_in, survey):
    signed_in("organiser")
    outline = page_text(client.get("/surveys/manage/schools-ict/build"))
    assert "The draft is the same as the published version" in outline
    form_page = client.get("/surveys/manage/schools-ict/build/questions/ict_staff_fte").get_data(as_text=True)
    response = client.post(
        "/surveys/manage/schools-ict/build/questions/ict_staff_fte",
        data={
            "draft_digest": _digest(form_page),
            "type": "decimal",
            "label": "ICT staff (FTE), including schools teams",
            "required": "no",
            "min": "0",
            "max": "5000",
            "places": "1",
        },
    )
    assert response.status_code == 302
    outline = page_text(client.get("/surveys/manage/schools-ict/build"))
    assert "ICT staff (FTE), including schools teams" in outline and "not published" in outline
    preview = page_text(client.get("/surveys/manage/schools-ict/preview/size"))
    assert "ICT staff (FTE), including schools teams" in preview and "Nothing you enter is saved" in preview
    # The published version is untouched until the draft is published.
    survey_row = db.session.scalar(select(Survey))
    assert survey_row.current_version.definition != survey_row.draft


def test_a_stale_editor_page_does_not_overwrite_a_newer_draft(client, signed_in, survey):
    signed_in("organiser")
    form_page = client.get("/surveys/manage/schools-ict/build/questions/ict_staff_fte").get_data(as_text=True)
    client.post(
        "/surveys/manage/schools-ict/build/questions/ict_staff_fte/move",
        data={"draft_digest": _digest(form_page), "direction": "up"},
    )
    page = page_text(
        client.post(
            "/surveys/manage/schools-ict/build/questions/ict_staff_fte",
            data={"draft_digest": _digest(form_page), "type": "decimal", "label": "Changed", "required": "no"},
        )
    )
    assert "Someone else changed this draft" in page and 'value="decimal" selected' in page
    assert "Changed" not in json.dumps(db.session.scalar(select(Survey)).draft)


def test_question_form_errors_are_shown_with_input_kept(client, signed_in, survey):
    signed_in("organiser")
    form_page = client.get("/surveys/manage/schools-ict/build/pages/size/questions/new").get_data(as_text=True)
    page = page_text(
        client.post(
            "/surveys/manage/schools-ict/build/pages/size/questions/new",
            data={
                "draft_digest": _digest(form_page),
                "id": "Bad Id",
                "type": "single_choice",
                "label": "Pick one",
                "options": "",
            },
        )
    )
    assert "There is a problem" in page and 'href="#id"' in page and "Enter at least one option" in page
    assert 'value="Bad Id"' in page


def test_preview_follows_routing_and_validation(client, signed_in, survey):
    signed_in("organiser")
    response = client.get("/surveys/manage/schools-ict/preview/")
    assert response.headers["Location"] == "/surveys/manage/schools-ict/preview/provides"
    page = page_text(client.post("/surveys/manage/schools-ict/preview/provides", data={}))
    assert "Select yes if your ICT service" in page
    response = client.post("/surveys/manage/schools-ict/preview/provides", data={"provides_education": "no"})
    assert response.headers["Location"] == "/surveys/manage/schools-ict/preview/user_counts"


def test_delete_asks_first(client, signed_in, survey):
    signed_in("organiser")
    assert "Delete" in page_text(client.get("/surveys/manage/schools-ict/build/questions/focus_group_interest/delete"))
    client.post("/surveys/manage/schools-ict/build/questions/focus_group_interest/delete")
    assert "focus_group_interest" not in json.dumps(db.session.scalar(select(Survey)).draft)


def test_xlsform_upload_creates_a_draft_and_lists_unmapped_rows(client, signed_in):
    signed_in("organiser")
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["integer", "schools", "How many schools?"])
    sheet.append(["geopoint", "where", "Where are you?"])
    settings = book.create_sheet("settings")
    settings.append(["form_title"])
    settings.append(["Pilot schools survey"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    page = page_text(
        client.post(
            "/surveys/manage/import-xlsform", data={"file": (data, "pilot.xlsx")}, content_type="multipart/form-data"
        )
    )
    assert "Draft survey created" in page and "Pilot schools survey" in page
    assert "type 'geopoint' is not supported" in page
    assert db.session.scalar(select(Survey).where(Survey.slug == "pilot-schools-survey")) is not None
    page = page_text(
        client.post(
            "/surveys/manage/import-xlsform",
            data={"file": (io.BytesIO(b"x"), "a.xlsx")},
            content_type="multipart/form-data",
        )
    )
    assert "There is a problem" in page


def test_an_organiser_starts_a_survey_from_scratch(client, signed_in):
    signed_in("organiser")
    index = page_text(client.get("/surveys/manage/"))
    assert "Create a survey" in index
    form = client.get("/surveys/manage/new?type=yes_no")
    assert "Create a survey" in page_text(form)
    empty = client.post("/surveys/manage/new", data={"survey_title": " ", "section_title": "", "type": "yes_no"})
    text = page_text(empty)
    assert "Enter a title for the survey" in text and "Enter a title for the first section" in text
    response = client.post(
        "/surveys/manage/new",
        data={
            "survey_title": "Cyber  security readiness",
            "section_title": "About you",
            "id": "has_plan",
            "type": "yes_no",
            "label": "Do you have a cyber incident response plan?",
            "required": "yes",
        },
        follow_redirects=True,
    )
    assert "Draft survey 'Cyber security readiness' created" in page_text(response)
    survey = db.session.scalar(select(Survey).where(Survey.slug == "cyber-security-readiness"))
    assert survey.current_version is None
    assert definition_problems(survey.draft) == []
    assert survey.draft["sections"][0]["title"] == "About you"
    assert survey.draft["sections"][0]["pages"][0]["questions"][0]["id"] == "has_plan"
    # The title typed on the failed attempt is kept.
    kept = client.post(
        "/surveys/manage/new", data={"survey_title": "Kept title", "section_title": "", "type": "yes_no"}
    )
    assert 'value="Kept title"' in kept.get_data(as_text=True)


def test_the_outline_puts_each_condition_into_words_beside_the_expression(client, signed_in, survey):
    signed_in("organiser")
    outline = page_text(client.get("/surveys/manage/schools-ict/build"))
    assert "provides_education == &#39;yes&#39;" in outline or "provides_education == 'yes'" in outline
    assert (
        "Shown when ‘Does your ICT service provide any services to schools, academies or pupils?’ is ‘Yes’" in outline
    )


def test_conditions_in_words_cover_and_or_not_and_numbers_and_leave_the_rest_as_code():
    from app.surveys.authoring.condition_words import condition_in_words
    from tests.surveys.results.support import SURVEY

    words = condition_in_words("provides_education == 'yes' and settings_supported >= 10", SURVEY)
    assert words.startswith("Shown when ‘") and "is ‘Yes’ and ‘" in words and words.endswith("is at least 10")
    assert condition_in_words("not (provides_education != 'no')", SURVEY).endswith("is not ‘No’)")
    assert condition_in_words("count_selected(education_settings) > 1", SURVEY) is None  # shown as code only
    assert condition_in_words("", SURVEY) is None and condition_in_words("((", SURVEY) is None
