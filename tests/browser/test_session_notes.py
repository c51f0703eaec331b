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
from app.focus_groups.models import Placement, Slot
from app.focus_groups.notes.models import Note, SessionNotes
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
    page.wait_for_load_state()  # notes.mjs runs once the page is parsed: keys pressed before it would be lost


def test_the_console_saves_on_enter_with_shortcuts_and_is_accessible(page: Page, live_app):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    # At desktop width the discussion guide is open beside the note box.
    expect(page.locator("#discussion-guide")).to_have_attribute("open", "")
    expect(page.get_by_role("heading", name=re.compile(r"^1\. "))).to_be_visible()
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
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.endsWith('-draft'))")

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
        expect(page.get_by_label("Observation", exact=True)).to_be_checked()  # the next note is not a quote
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
    # The note box comes first; the long discussion guide follows it, folded until opened.
    note_top = mobile_page.get_by_label("Note", exact=True).bounding_box()["y"]
    guide = mobile_page.get_by_text(re.compile(r"^Discussion guide \(\d+ questions\)$"))
    assert guide.bounding_box()["y"] > note_top
    first_question = mobile_page.get_by_role("heading", name=re.compile(r"^1\. "))
    expect(first_question).to_be_hidden()
    guide.click()
    expect(first_question).to_be_visible()
    assert mobile_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(mobile_page)
    mobile_page.get_by_role("link", name="Proportion of users").click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Proportion of users in each category")
    assert mobile_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_axe_violations(mobile_page)


def test_the_proportion_grid_shows_every_column_at_desktop_width(page: Page, live_app):
    sign_in(page, "facilitator")
    page.goto(f"/focus-groups/sessions/{demo_session_id(live_app)}/proportions")
    grid = page.get_by_role("region", name="Share of each participant's ICT users (%)")
    assert grid.evaluate("region => region.scrollWidth <= region.clientWidth"), "the grid scrolls at 1280 px"
    expect(page.get_by_role("columnheader", name="Total")).to_be_in_viewport()


def demo_user_id(live_app, email: str) -> int:
    with live_app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.remove()
    return user_id


def test_a_note_is_sent_once_when_the_browser_refuses_to_store_anything(page: Page, live_app):
    slot_id = demo_session_id(live_app)
    page.add_init_script(
        "Storage.prototype.setItem = function () { throw new DOMException('Full', 'QuotaExceededError'); };"
    )
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    note = page.get_by_label("Note", exact=True)
    note.fill(f"Stored nowhere locally {marker}")
    note.press("Enter")
    expect(page.locator("#note-status")).to_contain_text("Saved")
    expect(page.locator("#note-status")).to_contain_text("This browser is not keeping a copy")
    expect(note).to_have_value("")
    expect(page.locator("#notes-list").get_by_text(f"Stored nowhere locally {marker}")).to_have_count(1)
    assert stored_notes(live_app, slot_id, marker) == [(f"Stored nowhere locally {marker}", [], None)]


