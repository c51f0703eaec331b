"""In a real browser: the demo facilitator takes notes in the console of their confirmed session,
with keyboard shortcuts, through a network drop (notes wait in the browser and arrive once each),
and without JavaScript."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.focus_groups.models import Slot
from app.focus_groups.notes_models import Note
from tests.browser.conftest import assert_no_axe_violations, open_page, sign_in

pytestmark = pytest.mark.browser


def demo_session_id(live_app) -> int:
    with live_app.app_context():
        facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.example"))
        slot_id = db.session.scalar(
            select(Slot.id).where(Slot.facilitator_id == facilitator.id, Slot.status == "confirmed").order_by(Slot.id)
        )
        db.session.remove()
    return slot_id


def stored_notes(live_app, slot_id: int, marker: str) -> list[Note]:
    with live_app.app_context():
        notes = db.session.scalars(select(Note).where(Note.slot_id == slot_id, Note.text.contains(marker))).all()
        found = [(n.text, list(n.pseudonyms), n.guide_question.position if n.guide_question else None) for n in notes]
        db.session.remove()
    return found


def open_console(page: Page, slot_id: int) -> None:
    sign_in(page, "facilitator")
    page.goto("/focus-groups/sessions")
    page.locator(f'a[href="/focus-groups/sessions/{slot_id}"]').click()
    page.get_by_role("button", name="Take notes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notes")


def test_the_console_saves_on_enter_with_shortcuts_and_is_accessible(page: Page, live_app):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    expect(page.get_by_role("heading", name="Discussion guide")).to_be_visible()
    assert_no_axe_violations(page)
    marker = secrets.token_hex(3)
    note = page.get_by_label("Note", exact=True)
    note.click()
    page.keyboard.press("Alt+Digit2")  # the second guide question
    page.keyboard.press("Alt+Shift+Digit1")  # P1
    note.fill(f"Pupils are users {marker}")
    note.press("Enter")
    expect(page.locator("#note-status")).to_have_text("Saved")
    expect(page.locator("#notes-list li").first).to_contain_text(f"Pupils are users {marker}")
    expect(note).to_have_value("")
    expect(page.get_by_label(re.compile(r"^2\. Our current definition"))).to_be_checked()  # the section stays
    assert stored_notes(live_app, slot_id, marker) == [(f"Pupils are users {marker}", ["P1"], 2)]
    assert_no_axe_violations(page)


def test_notes_typed_offline_wait_in_the_browser_and_arrive_once_each(page: Page, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    blocked = re.compile(rf".*/sessions/{slot_id}/notes/new$")
    page.route(blocked, lambda route: route.abort())
    note = page.get_by_label("Note", exact=True)
    for n in range(1, 4):
        note.fill(f"Offline note {n} {marker}")
        note.press("Enter")
    status = page.locator("#note-status")
    expect(status).to_have_text("Offline — 3 notes waiting")
    assert stored_notes(live_app, slot_id, marker) == []

    page.reload()  # the outbox lives in localStorage: a reload (or a crash) loses nothing
    expect(status).to_have_text("Offline — 3 notes waiting")
    note.fill(f"Draft kept {marker}")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('socitm-notes-draft-'))")

    page.unroute(blocked)
    expect(status).to_have_text("Saved")
    for n in range(1, 4):
        expect(page.locator("#notes-list")).to_contain_text(f"Offline note {n} {marker}")
    texts = sorted(text for text, _, _ in stored_notes(live_app, slot_id, marker))
    assert texts == [f"Offline note {n} {marker}" for n in range(1, 4)]  # once each
    page.reload()
    expect(page.get_by_label("Note", exact=True)).to_have_value(f"Draft kept {marker}")  # the unsent draft
    expect(page.locator("#notes-list").get_by_text(f"Offline note 1 {marker}")).to_have_count(1)
    # The aborted requests were logged by the browser as failed loads: expected here, so not a problem.
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_without_javascript_a_plain_form_post_saves_the_note(browser, live_server, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    page = open_page(browser, live_server, browser_errors, java_script_enabled=False)
    try:
        open_console(page, slot_id)
        marker = secrets.token_hex(3)
        page.get_by_label("Note", exact=True).fill(f"Without script {marker}")
        page.get_by_label(re.compile(r"^3\. The approximate proportion")).check()
        page.get_by_label("Verbatim quote").check()
        page.get_by_role("button", name="Save note").click()
        expect(page.get_by_text("Note saved.")).to_be_visible()
        expect(page.get_by_label(re.compile(r"^3\. The approximate proportion"))).to_be_checked()
        assert stored_notes(live_app, slot_id, marker) == [(f"Without script {marker}", [], 3)]
        page.get_by_role("button", name="Save note").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the note")
    finally:
        page.context.close()
    assert not browser_errors, browser_errors


def test_the_console_and_the_proportion_grid_work_on_a_phone(mobile_page: Page, live_app):
    sign_in(mobile_page, "facilitator")
    mobile_page.goto(f"/focus-groups/sessions/{demo_session_id(live_app)}")
    mobile_page.get_by_role("button", name="Take notes").click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Notes")
    assert_no_axe_violations(mobile_page)
    mobile_page.get_by_role("link", name="Proportion of users").click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Proportion of users in each category")
    assert_no_axe_violations(mobile_page)
