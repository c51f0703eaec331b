"""A choice question's options edited as rows: reading and checking the rows, and the editor's add, remove
and save buttons through the organiser's pages, without JavaScript."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

from sqlalchemy import select

from app.extensions import db
from app.surveys.authoring.builder import locate
from app.surveys.authoring.option_rows import (
    MAX_OPTIONS,
    OptionRow,
    edit_rows,
    options_from_rows,
    rows_from_form,
    rows_from_options,
    value_from_label,
)
from app.surveys.models import Survey
from tests.conftest import page_text

EDIT_SETTINGS = "/surveys/manage/schools-ict/build/questions/education_settings"
NEW_ON_SIZE = "/surveys/manage/schools-ict/build/pages/size/questions/new"


def _row(n: int, value: str = "", label: str = "", hint: str = "", **ticks: str) -> dict[str, str]:
    fields = {f"option-{n}-value": value, f"option-{n}-label": label, f"option-{n}-hint": hint}
    return fields | {f"option-{n}-{tick}": on for tick, on in ticks.items()}


# --- the rows as plain data -----------------------------------------------------------------------------


def test_rows_become_the_stored_options_in_the_shape_the_text_box_wrote():
    form = (
        _row(1, "maintained", "Maintained schools", "LA maintained")
        | _row(2, "", "None of these", exclusive="yes")
        | _row(3, "other", "Other", specify="yes")
        | _row(4)  # an empty trailing row
    )
    options, errors = options_from_rows(rows_from_form(form), "multiple_choice")
    assert errors == {}
    assert options == [
        {"value": "maintained", "label": "Maintained schools", "hint": "LA maintained"},
        {"value": "none-of-these", "label": "None of these", "exclusive": True},
        {"value": "other", "label": "Other", "specify": True},
    ]
    assert [list(o) for o in options] == [
        ["value", "label", "hint"],
        ["value", "label", "exclusive"],
        ["value", "label", "specify"],
    ]
    assert options_from_rows(rows_from_options(options), "multiple_choice") == (options, {})


def test_each_row_problem_is_keyed_by_its_input_and_numbered_as_the_page_shows_it():
    form = (
        _row(1, "yes", "Yes")
        | _row(2, "", "", "a hint but no label")
        | _row(3, "yes", "Yes again")
        | _row(4, "Bad Value!", "Shouty")
        | _row(5, "", "Maybe", exclusive="yes")
        | _row(6, "other", "Other", specify="yes")
        | _row(7, "other-2", "Another", specify="yes")
    )
    options, errors = options_from_rows(rows_from_form(form), "single_choice")
    assert errors == {
        "option-2-label": "Option 2: enter a label",
        "option-3-value": "Option 3 has the same value as option 1",
        "option-4-value": (
            "Option 4: the value must start with a lower-case letter or a number and use only a-z, 0-9, - and _, "
            "up to 60 characters"
        ),
        "option-5-exclusive": "Option 5: only a multiple choice question can have 'None of these'",
        "option-7-specify": "Option 7: only one option can ask to specify, and option 6 already does",
    }


def test_a_value_left_blank_is_made_from_the_label_and_clashes_are_caught():
    assert value_from_label("Maintained primary schools") == "maintained-primary-schools"
    assert value_from_label("16-19 colleges") == "x-16-19-colleges"
    assert value_from_label("???") == "option"
    form = _row(1, "", "Other") | _row(2, "other", "Something else")
    assert options_from_rows(rows_from_form(form), "single_choice")[1] == {
        "option-2-value": "Option 2 has the same value as option 1"
    }


def test_no_rows_too_many_rows_and_too_long_text_are_refused_in_words():
    assert options_from_rows([OptionRow(), OptionRow()], "single_choice")[1] == {
        "option-1-label": "Enter at least one option"
    }
    many = [OptionRow(label=f"Council {n}") for n in range(MAX_OPTIONS + 3)]
    assert options_from_rows(many, "single_choice") == (
        [],
        {"options": f"A question can have at most {MAX_OPTIONS} options: remove 3"},
    )
    long = [OptionRow(label="x" * 1001, hint="h" * 501)]
    assert options_from_rows(long, "single_choice")[1] == {
        "option-1-label": "Option 1: the label must be 1,000 characters or fewer",
        "option-1-hint": "Option 1: the hint must be 500 characters or fewer",
    }


def test_rows_are_read_in_order_with_gaps_closed_and_other_fields_ignored():
    form = {"label": "Question", "option-10-label": "Ten", "option-2-label": "Two", "option-x-label": "no"}
    assert [r.label for r in rows_from_form(form)] == ["Two", "Ten"]
    assert rows_from_form({"option-1234567-label": "too many digits"}) == []


def test_the_add_and_remove_buttons_change_the_rows_and_nothing_else():
    form = _row(1, "a", "A") | _row(2, "b", "B")
    assert edit_rows(form) is None  # the save button
    added = edit_rows(form | {"option_action": "add"})
    assert [r.label for r in added.rows] == ["A", "B", ""] and added.focus == "option-3-value" and not added.errors
    removed = edit_rows(form | {"option_action": "remove-1"})
    assert [r.label for r in removed.rows] == ["B"]
    assert [r.label for r in edit_rows(form | {"option_action": "remove-9"}).rows] == ["A", "B"]
    assert [r.label for r in edit_rows(form | {"option_action": "nonsense"}).rows] == ["A", "B"]
    last = edit_rows(_row(1, "a", "A") | {"option_action": "remove-1"})
    assert last.rows == [OptionRow()]  # always a row to type into
    full = {k: v for n in range(1, MAX_OPTIONS + 1) for k, v in _row(n, label=f"L{n}").items()}
    refused = edit_rows(full | {"option_action": "add"})
    assert len(refused.rows) == MAX_OPTIONS
    assert refused.errors == {
        "add-option": f"A question can have at most {MAX_OPTIONS} options, so no more can be added"
    }


# --- through the organiser's pages ----------------------------------------------------------------------


class _FormFields(HTMLParser):
    """What a browser would send for the page's question form: inputs, ticked boxes, selects, text areas."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") in ("text", "hidden"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("name") and "checked" in a:
            self.fields[a["name"]] = a.get("value") or "on"
        elif tag == "select":
            self._select = a.get("name")
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def _fields(response) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(response.get_data(as_text=True))
    return {k: v.removeprefix("\n") for k, v in parser.fields.items() if k != "csrf_token"}


