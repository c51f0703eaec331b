"""In a real browser: an admin reads a focus-group invitation in the outbox, sees its calendar file listed
and downloads it, on a desktop and on a 320 px phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.focus_groups.scheduling.ical import REQUEST_CONTENT_TYPE
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def invitation_in_the_outbox(app: Flask) -> int:
    from app.auth.models import User
    from app.email.sender import send_email

    with app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == "analyst@demo.example"))
        record = send_email(
            "volunteer@kent.example",
            "Invitation: Socitm focus group on 3 March",
            "invitation",
            [("socitm-focus-group.ics", REQUEST_CONTENT_TYPE, CALENDAR)],
            user=person,
            invited_by=None,
            link="http://127.0.0.1/x",
            hours=72,
        )
        db.session.commit()
        message_id = record.id
        db.session.remove()
    return message_id


@pytest.mark.parametrize("viewport", ["page", "mobile_page"])
def test_an_admin_sees_and_downloads_an_invitation_s_calendar_file(request, live_app: Flask, viewport: str):
    page: Page = request.getfixturevalue(viewport)
    message_id = invitation_in_the_outbox(live_app)
    sign_in(page, "admin")
    page.goto(f"/admin/outbox/{message_id}")
    expect(page.get_by_role("heading", name="Attachments")).to_be_visible()
    expect(page.get_by_text(f"Calendar file (text/calendar), {len(CALENDAR)} bytes")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download socitm-focus-group.ics").click()
    assert download.value.suggested_filename == "socitm-focus-group.ics"
    assert Path(download.value.path()).read_bytes() == CALENDAR
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(page)
