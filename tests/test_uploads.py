"""Uploads (app/uploads.py): hostile workbooks, CSV and JSON files are refused in one plain sentence,
before anything parses them, and the process stays small while it reads them.

Every hostile file is built here, in memory, as an attacker would build it: an XLSForm saved by
openpyxl whose parts are then rewritten.
"""

from __future__ import annotations

import gc
import io
import random
import re
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.organisations.services import import_organisations_csv
from app.surveys.authoring.xlsform import XLSFormError, import_xlsform
from app.uploads import (
    CSV_LIMITS,
    WORKBOOK_LIMITS,
    UploadRefused,
    check_workbook,
    csv_table,
    csv_text,
    json_document,
)
from tests.conftest import page_text

MB = 1024 * 1024
MEMORY_CEILING = 50 * MB
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TOO_LARGE = "The file is too large once unpacked: upload a spreadsheet of at most 5,000 rows and 200 columns"
UNSAFE = "The file could not be read safely as a spreadsheet"


def xlsform(questions: int = 3) -> bytes:
    """A small valid XLSForm: integer questions, a choices sheet and a title."""
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    for number in range(questions):
        survey.append(["integer", f"q{number}", f"How many computers does school number {number} have?"])
    workbook.create_sheet("choices").append(["list_name", "name", "label"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title"])
    settings.append(["Hostile"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(data: bytes, parts: dict[str, bytes | Callable[[bytes], bytes]], extra: dict[str, bytes] | None = None):
    """The workbook with some parts replaced (or changed by a function) and others added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            change = parts.get(info.filename)
            if callable(change):
                body = change(body)
            elif change is not None:
                body = change
            target.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def declared(dimension: str) -> Callable[[bytes], bytes]:
    """Change a sheet's declared <dimension ref=...>."""
    return lambda body: re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode(), body)


def sheet(rows: bytes, dimension: str = "A1:C1") -> bytes:
    """A survey sheet with a header row, then `rows` (raw XML)."""
    header = (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c>'
        b'<c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>label</t></is></c></row>'
    )
    return (
        f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/><sheetData>'.encode()
        + header
        + rows
        + b"</sheetData></worksheet>"
    )


def stylesheet_bomb(count: int, encoding: str = "utf-8") -> bytes:
    """A stylesheet of `count` cell formats whose varied numbers keep the compression ratio ordinary."""
    chooser = random.Random(11)
    formats = "".join(
        f'<xf numFmtId="{chooser.randrange(200)}" fontId="{chooser.randrange(999)}" '
        f'fillId="{chooser.randrange(999)}" borderId="{chooser.randrange(999)}"/>'
        for _ in range(count)
    )
    text = f'<styleSheet xmlns="{MAIN}"><cellXfs count="{count}">{formats}</cellXfs></styleSheet>'
    return text.encode(encoding)


def billion_laughs() -> bytes:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{n} "&a{n - 1};&a{n - 1};&a{n - 1};">' for n in range(1, 12))
    return (
        f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
        f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&a11;</t></si></sst>'
    ).encode()


def zip_bomb() -> bytes:
    """50 MB of spaces inside a sheet: a few kilobytes on the wire."""
    return rewritten(xlsform(), {SHEET: sheet(b"") + b" " * (50 * MB)})


def dimension_bomb() -> bytes:
    """The issue's file: about 52 KB, every sheet declared as A1:XFD1048576, over 2,000 real rows."""
    return rewritten(xlsform(2_400), {SHEET: declared("A1:XFD1048576")})


HOSTILE = {
    "declared dimension A1:XFD1048576 (52 KB)": (
        dimension_bomb,
        "A sheet in the file says it reaches cell XFD1048576, beyond what this service reads: "
        "upload a spreadsheet of at most 5,000 rows and 200 columns",
    ),
    "zip bomb": (zip_bomb, TOO_LARGE),
    "compression ratio over 100": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b"") + b" " * (5 * MB)}),
        TOO_LARGE,
    ),
    "1,000,000 rows declared": (
        lambda: rewritten(xlsform(), {SHEET: declared("A1:C1000000")}),
        "A sheet in the file says it reaches cell C1000000",
    ),
    "1,000,000 real empty rows": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b"".join(b"<row/>" for _ in range(1_000_000)))}),
        TOO_LARGE,  # refused from the zip's directory, before a row is read
    ),
    "20,000 real rows under a small dimension": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b"".join(b'<row r="%d"/>' % n for n in range(2, 20_002)))}),
        "A sheet in the file has more than 5,000 rows",
    ),
    "one row numbered 1,048,576": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>')}),
        "A sheet in the file uses row 1,048,576",
    ),
    "a cell in column XFD": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b'<row r="2"><c r="XFD2"><v>1</v></c></row>')}),
        "A sheet in the file uses cell XFD2",
    ),
    "a row of 10,000 cells": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b'<row r="2">' + b"<c><v>1</v></c>" * 10_000 + b"</row>")}),
        "A row in the file has more than 200 columns",
    ),
    "entity expansion (billion laughs)": (
        lambda: rewritten(xlsform(), {}, extra={"xl/sharedStrings.xml": billion_laughs()}),
        UNSAFE,
    ),
    "a stylesheet of 50,000 formats": (
        lambda: rewritten(xlsform(), {"xl/styles.xml": stylesheet_bomb(50_000)}),
        TOO_LARGE,
    ),
    "the same stylesheet in UTF-16": (
        lambda: rewritten(xlsform(), {"xl/styles.xml": stylesheet_bomb(50_000, "utf-16")}),
        TOO_LARGE,
    ),
    "elements nested 1,000 deep": (
        lambda: rewritten(xlsform(), {}, extra={"docProps/custom.xml": b"<a>" * 1_000 + b"</a>" * 1_000}),
        UNSAFE,
    ),
    "a cell of 100,000 characters": (
        lambda: rewritten(xlsform(), {SHEET: sheet(b'<row r="2"><c r="A2"><v>' + b"1" * 100_000 + b"</v></c></row>")}),
        "A cell in the file holds more than 32,767 characters, more than Excel itself allows",
    ),
    "a thousand entries": (
        lambda: rewritten(xlsform(), {}, extra={f"xl/media/x{n}.bin": b"x" for n in range(1_000)}),
        TOO_LARGE,
    ),
}


