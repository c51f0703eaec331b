"""Survey definitions: the schema, the platform's own rules, and the default survey."""

import copy
import json

import pytest

from app.surveys.authoring.definition import DefinitionError, definition_problems, load_definition
from app.surveys.services import DEFAULT_DEFINITION

DEFAULT = json.loads(DEFAULT_DEFINITION.read_text())


def test_the_default_survey_is_valid_and_uses_every_part_of_the_brief():
    definition = load_definition(DEFAULT)
    assert definition.title == "Delivery of ICT services to schools"
    types = {q.type for q in definition.questions}
    assert {
        "yes_no",
        "multiple_choice",
        "single_choice",
        "integer",
        "decimal",
        "percentage",
        "money",
        "long_text",
        "matrix",
        "user_grid",
    } <= types
    users = definition.question("users")
    assert [c.id for c in users.categories] == [
        "office_staff",
        "frontline_staff",
        "councillors",
        "school_staff",
        "pupils",
        "partners",
        "contractors",
        "volunteers",
        "residents",
    ]
    assert [o.label for o in definition.question("service_level").scale] == [
        "The same service levels",
        "A separate (often traded) agreement",
        "Best efforts only",
        "No service",
    ]
    assert definition.question("share_spend").dont_know
    assert not definition.question("ict_revenue_spend").required
    assert definition.pages[-1].id == "focus_group"


def test_schema_problems_say_where_they_are():
    broken = copy.deepcopy(DEFAULT)
    broken["sections"][0]["pages"][0]["questions"][0]["type"] = "slider"
    del broken["title"]
    problems = definition_problems(broken)
    assert any("'title' is a required property" in p for p in problems)
    assert any(p.startswith("sections/0/pages/0/questions/0/type") for p in problems)


def test_rules_beyond_the_schema():
    broken = copy.deepcopy(DEFAULT)
    first = broken["sections"][0]["pages"][0]
    first["show_if"] = "users.pupils > 0"  # refers to a later question
    broken["sections"][0]["pages"][1]["questions"][1]["id"] = "provides_education"  # duplicate id
    problems = definition_problems(broken)
    assert any("Page 'provides' show_if" in p and "users" in p for p in problems)
    assert "Question id 'provides_education' is used twice" in problems
    with pytest.raises(DefinitionError) as caught:
        load_definition(broken)
    assert caught.value.problems == problems


def test_long_single_choice_lists_become_a_select():
    data = {
        "title": "T",
        "sections": [
            {
                "id": "s",
                "title": "S",
                "pages": [
                    {
                        "id": "p",
                        "questions": [
                            {
                                "id": "q",
                                "type": "single_choice",
                                "label": "Pick",
                                "options": [{"value": f"o{n}", "label": f"Option {n}"} for n in range(20)],
                            },
                            {
                                "id": "r",
                                "type": "single_choice",
                                "label": "Pick",
                                "options": [{"value": "a", "label": "A"}],
                            },
                        ],
                    }
                ],
            }
        ],
    }
    definition = load_definition(data)
    assert definition.question("q").display == "select"
    assert definition.question("r").display == "radios"
