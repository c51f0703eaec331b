"""Coded passages as CSV and XLSX: the service, the passages page's download (filters honoured, large
studies in the background) and `flask analysis export` (one study, several, an unknown one)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.analysis import exports
from app.analysis.exports import WRITERS, write_coded_passages
from app.audit.models import AuditEvent
from app.extensions import db
from app.jobs.models import Job
from tests.analysis import test_matrices as matrix_fixtures
from tests.analysis.test_matrices import A, B

# The matrices' hand-counted study and a signed-in analyst, as fixtures here too.
coded = matrix_fixtures.coded
analyst = matrix_fixtures.analyst


def _csv_rows(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_row_per_present_passage_with_attributes_themes_coders_and_status(coded, tmp_path):
    path = tmp_path / "passages.csv"
    assert write_coded_passages(coded, path, "csv") == 8  # p6 is no longer in its source
    rows = {row["Passage"]: row for row in _csv_rows(path)}
    assert set(rows) == {f"k{n}" for n in (1, 2, 3, 4, 5, 7, 8, 9)}
    p1, p3, p4, p5 = rows["k1"], rows["k3"], rows["k4"], rows["k5"]
    assert (p1["Region"], p1["Council type"], p1["Supports schools"]) == ("Wales", "Welsh council", "yes")
    assert (p1[A], p1[B], p1["Coders"], p1["Status"]) == ("1", "0", "Cora Coder", "Coded")
    assert (p3[A], p3["Unreviewed suggestions"], p3["Status"]) == ("0", A, "Awaiting review")
    assert (p4[A], p4[B]) == ("1", "1")
    assert (p4["Participants"], p4["Organisations"]) == ("P1, session 1; P2, session 1", "Org 002; Org 003")
    assert (p5[B], p5["Status"]) == ("0", "Not coded")  # rejected
    assert p4["Supports schools"] == "" and p4["Region"] == ""


def test_a_passage_starting_with_equals_is_exported_safe(coded, tmp_path):
    write_coded_passages(coded, tmp_path / "p.csv", "csv")
    first = next(row for row in _csv_rows(tmp_path / "p.csv") if row["Passage"] == "k1")
    assert first["Text"] == "'=SUM(A1:A9) pupils count"
    write_coded_passages(coded, tmp_path / "p.xlsx", "xlsx")
    sheet = load_workbook(tmp_path / "p.xlsx").active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = table[0]
    first = next(dict(zip(header, row, strict=True)) for row in table if row[0] == "k1")
    assert first["Text"] == "'=SUM(A1:A9) pupils count" and first[A] == 1 and first["Passage"] == "k1"
    row = [row[0] for row in table].index("k1") + 1
    assert sheet.cell(row=row, column=header.index("Text") + 1).data_type == "s"  # text, not a formula
    assert len(table) == 9


def test_the_formats_are_a_table_of_writers():
    assert set(WRITERS) == {"csv", "xlsx"}


def _download(client, url):
    response = client.get(url)
    result = response.status_code, response.headers.get("Location", ""), response.get_data()
    response.close()
    return result


def test_the_passages_page_offers_the_download_with_its_filters(client, analyst, coded):
    page = client.get(f"/analysis/{coded.id}/passages?region=wales").get_data(as_text=True)
    assert f"/analysis/{coded.id}/passages/download.csv?region=wales" in page
    status, _location, body = _download(client, f"/analysis/{coded.id}/passages/download.csv?region=wales&page=2")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["Passage"] for row in rows] == ["k5", "k1", "k2", "k7", "k8", "k9"]  # source order
    status, _location, body = _download(client, f"/analysis/{coded.id}/passages/download.xlsx?organisation=002")
    sheet = load_workbook(io.BytesIO(body)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["k4", "k3"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "analysis.passages_exported")).all()
    assert [(e.detail["format"], e.detail["rows"]) for e in events] == [("csv", 6), ("xlsx", 2)]
    assert _download(client, f"/analysis/{coded.id}/passages/download.pdf")[0] == 404


def test_a_large_export_runs_as_a_job_with_progress(client, analyst, coded, monkeypatch):
    from app.analysis import routes

    monkeypatch.setattr(routes, "DIRECT_LIMIT", 3)
    status, location, _body = _download(client, f"/analysis/{coded.id}/passages/download.xlsx")
    assert status == 302 and "/jobs/" in location
    job = db.session.scalar(select(Job).where(Job.kind == "analysis_export"))
    assert (job.status, job.done, job.total, job.result["rows"]) == ("done", 8, 8, 8)
    status, _location, body = _download(client, f"/jobs/{job.id}/download")
    assert status == 200 and len(list(load_workbook(io.BytesIO(body)).active.iter_rows())) == 9


def test_cli_exports_the_only_study(runner, coded, tmp_path):
    target = tmp_path / "out.xlsx"
    result = runner.invoke(args=["analysis", "export", "--format", "xlsx", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Wrote 8 passages" in result.output
    assert load_workbook(target).active.max_row == 9


def test_cli_needs_a_study_when_there_are_several(runner, coded, make_study, tmp_path):
    other = make_study(slots=0, title="Another study")
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["analysis", "export", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 2 and "There are 2 studies" in result.output and not target.exists()
    unknown = runner.invoke(args=["analysis", "export", "--study", "nope", "--format", "csv", "--output", str(target)])
    assert unknown.exit_code == 2 and "No study is called 'nope'" in unknown.output
    by_number = ["analysis", "export", "--study", str(other.id), "--format", "csv", "--output", str(target)]
    result = runner.invoke(args=by_number)
    assert result.exit_code == 0 and "Wrote 0 passages" in result.output
    assert target.read_text(encoding="utf-8-sig").startswith("Passage,Source")
    bad = runner.invoke(args=["analysis", "export", "--format", "pdf", "--output", str(target)])
    assert bad.exit_code == 2 and "pdf" in bad.output


def test_cli_shows_progress_on_long_exports(runner, coded, tmp_path, monkeypatch):
    from app.analysis import cli

    monkeypatch.setattr(cli, "PROGRESS_FROM", 2)
    monkeypatch.setattr(exports, "CHUNK", 3)
    result = runner.invoke(args=["analysis", "export", "--format", "csv", "--output", str(tmp_path / "o.csv")])
    assert result.exit_code == 0 and "Exporting" in result.output