def peak_growth(action: Callable[[], object]) -> int:
    """The most memory Python allocated while `action` ran, above what was allocated before."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        try:
            action()
        except (UploadRefused, XLSFormError):
            pass
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


GROWTH_SCRIPT = """
import resource, sys
from app.surveys.authoring.xlsform import XLSFormError, import_xlsform
import_xlsform(sys.argv[2])  # openpyxl, pyxform and the schema loaded and used once
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    import_xlsform(sys.argv[1])
    print("imported")
except XLSFormError as error:
    print(error)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def process_growth(data: bytes, tmp_path: Path) -> tuple[str, int]:
    """Import the workbook in a fresh Python process: its outcome, and how far the process's peak size grew."""
    (tmp_path / "upload.xlsx").write_bytes(data)
    (tmp_path / "warm.xlsx").write_bytes(xlsform(3))
    finished = subprocess.run(  # noqa: S603 - this interpreter, this script
        [sys.executable, "-c", GROWTH_SCRIPT, str(tmp_path / "upload.xlsx"), str(tmp_path / "warm.xlsx")],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=300,
    )
    outcome, kilobytes = finished.stdout.strip().splitlines()[-2:]
    return outcome, int(kilobytes) * 1024


def named(data: bytes, name: str = "hostile.xlsx") -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


# --- workbooks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("build, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_workbook_is_refused_in_plain_words_and_the_process_stays_small(build, message):
    data = build()
    assert len(data) < WORKBOOK_LIMITS.max_bytes  # every one fits the upload limit
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(named(data))
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
    assert peak_growth(lambda: import_xlsform(named(data))) < MEMORY_CEILING


def test_the_issues_52_kb_file_leaves_the_whole_process_small(tmp_path):
    data = dimension_bomb()
    assert 45_000 < len(data) < 60_000
    outcome, growth = process_growth(data, tmp_path)
    assert outcome.startswith("A sheet in the file says it reaches cell XFD1048576")
    assert growth < 10 * MB