def _stored_question(question_id: str) -> dict:
    draft = db.session.scalar(select(Survey).where(Survey.slug == "schools-ict")).draft
    si, pi, qi = locate(draft, question_id)
    return draft["sections"][si]["pages"][pi]["questions"][qi]


def _option_labels(page: str) -> list[str]:
    return re.findall(r'name="option-\d+-label" type="text" value="([^"]*)"', page)


def test_saving_a_question_unchanged_stores_exactly_what_was_there(client, signed_in, survey):
    signed_in("organiser")
    for question_id in ("education_settings", "counted_in_benchmark", "pupil_funding"):
        before = copy.deepcopy(_stored_question(question_id))
        url = f"/surveys/manage/schools-ict/build/questions/{question_id}"
        response = client.post(url, data=_fields(client.get(url)))
        assert response.status_code == 302, page_text(response)
        after = _stored_question(question_id)
        assert after["options"] == before["options"]
        assert after == before | {"required": True}  # the builder has always written `required` out in full


def test_add_another_option_shows_one_more_empty_row_keeps_the_input_and_saves_nothing(client, signed_in, survey):
    signed_in("organiser")
    before = copy.deepcopy(_stored_question("education_settings"))
    fields = _fields(client.get(EDIT_SETTINGS))
    assert [k for k in fields if k.startswith("option-") and k.endswith("-label")][-1] == "option-11-label"
    fields |= {"label": "Which settings? (changed)", "option-1-label": "Maintained primaries (changed)"}
    page = page_text(client.post(EDIT_SETTINGS, data=fields | {"option_action": "add"}))
    labels = _option_labels(page)
    assert len(labels) == 12 and labels[0] == "Maintained primaries (changed)" and labels[-1] == ""
    assert "Which settings? (changed)" in page and "There is a problem" not in page
    assert 'id="option-12-value" name="option-12-value" type="text" value="" autofocus' in page
    assert _stored_question("education_settings") == before
    # Fill the new row and save: the new option is stored after the others.
    fields = _fields(client.post(EDIT_SETTINGS, data=fields | {"option_action": "add"}))
    fields |= {"option-12-value": "hospital", "option-12-label": "Hospital schools", "option-12-hint": "On wards"}
    assert client.post(EDIT_SETTINGS, data=fields).status_code == 302
    stored = _stored_question("education_settings")
    assert stored["options"][:-1] == [
        {**before["options"][0], "label": "Maintained primaries (changed)"},
        *before["options"][1:],
    ]
    assert stored["options"][-1] == {"value": "hospital", "label": "Hospital schools", "hint": "On wards"}


