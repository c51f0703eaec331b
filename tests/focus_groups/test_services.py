"""Helpers shared by the focus-group pages (focus_groups/services.py): how a study's sessions run, worded
once from its slots for the volunteer form and the recruitment email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.focus_groups.models import Slot
from app.focus_groups.recruitment.invitations import send_recruitment_invitations
from app.focus_groups.services import how_sessions_run
from app.focus_groups.studies.services import add_slot
from tests.conftest import page_text, text_part

START = datetime(2055, 3, 1, 10, 0, tzinfo=UTC)


def _slot(minutes: int = 90, online: bool = True, location: str = "https://meet.example.org/1") -> Slot:
    return Slot(starts_at=START, duration_minutes=minutes, online=online, location=location)


def test_how_sessions_run_comes_from_the_slots():
    assert how_sessions_run([]) == ""
    assert how_sessions_run([_slot(), _slot()]) == "Each session lasts about 90 minutes. All are online."
    assert how_sessions_run([_slot(60)]) == "Each session lasts about 60 minutes. It is online."
    mixed = [_slot(), _slot(), _slot(), _slot(online=False, location="Civic Offices, Swindon")]
    assert how_sessions_run(mixed) == (
        "Each session lasts about 90 minutes. 3 are online and 1 is in person, at Civic Offices, Swindon."
    )
    venues = [_slot(60, online=False, location="Leeds"), _slot(120, online=False, location="Bristol")]
    assert how_sessions_run(venues) == (
        "Sessions last between 60 and 120 minutes. All are in person, at the venue given for each."
    )


def test_the_volunteer_form_and_recruitment_email_say_what_the_slots_say(
    client, make_study, make_organisation, mailbox
):
    study = make_study(slots=2)
    add_slot(study, START + timedelta(weeks=3), location="Civic Offices, Swindon", online=False)
    db.session.commit()
    said = "Each session lasts about 90 minutes. 2 are online and 1 is in person, at Civic Offices, Swindon."
    page = page_text(client.get(f"/focus-groups/{study.id}/volunteer"))
    assert said in page and "about an hour" not in page
    assert "In person at Civic Offices, Swindon" in page
    org = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    send_recruitment_invitations(study, [org.id])
    email = text_part(mailbox[0])
    assert said in " ".join(email.split())
    assert "in person at Civic Offices, Swindon" in email
