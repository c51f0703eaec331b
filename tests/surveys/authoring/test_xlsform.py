"""Importing XLSForms: the mapping onto a survey definition, the rows left out, refused files and the command.

The workbooks are built here with openpyxl rather than committed as binaries.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import inspect, select

from app.extensions import db
from app.surveys.authoring.definition import definition_problems, load_definition
from app.surveys.authoring.xlsform import (
    UnmappedRow,
    XLSFormError,
    import_xlsform,
    make_id,
    make_value,
)
from app.surveys.cli import import_xlsform_cli

SURVEY_HEADER = [
    "type",
    "name",
    "label::English (en)",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "calculation",
]


def write_xlsform(
    path: Path,
    survey: list[list[str]],
    choices: list[list[str]] | None = None,
    settings: dict[str, str] | None = None,
    header: list[str] = SURVEY_HEADER,
) -> Path:
    """Save an XLSForm workbook: a survey sheet (header plus rows), and optional choices and settings sheets."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    sheet.append(header)
    for row in survey:
        sheet.append(row)
    if choices:
        choices_sheet = workbook.create_sheet("choices")
        choices_sheet.append(["list_name", "name", "label::English (en)"])
        for row in choices:
            choices_sheet.append(row)
    if settings:
        settings_sheet = workbook.create_sheet("settings")
        settings_sheet.append(list(settings))
        settings_sheet.append(list(settings.values()))
    workbook.save(path)
    return path


