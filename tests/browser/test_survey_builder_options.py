"""In a real browser, with JavaScript on and with it switched off: an organiser types a choice question's
options as rows, adds one with "Add another option", removes one, fixes a mistake the error summary points
to, and saves by pressing Enter. With scripts on, every state of the page passes axe (axe cannot run
with them off)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.surveys.models import Survey
from tests.browser.conftest import assert_no_axe_violations, open_page, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_an_organiser_adds_removes_and_saves_options(browser, live_server, browser_errors, live_app, javascript):
    page = open_page(browser, live_server, browser_errors, java_script_enabled=javascript)
    try:
        _add_remove_and_save(page, live_app, javascript, f"Options survey {'with' if javascript else 'without'} JS")
    finally:
        page.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)


def _add_remove_and_save(page: Page, live_app, javascript: bool, title: str) -> None:
    check_axe = assert_no_axe_violations if javascript else (lambda page: None)
    sign_in(page, "organiser")
    page.goto("/surveys/manage/new?type=single_choice")
    page.get_by_label("Survey title").fill(title)
    page.get_by_label("First section's title").fill("Devices")
    page.get_by_label("Question id").fill("laptop_scheme")
    page.get_by_label("Question text").fill("Do you run a laptop scheme?")
    page.get_by_label("Option 1 Label", exact=True).fill("Yes")
    page.get_by_label("Option 2 Value", exact=True).fill("no")
    page.get_by_label("Option 2 Label", exact=True).fill("No")
    check_axe(page)

    page.get_by_role("button", name="Add another option").click()
    third = page.get_by_label("Option 3 Value", exact=True)
    expect(third).to_be_focused()  # the new row's first box, without a script
    expect(page.get_by_label("Option 2 Label", exact=True)).to_have_value("No")
    expect(page.get_by_label("Survey title")).to_have_value(title)
    third.fill("Not Sure!")
    page.get_by_label("Option 3 Label", exact=True).fill("Not sure")
    page.get_by_label("Option 3 Hint (optional)", exact=True).fill("We are deciding this year")
    page.get_by_role("button", name="Add another option").click()
    page.get_by_label("Option 4 Label", exact=True).fill("Thrown away")
    page.get_by_role("button", name="Remove option 4").click()
    expect(page.get_by_label("Option 4 Label", exact=True)).to_have_count(0)
    with live_app.app_context():
        assert db.session.scalar(select(Survey).where(Survey.title == title)) is None

    page.get_by_role("button", name="Save to the draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Option 3: the value must start with a lower-case letter")
    check_axe(page)
    summary.get_by_role("link").first.click()
    value = page.get_by_label("Option 3 Value", exact=True)
    if javascript:  # GOV.UK Frontend's error summary moves focus to the field itself
        expect(value).to_be_focused()
    else:
        expect(page).to_have_url(re.compile("#option-3-value$"))
    expect(value).to_have_value("Not Sure!")
    value.fill("not-sure")
    value.press("Enter")  # the form's default button saves; it does not remove the first option

    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_role("main")).to_contain_text(f"Draft survey '{title}' created")
    with live_app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.title == title))
        question = survey.draft["sections"][0]["pages"][0]["questions"][0]
        assert question["options"] == [
            {"value": "yes", "label": "Yes"},
            {"value": "no", "label": "No"},
            {"value": "not-sure", "label": "Not sure", "hint": "We are deciding this year"},
        ]
        db.session.remove()
