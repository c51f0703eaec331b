"""In a real browser: the GOV.UK Design System finish around the main journeys.

The phase banner and the footer's help and contact details on every page; the survey's Back button
looking and behaving as a GOV.UK back link; a page of several questions headed by its own title; full-size
radios and checkboxes throughout the survey; the users grid's total clear of the last field; the results
page's headings in order of size and its chart labels legible on a desktop and on a phone; and the survey
dashboard's buttons in line. axe-core checks a survey question page and the results page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, sign_in, sign_in_as
from tests.browser.test_survey_journeys import create_organisation

pytestmark = pytest.mark.browser

SLUG = "schools-ict"
SURVEY_TITLE = "Delivery of ICT services to schools"
SETTINGS = "Which types of education setting do you provide ICT services to?"
FOCUS_YELLOW = "rgb(255, 221, 0)"


def style(page: Page, selector: str, prop: str, pseudo: str | None = None) -> str:
    """The computed value of a CSS property on the first element matching `selector`."""
    return page.eval_on_selector(
        selector, "(el, [prop, pseudo]) => getComputedStyle(el, pseudo).getPropertyValue(prop)", [prop, pseudo]
    )


def start_answering(page: Page, live_app) -> None:
    """A member of a new organisation starts the survey and says it provides services to schools."""
    organisation = create_organisation(live_app, members=("Fay Furniture",))
    sign_in_as(page, organisation.members[0].email)
    page.goto(f"/surveys/{SLUG}/")
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(rf"/surveys/{SLUG}/questions/provides"))
    page.get_by_role("radio", name="Yes", exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(rf"/surveys/{SLUG}/questions/settings"))  # and loaded: style() reads at once


def test_every_page_has_the_beta_banner_and_help_in_the_footer(page: Page) -> None:
    for path in ["/", "/sign-in", "/contact", "/accessibility", "/privacy"]:
        page.goto(path)
        banner = page.locator(".govuk-phase-banner")
        expect(banner).to_contain_text("Beta")
        expect(banner.get_by_role("link", name="give your feedback by email")).to_have_attribute(
            "href", re.compile(r"^mailto:research@socitm\.example\?subject=")
        )
        footer = page.get_by_role("contentinfo")
        expect(footer.get_by_role("heading", name="Help and contact")).to_be_visible()
        expect(footer.get_by_role("link", name="research@socitm.example")).to_be_visible()
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement for Socitm member research")
    assert_no_axe_violations(page)
    page.get_by_role("contentinfo").get_by_role("link", name="Help and contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help and contact")
    assert_no_axe_violations(page)


def test_the_survey_back_button_is_a_gov_uk_back_link(page: Page, live_app) -> None:
    start_answering(page, live_app)
    back = page.get_by_role("button", name="Back", exact=True)
    # The same font as the rest of the page (not the browser's default serif), one underline, no border.
    body_font = style(page, ".govuk-caption-l", "font-family")
    assert style(page, ".app-back-button", "font-family") == body_font
    assert "serif" not in body_font.replace("sans-serif", "")
    assert style(page, ".app-back-button", "text-decoration-line") == "underline"
    assert style(page, ".app-back-button", "border-bottom-style") == "none"
    assert style(page, ".app-back-button", "font-size") == style(page, ".govuk-back-link", "font-size")
    assert style(page, ".app-back-button", "color") == "rgb(11, 12, 12)"
    # Focus: the GOV.UK yellow, the underline replaced by the thick black bar.
    back.focus()
    assert style(page, ".app-back-button", "background-color") == FOCUS_YELLOW
    assert style(page, ".app-back-button", "text-decoration-line") == "none"
    # And it goes back, keeping what was ticked on this page.
    page.get_by_role("checkbox", name="Special schools").check()
    back.click()
    expect(page).to_have_url(re.compile(rf"/surveys/{SLUG}/questions/provides"))
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("checkbox", name="Special schools")).to_be_checked()


def test_a_page_of_several_questions_has_its_own_heading(page: Page, live_app) -> None:
    start_answering(page, live_app)
    # The section's title is the page's heading; each question is a legend or label, asked once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Services to schools")
    expect(page.locator(".govuk-caption-l")).to_have_text("Section 1 of 5")
    expect(page.get_by_text(SETTINGS, exact=True)).to_have_count(1)
    expect(page.locator("legend", has_text=SETTINGS)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Services to schools – "))
    assert_no_axe_violations(page)


def test_radios_and_checkboxes_are_full_size_throughout_the_survey(page: Page, live_app) -> None:
    start_answering(page, live_app)
    page.get_by_role("checkbox", name="Special schools").check()
    page.get_by_label("About how many schools and other education settings do you support?").fill("12")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("checkbox", name="Connectivity and broadband").check()
    page.get_by_role("button", name="Continue", exact=True).click()
    # The level-of-service grid of radios: the same size as every other radio in the survey.
    expect(page).to_have_url(re.compile(rf"/surveys/{SLUG}/questions/service_level"))
    expect(page.locator(".govuk-radios--small, .govuk-checkboxes--small")).to_have_count(0)
    radio = page.locator(".govuk-radios__input").first.bounding_box()
    assert radio["width"] >= 40 and radio["height"] >= 40, radio
    assert_no_axe_violations(page)


def test_the_users_total_stands_clear_of_the_last_field(page: Page, live_app) -> None:
    organisation = create_organisation(live_app, members=("Tom Total",))
    sign_in_as(page, organisation.members[0].email)
    page.goto(f"/surveys/{SLUG}/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("radio", name="No", exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/surveys/{SLUG}/questions/user_counts"))
    last_field = page.locator(".app-grid-cell").last.bounding_box()
    total = page.locator(".app-grid-total").bounding_box()
    assert total["y"] - (last_field["y"] + last_field["height"]) >= 30, (last_field, total)


@pytest.mark.parametrize("width", [1280, 320])
def test_results_headings_step_down_and_chart_labels_are_legible(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "analyst")
    page.goto(f"/surveys/results/{SLUG}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results: All responding organisations")
    h1 = float(style(page, "h1", "font-size").removesuffix("px"))
    sizes = page.eval_on_selector_all("main h2", "els => els.map(el => parseFloat(getComputedStyle(el).fontSize))")
    assert sizes and max(sizes) < h1, (h1, sizes)
    # Every label and value in every chart is drawn at 14px or more, as it shows on the screen.
    heights = page.eval_on_selector_all(
        "svg.app-chart text",
        "els => els.map(el => parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a)",
    )
    assert heights and min(heights) >= 14, min(heights)
    # No chart label runs past the chart's edge.
    overflow = page.eval_on_selector_all(
        "svg.app-chart",
        """svgs => svgs.flatMap(svg => {
             const box = svg.getBoundingClientRect();
             return [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect())
               .filter(r => r.left < box.left - 1 || r.right > box.right + 1).map(r => [r.left, r.right, box.right]);
           })""",
    )
    assert not overflow, overflow
    assert_no_axe_violations(page)


def test_the_survey_dashboard_buttons_are_in_line(page: Page) -> None:
    sign_in(page, "organiser")
    page.goto(f"/surveys/manage/{SLUG}/")
    invite = page.get_by_role("button", name="Invite organisations").bounding_box()
    remind = page.get_by_role("button", name="Remind non-responders").bounding_box()
    assert abs(invite["y"] - remind["y"]) <= 1 and abs(invite["height"] - remind["height"]) <= 1, (invite, remind)
