"""Exports: CSV, XLSX and JSON read back and compared cell by cell with hand-written expectations,
formula neutralising, filters, older versions, streaming, the audit log and `flask surveys export`."""

import copy
import csv
import io
import json
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.surveys.authoring.definition import load_definition
from app.surveys.models import Response, SurveyVersion
from app.surveys.results import export_columns, exports
from app.surveys.results.dataset import Filters
from app.surveys.results.export_columns import columns
from app.surveys.results.exports import (
    export_to_file,
    iter_csv,
    iter_json,
    record_export,
    write_xlsx,
)
from app.surveys.services import definition_for
from app.tables import neutralise

STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SUBMITTED = datetime(2025, 3, 2, 10, 30, 15, tzinfo=UTC)

EDUCATION_SETTINGS = [
    "maintained-primary",
    "maintained-secondary",
    "special",
    "pru",
    "single-academy",
    "mat",
    "free-school",
    "independent",
    "fe-college",
    "early-years",
    "other",
]
SERVICES = [
    "connectivity",
    "filtering",
    "email",
    "curriculum-devices",
    "mis",
    "service-desk",
    "technicians",
    "cyber",
    "licensing",
    "procurement",
    "data-protection",
    "other",
]
GROUPS = [
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
COUNTED = [*GROUPS, "no-return"]

ANSWERS = {
    "EXP-1": {
        "provides_education": "yes",
        "education_settings": ["maintained-primary", "other"],
        "education_settings__other": "=SUM(A1)",
        "settings_supported": 42,
        "services_to_schools": ["connectivity", "filtering"],
        "service_level": {"school_staff": "same", "pupils": "separate"},
        "pupil_funding": "traded",
        "users": dict(zip(GROUPS, [2400, 900, 70, 3000, 20000, 150, 80, 0, 0], strict=True)),
        "counted_in_benchmark": ["office_staff", "frontline_staff", "councillors"],
        "incidents_school_staff": "dont_know",
        "incidents_pupils": 12.5,
        "share_devices": 40,
        "ict_revenue_spend": 4200000.0,
        "ict_staff_fte": 38.5,
        "pupils_should_count": "agree",
        "pupils_reason": "@cmd",
        "users_counting": "Headcount, with pupils on their own line.\nNot FTE.",
        "service_differences": '=HYPERLINK("x") Councillors get a VIP line.',
        "focus_group_interest": "yes",
    },
    "EXP-2": {
        "provides_education": "no",
        "users": dict(zip(GROUPS, [500, 100, 40, 0, 0, 0, 10, 0, 0], strict=True)),
        "counted_in_benchmark": ["office_staff", "no-return"],
        "ict_revenue_spend": 900000,
        "ict_staff_fte": -1.5,
        "pupils_should_count": "disagree",
        "pupils_reason": "Pupils are not our users.",
        "focus_group_interest": "no",
    },
    "EXP-3": {
        "provides_education": "yes",
        "education_settings": ["special"],
        "settings_supported": 7,
        "services_to_schools": ["other"],
        "services_to_schools__other": "+44 helpline",
        "service_level": {"school_staff": "best-efforts"},
        "pupil_funding": "other",
        "pupil_funding__other": "Paid by the parish",
        "users": {"office_staff": 300, "school_staff": 120},
        "incidents_school_staff": 5,
        "pupils_reason": 'Line one\nline two, with a comma and "quotes"',
        "focus_group_interest": "yes",
    },
}
ORGANISATIONS = {
    "EXP-1": ("Aberton Council", "london", "london-borough"),
    "EXP-2": ("@Home Council", "wales", "welsh"),
    "EXP-3": ("Northby Council", "north-east", "unitary"),
}


def _flags(prefix, values, chosen):
    return {f"{prefix}__{v}": int(v in chosen) for v in values}


def expected_rows(made, labels=False):
    """Every non-blank cell of each response's row, written out by hand (typed as XLSX holds them)."""
    one, two, three = made["EXP-1"], made["EXP-2"], made["EXP-3"]
    rows = [
        {
            "response_id": one.id,
            "reference": "EXP-1",
            "organisation": "Aberton Council",
            "region": "London" if labels else "london",
            "council_type": "London borough" if labels else "london-borough",
            "status": "submitted",
            "started_at": STARTED,
            "submitted_at": SUBMITTED,
            "survey_version": 1,
            "provides_education": "Yes" if labels else "yes",
            **_flags("education_settings", EDUCATION_SETTINGS, ["maintained-primary", "other"]),
            "education_settings__other_text": "'=SUM(A1)",
            "settings_supported": 42,
            **_flags("services_to_schools", SERVICES, ["connectivity", "filtering"]),
            "service_level__school_staff": "The same service levels" if labels else "same",
            "service_level__pupils": "A separate (often traded) agreement" if labels else "separate",
            "pupil_funding": "Schools buy them from us as a traded service" if labels else "traded",
            **{f"users__{g}": n for g, n in zip(GROUPS, [2400, 900, 70, 3000, 20000, 150, 80, 0, 0], strict=True)},
            "users__total": 26600,
            **_flags("counted_in_benchmark", COUNTED, ["office_staff", "frontline_staff", "councillors"]),
            "incidents_school_staff": "I do not know" if labels else "dont_know",
            "incidents_pupils": 12.5,
            "share_devices": 40,
            "ict_revenue_spend": 4200000.0,
            "ict_staff_fte": 38.5,
            "pupils_should_count": "Agree" if labels else "agree",
            "pupils_reason": "'@cmd",
            "users_counting": "Headcount, with pupils on their own line.\nNot FTE.",
            "service_differences": '\'=HYPERLINK("x") Councillors get a VIP line.',
            "focus_group_interest": "Yes" if labels else "yes",
        },
        {
            "response_id": two.id,
            "reference": "EXP-2",
            "organisation": "'@Home Council",
            "region": "Wales" if labels else "wales",
            "council_type": "Welsh council" if labels else "welsh",
            "status": "submitted",
            "started_at": STARTED,
            "submitted_at": SUBMITTED,
            "survey_version": 1,
            "provides_education": "No" if labels else "no",
            **{f"users__{g}": n for g, n in zip(GROUPS, [500, 100, 40, 0, 0, 0, 10, 0, 0], strict=True)},
            "users__total": 650,
            **_flags("counted_in_benchmark", COUNTED, ["office_staff", "no-return"]),
            "ict_revenue_spend": 900000,
            "ict_staff_fte": -1.5,
            "pupils_should_count": "Disagree" if labels else "disagree",
            "pupils_reason": "Pupils are not our users.",
            "focus_group_interest": "No" if labels else "no",
        },
        {
            "response_id": three.id,
            "reference": "EXP-3",
            "organisation": "Northby Council",
            "region": "North East" if labels else "north-east",
            "council_type": "Unitary authority" if labels else "unitary",
            "status": "submitted",
            "started_at": STARTED,
            "submitted_at": SUBMITTED,
            "survey_version": 1,
            "provides_education": "Yes" if labels else "yes",
            **_flags("education_settings", EDUCATION_SETTINGS, ["special"]),
            "settings_supported": 7,
            **_flags("services_to_schools", SERVICES, ["other"]),
            "services_to_schools__other_text": "'+44 helpline",
            "service_level__school_staff": "Best efforts only" if labels else "best-efforts",
            "pupil_funding": "Another way" if labels else "other",
            "pupil_funding__other": "Paid by the parish",
            "users__office_staff": 300,
            "users__school_staff": 120,
            "users__total": 420,
            "incidents_school_staff": 5,
            "pupils_reason": 'Line one\nline two, with a comma and "quotes"',
            "focus_group_interest": "Yes" if labels else "yes",
        },
    ]
    return rows


def as_csv_text(value):
    """How a typed cell is written in CSV."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return str(value)


def as_xlsx(value):
    """How a typed cell is held in XLSX (times in UTC without a zone)."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


@pytest.fixture
def made(survey, make_organisation):
    """Three submitted responses (and one in progress, which exports leave out), by reference."""
    found = {}
    for reference, answers in ANSWERS.items():
        name, region, council_type = ORGANISATIONS[reference]
        org = make_organisation(name=name, region=region, council_type=council_type)
        response = Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference=reference,
            status="submitted",
            started_at=STARTED,
            submitted_at=SUBMITTED,
            submitted_answers=copy.deepcopy(answers),
        )
        db.session.add(response)
        found[reference] = response
    draft = make_organisation(name="Drafting Council")
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=draft.id,
            reference="EXP-4",
            status="in_progress",
            submitted_answers={"provides_education": "yes"},
        )
    )
    db.session.commit()
    return found


