"""In a real browser: each role's home page says what needs doing now, fits a 320 px phone, passes axe, and
every link on it leads to a page."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROLES, assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

# What each demo account's home shows under its headings (the demo data: app/demo.py).
EXPECTED = {
    "member": ("Your organisation's survey", "Delivery of ICT services to schools"),
    "organiser": ("Focus groups", "Next step"),
    "facilitator": ("Your sessions", "Take notes"),
    "analyst": ("Analysis", "Awaiting review"),
    "admin": ("Administration", "Invitations not yet accepted"),
}


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_home_fits_a_phone_and_is_accessible(mobile_page: Page, role: str):
    sign_in(mobile_page, role)
    heading, detail = EXPECTED[role]
    expect(mobile_page.get_by_role("heading", level=2, name=heading, exact=True)).to_be_visible()
    expect(mobile_page.get_by_role("main")).to_contain_text(detail)
    expect(mobile_page.get_by_role("heading", level=2, name="Your account")).to_be_visible()
    assert fits_the_screen(mobile_page), f"the {role}'s home scrolls sideways at 320px"
    assert_no_axe_violations(mobile_page)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_each_roles_home_leads_to_a_page(page: Page, role: str):
    sign_in(page, role)
    assert_no_axe_violations(page)
    hrefs = (
        page.get_by_role("main").locator("a[href^='/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    )
    assert hrefs, f"the {role}'s home has no links"
    for href in dict.fromkeys(hrefs):
        response = page.request.get(urljoin(page.url, href), max_redirects=0)
        assert response.status < 400, f"{href} on the {role}'s home answers {response.status}"


def test_the_facilitator_goes_from_home_straight_to_the_notes_console(mobile_page: Page):
    sign_in(mobile_page, "facilitator")
    mobile_page.get_by_role("button", name="Take notes").first.click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Notes")