GOOD_SURVEY = [
    ["start", "start"],  # row 2: metadata, skipped silently
    ["note", "intro", "This survey is about ICT for schools."],  # row 3
    ["select_one yes_no", "provides", "Do you provide services to schools?", "", "yes"],  # row 4
    ["begin group", "about", "About your service", "", "", "${provides} = 'yes'", "", "", "field-list"],  # row 5
    [
        "integer",
        "schools",
        "How many schools do you support?",
        "Count each site once.",
        "true",
        "",
        ". >= 0 and . <= 100",
        "Enter a number from 0 to 100",
    ],
    ["select_multiple settings", "Setting.Types", "Which settings?", "", "", "selected(${provides}, 'yes')"],
    ["text", "comments", "Anything else?", "", "no", "", "", "", "multiline"],
    ["end group"],  # row 9
    ["text", "_2nd-contact", "Who else can we contact?"],  # row 10
    ["decimal", "spend", "Spend per pupil", "", "", "${schools} > 10"],
    ["date", "review_date", "When is your next review?"],
]
GOOD_CHOICES = [
    ["yes_no", "yes", "Yes"],
    ["yes_no", "no", "No"],
    ["settings", "Primary", "Primary schools"],
    ["settings", "special.school", "Special schools"],
]
GOOD_DEFINITION = {
    "schema_version": 1,
    "title": "Schools ICT",
    "sections": [
        {
            "id": "schools_ict",
            "title": "Schools ICT",
            "pages": [
                {
                    "id": "provides",
                    "hint": "This survey is about ICT for schools.",
                    "questions": [
                        {
                            "id": "provides",
                            "type": "single_choice",
                            "label": "Do you provide services to schools?",
                            "required": True,
                            "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
                        }
                    ],
                },
                {
                    "id": "about",
                    "title": "About your service",
                    "show_if": "provides == 'yes'",
                    "questions": [
                        {
                            "id": "schools",
                            "type": "integer",
                            "label": "How many schools do you support?",
                            "hint": "Count each site once.",
                            "required": True,
                            "validations": [
                                {"rule": "schools >= 0 and schools <= 100", "message": "Enter a number from 0 to 100"}
                            ],
                        },
                        {
                            "id": "setting_types",
                            "type": "multiple_choice",
                            "label": "Which settings?",
                            "required": False,
                            "options": [
                                {"value": "primary", "label": "Primary schools"},
                                {"value": "special_school", "label": "Special schools"},
                            ],
                            "show_if": "any_selected(provides, ['yes'])",
                        },
                        {"id": "comments", "type": "long_text", "label": "Anything else?", "required": False},
                    ],
                },
                {
                    "id": "q_2nd_contact",
                    "questions": [
                        {
                            "id": "q_2nd_contact",
                            "type": "short_text",
                            "label": "Who else can we contact?",
                            "required": False,
                        }
                    ],
                },
                {
                    "id": "spend",
                    "questions": [
                        {
                            "id": "spend",
                            "type": "decimal",
                            "label": "Spend per pupil",
                            "required": False,
                            "show_if": "schools > 10",
                        }
                    ],
                },
                {
                    "id": "review_date",
                    "questions": [
                        {"id": "review_date", "type": "date", "label": "When is your next review?", "required": False}
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def good_form(tmp_path: Path) -> Path:
    return write_xlsform(
        tmp_path / "schools.xlsx", GOOD_SURVEY, GOOD_CHOICES, {"form_title": "Schools ICT", "form_id": "schools"}
    )


# --- a form that maps completely ---------------------------------------------------------------


def test_a_good_form_becomes_a_valid_definition(good_form):
    result = import_xlsform(good_form)

    assert result.title == "Schools ICT"
    assert result.definition == GOOD_DEFINITION
    assert result.unmapped == []  # the `start` metadata row is skipped without a report
    assert definition_problems(result.definition) == []
    loaded = load_definition(result.definition)
    assert [q.id for q in loaded.questions] == [
        "provides",
        "schools",
        "setting_types",
        "comments",
        "q_2nd_contact",
        "spend",
        "review_date",
    ]


def test_an_open_file_imports_like_a_path(good_form):
    with good_form.open("rb") as handle:
        assert import_xlsform(handle).definition == GOOD_DEFINITION
    anonymous = BytesIO(good_form.read_bytes())
    assert import_xlsform(anonymous).definition == GOOD_DEFINITION


def test_without_a_form_title_the_file_name_names_the_survey(tmp_path):
    path = write_xlsform(tmp_path / "staff_survey-2025.xlsx", [["integer", "staff", "How many staff?"]])

    result = import_xlsform(path)

    assert result.title == "Staff survey 2025"
    assert result.definition["sections"][0]["id"] == "staff_survey_2025"
    assert result.definition["sections"][0]["title"] == "Staff survey 2025"


def test_labels_come_from_the_plain_column_first_then_english(tmp_path):
    header = ["type", "name", "label::Welsh (cy)", "label", "label::English (en)"]
    path = write_xlsform(
        tmp_path / "lang.xlsx",
        [["integer", "a", "Faint?", "How many?", "How many (en)?"], ["integer", "b", "Faint?", "", "How many (en)?"]],
        header=header,
    )

    questions = import_xlsform(path).definition["sections"][0]["pages"]

    assert [page["questions"][0]["label"] for page in questions] == ["How many?", "How many (en)?"]


def test_names_that_are_not_valid_ids_are_converted_without_a_report(tmp_path):
    long_name = "A_really_long_question_name_that_goes_on_and_on"
    path = write_xlsform(
        tmp_path / "names.xlsx",
        [["integer", "Age", "Age?"], ["integer", "age", "Age again?"], ["integer", long_name, "Long?"]],
    )

    result = import_xlsform(path)

    ids = [page["questions"][0]["id"] for page in result.definition["sections"][0]["pages"]]
    assert ids == ["age", "age_2", "a_really_long_question_name_that_goes_on"]
    assert result.unmapped == []


def test_make_id_and_make_value():
    taken: set[str] = set()
    assert make_id("9 lives", taken) == "q_9_lives"
    assert make_id("9 lives", taken) == "q_9_lives_2"
    assert make_id("Already_valid", set()) == "already_valid"
    assert make_id("__x__", set()) == "x"
    assert make_id("!!!", set()) == "q"
    values: set[str] = set()
    assert make_value("Big Pear", values) == "big_pear"
    assert make_value("big pear", values) == "big_pear-2"
    assert make_value("1", values) == "1"
    assert make_value("N/A", values) == "n_a"


def test_notes_are_the_hint_of_their_page_or_the_next(tmp_path):
    path = write_xlsform(
        tmp_path / "notes.xlsx",
        [
            ["note", "first", "First note."],
            ["note", "", "Second note."],
            ["begin group", "g", "Group"],
            ["note", "inside", "Inside the group."],
            ["integer", "a", "A?"],
            ["end group"],
            ["integer", "b", "B?"],
        ],
    )

    pages = import_xlsform(path).definition["sections"][0]["pages"]

    assert pages[0]["hint"] == "First note.\n\nSecond note.\n\nInside the group."
    assert "hint" not in pages[1]


def test_or_other_becomes_a_please_specify_option_and_minimal_a_select(tmp_path):
    path = write_xlsform(
        tmp_path / "other.xlsx",
        [["select_one fruit or_other", "fruit", "Favourite fruit?", "", "", "", "", "", "minimal"]],
        [["fruit", "apple", "Apple"]],
    )

    question = import_xlsform(path).definition["sections"][0]["pages"][0]["questions"][0]

    assert question["display"] == "select"
    assert question["options"] == [
        {"value": "apple", "label": "Apple"},
        {"value": "other", "label": "Other", "specify": True},
    ]


def test_a_group_of_more_than_twenty_questions_is_split_over_pages(tmp_path):
    rows = [["begin group", "many", "Many questions"]]
    rows += [["integer", f"n{i}", f"Number {i}?"] for i in range(25)]
    rows += [["end group"]]
    path = write_xlsform(tmp_path / "many.xlsx", rows)

    result = import_xlsform(path)

    pages = result.definition["sections"][0]["pages"]
    assert [(page["id"], page["title"], len(page["questions"])) for page in pages] == [
        ("many", "Many questions", 20),
        ("many_2", "Many questions", 5),
    ]
    assert definition_problems(result.definition) == []


@pytest.mark.parametrize(
    ("relevant", "show_if"),
    [
        ("${kind} = 'A.1'", "kind == 'a_1'"),
        ("${kind} != 'b' and ${count} >= 2", "kind != 'b' and count >= 2"),
        ("not(${count} < 1) or ${count} div 2 > 3", "not (count < 1) or count / 2 > 3"),
        ("${count} != ''", "answered(count)"),
        ("${kind} = ''", "not answered(kind)"),
        ("selected(${kind}, 'A.1')", "any_selected(kind, ['a_1'])"),
        ("count-selected(${many}) >= 2", "count_selected(many) >= 2"),
        ("string-length(${words}) > 3", "len(words) > 3"),
        ("number(${words}) * 2 = 4", "number(words) * 2 == 4"),
        ("${count} > -1 and (${kind} = 'b' or true())", "count > -1 and (kind == 'b' or true)"),
        ('${words} = "it\'s"', "words == 'it\\'s'"),
    ],
)
def test_relevant_expressions_are_converted(tmp_path, relevant, show_if):
    path = write_xlsform(
        tmp_path / "expressions.xlsx",
        [
            ["select_one kinds", "kind", "Kind?"],
            ["select_multiple kinds", "many", "Kinds?"],
            ["integer", "count", "Count?"],
            ["text", "words", "Words?"],
            ["integer", "target", "Target?", "", "", relevant],
        ],
        [["kinds", "A.1", "A"], ["kinds", "b", "B"]],
    )

    result = import_xlsform(path)

    assert result.unmapped == []
    assert result.definition["sections"][0]["pages"][-1]["questions"][0]["show_if"] == show_if
    assert definition_problems(result.definition) == []


# --- rows that cannot be carried over ----------------------------------------------------------


def test_unsupported_rows_are_reported_with_their_row_numbers(tmp_path):
    path = write_xlsform(
        tmp_path / "partial.xlsx",
        [
            ["integer", "staff", "How many staff?"],  # row 2
            ["geopoint", "gps", "Where is your office?"],  # row 3
            ["calculate", "double", "", "", "", "", "", "", "", "${staff} * 2"],  # row 4
            ["date", "review", "Next review?", "", "", "today() > ${staff}"],  # row 5
            ["begin group", "g", "Group"],  # row 6
            ["select_one yn", "a", "A?"],  # row 7
            ["integer", "b", "B?", "", "", "${a} = 'yes'"],  # row 8
            ["end group"],  # row 9
            ["integer", "c", "C?", "", "", "${double} > 4"],  # row 10
            ["begin repeat", "kids", "Children"],  # row 11
            ["text", "kid_name", "Name?"],  # row 12
            ["end repeat"],  # row 13
            ["text", "code", "Code?", "", "", "", "regex(., '^[a-z]+$')", "Letters only"],  # row 14
            ["integer", "d", "D?", "", "", "../staff > 1", ". < ${e}"],  # row 15
            ["integer", "e", "E?"],  # row 16
            ["note", "bye", "Thank you!"],  # row 17
        ],
        [["yn", "yes", "Yes"], ["yn", "no", "No"]],
    )

    result = import_xlsform(path)

    assert [(u.sheet, u.row_number, u.name, u.reason) for u in result.unmapped] == [
        ("survey", 3, "gps", "type 'geopoint' is not supported"),
        ("survey", 4, "double", "type 'calculate' is not supported"),
        ("survey", 5, "review", "relevant uses the function today(), which has no equivalent"),
        (
            "survey",
            8,
            "b",
            "relevant refers to 'a', which is on the same page; show_if can only use questions on earlier pages",
        ),
        ("survey", 10, "c", "relevant refers to 'double', which was not imported"),
        ("survey", 11, "kids", "type 'repeat' is not supported, so it and the questions inside it were not imported"),
        ("survey", 12, "kid_name", "is inside the repeat 'kids', which is not supported"),
        ("survey", 14, "code", "constraint uses the function regex(), which has no equivalent"),
        ("survey", 15, "d", "relevant uses '../staff' (a relative path), which has no equivalent"),
        (
            "survey",
            15,
            "d",
            "constraint refers to 'e', which comes later in the form; "
            "a validation can only use this question and earlier ones",
        ),
        ("survey", 17, "bye", "note has no question after it, so it could not be placed on a page"),
    ]
    assert str(result.unmapped[0]) == "Row 3 (survey sheet, 'gps'): type 'geopoint' is not supported"
    questions = {q.id: q for q in load_definition(result.definition).questions}
    assert list(questions) == ["staff", "review", "a", "b", "c", "code", "d", "e"]
    assert all(q.show_if is None and not q.validations for q in questions.values())
    assert definition_problems(result.definition) == []


def test_a_required_condition_and_piped_labels_are_reported(tmp_path):
    path = write_xlsform(
        tmp_path / "required.xlsx",
        [
            ["integer", "a", "A?"],
            ["integer", "b", "You said ${a}. Why?", "", "${a} > 1"],
        ],
    )

    result = import_xlsform(path)

    assert [str(u) for u in result.unmapped] == [
        "Row 3 (survey sheet, 'b'): label shows ${a}, which cannot be filled in; it is shown as written",
        "Row 3 (survey sheet, 'b'): required is a condition (${a} > 1), which cannot be kept; the question is optional",
    ]
    assert result.definition["sections"][0]["pages"][1]["questions"][0]["required"] is False


def test_unmapped_row_reads_well_without_a_name():
    assert str(UnmappedRow("survey", 9, "", "note has no question after it")) == (
        "Row 9 (survey sheet): note has no question after it"
    )


# --- files that are not usable XLSForms --------------------------------------------------------


def _refusal(path_or_file) -> str:
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(path_or_file)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("type,name,label\ninteger,a,A\n")
    assert _refusal(path) == "notes.txt is not an Excel workbook (.xlsx)"


def test_an_old_xls_file_and_a_missing_file_are_refused(tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    assert _refusal(old) == "old.xls is an old-style .xls workbook: save it as .xlsx and try again"
    assert _refusal(tmp_path / "missing.xlsx") == "missing.xlsx was not found"


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert _refusal(path) == "fake.xlsx could not be read as an Excel workbook"


def test_a_workbook_without_a_survey_sheet_is_refused(tmp_path):
    workbook = Workbook()
    workbook.active.title = "questions"
    workbook.active.append(["type", "name", "label"])
    workbook.create_sheet("choices")
    workbook.save(tmp_path / "nosurvey.xlsx")
    message = _refusal(tmp_path / "nosurvey.xlsx")
    assert message == "nosurvey.xlsx has no 'survey' sheet (its sheets: 'questions', 'choices')"


def test_a_survey_sheet_without_a_type_column_is_refused(tmp_path):
    path = write_xlsform(tmp_path / "notype.xlsx", [["a", "A?"]], header=["name", "label"])
    assert _refusal(path) == "The 'survey' sheet in notype.xlsx has no 'type' column"


def test_a_form_pyxform_refuses_is_refused_with_its_reason(tmp_path):
    path = write_xlsform(tmp_path / "dupe.xlsx", [["integer", "q", "Q?"], ["integer", "q", "Q again?"]])
    message = _refusal(path)
    assert message.startswith("dupe.xlsx is not a valid XLSForm: [row : 3] On the 'survey' sheet, the 'name' value 'q'")
    assert "must be unique" in message


def test_a_form_with_nothing_to_import_is_refused(tmp_path):
    path = write_xlsform(tmp_path / "nothing.xlsx", [["start", "start"], ["geopoint", "gps", "Where?"]])
    assert _refusal(path) == "The form has no questions that can be imported"


# --- the command -------------------------------------------------------------------------------


def test_the_command_refuses_a_bad_file_in_one_line(app, runner, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a workbook")

    result = runner.invoke(import_xlsform_cli, [str(path)])

    assert result.exit_code == 1
    assert result.output == "Error: notes.txt is not an Excel workbook (.xlsx)\n"


def test_the_command_creates_a_draft_and_lists_what_was_left_out(app, runner, tmp_path, good_form):
    if not inspect(db.engine).has_table("survey"):
        pytest.skip("survey tables not migrated yet")
    from app.surveys.models import Survey

    partial = write_xlsform(
        tmp_path / "partial.xlsx",
        [["integer", "staff", "How many staff?"], ["geopoint", "gps", "Where?"]],
        settings={"form_title": "Schools ICT"},
    )

    first = runner.invoke(args=["surveys", "import-xlsform", str(good_form)])
    second = runner.invoke(args=["surveys", "import-xlsform", str(partial)])

    assert first.exit_code == 0, first.output
    assert first.output == "Created draft survey: schools-ict\n"
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        "Created draft survey: schools-ict-2",
        "1 row not imported:",
        "Row 3 (survey sheet, 'gps'): type 'geopoint' is not supported",
    ]
    survey = db.session.scalar(select(Survey).where(Survey.slug == "schools-ict"))
    assert survey.title == "Schools ICT"
    assert survey.draft == GOOD_DEFINITION
    assert not survey.versions


def test_the_command_records_the_import_in_the_audit_log_as_the_upload_page_does(
    app, runner, client, signed_in, tmp_path, good_form
):
    from app.audit.models import AuditEvent
    from app.surveys.models import Survey

    result = runner.invoke(args=["surveys", "import-xlsform", str(good_form)])
    assert result.exit_code == 0, result.output
    organiser = signed_in("organiser")
    response = client.post(
        "/surveys/manage/import-xlsform",
        data={"file": (BytesIO(good_form.read_bytes()), "schools.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "surveys.imported").order_by(AuditEvent.id)
    ).all()
    by_cli, by_page = (db.session.get(Survey, int(event.object_id)) for event in events)
    assert [(survey.slug, event.detail) for survey, event in zip((by_cli, by_page), events, strict=True)] == [
        ("schools-ict", {"source": "xlsform", "unmapped": 0}),
        ("schools-ict-2", {"source": "xlsform", "unmapped": 0}),
    ]
    assert [event.actor_id for event in events] == [None, organiser.id]
