"""Exports (results/exports.py): CSV, XLSX and JSON read back and compared cell by cell with hand-written
expectations, formula neutralising, filters, older versions, streaming, the audit log and `flask surveys export`."""

import copy
import csv
import io
import json
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.surveys.models import Response, SurveyVersion
from app.surveys.results import export_columns, exports
from app.surveys.results.dataset import Filters
from app.surveys.results.exports import (
    export_to_file,
    iter_csv,
    iter_json,
    record_export,
    write_xlsx,
)
from tests.surveys.results.support import (
    ANSWERS,
    SUBMITTED,
    as_csv_text,
    as_xlsx,
    assert_frame_matches,
    column_names,
    expected_rows,
    read_csv_text,
)


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
