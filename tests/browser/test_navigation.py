"""In a real browser: each role's navigation, the sign-in form's errors, signing out, small screens,
and an axe-core accessibility check (WCAG 2.x A and AA) on every page an administrator can reach."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROLES, assert_no_axe_violations, open_page, sign_in

pytestmark = pytest.mark.browser

# The menu each role should see, in order (app/navigation.py).
EXPECTED_MENU = {
    "member": ["Home", "Your surveys", "Your account"],
    "organiser": ["Home", "Surveys", "Results", "Focus groups", "Organisations", "Your account"],
    "facilitator": ["Home", "Your sessions", "Your account"],
    "analyst": ["Home", "Results", "Analysis", "Your account"],
    "lead_analyst": ["Home", "Results", "Analysis", "Your account"],
    "admin": [
        "Home",
        "Surveys",
        "Results",
        "Analysis",
        "Focus groups",
        "Organisations",
        "People",
        "Audit log",
        "Outbox",
        "Your account",
    ],
}

# Every page an administrator can open; {organisation}, {person} and {message} are real ids.
ADMIN_PAGES = [
    "/",
    "/account",
    "/account/password",
    "/privacy",
    "/accessibility",
    "/contact",
    "/organisations/",
    "/organisations/new",
    "/organisations/import",
    "/organisations/{organisation}/edit",
    "/admin/people/",
    "/admin/people/invite",
    "/admin/people/{person}",
    "/admin/people/{person}/edit",
    "/admin/audit/",
    "/admin/outbox/",
    "/admin/outbox/{message}",
    "/admin/privacy/subject-access",
    "/admin/privacy/subject-access/people/{person}",
    "/account/confirm-identity",
    "/account/two-factor/recovery-codes",
]

# Pages for visitors who have not signed in.
PUBLIC_PAGES = ["/", "/sign-in", "/password/forgot", "/privacy", "/accessibility", "/contact"]


def menu(page: Page):
    """The service navigation's links."""
    return page.get_by_role("navigation", name="Menu").get_by_role("link")


def assert_no_horizontal_scrolling(page: Page, width: int) -> None:
    """WCAG 1.4.10 reflow: nothing wider than the viewport."""
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways at {width}px: the page is {scroll_width}px wide"


def _first_id(page: Page, path: str) -> int:
    """The id in the first link of the table on a listing page."""
    page.goto(path)
    href = page.locator("table.govuk-table tbody a").first.get_attribute("href")
    match = re.search(r"/(\d+)(?:/|$)", href or "")
    assert match, f"no numbered link in the first row of {path}: {href!r}"
    return int(match.group(1))


@pytest.fixture(scope="module")
def admin_ids(browser, live_server) -> Iterator[dict[str, int]]:
    """Real ids for the admin pages: the first organisation, person and outbox message.

    The outbox starts empty, so someone is invited through the form first; the invitation email lands
    in the outbox because the app has no SMTP server.
    """
    errors: list[str] = []
    page = open_page(browser, live_server, errors)
    try:
        sign_in(page, "admin")
        page.goto("/admin/people/invite")
        page.get_by_label("Full name").fill("Robin Browser")
        page.get_by_label("Email address").fill("robin.browser@example.org")
        page.get_by_role("checkbox", name="Analyst", exact=True).check()
        page.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_role("alert")).to_contain_text("Invitation sent to robin.browser@example.org")
        yield {
            "organisation": _first_id(page, "/organisations/"),
            "person": _first_id(page, "/admin/people/"),
            "message": _first_id(page, "/admin/outbox/"),
        }
    finally:
        page.context.close()
    assert not errors, "The browser reported problems:\n" + "\n".join(errors)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_own_menu(page, role):
    sign_in(page, role)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(menu(page)).to_have_text(EXPECTED_MENU[role])
    expect(page.get_by_role("link", name="Home", exact=True).first).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_no_axe_violations(page)


def test_visitors_see_the_start_page(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Who are our users?")
    expect(menu(page)).to_have_text(["Sign in"])
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_accessible(page, path):
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
    assert_no_axe_violations(page)


def test_sign_in_errors_are_summarised_and_link_to_their_fields(page):
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    email_error = summary.get_by_role("link", name="Enter your email address")
    password_error = summary.get_by_role("link", name="Enter your password")
    expect(email_error).to_have_attribute("href", "#email")
    expect(password_error).to_have_attribute("href", "#password")
    # Each field shows its own message too, tied to the input for screen readers.
    expect(page.get_by_label("Email address")).to_have_accessible_description(re.compile("Enter your email address"))
    assert_no_axe_violations(page)

    password_error.click()
    expect(page.get_by_label("Password")).to_be_focused()
    email_error.click()
    expect(page.get_by_label("Email address")).to_be_focused()


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(page):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("admin@demo.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct email address and password")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_accessible(page, admin_ids, path):
    sign_in(page, "admin")
    url = path.format(**admin_ids)
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page)


def test_organisation_import_errors_are_accessible(page):
    sign_in(page, "admin")
    page.goto("/organisations/import")
    csv = b"name,region,council_type,contact_email\nGood Council,london,london-borough,\n,nowhere,parish,not-an-email\n"
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[{"name": "organisations.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-errors")).to_be_visible()
    expect(page.locator("#import-errors tbody tr").first).to_contain_text("3")
    assert_no_axe_violations(page)


def test_sign_in_and_home_fit_a_small_phone(mobile_page):
    mobile_page.goto("/sign-in")
    assert_no_horizontal_scrolling(mobile_page, 320)
    assert_no_axe_violations(mobile_page)

    sign_in(mobile_page, "admin")
    assert_no_horizontal_scrolling(mobile_page, 320)
    assert_no_axe_violations(mobile_page)
    # The menu folds behind a toggle button on small screens.
    toggle = mobile_page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(menu(mobile_page).first).to_be_hidden()
    toggle.click()
    expect(menu(mobile_page)).to_have_text(EXPECTED_MENU["admin"])
    assert_no_horizontal_scrolling(mobile_page, 320)
    assert_no_axe_violations(mobile_page)


def test_sign_out_ends_the_session(page):
    sign_in(page, "member")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))  # the message is not in a cookie
    expect(page.get_by_role("alert")).to_contain_text("You have signed out.")
    expect(menu(page)).to_have_text(["Sign in"])

    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
