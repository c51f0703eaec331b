"""Hostile numbers in the focus-group forms, links and files (issue 11, finding 1): ids and counts typed or
sent as "²", other scripts' digits or thousands of digits are refused with a message, never a 500."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.focus_groups.composition.spreadsheets import read_slots
from app.focus_groups.recruitment.importing import parse_volunteer_rows
from app.surveys.services import ensure_default_survey
from tests.conftest import page_text
from tests.focus_groups.notes.support import make_session

HOSTILE_IDS = ["²", "١٢", "9" * 5000, "99999999999999999999", "1e3", "-1", "0x10"]


def test_a_hostile_organisation_in_the_volunteer_link_is_ignored(client, make_study):
    study = make_study(slots=2)
    for value in HOSTILE_IDS:
        response = client.get(f"/focus-groups/{study.id}/volunteer", query_string={"organisation": value})
        assert response.status_code == 200, value[:20]


def test_hostile_organisation_ids_in_the_recruitment_invitation_form_are_refused(client, signed_in, make_study):
    study = make_study(slots=2)
    signed_in("organiser")
    response = client.post(f"/focus-groups/{study.id}/recruit", data={"organisation": HOSTILE_IDS})
    assert response.status_code == 200
    assert "Select at least one organisation to invite" in page_text(response)


def test_hostile_organisation_ids_in_the_survey_invitation_form_are_refused(client, signed_in):
    ensure_default_survey()
    signed_in("organiser")
    response = client.post("/surveys/manage/schools-ict/invite", data={"organisation": HOSTILE_IDS})
    assert response.status_code == 200
    assert "Select at least one organisation to invite" in page_text(response)


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_a_hostile_facilitator_id_is_refused_with_a_message(client, signed_in, make_study, make_volunteer, value):
    slot = make_session(make_study, make_volunteer)
    signed_in("organiser")
    response = client.post(
        f"/focus-groups/{slot.study_id}/slots/{slot.id}/staff", data={"facilitator": value}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Choose someone with the facilitator role, or nobody." in page_text(response)
    db.session.expire_all()
    assert slot.facilitator_id is None


def test_a_slot_with_hostile_numbers_gets_the_error_summary(client, signed_in, make_study):
    study = make_study(slots=1)
    signed_in("organiser")
    data = {
        "day": "²",
        "month": "3",
        "year": "2055",
        "start_time": "10:00",
        "duration_minutes": "9" * 5000,
        "online": "online",
        "location": "https://meet.example.org/x",
        "capacity": "١٢",
    }
    response = client.post(f"/focus-groups/{study.id}/slots/new", data=data)
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert "Date must be a real date, in numbers, like 10 3 2027" in text
    assert "Places must be a whole number, like 6" in text
    assert 'value="١٢"' in text and 'value="²"' in text


def test_hostile_capacities_in_the_sessions_file_are_listed_as_problems():
    rows = ["slot_id,starts_at,capacity", "1,2055-03-10T10:00,²", "2,2055-03-11T10:00," + "9" * 4000]
    text = "\n".join([*rows, "3,2055-03-12T10:00,8", ""])
    slots, problems = read_slots(text, "slots.csv")
    assert [s.id for s in slots] == ["3"]
    messages = [p.message for p in problems]
    assert messages[0] == "capacity '²' is not a whole number from 1 to 1000"
    assert messages[1].startswith("capacity '9999") and messages[1].endswith("is not a whole number from 1 to 1000")
    assert len(messages[1]) < 120  # the 5,000 digits are not repeated back


def test_hostile_slot_ids_in_a_volunteers_file_are_listed_as_problems():
    header = "name,email,organisation,region,council_type,supports_schools,available,if_need_be\n"
    text = header + "Ann Able,ann@example.org,Aberton Council,london,london-borough,yes,²;" + "9" * 4000 + ",\n"
    rows, errors = parse_volunteer_rows(text)
    assert rows == []
    assert errors[0].message.startswith("Available '²' is not a slot id; available '9999")
