"""The framework matrix and the theme crosstab: figures against a small fixture counted by hand, the pages,
cell summaries (versions, audit, bad input) and the CSV/XLSX downloads.

The fixture (all present but p6; themes A = pupils-and-schools, B = user-definitions):

    passage  source  region  schools  organisations          participants        codes
    p1       survey  wales   yes      org:1                  -                   A accepted
    p2       survey  wales   yes      org:1                  -                   A accepted
    p3       survey  london  no       org:2                  -                   A suggested
    p4       note    mixed   mixed    org:2, person:P2       P1, P2 (session 10) A, B accepted
    p5       note    wales   yes      org:3                  P1 (session 11)     B rejected
    p6       survey  london  no       org:9 (removed)        -                   A accepted
    p7-p9    survey  wales   yes      org:4, org:5, org:6    -                   -

Organisations are numbered by first appearance: org:1 001, org:2 002, person:P2 003, org:3 004, org:9 005,
org:4 006, org:5 007, org:6 008. Sessions: 10 is session 1, 11 is session 2.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.analysis.codebook import default_codebook
from app.analysis.matrices import MatrixFilters, crosstab, framework, save_cell, study_rows
from app.analysis.models import AnalysisPassage, Code, FrameworkCell
from app.analysis.queries import study_organisation_codes
from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import sign_in

A, B = "pupils-and-schools", "user-definitions"


def _passage(study, n, kind="survey", region=None, council=None, schools=None, orgs=(), people=(), session=None, **kw):
    ref = {"note": n, "session": session, "study": study.id} if kind == "note" else {"response": n, "question": "q"}
    passage = AnalysisPassage(
        study_id=study.id,
        key=f"k{n}",
        source_kind=kind,
        source_key=f"{kind}:{n}",
        position=1,
        source_ref=ref,
        text=kw.pop("text", f"Passage number {n}."),
        start=0,
        end=10,
        section="q" if kind == "survey" else "general",
        section_label="The question" if kind == "survey" else "General",
        region=region,
        council_type=council,
        supports_schools=schools,
        pseudonyms=list(people),
        organisations=list(orgs),
        **kw,
    )
    db.session.add(passage)
    db.session.flush()
    return passage


def _code(passage, theme, status="accepted", coder=None):
    db.session.add(
        Code(
            study_id=passage.study_id,
            passage_id=passage.id,
            theme=theme,
            status=status,
            origin="hand" if status == "accepted" else "suggested",
            codebook_version=1,
            coder_id=getattr(coder, "id", None),
        )
    )


@pytest.fixture
def coded(make_study, make_user):
    study = make_study(slots=0)
    coder = make_user("analyst", name="Cora Coder")
    wales = {"region": "wales", "council": "welsh", "schools": True}
    p1 = _passage(study, 1, orgs=["org:1"], text="=SUM(A1:A9) pupils count", **wales)
    p2 = _passage(study, 2, orgs=["org:1"], **wales)
    p3 = _passage(study, 3, region="london", council="london-borough", schools=False, orgs=["org:2"])
    p4 = _passage(study, 4, kind="note", orgs=["org:2", "person:P2"], people=["P1", "P2"], session=10)
    p5 = _passage(study, 5, kind="note", orgs=["org:3"], people=["P1"], session=11, **wales)
    p6 = _passage(study, 6, region="london", council="london-borough", schools=False, orgs=["org:9"], present=False)
    for n, org in ((7, "org:4"), (8, "org:5"), (9, "org:6")):
        _passage(study, n, orgs=[org], **wales)
    _code(p1, A, coder=coder)
    _code(p2, A, coder=coder)
    _code(p3, A, "suggested")
    _code(p4, A, coder=coder)
    _code(p4, B, coder=coder)
    _code(p5, B, "rejected", coder=coder)
    _code(p6, A, coder=coder)
    db.session.commit()
    return study


@pytest.fixture
def analyst(client, make_user):
    person = make_user("analyst", name="Ana Lyst")
    sign_in(client, person.email)
    return person


def _download(client, url: str):
    """(status, mimetype, body bytes) of a download, the response closed (its temporary file removed)."""
    response = client.get(url)
    result = response.status_code, response.mimetype, response.get_data()
    response.close()
    return result


def _row(table, slug):
    return next(cells for s, _name, cells in table.rows if s == slug)


def _value(table, value):
    return [v for v, _text in table.values].index(value)


# --- Figures ---------------------------------------------------------------------------------------------


def test_rows_are_numbered_by_first_appearance_and_never_named(coded):
    rows = study_rows(coded.id)
    assert [(r.code, r.label) for r in rows["participant"]] == [
        ("S1-P1", "P1, session 1"),
        ("S1-P2", "P2, session 1"),
        ("S2-P1", "P1, session 2"),
    ]
    assert [(r.key, r.label) for r in rows["organisation"]] == [
        ("org:1", "Org 001"),
        ("org:2", "Org 002"),
        ("person:P2", "Org 003"),
        ("org:3", "Org 004"),
        ("org:9", "Org 005"),
        ("org:4", "Org 006"),
        ("org:5", "Org 007"),
        ("org:6", "Org 008"),
    ]
    # The theme pages, quotes and REFI-QDA cases number organisations the same way.
    assert study_organisation_codes(coded.id) == {r.key: r.label for r in rows["organisation"]}


def test_crosstab_counts_each_organisation_once_and_flags_small_groups(coded):
    table = crosstab(coded.id, default_codebook(), MatrixFilters(by="region"))
    assert [text for _v, text in table.values] == ["London", "Wales", "Not known or mixed", "All"]
    assert table.group_passages == {"london": 1, "wales": 6, "": 1, "*": 8}  # p6 was removed
    assert table.group_organisations == {"london": 1, "wales": 5, "": 2, "*": 7}
    assert [table.small(v) for v, _t in table.values] == [True, False, True, False]
    a = _row(table, A)
    wales, everyone = a[_value(table, "wales")], a[_value(table, "*")]
    assert (wales.passages, wales.organisations) == (2, 1)  # p1 and p2, both org:1
    assert wales.passage_share == pytest.approx(2 / 6) and wales.organisation_share == pytest.approx(1 / 5)
    assert a[_value(table, "london")].passages == 0  # p3's suggestion does not count
    assert (everyone.passages, everyone.organisations) == (3, 3)  # org:1, org:2, person:P2
    b = _row(table, B)
    assert [(c.passages, c.organisations) for c in b] == [(0, 0), (0, 0), (1, 2), (1, 2)]  # p5's B was rejected


def test_crosstab_counts_suggestions_only_when_asked(coded):
    table = crosstab(coded.id, default_codebook(), MatrixFilters(by="schools", suggestions=True))
    labels = [text for _v, text in table.values]
    assert labels == ["Supports schools", "Does not support schools", "Not known or mixed", "All"]
    a = _row(table, A)
    assert (a[_value(table, "no")].passages, a[_value(table, "no")].organisations) == (1, 1)  # p3, suggested
    everyone = a[_value(table, "*")]
    assert (everyone.passages, everyone.organisations) == (4, 3)  # org:2 already counted through p4
    assert table.counted == "accepted codes and unreviewed suggestions"


def test_crosstab_filters_narrow_the_passages(coded):
    table = crosstab(coded.id, default_codebook(), MatrixFilters(by="source", source="note"))
    assert [v for v, _t in table.values] == ["note", "*"]
    assert table.group_passages == {"note": 2, "*": 2}
    assert table.group_organisations == {"note": 3, "*": 3}


def test_framework_by_participant_keeps_sessions_apart(coded):
    matrix = framework(coded.id, default_codebook(), MatrixFilters(kind="participant"))
    slugs = [slug for slug, _ in matrix.themes]
    got = {
        row.row.code: (row.passages, row.cells[slugs.index(A)].accepted, row.cells[slugs.index(B)].accepted)
        for row in matrix.rows
    }
    assert got == {"S1-P1": (1, 1, 1), "S1-P2": (1, 1, 1), "S2-P1": (1, 0, 0)}


def test_framework_by_organisation_with_and_without_suggestions(coded, make_user):
    codebook = default_codebook()
    slugs = [theme.slug for theme in codebook.themes]
    matrix = framework(coded.id, codebook, MatrixFilters(kind="organisation"))
    got = {row.row.label: (row.passages, row.cells[slugs.index(A)].accepted) for row in matrix.rows}
    assert got == {
        "Org 001": (2, 2),
        "Org 002": (2, 1),
        "Org 003": (1, 1),
        "Org 004": (1, 0),
        "Org 006": (1, 0),
        "Org 007": (1, 0),
        "Org 008": (1, 0),
    }
    assert all(row.cells[slugs.index(A)].suggested == 0 for row in matrix.rows)
    with_suggestions = framework(coded.id, codebook, MatrixFilters(kind="organisation", suggestions=True))
    org2 = next(row for row in with_suggestions.rows if row.row.label == "Org 002")
    assert (org2.cells[slugs.index(A)].accepted, org2.cells[slugs.index(A)].suggested) == (1, 1)
    # A summary keeps its row in the unfiltered matrix, even when its passages have gone.
    removed = next(r for r in study_rows(coded.id)["organisation"] if r.label == "Org 005")
    save_cell(coded, removed, A, "Spoke about academies.", by=make_user("analyst"))
    labels = [row.row.label for row in framework(coded.id, codebook, MatrixFilters(kind="organisation")).rows]
    assert "Org 005" in labels
    narrowed = framework(coded.id, codebook, MatrixFilters(kind="organisation", region="wales"))
    assert [row.row.label for row in narrowed.rows] == ["Org 001", "Org 004", "Org 006", "Org 007", "Org 008"]


# --- Pages ------------------------------------------------------------------------------------------------


def test_the_pages_show_codes_never_names_or_keys(client, analyst, coded):
    page = client.get(f"/analysis/{coded.id}/matrices?kind=organisation").get_data(as_text=True)
    assert "Org 001" in page and "Org 002" in page and "org:1" not in page and "person:P2" not in page
    assert f"/analysis/{coded.id}/passages?theme={A}&amp;organisation=001" in page
    people = client.get(f"/analysis/{coded.id}/matrices").get_data(as_text=True)
    assert "P1, session 1" in people and "P1, session 2" in people
    cross = client.get(f"/analysis/{coded.id}/matrices/crosstab?by=region").get_data(as_text=True)
    assert "Themes by region" in cross and "Small group</strong>" in cross and "33%" in cross  # 2 of Wales's 6
    schools = client.get(f"/analysis/{coded.id}/matrices/crosstab?by=schools").get_data(as_text=True)
    assert "Themes by support for schools" in schools and "by supports schools" not in schools
    with_suggestions = client.get(f"/analysis/{coded.id}/matrices/crosstab?suggestions=1").get_data(as_text=True)
    assert "include suggestions nobody has reviewed" in with_suggestions
    junk = client.get(f"/analysis/{coded.id}/matrices?kind=nobody&by=x&region=atlantis&page=99999999999999")
    assert junk.status_code == 200


def test_the_passages_page_filters_by_participant_and_organisation(client, analyst, coded):
    org2 = client.get(f"/analysis/{coded.id}/passages?organisation=002").get_data(as_text=True)
    assert "Passage number 3." in org2 and "Passage number 4." in org2 and "Passage number 2." not in org2
    p1 = client.get(f"/analysis/{coded.id}/passages?participant=S1-P1").get_data(as_text=True)
    assert "Passage number 4." in p1 and "Passage number 5." not in p1  # P1 of session 2 is someone else
    assert "Org 002" in org2  # the filter's choices show codes only


def test_a_cell_summary_is_saved_as_a_new_version_with_who_and_when_and_audited(client, analyst, coded):
    url = f"/analysis/{coded.id}/matrices/organisation/001/{A}"
    form = client.get(url).get_data(as_text=True)
    assert "Nobody has written a summary" in form and "organisation=001" in form
    assert client.post(url, data={"text": "Counts pupils on the traded SLA."}).status_code == 302
    assert client.post(url, data={"text": "Counts pupils; schools pay."}).status_code == 302
    cells = db.session.scalars(select(FrameworkCell).where(FrameworkCell.study_id == coded.id)).all()
    saved = [(c.row_kind, c.row_key, c.theme, c.created_by_id) for c in cells]
    assert saved == [("organisation", "org:1", A, analyst.id)] * 2
    page = client.get(url).get_data(as_text=True)
    assert "Counts pupils; schools pay." in page and "Counts pupils on the traded SLA." in page and "Ana Lyst" in page
    matrix = client.get(f"/analysis/{coded.id}/matrices?kind=organisation").get_data(as_text=True)
    assert "Counts pupils; schools pay." in matrix and "Counts pupils on the traded SLA." not in matrix
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "analysis.framework_cell_saved")).all()
    assert len(events) == 2 and events[0].actor_id == analyst.id
    assert "org:1" not in str(events[0].detail)


def test_bad_cell_input_is_refused_and_kept(client, analyst, coded):
    url = f"/analysis/{coded.id}/matrices/participant/S1-P1/{A}"
    long = client.post(url, data={"text": "x" * 5001})
    assert long.status_code == 200 and "5,000 characters or fewer" in long.get_data(as_text=True)
    assert "govuk-error-summary" in long.get_data(as_text=True)
    empty = client.post(url, data={"text": "   "})
    assert "Enter a summary" in empty.get_data(as_text=True)
    assert db.session.scalar(select(FrameworkCell.id)) is None
    for bad in (
        f"/analysis/{coded.id}/matrices/participant/S9-P1/{A}",
        f"/analysis/{coded.id}/matrices/participant/S1-P1/no-such-theme",
        f"/analysis/{coded.id}/matrices/people/S1-P1/{A}",
        f"/analysis/{coded.id}/matrices/organisation/{'9' * 5000}/{A}",
        f"/analysis/{'9' * 5000}/matrices/organisation/001/{A}",
        f"/analysis/{coded.id}/matrices/download.pdf",
        f"/analysis/{coded.id}/matrices/download.csv?table=secret",
    ):
        assert client.get(bad).status_code == 404, bad
        assert client.post(bad, data={"text": "x"}).status_code in (404, 405), bad


# --- Downloads ----------------------------------------------------------------------------------------------


def test_crosstab_csv_and_framework_xlsx_read_back(client, analyst, coded):
    status, mimetype, body = _download(client, f"/analysis/{coded.id}/matrices/download.csv?table=crosstab&by=region")
    assert status == 200 and mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    wales = next(r for r in rows if r["Theme"] == "Pupils and schools" and r["Region"] == "Wales")
    assert (wales["Coded passages"], wales["Organisations"], wales["Small group"]) == ("2", "1", "no")
    assert wales["Share of the group's passages"] == "0.3333" and wales["Counted"] == "accepted codes"
    _status, _type, body = _download(client, f"/analysis/{coded.id}/matrices/download.xlsx?kind=organisation")
    sheet = load_workbook(io.BytesIO(body)).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = table[0]
    assert header[:2] == ["Organisation", "Passages"] and "Pupils and schools: coded passages" in header
    org1 = next(row for row in table if row[0] == "Org 001")
    assert org1[header.index("Pupils and schools: coded passages")] == 2
    assert not any("org:" in str(value) for row in table for value in row)
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "analysis.matrix_exported")).all()
    assert len(exported) == 2


def test_a_summary_that_looks_like_a_formula_is_exported_safe(client, analyst, coded):
    row = next(r for r in study_rows(coded.id)["organisation"] if r.label == "Org 001")
    save_cell(coded, row, A, '=HYPERLINK("http://x")', by=analyst)
    _status, _type, body = _download(client, f"/analysis/{coded.id}/matrices/download.csv?kind=organisation")
    assert "'=HYPERLINK" in body.decode("utf-8-sig")