def column_names(survey):
    return [c.name for c in columns(definition_for(survey.current_version))]


def read_csv_text(text):
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def assert_frame_matches(frame, names, expected, convert):
    """Every cell: the expected value where one is given, blank everywhere else."""
    assert list(frame.columns) == names
    assert len(frame) == len(expected)
    for index, row in enumerate(expected):
        assert set(row) <= set(names), set(row) - set(names)
        for name in names:
            want = convert(row[name]) if name in row else ""
            assert frame.at[index, name] == want, (index, name)


# --- columns and neutralising ---------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+44", "'+44"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        (-5, -5),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [False, True])
def test_csv_matches_the_answers_cell_by_cell(survey, made, labels):
    frame = read_csv_text("".join(iter_csv(survey, Filters(), labels)))
    assert_frame_matches(frame, column_names(survey), expected_rows(made, labels), as_csv_text)


def test_csv_reads_back_with_types(survey, made):
    frame = pd.read_csv(io.StringIO("".join(iter_csv(survey))))
    assert frame["users__total"].tolist() == [26600, 650, 420]
    assert frame["ict_staff_fte"].tolist()[:2] == [38.5, -1.5]
    assert frame["incidents_school_staff"].iloc[0] == "dont_know" and frame["incidents_school_staff"].iloc[2] == "5"
    assert frame["incidents_school_staff"].isna().tolist() == [False, True, False]
    assert frame["education_settings__special"].isna().tolist() == [False, True, False]  # not asked: blank, not 0
    assert frame["settings_supported"].iloc[0] == 42
    assert pd.to_datetime(frame["submitted_at"]).iloc[0] == pd.Timestamp(SUBMITTED)


