"""The focus groups' parts of home pages (app/focus_groups/home.py): each study's next step for organisers,
and a facilitator's next sessions with the way into each one's notes console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.focus_groups.home import SlotFacts, StudyFacts, next_step, staff_sessions, studies_progress
from app.focus_groups.models import Placement
from app.focus_groups.notes.models import SessionNotes
from tests.conftest import page_text

NOW = datetime(2055, 2, 1, 9, 0, tzinfo=UTC)


def slot(n: int, days: float, status: str = "candidate", facilitator=True, placed=0, attended=0) -> SlotFacts:
    starts = NOW + timedelta(days=days)
    return SlotFacts(n, starts, starts + timedelta(minutes=90), status, facilitator, placed, attended)


def facts(slots, volunteers=14, needed=14, recruiting=True, groups=2) -> StudyFacts:
    return StudyFacts(7, groups, recruiting, volunteers, needed, slots)


@pytest.mark.parametrize(
    ("study", "text", "endpoint"),
    [
        (facts([], volunteers=0), "Add the dates and times the groups could meet.", "focus_groups.add_slot_page"),
        (
            facts([slot(1, 7), slot(2, 8)], volunteers=5),
            "Recruit volunteers: 5 of the 14 needed so far.",
            "focus_groups.recruit",
        ),
        (
            facts([slot(1, 7)], volunteers=0, recruiting=False),
            "Recruit volunteers: 0 of the 14 needed so far.",
            "focus_groups.recruit",
        ),
        (
            facts([slot(1, 7), slot(2, 8)], volunteers=5, recruiting=False),
            "Compose the groups from the 5 volunteers.",
            "focus_groups.groups",
        ),
        (facts([slot(1, 7), slot(2, 8)]), "Compose the groups from the 14 volunteers.", "focus_groups.groups"),
        (
            facts([slot(1, 7, "confirmed", placed=6), slot(2, 8, placed=6)]),
            "Confirm the groups and send their invitations: 1 of 2 confirmed.",
            "focus_groups.groups",
        ),
        (
            facts([slot(1, 7, "confirmed", placed=6), slot(2, 8, "confirmed", facilitator=False, placed=6)]),
            "Choose a facilitator for the session on Tuesday 9 February 2055, 9:00am.",
            "focus_groups.slot_detail",
        ),
        (
            facts([slot(1, -3, "confirmed", placed=6), slot(2, 8, "confirmed", placed=6)]),
            "Record who came to the session on Friday 29 January 2055, 9:00am.",
            "focus_groups.attendance",
        ),
        (
            facts([slot(1, -3, "confirmed", placed=6, attended=6), slot(2, 8, "confirmed", placed=6)]),
            "Nothing to do until the next session, on Tuesday 9 February 2055, 9:00am.",
            "focus_groups.slot_detail",
        ),
        (
            facts([slot(1, -3, "confirmed", placed=6, attended=6), slot(2, -2, "confirmed", placed=5, attended=5)]),
            "Every session has been held: its notes are ready for the analysis.",
            "focus_groups.study",
        ),
    ],
)
def test_the_next_step_follows_the_order_of_the_work(study, text, endpoint):
    step = next_step(study, NOW)
    assert (step.text, step.endpoint, step.values["study_id"]) == (text, endpoint, 7)


def test_a_cancelled_slot_is_no_slot_and_an_empty_past_proposal_no_group():
    assert next_step(facts([slot(1, 7, "cancelled")]), NOW).endpoint == "focus_groups.add_slot_page"
    assert next_step(facts([slot(1, -1, placed=6)]), NOW).text == "Compose the groups from the 14 volunteers."


def test_studies_progress_counts_volunteers_groups_and_the_next_session(app, make_study, make_volunteer):
    study = make_study(slots=2, title="Spring groups")
    first, second = study.slots
    people = [make_volunteer(study, available=[first]) for _ in range(3)]
    make_volunteer(study, withdrawn_at=datetime.now(UTC))  # no longer counts
    for number, person in enumerate(people, start=1):
        db.session.add(
            Placement(
                study_id=study.id, slot_id=first.id, volunteer_id=person.id, status="accepted", pseudonym=f"P{number}"
            )
        )
    first.status = "confirmed"
    db.session.commit()
    [item], total = studies_progress(now=NOW)
    assert total == 1 and item.study.title == "Spring groups"
    assert item.facts.volunteers == 3 and item.facts.volunteers_needed == 15  # 2 groups of 6, 3 reserves
    assert [(s.id, s.status, s.placed) for s in item.facts.slots] == [
        (first.id, "confirmed", 3),
        (second.id, "candidate", 0),
    ]
    assert item.next_session == first.starts_at.replace(tzinfo=UTC)
    assert item.step.endpoint == "focus_groups.recruit"


def test_the_organisers_home_shows_each_studys_next_step(client, signed_in, make_study):
    study = make_study(slots=2, title="Spring groups")
    signed_in("organiser")
    page = page_text(client.get("/"))
    assert "Focus groups" in page and "Spring groups" in page
    assert "Recruit volunteers: 0 of the 15 needed so far." in page
    assert f'href="/focus-groups/{study.id}/recruit"' in page
    assert 'href="/focus-groups/"' in page  # every study


def test_the_organisers_home_without_studies_says_so(client, signed_in):
    signed_in("organiser")
    assert "There are no focus-group studies yet." in page_text(client.get("/"))


@pytest.fixture
def sessions(make_study, make_user):
    """A facilitator's sessions: two coming (one as note-taker), one held without complete notes, one held
    with its notes complete; and a candidate slot and someone else's session, which are not theirs."""
    facilitator, other = make_user("facilitator", name="Fran Facilitator"), make_user("facilitator")
    study = make_study(slots=6, title="Spring groups")
    coming, noting, held, done, candidate, elsewhere = study.slots
    for item in (coming, noting, held, done, elsewhere):
        item.status = "confirmed"
    coming.facilitator_id = held.facilitator_id = done.facilitator_id = candidate.facilitator_id = facilitator.id
    noting.note_taker_id = facilitator.id
    elsewhere.facilitator_id = other.id
    held.starts_at = datetime.now(UTC) - timedelta(days=2)
    done.starts_at = datetime.now(UTC) - timedelta(days=3)
    db.session.add(SessionNotes(slot_id=done.id, completed_at=datetime.now(UTC)))
    db.session.commit()
    return facilitator, coming, noting, held


