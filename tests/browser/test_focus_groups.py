"""In a real browser: an organiser sets up the focus-group study and plans the groups.

The demo data holds the "Who are our users?" study with its volunteers, one confirmed group and one
proposed; other browser tests may add volunteers, so counts are read from the pages, never assumed.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser


def open_demo_study(page: Page) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Focus groups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Focus groups")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Who are our users?").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who are our users?")


def test_an_organiser_adds_a_slot_and_a_guide_question(page: Page):
    sign_in(page, "organiser")
    open_demo_study(page)
    expect(page.get_by_text("What is a user?")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Add a slot").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date, including a day, month and year")
    assert_no_axe_violations(page)
    page.get_by_label("Day").fill("14")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2030")
    page.get_by_label("Start time").fill("9:30am")
    page.get_by_label("Meeting link or venue address").fill("https://meet.socitm.example/extra")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Slot added.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"Tue 14 May 2030, 9:30am"))).to_be_visible()

    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("Question").fill("What would make benchmarking fairer?")
    page.get_by_label("Prompts (optional)").fill("Per pupil?\nPer device?")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Question added to the guide.")).to_be_visible()
    expect(page.get_by_text("What would make benchmarking fairer?")).to_be_visible()


def test_an_organiser_proposes_groups_and_reads_the_explanation(page: Page):
    sign_in(page, "organiser")
    open_demo_study(page)
    page.get_by_role("button", name="Plan the groups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan the groups")
    expect(page.get_by_text("Confirmed").first).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name=re.compile(r"Propose groups")).click()
    expect(page.get_by_text(re.compile(r"1 group proposed: the best possible under the rules"))).to_be_visible()
    expect(page.get_by_text("Council types").first).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"Not in a group \(\d+\)"))).to_be_visible()
    assert_no_axe_violations(page)