def test_csv_neutralises_formulas_and_quotes_text(survey, made):
    text = "".join(iter_csv(survey))
    assert "'=SUM(A1)" in text and "'@cmd" in text and "'@Home Council" in text and "'+44 helpline" in text
    assert ",=" not in text and ",@" not in text
    assert ",-1.5," in text  # numbers are left alone
    assert '"Line one\nline two, with a comma and ""quotes"""' in text


def test_csv_is_produced_a_chunk_at_a_time(survey, made, monkeypatch):
    monkeypatch.setattr(export_columns, "CHUNK", 2)
    done = []
    pieces = iter_csv(survey, progress=done.append)
    header = next(pieces)
    assert header.startswith("response_id,reference,organisation,") and header.count("\n") == 1
    assert done == []  # nothing read from the database yet
    rest = list(pieces)
    assert [[row[1] for row in csv.reader(io.StringIO(piece))] for piece in rest] == [["EXP-1", "EXP-2"], ["EXP-3"]]
    assert done == [2, 3]


@pytest.mark.parametrize(
    ("filters", "references"),
    [
        (Filters(regions=("london",)), ["EXP-1"]),
        (Filters(regions=("wales", "north-east")), ["EXP-2", "EXP-3"]),
        (Filters(council_types=("welsh",)), ["EXP-2"]),
        (Filters(education="yes"), ["EXP-1", "EXP-3"]),
        (Filters(education="no"), ["EXP-2"]),
        (Filters(regions=("london",), education="no"), []),
        (Filters(), ["EXP-1", "EXP-2", "EXP-3"]),
    ],
)
def test_filters_apply_to_every_format(survey, made, filters, references, tmp_path):
    frame = read_csv_text("".join(iter_csv(survey, filters)))
    assert frame["reference"].tolist() == references
    document = json.loads("".join(iter_json(survey, filters)))
    assert [r["reference"] for r in document["responses"]] == references
    assert export_to_file(survey, "xlsx", tmp_path / "out.xlsx", filters=filters) == len(references)
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["data"]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == references


