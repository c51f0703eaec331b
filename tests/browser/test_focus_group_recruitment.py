"""In a real browser: volunteering for a focus group on a small phone, and the organisers' pool dashboard.

The study is made here in the live server's database, so the test does not depend on the demo data.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.focus_groups.models import Volunteer
from app.focus_groups.studies.services import add_slot, create_study
from app.organisations.models import Organisation
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 320


def make_study(app: Flask) -> tuple[int, int, str]:
    """A recruiting study with two candidate slots, and an organisation to volunteer from."""
    token = uuid.uuid4().hex[:8]
    with app.app_context():
        study = create_study(f"Who are our users? ({token})")
        add_slot(study, datetime(2055, 3, 2, 10, 0, tzinfo=UTC), location="https://meet.example.org/a")
        add_slot(
            study, datetime(2055, 6, 8, 13, 0, tzinfo=UTC), location="Socitm, 1 High Street, Northampton", online=False
        )
        organisation = Organisation(name=f"Borough Council {token}", region="north-west", council_type="unitary")
        db.session.add(organisation)
        db.session.commit()
        return study.id, organisation.id, token


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways at {PHONE_WIDTH}px: the page is {width}px wide"


def slot_group(page: Page, label: str):
    return page.get_by_role("group", name=re.compile(rf"^{label}:"))


def test_a_visitor_volunteers_on_a_phone(mobile_page: Page, live_app: Flask):
    page = mobile_page
    study_id, organisation_id, token = make_study(live_app)
    page.goto(f"/focus-groups/{study_id}/volunteer?organisation={organisation_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer for a focus group")
    expect(page.get_by_label("Organisation")).to_have_value(str(organisation_id))
    expect(page.get_by_label("Region")).to_have_value("north-west")
    expect(slot_group(page, "Slot 1")).to_contain_text("Tuesday 2 March 2055, 10:00am to 11:30am (Online)")
    expect(slot_group(page, "Slot 2")).to_contain_text("Tuesday 8 June 2055, 2:00pm to 3:30pm")  # BST
    assert_no_axe_violations(page)
    no_sideways_scroll(page)

    page.get_by_label("Full name").fill("Pat Volunteer")
    page.get_by_label("Email address").fill(f"pat.{token}@council.example")
    page.get_by_role("button", name="Send").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter your job role")
    expect(summary).to_contain_text("Select whether you can attend Slot 1")
    expect(summary).to_contain_text("Confirm that you agree to take part on these terms")
    expect(page.get_by_label("Full name")).to_have_value("Pat Volunteer")  # input kept
    assert_no_axe_violations(page)
    no_sideways_scroll(page)

    page.get_by_label("Job role").fill("ICT service manager")
    page.get_by_role("group", name=re.compile("support schools")).get_by_role("radio", name="Yes").check()
    slot_group(page, "Slot 1").get_by_role("radio", name="Yes", exact=True).check()
    slot_group(page, "Slot 2").get_by_role("radio", name="If need be").check()
    page.get_by_label("Access needs (optional)").fill("Captions, please")
    page.get_by_label("I agree to take part on these terms").check()
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for volunteering")
    # The same page whether or not the address had volunteered: the withdrawal link goes by email only.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_no_axe_violations(page)
    no_sideways_scroll(page)
    with live_app.app_context():
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.email == f"pat.{token}@council.example"))
        assert volunteer.study_id == study_id and volunteer.consent_version and not volunteer.audio_consent
        assert [row.answer for row in sorted(volunteer.availability, key=lambda r: r.slot_id)] == ["yes", "if_need_be"]
        db.session.remove()


def test_organisers_read_the_pool(page: Page, live_app: Flask):
    study_id, organisation_id, token = make_study(live_app)
    page.goto(f"/focus-groups/{study_id}/volunteer?organisation={organisation_id}")
    page.get_by_label("Full name").fill("Sam Volunteer")
    page.get_by_label("Email address").fill(f"sam.{token}@council.example")
    page.get_by_label("Job role").fill("Head of digital")
    page.get_by_role("group", name=re.compile("support schools")).get_by_role("radio", name="No").check()
    slot_group(page, "Slot 1").get_by_role("radio", name="No", exact=True).check()
    slot_group(page, "Slot 2").get_by_role("radio", name="Yes", exact=True).check()
    page.get_by_label("I agree to take part on these terms").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for volunteering")

    page.context.clear_cookies()
    sign_in(page, "organiser")
    page.goto(f"/focus-groups/{study_id}/pool")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer pool")
    matrix = page.locator("#pool-matrix")
    expect(matrix.get_by_role("row", name=re.compile("^North West"))).to_contain_text("1")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Sam Volunteer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Volunteer")
    assert_no_axe_violations(page)
