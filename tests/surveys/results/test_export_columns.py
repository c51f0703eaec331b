"""Export columns (results/export_columns.py): stable names made from question ids, numbered when they would
repeat."""

import copy

from app.surveys.authoring.definition import load_definition
from app.surveys.results import export_columns
from app.surveys.results.export_columns import columns
from app.surveys.services import definition_for
from tests.surveys.results.support import GROUPS


def test_columns_are_stable_names_from_question_ids(survey):
    definition = definition_for(survey.current_version)
    found = columns(definition)
    names = [c.name for c in found]
    assert names[:9] == list(export_columns.META_COLUMNS)
    assert names[9:11] == ["provides_education", "education_settings__maintained-primary"]
    assert names.index("education_settings__other") == names.index("education_settings__early-years") + 1
    assert names[names.index("education_settings__other") + 1] == "education_settings__other_text"
    assert ["service_level__school_staff", "service_level__pupils"] == [n for n in names if n.startswith("service_l")]
    assert [n for n in names if n.startswith("users__")] == [f"users__{g}" for g in GROUPS] + ["users__total"]
    assert names[names.index("pupil_funding") + 1] == "pupil_funding__other"
    # The two free-text questions of version 2 follow the reason, one column each.
    assert names[names.index("pupils_reason") + 1 : names.index("focus_group_interest")] == [
        "users_counting",
        "service_differences",
    ]
    assert len(names) == len(set(names)) == 9 + 1 + 12 + 1 + 13 + 2 + 2 + 10 + 10 + 6 + 2 + 5
    by_name = {c.name: c for c in found}
    assert by_name["pupil_funding"].codes_text().startswith("traded = Schools buy them from us as a traded service; ")
    assert by_name["incidents_pupils"].codes_text() == "dont_know = I do not know"
    assert by_name["service_level__pupils"].label.endswith(": Pupils")
    assert by_name["region"].codes[0] == ("north-east", "North East")


def test_specify_text_is_named_other_text_only_when_an_option_is_valued_other(survey):
    found = {c.name: c for c in columns(definition_for(survey.current_version))}
    assert found["education_settings__other"].type == "multiple_choice"
    assert found["education_settings__other_text"].type == "specify_text"
    assert found["pupil_funding__other"].type == "specify_text"  # single choice: no 0/1 column to clash with
    assert "pupil_funding__other_text" not in found


def test_column_names_that_would_repeat_get_a_number(survey):
    data = copy.deepcopy(survey.current_version.definition)
    data["sections"][-1]["pages"][-1]["questions"].append(
        {"id": "service_level__pupils", "type": "short_text", "label": "Clash", "required": False}
    )
    names = [c.name for c in columns(load_definition(data))]
    assert names[-1] == "service_level__pupils__2" and len(names) == len(set(names))