def test_a_facilitators_sessions_are_the_coming_ones_and_those_with_notes_to_finish(app, sessions):
    facilitator, coming, noting, held = sessions
    upcoming, unfinished = staff_sessions(facilitator)
    assert [(item.slot.id, item.part) for item in upcoming] == [(coming.id, "Facilitator"), (noting.id, "Note-taker")]
    assert [item.slot.id for item in unfinished] == [held.id]


def test_a_session_under_way_is_still_coming(app, sessions):
    facilitator, coming, _, _ = sessions
    under_way = coming.starts_at.replace(tzinfo=UTC) + timedelta(minutes=30)
    upcoming, _ = staff_sessions(facilitator, now=under_way)
    assert upcoming[0].slot.id == coming.id


def test_the_facilitators_home_leads_straight_to_each_sessions_notes(client, sessions):
    from tests.conftest import sign_in

    facilitator, coming, noting, held = sessions
    sign_in(client, facilitator.email)
    page = page_text(client.get("/"))
    assert "Your sessions" in page
    assert "Monday 1 March 2055, 10:00am to 11:30am (UK time)" in page
    assert "https://meet.example.org/1" in page and "Spring groups" in page
    for item in (coming, noting):
        assert f'href="/focus-groups/sessions/{item.id}/notes"' in page
    assert "Notes to finish" in page and f'href="/focus-groups/sessions/{held.id}/notes"' in page
    assert 'href="/focus-groups/sessions"' in page  # all their sessions


def test_a_facilitator_without_sessions_is_told_so(client, signed_in):
    signed_in("facilitator")
    page = page_text(client.get("/"))
    assert "No sessions scheduled for you yet." in page
    assert 'href="/focus-groups/sessions"' in page