def test_a_note_the_server_keeps_refusing_is_set_aside_to_copy_and_the_composer_is_left_alone(
    page: Page, live_app, browser_errors
):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    refused = re.compile(rf".*/sessions/{slot_id}/notes/new$")
    page.route(refused, lambda route: route.fulfill(status=413, body="Too large", content_type="text/plain"))
    note = page.get_by_label("Note", exact=True)
    note.fill(f"Refused note {marker}")
    note.press("Enter")
    note.fill(f"Next note in progress {marker}")
    page.keyboard.press("Alt+Shift+Digit2")
    unsent = page.locator("#unsent-notes")
    expect(unsent).to_be_visible(timeout=20_000)
    expect(unsent).to_contain_text("the server refused it (error 413) 3 times")
    expect(unsent.get_by_label("Note 1 (select and copy it)")).to_have_value(f"Refused note {marker}")
    expect(note).to_have_value(f"Next note in progress {marker}")  # the composer is not overwritten
    expect(page.get_by_label(re.compile(r"^P2 "))).to_be_checked()
    page.unroute(refused)
    page.get_by_role("button", name="Send note 1 again").click()
    expect(page.locator("#notes-list")).to_contain_text(f"Refused note {marker}")
    expect(unsent).to_be_hidden()
    assert [t for t, _, _ in stored_notes(live_app, slot_id, marker)] == [f"Refused note {marker}"]
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_an_expired_page_asks_for_a_reload_and_keeps_the_note(page: Page, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    expired = re.compile(rf".*/sessions/{slot_id}/notes/new$")
    page.route(expired, lambda route: route.fulfill(status=400, json={"error": "Bad request"}))
    note = page.get_by_label("Note", exact=True)
    note.fill(f"Waiting for a reload {marker}")
    note.press("Enter")
    expect(page.locator("#note-status")).to_contain_text("reload the page")
    page.unroute(expired)
    page.reload()  # the waiting note goes (the retry timer may have sent it just before the reload)
    expect(page.locator("#notes-list")).to_contain_text(f"Waiting for a reload {marker}")
    assert [t for t, _, _ in stored_notes(live_app, slot_id, marker)] == [f"Waiting for a reload {marker}"]
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_notes_stranded_by_the_lock_are_shown_for_copying(page: Page, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    blocked = re.compile(rf".*/sessions/{slot_id}/notes/new$")
    page.route(blocked, lambda route: route.abort())
    note = page.get_by_label("Note", exact=True)
    note.fill(f"Stranded note {marker}")
    note.press("Enter")
    expect(page.locator("#note-status")).to_have_text("Offline — 1 note waiting")
    note.fill(f"Stranded draft {marker}")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.endsWith('-draft'))")
    page.get_by_role("button", name="Mark notes complete").click()
    try:
        expect(page.get_by_role("heading", name="Notes complete")).to_be_visible()
        unsent = page.locator("#unsent-notes")
        expect(unsent).to_be_visible()
        expect(unsent.get_by_label("Note 1 (select and copy it)")).to_have_value(f"Stranded note {marker}")
        expect(unsent.get_by_label("Note 2 (select and copy it)")).to_have_value(f"Stranded draft {marker}")
        expect(unsent).to_contain_text("the notes are marked complete")
        page.reload()  # still there
        expect(unsent.get_by_label("Note 1 (select and copy it)")).to_have_value(f"Stranded note {marker}")
    finally:
        with live_app.app_context():
            state = db.session.get(SessionNotes, slot_id)
            state.completed_at = state.completed_by_id = None
            db.session.commit()
            db.session.remove()
    assert stored_notes(live_app, slot_id, marker) == []
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_notes_waiting_in_the_browser_belong_to_the_person_who_typed_them(page: Page, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    blocked = re.compile(rf".*/sessions/{slot_id}/notes/new$")
    page.route(blocked, lambda route: route.abort())
    note = page.get_by_label("Note", exact=True)
    note.fill(f"The facilitator's note {marker}")
    note.press("Enter")
    expect(page.locator("#note-status")).to_have_text("Offline — 1 note waiting")
    facilitator_id = demo_user_id(live_app, "facilitator@demo.example")
    keys = page.evaluate("() => Object.keys(localStorage)")
    assert f"socitm-notes-{facilitator_id}-{slot_id}-outbox" in keys
    page.context.clear_cookies()  # still blocked: the console's retry timer cannot send it as the facilitator now
    sign_in(page, "organiser")  # the same browser, someone else
    page.goto(f"/focus-groups/sessions/{slot_id}/notes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notes")
    expect(page.locator("#note-status")).to_have_text("")
    assert stored_notes(live_app, slot_id, marker) == []  # not sent as the organiser
    page.context.clear_cookies()
    page.unroute(blocked)
    open_console(page, slot_id)  # the facilitator again: their note goes now
    expect(page.locator("#notes-list")).to_contain_text(f"The facilitator's note {marker}")
    with live_app.app_context():
        created_by = db.session.scalar(select(Note.created_by_id).where(Note.text.contains(marker)))
        db.session.remove()
    assert created_by == facilitator_id
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_alt_shift_n_chooses_the_participant_with_that_pseudonym(page: Page, live_app):
    slot_id = demo_session_id(live_app)
    with live_app.app_context():
        first = db.session.scalar(select(Placement).where(Placement.slot_id == slot_id, Placement.pseudonym == "P1"))
        first_id, status = first.id, first.status
        first.status = "declined"  # the list now starts at P2
        db.session.commit()
        db.session.remove()
    try:
        open_console(page, slot_id)
        page.get_by_label("Note", exact=True).click()
        page.keyboard.press("Alt+Shift+Digit2")
        expect(page.locator("#note-status")).to_have_text("P2 chosen")
        expect(page.locator('input[name="participants"][value="P2"]')).to_be_checked()
        expect(page.locator('input[name="participants"][value="P3"]')).not_to_be_checked()
    finally:
        with live_app.app_context():
            db.session.get(Placement, first_id).status = status
            db.session.commit()
            db.session.remove()


def type_a_note_offline(page: Page, slot_id: int, text: str) -> re.Pattern:
    """Cut the console off from the server, save a note, and return what is blocked (to unroute)."""
    blocked = re.compile(rf".*/sessions/{slot_id}/notes/new$")
    page.route(blocked, lambda route: route.abort())
    note = page.get_by_label("Note", exact=True)
    note.fill(text)
    note.press("Enter")
    return blocked


def sign_out_answering(page: Page, accept: bool) -> list[str]:
    """Press Sign out and answer the question the page asks (if any); returns what it asked."""
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="Sign out").click()
    return asked


def test_signing_out_with_notes_waiting_asks_first_and_keeps_them(page: Page, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    blocked = type_a_note_offline(page, slot_id, f"Typed offline {marker}")
    status = page.locator("#note-status")
    expect(status).to_have_text("Offline — 1 note waiting")

    asked = sign_out_answering(page, accept=False)
    expect(status).to_have_text("Offline — 1 note waiting")  # still here, still signed in
    assert asked and asked[0].startswith("1 session note has not reached the server yet.")
    assert "it stays in this browser, for you only" in asked[0]

    sign_out_answering(page, accept=True)
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert stored_notes(live_app, slot_id, marker) == []

    page.unroute(blocked)  # back online: signing in again and opening the session sends it
    open_console(page, slot_id)
    expect(status).to_have_text("Saved")
    assert [text for text, _, _ in stored_notes(live_app, slot_id, marker)] == [f"Typed offline {marker}"]
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_signing_out_says_when_notes_the_browser_cannot_keep_would_be_lost(page: Page, live_app, browser_errors):
    slot_id = demo_session_id(live_app)
    page.add_init_script(
        "Storage.prototype.setItem = function () { throw new DOMException('Full', 'QuotaExceededError'); };"
    )
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    blocked = type_a_note_offline(page, slot_id, f"Only in this page {marker}")
    status = page.locator("#note-status")
    expect(status).to_contain_text("1 note waiting")

    asked = sign_out_answering(page, accept=False)
    expect(status).to_contain_text("1 note waiting")
    assert asked and "This browser is not keeping a copy: if you sign out now, it is lost." in asked[0]

    page.unroute(blocked)
    expect(status).to_contain_text("Saved")
    assert [text for text, _, _ in stored_notes(live_app, slot_id, marker)] == [f"Only in this page {marker}"]
    assert sign_out_answering(page, accept=False) == []  # nothing waits now: no question, signed out
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    browser_errors[:] = [e for e in browser_errors if "Failed to load resource" not in e]


def test_after_a_quote_is_saved_the_next_note_starts_as_an_observation(page: Page, live_app):
    slot_id = demo_session_id(live_app)
    open_console(page, slot_id)
    marker = secrets.token_hex(3)
    page.get_by_label("Verbatim quote").check()
    note = page.get_by_label("Note", exact=True)
    note.fill(f"It just works {marker}")
    note.press("Enter")
    expect(page.locator("#note-status")).to_have_text("Saved")
    expect(page.locator("#notes-list li").first).to_contain_text("Verbatim quote")
    expect(page.get_by_label("Observation", exact=True)).to_be_checked()
    expect(page.get_by_label("Verbatim quote")).not_to_be_checked()


@pytest.mark.parametrize("width", [320, 1280])
def test_grid_errors_read_as_sentences_on_a_phone_and_a_desktop(browser, live_server, live_app, browser_errors, width):
    page = open_page(browser, live_server, browser_errors, viewport={"width": width, "height": 800})
    try:
        sign_in(page, "facilitator")
        page.goto(f"/focus-groups/sessions/{demo_session_id(live_app)}/proportions")
        page.get_by_label("P1: Pupils (%)").fill("250")
        page.get_by_label("P1: Office-based staff (%)").fill("abc")
        page.get_by_role("button", name="Save proportions").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("P1's share of pupils must be between 0 and 100")
        messages = page.locator(".app-grid-errors .govuk-error-message")
        expect(messages).to_have_count(2)
        for message in messages.all():
            lines = message.evaluate("e => e.offsetHeight / parseFloat(getComputedStyle(e).lineHeight)")
            assert lines <= 4, f"{message.inner_text()!r} wraps onto {lines:.0f} lines at {width} px"
            # ...and each sits inside the grid's own scroll region, so it never widens the page.
            assert message.evaluate("e => !!e.closest('.app-table-scroll')")
        assert_no_axe_violations(page)
    finally:
        page.context.close()