def test_an_empty_survey_exports_just_the_header(survey, tmp_path):
    text = "".join(iter_csv(survey))
    assert text == ",".join(column_names(survey)) + "\r\n"
    assert json.loads("".join(iter_json(survey)))["responses"] == []
    assert write_xlsx(survey, None, False, tmp_path / "empty.xlsx") == 0
    sheet = openpyxl.load_workbook(tmp_path / "empty.xlsx")["data"]
    assert list(sheet.iter_rows(values_only=True)) == [tuple(column_names(survey))]


# --- XLSX -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [False, True])
def test_xlsx_data_sheet_matches_the_answers(survey, made, labels, tmp_path):
    path = tmp_path / "export.xlsx"
    assert write_xlsx(survey, Filters(), labels, path) == 3
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["data", "codebook"]
    rows = list(workbook["data"].iter_rows(values_only=True))
    names = column_names(survey)
    assert list(rows[0]) == names
    for cells, expected in zip(rows[1:], expected_rows(made, labels), strict=True):
        for name, cell in zip(names, cells, strict=True):
            assert cell == as_xlsx(expected.get(name)), name
    assert all(cell.data_type != "f" for row in workbook["data"].iter_rows() for cell in row)
    frame = pd.read_excel(path, sheet_name="data")
    assert frame["users__total"].tolist() == [26600, 650, 420]
    assert frame["pupils_reason"].tolist()[:2] == ["'@cmd", "Pupils are not our users."]
    assert frame["submitted_at"].iloc[0] == pd.Timestamp(2025, 3, 2, 10, 30, 15)


def test_xlsx_neutralises_formulas(survey, made, tmp_path):
    path = tmp_path / "export.xlsx"
    write_xlsx(survey, None, False, path)
    sheet = openpyxl.load_workbook(path)["data"]
    names = column_names(survey)
    cell = sheet.cell(row=2, column=names.index("education_settings__other_text") + 1)
    assert cell.value == "'=SUM(A1)" and cell.data_type == "s"
    assert sheet.cell(row=3, column=names.index("organisation") + 1).value == "'@Home Council"
    assert sheet.cell(row=3, column=names.index("ict_staff_fte") + 1).value == -1.5


def test_xlsx_codebook_describes_every_column(survey, tmp_path):
    path = tmp_path / "export.xlsx"
    write_xlsx(survey, None, False, path)
    rows = list(openpyxl.load_workbook(path)["codebook"].iter_rows(values_only=True))
    assert rows[0] == ("column", "question", "type", "codes")
    assert [r[0] for r in rows[1:]] == column_names(survey)
    book = {r[0]: r for r in rows[1:]}
    assert book["pupils_should_count"] == (
        "pupils_should_count",
        "Pupils should be counted as users when benchmarking council ICT services. Do you agree?",
        "single_choice",
        "strongly-agree = Strongly agree; agree = Agree; neither = Neither agree nor disagree; "
        "disagree = Disagree; strongly-disagree = Strongly disagree",
    )
    assert book["provides_education"][3] == "yes = Yes; no = No"
    assert book["education_settings__special"][1:] == (
        "Which types of education setting do you provide ICT services to?: Special schools",
        "multiple_choice",
        "1 = chosen; 0 = not chosen",
    )
    assert book["share_spend"][2:] == ("percentage", "dont_know = I do not know")
    assert book["users__total"][1].endswith(": Total users")
    assert book["ict_staff_fte"][3] is None  # no codes: an empty cell
    frame = pd.read_excel(path, sheet_name="codebook")
    assert frame["column"].tolist() == column_names(survey)


