"""The volunteers import and the planning command read CSV through app/uploads.py: a file too large,
too long or not UTF-8 is refused in one plain sentence, on the upload page's file field."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.focus_groups.composition.spreadsheets import read_slots
from app.focus_groups.models import Volunteer
from tests.conftest import page_text

HEADER = "volunteer_id,name,email,organisation,region,council_type,supports_schools,available,if_need_be\n"


def _import(client, study, body: bytes):
    return client.post(
        f"/focus-groups/{study.id}/volunteers/import",
        data={"file": (io.BytesIO(body), "volunteers.csv"), "consent_confirmed": "y"},
        content_type="multipart/form-data",
    )


def _summary(response) -> str:
    page = page_text(response)
    assert response.status_code == 200
    return page[page.index("govuk-error-summary") :]


def test_a_volunteers_file_with_too_many_rows_is_refused_on_the_file_field(client, signed_in, make_study):
    study = make_study(slots=2)
    signed_in("organiser")
    rows = "".join(f"{n},Ann {n},ann{n}@example.org,Kent,Kent,county,yes,1,,\n" for n in range(5_001))
    summary = _summary(_import(client, study, (HEADER + rows).encode()))
    assert "The file has more than 5,000 rows: split it and upload each part" in summary
    assert '<a href="#file">' in summary
    assert db.session.scalar(select(func.count(Volunteer.id))) == 0


def test_an_overlong_cell_and_a_file_that_is_not_utf8_are_refused_in_plain_words(client, signed_in, make_study):
    study = make_study(slots=2)
    signed_in("organiser")
    overlong = HEADER + "1,Ann,ann@example.org,Kent,Kent,county,yes,1,," + "x" * 6_000 + "\n"
    assert "A cell on line 2 is longer than 5,000 characters" in _summary(_import(client, study, overlong.encode()))
    latin = (HEADER + "1,José,jose@example.org,Kent,Kent,county,yes,1,,\n").encode("latin-1")
    assert "The file must be a CSV saved as UTF-8" in _summary(_import(client, study, latin))
    assert db.session.scalar(select(func.count(Volunteer.id))) == 0


def test_the_planning_command_reports_a_refused_file_as_a_problem_on_line_1():
    slots, problems = read_slots("slot_id,starts_at,capacity\n" + "s,2055-03-10T10:00,5\n" * 5_001, "slots.csv")
    assert slots == []
    assert [str(problem) for problem in problems] == [
        "slots.csv, line 1: The file has more than 5,000 rows: split it and upload each part"
    ]