def test_a_workbook_at_the_limits_is_read_and_stays_small(tmp_path):
    """The largest shapes the limits let through, all at once, still import within the memory ceiling."""
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label", *(f"note_{n}" for n in range(20))])
    for number in range(100):
        survey.append(["select_one size", f"q{number}", f"Question {number}", *(f"n{n}" for n in range(20))])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for number in range(4_000):
        choices.append(["size" if number < 60 else "council", f"c{number}", f"Council number {number}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    chooser = random.Random(7)
    # A part openpyxl parses whole, as large as the budget allows beside the rest.
    custom = "".join(f'<b x="{chooser.randrange(10**6)}" y="{chooser.randrange(10**6)}"/>' for _ in range(30_000))
    data = rewritten(
        buffer.getvalue(),
        {"xl/styles.xml": stylesheet_bomb(5_000)},
        extra={"docProps/custom.xml": f"<a>{custom}</a>".encode()},
    )
    check_workbook(data)  # within every limit
    outcome, growth = process_growth(data, tmp_path)
    assert outcome == "imported"
    assert growth < MEMORY_CEILING


def test_many_questions_on_one_long_list_are_refused_before_pyxform_reads_them():
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    for number in range(300):
        survey.append(["select_one council", f"q{number}", f"Question {number}"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for number in range(4_000):
        choices.append(["council", f"c{number}", f"Council {number}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(named(buffer.getvalue(), "councils.xlsx"))
    assert str(refused.value) == (
        "councils.xlsx offers 1,200,000 choices in all across its questions: split it into forms of at most 10,000"
    )


def test_an_ordinary_xlsform_still_imports():
    result = import_xlsform(named(xlsform(3), "schools.xlsx"))
    assert result.title == "Hostile"
    assert len(result.definition["sections"][0]["pages"]) == 3


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read_whole():
    with pytest.raises(XLSFormError, match="The file is larger than 5 MB; upload a smaller file"):
        import_xlsform(named(b"PK" + b"\0" * (6 * MB)))


def test_the_upload_page_shows_the_refusal_in_the_error_summary(client, signed_in):
    signed_in("organiser")
    response = client.post(
        "/surveys/manage/import-xlsform",
        data={"file": (io.BytesIO(dimension_bomb()), "schools.xlsx")},
        content_type="multipart/form-data",
    )
    page = page_text(response)
    assert response.status_code == 200
    summary = page[page.index("govuk-error-summary") :]
    assert "There is a problem" in summary
    assert "A sheet in the file says it reaches cell XFD1048576" in summary
    assert '<a href="#file">' in summary
    assert "govuk-file-upload--error" in page


def test_the_upload_page_refuses_a_zip_bomb(client, signed_in):
    signed_in("organiser")
    response = client.post(
        "/surveys/manage/import-xlsform",
        data={"file": (io.BytesIO(zip_bomb()), "schools.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert TOO_LARGE in page_text(response)


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_text_refuses_what_is_not_utf8_text_in_plain_words():
    with pytest.raises(UploadRefused, match="^The file must be a CSV saved as UTF-8$"):
        csv_text("name\nBrænt\n".encode("cp1252"))
    with pytest.raises(UploadRefused, match="^The file must be a CSV saved as UTF-8 text$"):
        csv_text(b"name\nAnn\x00\n")
    with pytest.raises(UploadRefused, match="^The file is larger than 2 MB; upload a smaller file$"):
        csv_text(b"a," * MB + b"\n")
    assert csv_text("\ufeffname\nJosé\n".encode()) == "name\nJosé\n"  # the byte-order mark Excel writes


def test_csv_table_bounds_rows_columns_and_cells():
    with pytest.raises(UploadRefused, match="^The file has more than 5,000 rows: split it and upload each part$"):
        csv_table("name\n" + "Kent\n" * (CSV_LIMITS.max_rows + 1))
    with pytest.raises(UploadRefused, match="^Line 1 of the file has more than 50 columns$"):
        csv_table(",".join(["x"] * 51) + "\n")
    with pytest.raises(UploadRefused, match="^A cell on line 2 is longer than 5,000 characters$"):
        csv_table("name\n" + "x" * 5_001 + "\n")
    with pytest.raises(UploadRefused, match="^A cell on line 2 is longer than 5,000 characters$"):
        csv_table('name\n"' + "unterminated " * 1_000)  # an open quote swallows the rest of the file
    table = csv_table("Name , Region\n\nKent,South East,extra\n,\nBrent\n")
    assert table.header == ["name", "region"]
    assert [(row.line, row.values) for row in table.rows] == [
        (2, {"name": "Kent", "region": "South East"}),
        (4, {"name": "Brent", "region": ""}),
    ]


def test_the_organisation_import_page_shows_a_refusal_on_the_file_field(client, signed_in):
    signed_in("organiser")
    rows = "name,region,council_type,contact_email\n" + "Kent,South East,county,\n" * 5_001
    response = client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(rows.encode()), "orgs.csv")},
        content_type="multipart/form-data",
    )
    page = page_text(response)
    assert response.status_code == 200
    summary = page[page.index("govuk-error-summary") :]
    assert "The file has more than 5,000 rows: split it and upload each part" in summary
    assert '<a href="#file">' in summary
    assert "Nothing was imported" not in page  # one sentence, not a table of every line


def test_the_organisation_import_refuses_a_file_that_is_not_utf8(app):
    with pytest.raises(UploadRefused, match="UTF-8"):
        import_organisations_csv("name,region,council_type,contact_email\nBr\xe6nt,wales,welsh,\n".encode("cp1252"))


# --- JSON ----------------------------------------------------------------------------------------


def test_json_documents_are_bounded_in_size_and_nesting():
    with pytest.raises(UploadRefused, match="^The file nests lists or objects more than 64 deep$"):
        json_document(b"[" * 100 + b"]" * 100)
    with pytest.raises(UploadRefused, match="^The file is not valid JSON"):
        json_document(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(UploadRefused, match="^The file is larger than 512 KB; upload a smaller file$"):
        json_document(b" " * (512 * 1024 + 1))
    with pytest.raises(UploadRefused, match="^The file must be saved as UTF-8$"):
        json_document(b'{"title": "\xff"}')
    assert json_document(b'\xef\xbb\xbf{"title": "Schools"}') == {"title": "Schools"}


def test_the_json_import_page_shows_a_refusal_on_the_file_field(client, signed_in):
    signed_in("organiser")
    response = client.post(
        "/surveys/manage/import",
        data={"file": (io.BytesIO(b"[" * 5_000 + b"]" * 5_000), "survey.json")},
        content_type="multipart/form-data",
    )
    page = page_text(response)
    assert response.status_code == 200
    summary = page[page.index("govuk-error-summary") :]
    assert "The file" in summary and '<a href="#file">' in summary


# --- request size --------------------------------------------------------------------------------


def test_a_request_over_the_size_limit_gets_a_plain_413_page_with_a_way_back(client, signed_in):
    signed_in("organiser")
    body = (
        b'--edge\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n\r\n'
        + b"x" * (11 * MB)
        + b"\r\n--edge--\r\n"
    )
    response = client.post(
        "/surveys/manage/import-xlsform", data=body, content_type="multipart/form-data; boundary=edge"
    )
    page = page_text(response)
    assert response.status_code == 413
    assert '<h1 class="govuk-heading-l">What you sent is too large</h1>' in page
    assert "Nothing was saved. A file you upload must be smaller than 10MB" in page
    assert '<a class="govuk-link" href="/surveys/manage/import-xlsform">Go back to the page you were on</a>' in page
    assert "Traceback" not in page


def test_a_form_field_over_the_size_limit_gets_the_same_413_page(client, signed_in):
    signed_in("organiser")
    body = b'--edge\r\nContent-Disposition: form-data; name="name"\r\n\r\n' + b"x" * 600_000 + b"\r\n--edge--\r\n"
    response = client.post("/organisations/new", data=body, content_type="multipart/form-data; boundary=edge")
    page = page_text(response)
    assert response.status_code == 413
    assert '<h1 class="govuk-heading-l">What you sent is too large</h1>' in page
    assert 'href="/organisations/new">Go back to the page you were on</a>' in page


def test_an_uploaded_file_name_is_only_ever_shown_by_its_last_part_and_escaped(client, signed_in):
    signed_in("organiser")
    workbook = Workbook()
    workbook.active.title = "questions"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        "/surveys/manage/import-xlsform",
        data={"file": (io.BytesIO(buffer.getvalue()), "../../<i>evil.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "&lt;i&gt;evil.xlsx has no &#39;survey&#39; sheet" in page
    assert "<i>evil" not in page and "../" not in page