# --- JSON -----------------------------------------------------------------------------------------


def test_json_holds_the_answers_as_stored(survey, made):
    document = json.loads("".join(iter_json(survey, Filters(), False)))
    assert document["survey"] == "schools-ict" and document["version"] == 1 and document["labels"] is False
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None
    first = document["responses"][0]
    assert {k: v for k, v in first.items() if k != "answers"} == {
        "response_id": made["EXP-1"].id,
        "reference": "EXP-1",
        "organisation": "Aberton Council",
        "region": "london",
        "council_type": "london-borough",
        "status": "submitted",
        "started_at": "2025-03-01T09:00:00+00:00",
        "submitted_at": "2025-03-02T10:30:15+00:00",
        "survey_version": 1,
    }
    assert [r["answers"] for r in document["responses"]] == list(ANSWERS.values())
    assert document["responses"][0]["answers"]["education_settings__other"] == "=SUM(A1)"  # JSON is not neutralised


def test_json_labels_replace_codes(survey, made):
    document = json.loads("".join(iter_json(survey, Filters(regions=("london",)), True)))
    assert document["filters"] == {"region": ["london"]}
    response = document["responses"][0]
    assert (response["region"], response["council_type"]) == ("London", "London borough")
    answers = response["answers"]
    assert answers["provides_education"] == "Yes"
    assert answers["education_settings"] == ["Maintained primary schools", "Another type of setting"]
    assert answers["education_settings__other"] == "=SUM(A1)"
    assert answers["service_level"] == {
        "school_staff": "The same service levels",
        "pupils": "A separate (often traded) agreement",
    }
    assert answers["pupil_funding"] == "Schools buy them from us as a traded service"
    assert answers["users"] == ANSWERS["EXP-1"]["users"]
    assert answers["incidents_school_staff"] == "I do not know"
    assert answers["incidents_pupils"] == 12.5
    assert answers["pupils_reason"] == "@cmd"


# --- versions, files and the audit log ------------------------------------------------------------


def test_responses_to_older_versions_fill_the_current_columns(survey, made, make_organisation):
    data = copy.deepcopy(survey.current_version.definition)
    last_page = data["sections"][-1]["pages"][-1]
    last_page["questions"].append(
        {"id": "review_date", "type": "date", "label": "When did you last review it?", "required": False}
    )
    survey.versions.append(SurveyVersion(number=2, definition=data))
    db.session.commit()
    org = make_organisation(name="Newer Council")
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference="EXP-5",
            status="submitted",
            submitted_at=SUBMITTED,
            submitted_answers={"provides_education": "no", "review_date": "2025-01-31"},
        )
    )
    db.session.commit()
    frame = read_csv_text("".join(iter_csv(survey)))
    assert frame.columns[-1] == "review_date"
    assert frame["review_date"].tolist() == ["", "", "", "2025-01-31"]
    assert frame["survey_version"].tolist() == ["1", "1", "1", "2"]
    assert frame["provides_education"].tolist() == ["yes", "no", "yes", "no"]
    assert json.loads("".join(iter_json(survey)))["version"] == 2


