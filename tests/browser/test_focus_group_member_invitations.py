"""In a real browser: an organiser invites the members who said yes to focus groups in the survey (the demo data
has some), on a phone, choosing, confirming and sending once."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.studies.services import create_study
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 320


def test_an_organiser_invites_the_members_who_said_yes(mobile_page: Page, live_app: Flask):
    page = mobile_page
    with live_app.app_context():
        study = create_study(f"Who are our users? ({uuid.uuid4().hex[:8]})")
        db.session.commit()
        study_id, subject = study.id, f"Take part in a focus group: {study.title}"
    sign_in(page, "organiser")
    page.goto(f"/focus-groups/{study_id}/pool")
    page.get_by_role("button", name="Members who asked to hear about focus groups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members who asked to hear about focus groups")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert_no_axe_violations(page)
    boxes = page.get_by_role("group", name="Who to invite").get_by_role("checkbox")
    count = boxes.count()
    assert count >= 2, "the demo data has members who said yes"
    for n in range(count):
        expect(boxes.nth(n)).to_be_checked()  # nobody has been invited to this new study
    for n in range(1, count):
        boxes.nth(n).uncheck()
    chosen = boxes.nth(0).evaluate("box => box.labels[0].textContent").split(",")[0].strip()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Invite 1 member to volunteer")
    expect(page.locator("#chosen-members")).to_contain_text(chosen)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Send 1 invitation").click()

    expect(page.get_by_text(f"Invitations sent to 1 member: {chosen}.")).to_be_visible()
    expect(page.locator("#invited-members")).to_contain_text(chosen)
    expect(page.get_by_role("group", name="Who to invite").get_by_role("checkbox")).to_have_count(count - 1)
    with live_app.app_context():
        sent = db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.subject == subject)).all()
    assert len(sent) == 1