def test_remove_takes_out_that_row_only_and_saves_nothing(client, signed_in, survey):
    signed_in("organiser")
    before = copy.deepcopy(_stored_question("education_settings"))
    fields = _fields(client.get(EDIT_SETTINGS))
    page = page_text(client.post(EDIT_SETTINGS, data=fields | {"option_action": "remove-2"}))
    labels = _option_labels(page)
    assert labels == [o["label"] for o in before["options"] if o["value"] != "maintained-secondary"]
    assert "Remove option 10" in re.sub(r"<[^>]+>", "", page)  # each Remove button names its row
    # The last row ("Another type of setting", which asks to specify) is now option 10, still ticked.
    assert re.search(r'id="option-10-specify" name="option-10-specify" type="checkbox" value="yes" checked', page)
    assert _stored_question("education_settings") == before
    client.post(EDIT_SETTINGS, data=_fields(client.post(EDIT_SETTINGS, data=fields | {"option_action": "remove-2"})))
    assert [o["value"] for o in _stored_question("education_settings")["options"]] == [
        o["value"] for o in before["options"] if o["value"] != "maintained-secondary"
    ]


def test_row_errors_link_to_the_exact_input_mark_it_and_keep_what_was_typed(client, signed_in, survey):
    signed_in("organiser")
    before = copy.deepcopy(_stored_question("education_settings"))
    fields = _fields(client.get(EDIT_SETTINGS))
    fields |= {"option-2-label": "", "option-3-value": "maintained-primary", "option-4-value": "Special Schools!"}
    response = client.post(EDIT_SETTINGS, data=fields)
    page = page_text(response)
    assert response.status_code == 200 and "There is a problem" in page
    assert '<a href="#option-2-label">Option 2: enter a label</a>' in page
    assert '<a href="#option-3-value">Option 3 has the same value as option 1</a>' in page
    assert 'href="#option-4-value">Option 4: the value must start with a lower-case letter' in page
    assert re.search(r'class="govuk-input govuk-input--width-20 govuk-input--error" id="option-4-value"', page)
    assert 'aria-describedby="option-4-value-error"' in page and 'value="Special Schools!"' in page
    assert re.search(r'class="govuk-input  govuk-input--error" id="option-2-label"', page)
    assert _stored_question("education_settings") == before


def test_a_new_question_starts_with_empty_rows_and_ignores_the_empty_ones(client, signed_in, survey):
    signed_in("organiser")
    form_page = client.get(NEW_ON_SIZE + "?type=single_choice")
    assert _option_labels(page_text(form_page)) == ["", ""]
    fields = _fields(form_page) | {"id": "laptop_scheme", "label": "Do you run a laptop scheme?"}
    nothing = page_text(client.post(NEW_ON_SIZE, data=fields))
    assert '<a href="#option-1-label">Enter at least one option</a>' in nothing
    fields |= {"option-1-label": "Yes, for every pupil", "option-2-value": "no", "option-2-label": "No"}
    fields = _fields(client.post(NEW_ON_SIZE, data=fields | {"option_action": "add"}))  # a third, left empty
    assert client.post(NEW_ON_SIZE, data=fields).status_code == 302
    assert _stored_question("laptop_scheme")["options"] == [
        {"value": "yes-for-every-pupil", "label": "Yes, for every pupil"},
        {"value": "no", "label": "No"},
    ]


def test_the_new_survey_page_adds_rows_without_saving_and_creates_the_survey(client, signed_in):
    signed_in("organiser")
    fields = _fields(client.get("/surveys/manage/new?type=multiple_choice"))
    fields |= {
        "survey_title": "Devices survey",
        "section_title": "Devices",
        "id": "devices",
        "label": "Which devices do you support?",
        **_row(1, "laptops", "Laptops"),
        **_row(2, "", "None of these", exclusive="yes"),
    }
    page = page_text(client.post("/surveys/manage/new", data=fields | {"option_action": "add"}))
    assert _option_labels(page) == ["Laptops", "None of these", ""] and 'value="Devices survey"' in page
    assert db.session.scalar(select(Survey).where(Survey.slug == "devices-survey")) is None
    assert client.post("/surveys/manage/new", data=_fields_from(page)).status_code == 302
    survey = db.session.scalar(select(Survey).where(Survey.slug == "devices-survey"))
    assert survey.draft["sections"][0]["pages"][0]["questions"][0]["options"] == [
        {"value": "laptops", "label": "Laptops"},
        {"value": "none-of-these", "label": "None of these", "exclusive": True},
    ]


def _fields_from(page: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(page)
    return {k: v for k, v in parser.fields.items() if k != "csrf_token"}


def test_a_stale_page_stays_stale_through_add_and_remove(client, signed_in, survey):
    signed_in("organiser")
    fields = _fields(client.get(EDIT_SETTINGS))
    other = _fields(client.get("/surveys/manage/schools-ict/build/questions/pupil_funding"))
    client.post("/surveys/manage/schools-ict/build/questions/pupil_funding", data=other | {"label": "Changed"})
    again = _fields(client.post(EDIT_SETTINGS, data=fields | {"option_action": "add"}))
    assert again["draft_digest"] == fields["draft_digest"]
    page = page_text(client.post(EDIT_SETTINGS, data=again))
    assert "Someone else changed this draft" in page