def test_date_answers_are_dates_in_xlsx(survey, make_organisation, tmp_path):
    data = copy.deepcopy(survey.current_version.definition)
    data["sections"][-1]["pages"][-1]["questions"].append(
        {"id": "review_date", "type": "date", "label": "When did you last review it?", "required": False}
    )
    survey.versions.append(SurveyVersion(number=2, definition=data))
    db.session.commit()
    org = make_organisation()
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference="EXP-6",
            status="submitted",
            submitted_answers={"review_date": "2025-01-31"},
        )
    )
    db.session.commit()
    path = tmp_path / "dates.xlsx"
    write_xlsx(survey, None, False, path)
    sheet = openpyxl.load_workbook(path)["data"]
    cell = sheet.cell(row=2, column=len(column_names(survey)))
    assert cell.is_date and cell.value.date() == date(2025, 1, 31)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_to_file_writes_the_file_and_counts(survey, made, fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(export_columns, "CHUNK", 2)
    done = []
    path = tmp_path / f"out.{fmt}"
    assert export_to_file(survey, fmt, path, progress=done.append) == 3
    assert done == [2, 3]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    if fmt == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbfresponse_id,")  # a byte-order mark, so Excel reads UTF-8
        assert pd.read_csv(path, encoding="utf-8-sig")["reference"].tolist() == ["EXP-1", "EXP-2", "EXP-3"]
    elif fmt == "json":
        assert len(json.loads(path.read_text(encoding="utf-8"))["responses"]) == 3
    else:
        assert pd.read_excel(path, sheet_name="data")["reference"].tolist() == ["EXP-1", "EXP-2", "EXP-3"]


def test_export_to_file_refuses_unknown_formats_and_leaves_no_partial_file(survey, made, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Unknown export format"):
        export_to_file(survey, "pdf", tmp_path / "out.pdf")

    def broken(*args, **kwargs):
        yield "response_id\r\n"
        raise RuntimeError("database went away")

    monkeypatch.setattr(exports, "iter_csv", broken)
    with pytest.raises(RuntimeError):
        export_to_file(survey, "csv", tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_record_export_adds_an_audit_event_for_the_caller_to_commit(survey, make_user):
    user = make_user("analyst")
    record_export(survey, "xlsx", user=user, rows=12, labels=True, filters=Filters(council_types=("welsh",)))
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "surveys.exported"))
    assert (event.actor_id, event.object_type, event.object_id) == (user.id, "survey", str(survey.id))
    assert event.detail == {"format": "xlsx", "rows": 12, "labels": True, "filters": {"council_type": ["welsh"]}}


# --- the command ----------------------------------------------------------------------------------


def test_cli_exports_to_a_file_and_audit_logs_it(runner, survey, made, tmp_path):
    path = tmp_path / "schools.csv"
    result = runner.invoke(
        args=["surveys", "export", "--survey", "schools-ict", "--format", "csv", "--output", str(path), "--labels"]
    )
    assert result.exit_code == 0, result.output
    assert f"Exported 3 responses to {path}." in result.output
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert frame["region"].tolist() == ["London", "Wales", "North East"]
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "surveys.exported"))
    assert event.object_id == str(survey.id)
    assert event.detail == {"format": "csv", "rows": 3, "labels": True, "via": "cli"}


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_cli_writes_other_formats(runner, survey, made, tmp_path, fmt):
    path = tmp_path / f"schools.{fmt}"
    result = runner.invoke(args=["surveys", "export", "--survey", "schools-ict", "--format", fmt, "--output", path])
    assert result.exit_code == 0, result.output
    assert "Exported 3 responses" in result.output and path.stat().st_size > 0


def test_cli_refuses_an_unknown_survey(runner, survey, tmp_path):
    path = tmp_path / "out.csv"
    result = runner.invoke(args=["surveys", "export", "--survey", "nope", "--format", "csv", "--output", str(path)])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == ["Error: No survey with the slug 'nope'."]
    assert not path.exists()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "surveys.exported")) is None


@pytest.mark.parametrize("where", ["missing-folder/out.csv", "."])
def test_cli_refuses_a_path_it_cannot_write(runner, survey, made, tmp_path, where):
    result = runner.invoke(
        args=["surveys", "export", "--survey", "schools-ict", "--format", "csv", "--output", str(tmp_path / where)]
    )
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Cannot write ")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "surveys.exported")) is None
