"""Calendar UIDs are fixed by configuration: a development copy reached on localhost one day and on
127.0.0.1 the next sends the same UID for the same session, so a calendar holds one event, not two."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from app.email.sender import base_url
from app.focus_groups.scheduling.emails import session_event
from app.focus_groups.scheduling.ical import invitation_calendar
from config import DEFAULT_ICS_UID_DOMAIN, ics_uid_domain


@pytest.fixture
def config_overrides():
    # A development copy without APP_BASE_URL: links follow the address it is served on.
    return {"APP_BASE_URL_FOLLOWS_REQUEST": True, "APP_BASE_URL": "http://127.0.0.1:5000"}


def uid_sent_from(app, placement, where: str) -> str:
    with app.test_request_context("/", base_url=where):
        assert base_url() == where  # the links do follow the address ...
        (entry,) = Calendar.from_ical(invitation_calendar(session_event(placement))).events
    return str(entry["UID"])


def test_the_uid_is_the_same_whatever_address_the_app_was_reached_on(app, group):
    _, slot, participants, _ = group
    placement = participants[0]
    uids = {uid_sent_from(app, placement, where) for where in ("http://localhost:5000", "http://127.0.0.1:5090")}
    # ... the UID does not.
    assert uids == {f"fg-slot-{slot.id}-volunteer-{placement.volunteer_id}@{DEFAULT_ICS_UID_DOMAIN}"}


def test_the_uid_domain_is_configured_or_app_base_urls_host_or_a_fixed_name(monkeypatch):
    monkeypatch.delenv("ICS_UID_DOMAIN", raising=False)
    monkeypatch.delenv("APP_BASE_URL", raising=False)
    monkeypatch.setenv("APP_SERVED_URL", "http://localhost:5090")  # where `make run` serves: not followed
    assert ics_uid_domain() == "socitm-research"
    monkeypatch.setenv("APP_BASE_URL", "https://Research.Socitm.example:8443/")
    assert ics_uid_domain() == "research.socitm.example"
    monkeypatch.setenv("ICS_UID_DOMAIN", " Calendar.Socitm.example ")
    assert ics_uid_domain() == "calendar.socitm.example"
