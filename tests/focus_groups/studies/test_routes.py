"""Organisers set up a study through the pages: settings, the discussion guide and candidate slots."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Slot, Study
from tests.conftest import page_text


def test_an_organiser_creates_a_study_with_the_briefs_guide(client, signed_in):
    signed_in("organiser")
    page = client.get("/focus-groups/")
    assert "There are no studies yet" in page_text(page)
    form = client.get("/focus-groups/new")
    assert 'value="Who are our users?"' in form.get_data(as_text=True)
    response = client.post(
        "/focus-groups/new",
        data={
            "title": "Who are our users?",
            "theme": "Pupils as users",
            "target_groups": "3",
            "min_size": "4",
            "target_size": "6",
            "max_size": "8",
            "places_per_reserve": "5",
            "one_per_organisation": "y",
            "recruiting": "y",
        },
        follow_redirects=True,
    )
    text = page_text(response)
    assert "Study ‘Who are our users?’ created" in text
    assert "3 groups of 6 (between 4 and 8)" in text
    assert "What is a user?" in text
    assert "Whether particular groups of users receive a markedly different form of service" in text
    assert "There are no candidate slots yet" in text
    study = db.session.scalar(select(Study))
    assert [q.position for q in study.questions] == [1, 2, 3, 4]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "focus_groups.study_created"))


def test_bad_settings_are_explained_and_kept(client, signed_in):
    signed_in("organiser")
    response = client.post(
        "/focus-groups/new",
        data={"title": "", "target_groups": "1", "min_size": "5", "target_size": "four", "max_size": "3"},
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "Enter a title for the study" in text
    assert "Number of groups must be between 2 and 12" in text
    assert "Target group size must be a whole number, like 6" in text
    assert 'value="four"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Study)) is None


def test_the_guide_can_be_edited_reordered_and_trimmed(client, signed_in, make_study):
    signed_in("organiser")
    study = make_study(slots=0)
    first, second = study.questions[0], study.questions[1]
    client.post(
        f"/focus-groups/{study.id}/guide/{first.id}",
        data={"text": "Who is a user?", "prompts": "Accounts?\n\nDevices?"},
    )
    client.post(f"/focus-groups/{study.id}/guide/{second.id}/move", data={"direction": "up"})
    added = client.post(
        f"/focus-groups/{study.id}/guide/new", data={"text": "Anything else?", "prompts": ""}, follow_redirects=True
    )
    assert "Question added to the guide" in page_text(added)
    confirm = client.get(f"/focus-groups/{study.id}/guide/{first.id}/delete")
    assert "Remove “Who is a user?” from the guide?" in page_text(confirm)
    client.post(f"/focus-groups/{study.id}/guide/{first.id}/delete")
    db.session.expire_all()
    study = db.session.get(Study, study.id)
    assert [q.text for q in study.questions] == [
        "Our current definition versus who organisations actually support.",
        "The approximate proportion of users in different categories.",
        "Whether particular groups of users receive a markedly different form of service, in quality or attention.",
        "Anything else?",
    ]
    assert [q.position for q in study.questions] == [1, 2, 3, 4]
    empty = client.post(f"/focus-groups/{study.id}/guide/new", data={"text": "  "})
    assert "Enter the question" in page_text(empty)


def test_slots_are_typed_in_uk_time_and_stored_in_utc(client, signed_in, make_study):
    signed_in("organiser")
    study = make_study(slots=0)
    response = client.post(
        f"/focus-groups/{study.id}/slots/new",
        data={
            "day": "10",
            "month": "6",
            "year": "2055",
            "start_time": "2:30pm",
            "duration_minutes": "90",
            "online": "online",
            "location": "https://meet.example.org/june",
            "capacity": "8",
        },
        follow_redirects=True,
    )
    assert "Slot added" in page_text(response)
    assert "Thu 10 June 2055, 2:30pm" in page_text(response)
    slot = db.session.scalar(select(Slot))
    assert slot.starts_at.replace(tzinfo=UTC) == datetime(2055, 6, 10, 13, 30, tzinfo=UTC)  # BST is UTC+1
    edit = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/edit")
    assert 'value="14:30"' in edit.get_data(as_text=True)


def test_impossible_dates_and_times_are_refused_with_the_input_kept(client, signed_in, make_study):
    signed_in("organiser")
    study = make_study(slots=0)
    data = {
        "day": "31",
        "month": "2",
        "year": "2055",
        "start_time": "25:00",
        "duration_minutes": "5",
        "online": "online",
        "location": "",
        "capacity": "0",
    }
    response = client.post(f"/focus-groups/{study.id}/slots/new", data=data)
    text = page_text(response)
    assert "Date must be a real date" in text
    assert "Enter the meeting link or the venue's address" in text
    assert "Length must be between 15 and 480" in text
    assert "Places must be between 1 and 30" in text
    assert 'value="31"' in response.get_data(as_text=True)
    data.update(day="30", month="3", start_time="25:00", duration_minutes="60", location="Room 1", capacity="6")
    response = client.post(f"/focus-groups/{study.id}/slots/new", data=data)
    assert "Start time must be a real time" in page_text(response)
    assert 'value="25:00"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Slot)) is None


def test_removing_a_slot_asks_first(client, signed_in, make_study):
    signed_in("organiser")
    study = make_study(slots=2)
    slot = study.slots[0]
    confirm = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/delete")
    assert "Remove the slot on" in page_text(confirm)
    assert db.session.get(Slot, slot.id) is not None
    client.post(f"/focus-groups/{study.id}/slots/{slot.id}/delete")
    db.session.expire_all()
    assert db.session.get(Slot, slot.id) is None


def test_a_confirmed_session_cannot_be_changed_or_removed_here(client, signed_in, make_study):
    signed_in("organiser")
    study = make_study(slots=1)
    slot = study.slots[0]
    slot.status = "confirmed"
    db.session.commit()
    edit = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/edit", follow_redirects=True)
    assert "reschedule it from its session page" in page_text(edit)
    client.post(f"/focus-groups/{study.id}/slots/{slot.id}/delete")
    refused = client.post(f"/focus-groups/{study.id}/delete")
    assert "This study cannot be deleted" in page_text(refused)
    db.session.expire_all()
    assert db.session.get(Slot, slot.id) is not None


def test_deleting_a_study_asks_first(client, signed_in, make_study, make_volunteer):
    signed_in("organiser")
    study = make_study(slots=1)
    make_volunteer(study, available=study.slots)
    assert "This deletes its guide, slots, volunteers" in page_text(client.get(f"/focus-groups/{study.id}/delete"))
    response = client.post(f"/focus-groups/{study.id}/delete", follow_redirects=True)
    assert "deleted" in page_text(response)
    assert db.session.scalar(select(Study)) is None


def test_another_studys_slot_is_not_found(client, signed_in, make_study):
    signed_in("organiser")
    one, other = make_study(slots=1), make_study(slots=1, title="Other")
    assert client.get(f"/focus-groups/{one.id}/slots/{other.slots[0].id}/edit").status_code == 404
    question = other.questions[0]
    assert client.get(f"/focus-groups/{one.id}/guide/{question.id}").status_code == 404


def test_a_time_skipped_when_the_clocks_go_forward_is_refused(client, signed_in, make_study):
    signed_in("organiser")
    study = make_study(slots=0)
    data = {
        "day": "28",
        "month": "3",
        "year": "2055",  # the last Sunday of March 2055: 1am becomes 2am
        "start_time": "1:30am",
        "duration_minutes": "60",
        "online": "online",
        "location": "https://meet.example.org/x",
        "capacity": "8",
    }
    response = client.post(f"/focus-groups/{study.id}/slots/new", data=data)
    assert "That time does not exist in the UK" in page_text(response)
    assert db.session.scalar(select(Slot)) is None
    data["start_time"] = "1:30am"
    data["month"] = "10"
    data["day"] = "31"  # the clocks go back: 1:30am happens twice, and the first (BST) is meant
    client.post(f"/focus-groups/{study.id}/slots/new", data=data)
    slot = db.session.scalar(select(Slot))
    assert slot.starts_at.replace(tzinfo=UTC) == datetime(2055, 10, 31, 0, 30, tzinfo=UTC)


def test_a_nul_character_in_a_form_is_dropped_not_a_server_error(client, signed_in, make_study):
    """Nobody types NUL and PostgreSQL refuses to store it: every form's text arrives without it."""
    signed_in("organiser")
    study = make_study(slots=0)
    response = client.post(
        f"/focus-groups/{study.id}/guide/new", data={"text": "Any\x00thing else?", "prompts": "\x00"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [q.text for q in db.session.get(Study, study.id).questions][-1] == "Anything else?"
    assert db.session.get(Study, study.id).questions[-1].prompts == ""
