"""Facilitators' view of their sessions: the discussion guide and participants by pseudonym only,
names when an organiser grants them, and nobody else's sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from tests.conftest import page_text, sign_in
from tests.focus_groups.scheduling.support import confirm


@pytest.fixture
def staffed(app, group, make_user):
    """The group confirmed, with a facilitator and a note-taker: (slot, participants, facilitator, note-taker)."""
    study, slot, participants, _ = group
    organiser = make_user("organiser")
    staff = app.test_client()
    sign_in(staff, organiser.email)
    confirm(staff, slot)
    facilitator = make_user("facilitator", name="Fran Facilitator")
    note_taker = make_user("facilitator", name="Nat Notes")
    slot.facilitator_id, slot.note_taker_id = facilitator.id, note_taker.id
    db.session.commit()
    return slot, participants, facilitator, note_taker


def test_facilitator_sees_pseudonyms_and_the_guide_not_names(client, staffed):
    slot, participants, facilitator, _ = staffed
    sign_in(client, facilitator.email)
    response = client.get(f"/focus-groups/sessions/{slot.id}")
    text = page_text(response)
    assert response.status_code == 200
    for pseudonym in ("P1", "P2", "P3"):
        assert pseudonym in text
    assert "London" in text and "London borough" in text
    assert "Supports schools" in text
    for placement in participants:
        assert placement.volunteer.name not in text
        assert placement.volunteer.email not in text
        assert placement.volunteer.organisation_name not in text
    assert "What is a user?" in text
    assert "Who do you count as a user of your ICT service today?" in text  # a prompt
    assert "Rosa Reserve" not in text  # reserves are not in the session


def test_names_show_once_an_organiser_grants_them(client, staffed, make_user):
    slot, participants, facilitator, note_taker = staffed
    organiser = make_user("organiser")
    sign_in(client, organiser.email)
    client.post(f"/focus-groups/{slot.study_id}/slots/{slot.id}/names", data={"names_visible": "yes"})
    client.post("/sign-out")
    sign_in(client, note_taker.email)
    text = page_text(client.get(f"/focus-groups/sessions/{slot.id}"))
    assert participants[0].volunteer.name in text and participants[0].volunteer.email in text


def test_another_facilitator_is_refused_and_organisers_see_every_session(client, staffed, make_user):
    slot, _, _, _ = staffed
    stranger = make_user("facilitator")
    sign_in(client, stranger.email)
    assert client.get(f"/focus-groups/sessions/{slot.id}").status_code == 403
    listing = page_text(client.get("/focus-groups/sessions"))
    assert "You have no sessions yet" in listing
    client.post("/sign-out")
    organiser = make_user("organiser")
    sign_in(client, organiser.email)
    assert client.get(f"/focus-groups/sessions/{slot.id}").status_code == 200
    assert f"/focus-groups/sessions/{slot.id}" in page_text(client.get("/focus-groups/sessions"))
    assert client.get("/focus-groups/sessions/999999").status_code == 404


def test_the_list_shows_upcoming_sessions_first_then_past_ones(client, staffed, make_study):
    slot, _, facilitator, _ = staffed
    earlier = make_study(slots=1, title="Last year's study").slots[0]
    earlier.starts_at = utcnow() - timedelta(days=30)
    earlier.status = "confirmed"
    earlier.note_taker_id = facilitator.id
    db.session.commit()
    sign_in(client, facilitator.email)
    text = page_text(client.get("/focus-groups/sessions"))
    assert "Your sessions" in text
    assert text.index("Upcoming") < text.index("Who are our users?") < text.index("Past")
    assert text.index("Past") < text.index("Last year's study")
    assert "Facilitator" in text and "Note-taker" in text


def test_facilitators_have_the_link_in_their_menu(client, make_user):
    facilitator = make_user("facilitator")
    sign_in(client, facilitator.email)
    assert 'href="/focus-groups/sessions"' in client.get("/").get_data(as_text=True)


def test_a_facilitator_does_not_see_a_slot_that_is_not_confirmed(client, group, make_user):
    _, slot, _, _ = group
    facilitator = make_user("facilitator")
    slot.facilitator_id = facilitator.id  # named on a candidate slot (say, before the rule)
    db.session.commit()
    sign_in(client, facilitator.email)
    assert "You have no sessions yet" in page_text(client.get("/focus-groups/sessions"))
    assert client.get(f"/focus-groups/sessions/{slot.id}").status_code == 403


def test_a_cancelled_session_stays_in_the_list_marked_cancelled(client, staffed, make_user):
    slot, _, facilitator, _ = staffed
    organiser = make_user("organiser")
    sign_in(client, organiser.email)
    client.post(f"/focus-groups/{slot.study_id}/slots/{slot.id}/cancel")
    client.post("/sign-out")
    sign_in(client, facilitator.email)
    listing = page_text(client.get("/focus-groups/sessions"))
    assert f"/focus-groups/sessions/{slot.id}" in listing and "Cancelled" in listing
    assert client.get(f"/focus-groups/sessions/{slot.id}").status_code == 200
