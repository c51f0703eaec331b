"""In a real browser: an analyst reads the themes, opens a theme with unreviewed suggestions counted,
chooses a quote and writes the theme's summary, all without JavaScript needed; the pages are checked by
axe-core and fit a 320 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.browser.test_analysis_review import busiest_theme, demo_study_id, fits_the_screen

pytestmark = pytest.mark.browser


def test_an_analyst_chooses_a_quote_and_writes_a_summary(page: Page, live_app):
    study_id = demo_study_id(live_app)
    theme, _pending = busiest_theme(live_app, study_id)
    sign_in(page, "analyst")
    page.goto(f"/analysis/{study_id}/")
    page.get_by_role("link", name="Themes", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Themes")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Include unreviewed suggestions").click()
    expect(page.locator("h1")).to_contain_text("Includes unreviewed suggestions")
    page.goto(f"/analysis/{study_id}/themes/{theme}?suggestions=1")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Choose").first.click()
    expect(page.get_by_text("The quote is chosen.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove quote 1 from the chosen ones")).to_be_visible()
    # The demo data writes a summary of every theme, so this one is edited into its next version.
    page.get_by_role("link", name="Edit the summary").click()
    assert_no_axe_violations(page)
    editing = page.get_by_text(re.compile(r"You are editing version \d+"))
    version = int(re.search(r"You are editing version (\d+)", editing.inner_text()).group(1))
    page.get_by_label("Summary of the theme").fill("The theme comes up in most sessions.")
    page.get_by_role("button", name="Save the summary").click()
    expect(page.get_by_text(f"The summary is saved as version {version + 1}.")).to_be_visible()
    expect(page.get_by_text("The theme comes up in most sessions.")).to_be_visible()


def test_the_theme_pages_fit_a_phone(mobile_page: Page, live_app):
    study_id = demo_study_id(live_app)
    theme, _pending = busiest_theme(live_app, study_id)
    sign_in(mobile_page, "analyst")
    for path in (
        f"/analysis/{study_id}/themes?suggestions=1",
        f"/analysis/{study_id}/themes/{theme}?suggestions=1",
        f"/analysis/{study_id}/themes/{theme}/summary",
        f"/analysis/{study_id}/themes/{theme}/history",
    ):
        mobile_page.goto(path)
        expect(mobile_page.locator("h1")).to_be_visible()
        assert fits_the_screen(mobile_page), f"{path} is wider than a 320 px phone"
        assert_no_axe_violations(mobile_page)
