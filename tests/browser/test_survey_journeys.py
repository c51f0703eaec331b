"""In a real browser: answering the default survey, "Delivery of ICT services to schools", end to end.

From an invitation email on a small phone (every page checked by axe-core and for sideways scrolling),
errors, saving and coming back later, the short path for organisations without schools, two
colleagues editing one draft, and the whole short path without JavaScript.

The demo data is shared by every browser test and an organisation has one response per survey, so
each journey answers for an organisation of its own, made here in the live server's database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import hash_password
from app.auth.roles import MEMBER
from app.email.models import OutboxMessage
from app.extensions import db
from app.organisations.models import Organisation
from app.surveys.invitations.services import record_invitation, send_invitations
from app.surveys.models import Answer
from app.surveys.services import find_survey, response_for
from tests.browser.conftest import (
    DEMO_PASSWORD,
    assert_no_axe_violations,
    axe_violations,
    format_violations,
    open_page,
    sign_in_as,
)

pytestmark = pytest.mark.browser

SLUG = "schools-ict"
SURVEY_TITLE = "Delivery of ICT services to schools"
START = f"/surveys/{SLUG}/"
CHECK = f"/surveys/{SLUG}/check"
DONE = f"/surveys/{SLUG}/done"
REFERENCE = re.compile(r"^SI-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")  # "schools-ict": S and I
PHONE_WIDTH = 320

# Pages only organisations that provide services to schools see, and their questions.
SCHOOLS_PAGES = {"settings", "services", "service_level", "strain_incidents", "strain_resources"}
SCHOOLS_QUESTIONS = {
    "education_settings",
    "settings_supported",
    "services_to_schools",
    "service_level",
    "pupil_funding",
    "incidents_school_staff",
    "incidents_pupils",
    "share_devices",
    "share_licences",
    "share_staff_time",
    "share_spend",
}

# The users grid: label -> number entered (the full path).
USERS = {
    "Office-based staff": 1200,
    "Frontline and mobile staff": 800,
    "Councillors": 60,
    "School staff": 3500,
    "Pupils": 42000,
    "Partner-organisation staff": 150,
    "Contractors and temporary staff": 90,
    "Volunteers": 25,
    "Residents using council ICT": 2990,
}

# Questions' labels, as on the pages and the check-answers page.
PROVIDES = "Does your ICT service provide any services to schools, academies or pupils?"
SETTINGS = "Which types of education setting do you provide ICT services to?"
SETTINGS_COUNT = "About how many schools and other education settings do you support?"
USERS_GRID = "Roughly how many people in each group use your ICT service?"
BENCHMARK = "Which of these groups do you count as users in your benchmarking return?"
INCIDENTS_STAFF = "What share of your incidents and tickets came from school staff?"
INCIDENTS_PUPILS = "What share came from pupils?"
SPEND = "Total annual ICT revenue spend"
FTE = "ICT staff, full-time equivalent"
AGREE = "Pupils should be counted as users when benchmarking council ICT services. Do you agree?"
REASON = "Why do you say that?"
COUNTING = 'How do you think "users" should be counted when benchmarking council ICT services?'
DIFFERENT = (
    "Do any groups of users receive a markedly different service from you, in quality, priority or attention? "
    "If so, which groups, and why?"
)
FOCUS_GROUP = "Would you like to hear about taking part in a focus group?"


# --- data in the live server's database ----------------------------------------------------------


@dataclass
class Member:
    name: str
    email: str


@dataclass
class NewOrganisation:
    id: int
    name: str
    contact_email: str | None
    members: list[Member] = field(default_factory=list)


def create_organisation(app: Flask, members: tuple[str, ...] = (), contact_email: bool = False) -> NewOrganisation:
    """A new member organisation invited to the survey (its own response), with member accounts for `members`."""
    token = uuid.uuid4().hex[:8]
    name = f"Browser Test Council {token}"
    # As long as many real service-desk addresses (ictservicedesk@northumberland.gov.uk is 36 characters), and
    # without hyphens, so pages that show it must wrap it on a small phone.
    contact = f"ictservicedesk{token}@council.example" if contact_email else None
    with app.app_context():
        organisation = Organisation(name=name, region="london", council_type="london-borough", contact_email=contact)
        db.session.add(organisation)
        db.session.flush()
        people = []
        for number, person in enumerate(members, start=1):
            email = f"member{number}@{token}.browser.example"
            user = User(
                email=email, name=person, password_hash=hash_password(DEMO_PASSWORD), organisation_id=organisation.id
            )
            user.set_roles({MEMBER})
            db.session.add(user)
            people.append(Member(person, email))
        record_invitation(find_survey(SLUG), organisation, contact or f"ict@{token}.browser.example")
        db.session.commit()
        return NewOrganisation(organisation.id, name, contact, people)


def invitation_link(app: Flask, organisation: NewOrganisation) -> str:
    """Invite the organisation to the survey and read the link from the email kept in the outbox."""
    with app.app_context():
        outcome = send_invitations(find_survey(SLUG), [organisation.id])
        assert outcome.sent == [organisation.name], outcome.as_dict()
        body = db.session.scalar(
            select(OutboxMessage.text_body)
            .where(OutboxMessage.recipient == organisation.contact_email, OutboxMessage.template == "survey_invitation")
            .order_by(OutboxMessage.id.desc())
        )
    assert body, f"no invitation email to {organisation.contact_email} in the outbox"
    match = re.search(r"https?://\S+/surveys/invitation/[\w-]+", body)
    assert match, f"no invitation link in the email:\n{body}"
    return match.group(0)


def stored_answers(app: Flask, organisation: NewOrganisation) -> dict[str, Any]:
    """The organisation's saved answers, straight from the database."""
    with app.app_context():
        response = response_for(find_survey(SLUG), organisation.id)
        return response.answer_values() if response else {}


def stored_reference(app: Flask, organisation: NewOrganisation) -> str:
    with app.app_context():
        return response_for(find_survey(SLUG), organisation.id).reference


def stored_answer(app: Flask, organisation: NewOrganisation, question_id: str) -> tuple[Any, int, str | None]:
    """One answer's value, revision and who last changed it."""
    with app.app_context():
        response = response_for(find_survey(SLUG), organisation.id)
        answer = db.session.scalar(
            select(Answer).where(Answer.response_id == response.id, Answer.question_id == question_id)
        )
        assert answer is not None, f"{question_id} has no stored answer"
        return answer.value, answer.revision, answer.updated_by_label


# --- the browser ---------------------------------------------------------------------------------


def question_path(page_id: str) -> str:
    return f"/surveys/{SLUG}/questions/{page_id}"


def arrive(page: Page, path: str) -> None:
    """Wait until the browser shows `path` (any query string), fully loaded with its scripts run."""
    expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
    page.wait_for_load_state()


class PhoneChecks:
    """axe-core (WCAG A/AA) and sideways scrolling at 320px on each page of a journey.

    Problems are collected and reported together at the end, so one page's problem does not hide
    the next page's: the test still fails if there are any.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.checks = 0

    def check(self) -> None:
        page = self.page
        self.checks += 1
        violations = axe_violations(page)
        if violations:
            self.problems.append(f"axe-core found problems on {page.url}:\n{format_violations(violations)}")
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll_width > PHONE_WIDTH:
            self.problems.append(f"{page.url} scrolls sideways at {PHONE_WIDTH}px: the page is {scroll_width}px wide")

    def assert_none(self) -> None:
        if self.problems:
            summary = f"{len(self.problems)} problems in {self.checks} page checks:\n"
            pytest.fail(summary + "\n".join(self.problems))


def press(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def answer_on_check_page(page: Page, label: str) -> Locator:
    """The answer shown on the check-answers page for the question labelled exactly `label`."""
    row = page.locator(".govuk-summary-list__row").filter(has=page.get_by_text(label, exact=True))
    return row.locator(".govuk-summary-list__value")


def fill_users_grid(page: Page, counts: dict[str, int]) -> None:
    grid = page.get_by_role("group", name=USERS_GRID)
    for label, count in counts.items():
        grid.get_by_label(label, exact=True).fill(str(count))


def answer_short_path(page: Page) -> None:
    """From the first question to check answers, answering "No" to providing services to schools."""
    arrive(page, question_path("provides"))
    page.get_by_role("radio", name="No", exact=True).check()
    press(page, "Continue")

    # Straight to the users grid: the schools pages are skipped.
    arrive(page, question_path("user_counts"))
    expect(heading(page)).to_have_text(USERS_GRID)
    expect(page.locator(".govuk-caption-l")).to_have_text("Section 2 of 4: Your users")
    fill_users_grid(page, {label: 0 for label in USERS} | {"Office-based staff": 900, "Councillors": 45})
    press(page, "Continue")

    arrive(page, question_path("benchmark_counting"))
    page.get_by_role("checkbox", name="Office-based staff").check()
    page.get_by_role("checkbox", name="Councillors").check()
    press(page, "Continue")

    arrive(page, question_path("size"))  # optional: left blank
    press(page, "Continue")

    arrive(page, question_path("pupils_as_users"))
    page.get_by_role("radio", name="Strongly disagree", exact=True).check()
    press(page, "Continue")

    arrive(page, question_path("users_and_service"))  # optional: left blank
    press(page, "Continue")

    arrive(page, question_path("focus_group"))  # optional: left blank
    press(page, "Continue")
    arrive(page, CHECK)


@pytest.fixture
def no_js_page(browser, live_server, browser_errors) -> Iterator[Page]:
    """A desktop page in a context with JavaScript switched off."""
    page = open_page(browser, live_server, browser_errors, java_script_enabled=False)
    try:
        yield page
    finally:
        page.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)


# --- the journeys --------------------------------------------------------------------------------


def test_phone_from_invitation_email_to_confirmation(mobile_page, live_app):
    """Every page of the full path on a 320px-wide phone, with no account: only the invitation link."""
    page = mobile_page
    phone = PhoneChecks(page)
    organisation = create_organisation(live_app, contact_email=True)
    link = invitation_link(live_app, organisation)

    page.goto(link)
    arrive(page, START)
    expect(heading(page)).to_have_text(SURVEY_TITLE)
    expect(page.locator(".govuk-caption-l")).to_have_text(organisation.name)
    phone.check()
    press(page, "Start now")

    arrive(page, question_path("provides"))
    expect(heading(page)).to_have_text(PROVIDES)
    page.get_by_role("radio", name="Yes", exact=True).check()
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("settings"))
    expect(heading(page)).to_have_text("Services to schools")  # a page of two questions: its section's title
    settings = page.get_by_role("group", name=SETTINGS)
    settings.get_by_role("checkbox", name="Maintained primary schools").check()
    settings.get_by_role("checkbox", name="Special schools").check()
    specify = page.get_by_label("Describe another type of setting")
    expect(specify).to_be_hidden()
    settings.get_by_role("checkbox", name="Another type of setting").check()
    expect(specify).to_be_visible()  # revealed by GOV.UK Frontend's conditional reveal
    specify.fill("Hospital schools")
    page.get_by_label(SETTINGS_COUNT).fill("120")
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("services"))
    # The earlier answer is piped into the question.
    expect(heading(page)).to_have_text("Which ICT services do you provide to the 120 education settings you support?")
    for service in ("Connectivity and broadband", "Web filtering and safeguarding", "Service desk"):
        page.get_by_role("checkbox", name=service).check()
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("service_level"))
    expect(heading(page)).to_have_text("Level of service")
    page.get_by_role("group", name="School staff", exact=True).get_by_role(
        "radio", name="A separate (often traded) agreement"
    ).check()
    page.get_by_role("group", name="Pupils", exact=True).get_by_role("radio", name="Best efforts only").check()
    page.get_by_role("radio", name="From the council's own ICT budget").check()
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("user_counts"))
    expect(heading(page)).to_have_text(USERS_GRID)
    total = page.locator(".app-grid-total")
    expect(total).to_have_text("Total users: 0")
    fill_users_grid(page, USERS)
    expected_total = f"Total users: {sum(USERS.values()):,}"
    expect(total).to_have_text(expected_total)  # kept up to date while typing
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("benchmark_counting"))
    expect(heading(page)).to_have_text(BENCHMARK)
    for group in ("Office-based staff", "Frontline and mobile staff", "Councillors", "School staff"):
        page.get_by_role("checkbox", name=group, exact=True).check()
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("strain_incidents"))
    expect(heading(page)).to_have_text("Incidents and tickets")
    page.get_by_label(INCIDENTS_STAFF).fill("35")
    page.get_by_role("checkbox", name="I do not know the share of incidents from pupils").check()
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("strain_resources"))
    expect(heading(page)).to_have_text("Devices, licences, staff time and spend")
    shares = {"Devices you support": "40", "Software licences": "25", "Support staff time": "30", "ICT spend": "20"}
    for label, share in shares.items():
        page.get_by_label(label, exact=True).fill(share)
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("size"))
    expect(heading(page)).to_have_text("The size of your ICT service")
    page.get_by_label(SPEND).fill("4500000")
    page.get_by_label(FTE).fill("42.5")
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("pupils_as_users"))
    expect(heading(page)).to_have_text("Your views")
    expect(page.get_by_role("group", name=AGREE)).to_be_visible()
    page.get_by_role("radio", name="Agree", exact=True).check()
    page.get_by_label(REASON).fill("Pupils raise a third of our tickets.")
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("users_and_service"))
    expect(heading(page)).to_have_text("Counting users, and the service they receive")
    page.get_by_label(COUNTING).fill("Named accounts, with pupils on a line of their own.")
    phone.check()
    press(page, "Continue")

    arrive(page, question_path("focus_group"))
    expect(heading(page)).to_have_text("Focus groups")
    page.get_by_role("radio", name="Yes", exact=True).check()
    phone.check()
    press(page, "Continue")

    arrive(page, CHECK)
    expect(heading(page)).to_have_text("Check your answers before submitting")
    expected = {
        PROVIDES: "Yes",
        SETTINGS: "Maintained primary schools, Special schools, Another type of setting (Hospital schools)",
        SETTINGS_COUNT: "120 settings",
        "Which ICT services do you provide to the 120 education settings you support?": (
            "Connectivity and broadband, Web filtering and safeguarding, Service desk"
        ),
        "Compared with your corporate users, what level of service do these groups receive?": (
            "School staff: A separate (often traded) agreement; Pupils: Best efforts only"
        ),
        "How are the ICT services that pupils use mainly funded?": "From the council's own ICT budget",
        USERS_GRID: "; ".join(f"{label}: {count:,}" for label, count in USERS.items()) + f"; {expected_total}",
        BENCHMARK: "Office-based staff, Frontline and mobile staff, Councillors, School staff",
        INCIDENTS_STAFF: "35%",
        INCIDENTS_PUPILS: "I do not know",
        "Devices you support": "40%",
        "Software licences": "25%",
        "Support staff time": "30%",
        "ICT spend": "20%",
        SPEND: "£4,500,000.00",
        FTE: "42.5 FTE",
        AGREE: "Agree",
        REASON: "Pupils raise a third of our tickets.",
        COUNTING: "Named accounts, with pupils on a line of their own.",
        DIFFERENT: "Not answered",
        FOCUS_GROUP: "Yes",
    }
    for label, value in expected.items():
        expect(answer_on_check_page(page, label), label).to_have_text(value)
    expect(page.locator(".govuk-summary-list__row")).to_have_count(len(expected))
    phone.check()
    press(page, "Submit")

    arrive(page, DONE)
    expect(heading(page)).to_have_text("Response submitted")
    reference = page.locator(".govuk-panel__body strong")
    expect(reference).to_have_text(REFERENCE)
    expect(reference).to_have_text(stored_reference(live_app, organisation))
    expect(page.get_by_text(f"We have sent a confirmation to {organisation.contact_email}")).to_be_visible()
    expect(page.get_by_role("group", name="Overall, how did you feel about this survey?")).to_be_visible()
    phone.check()

    page.get_by_role("radio", name="Very satisfied").check()
    press(page, "Send feedback")
    arrive(page, DONE)
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    phone.check()

    answers = stored_answers(live_app, organisation)
    assert answers["users"] == {
        "office_staff": 1200,
        "frontline_staff": 800,
        "councillors": 60,
        "school_staff": 3500,
        "pupils": 42000,
        "partners": 150,
        "contractors": 90,
        "volunteers": 25,
        "residents": 2990,
    }
    assert answers["education_settings__other"] == "Hospital schools"
    assert answers["incidents_pupils"] == "dont_know"
    phone.assert_none()


def test_errors_are_summarised_keep_what_was_typed_and_link_to_their_fields(page, live_app):
    organisation = create_organisation(live_app, members=("Erin Errors",))
    sign_in_as(page, organisation.members[0].email)
    page.goto(START)
    press(page, "Start now")
    arrive(page, question_path("provides"))
    page.get_by_role("radio", name="Yes", exact=True).check()
    press(page, "Continue")

    # A number of settings that is not a number.
    arrive(page, question_path("settings"))
    page.get_by_role("checkbox", name="Special schools").check()
    count = page.get_by_label(SETTINGS_COUNT)
    count.fill("lots")
    press(page, "Continue")

    arrive(page, question_path("settings"))
    message = "Enter the number of education settings you support as a number"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text([message])
    expect(count).to_have_value("lots")
    expect(count).to_have_accessible_description(re.compile(message))
    expect(page.get_by_role("checkbox", name="Special schools")).to_be_checked()
    assert_no_axe_violations(page)
    summary.get_by_role("link", name=message).click()
    expect(count).to_be_focused()

    count.fill("40")
    press(page, "Continue")
    arrive(page, question_path("services"))
    expect(page).not_to_have_title(re.compile(r"^Error: "))

    # A percentage over 100.
    page.goto(question_path("strain_incidents"))
    staff = page.get_by_label(INCIDENTS_STAFF)
    pupils = page.get_by_label(INCIDENTS_PUPILS)
    staff.fill("150")
    pupils.fill("20")
    press(page, "Continue")

    arrive(page, question_path("strain_incidents"))
    message = "The share of incidents from school staff must be 100% or less"
    expect(page).to_have_title(re.compile(r"^Error: Incidents and tickets"))
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text([message])
    expect(staff).to_have_value("150")
    expect(pupils).to_have_value("20")
    expect(staff).to_have_accessible_description(re.compile(message))
    assert_no_axe_violations(page)
    summary.get_by_role("link", name=message).click()
    expect(staff).to_be_focused()

    # Each share is fine on its own, but together they are more than 100%.
    staff.fill("70")
    pupils.fill("40")
    press(page, "Continue")
    arrive(page, question_path("strain_incidents"))
    message = "The shares from school staff and pupils add up to more than 100%"
    expect(summary.get_by_role("link")).to_have_text([message])
    summary.get_by_role("link", name=message).click()
    expect(pupils).to_be_focused()
    assert_no_axe_violations(page)

    answers = stored_answers(live_app, organisation)
    assert answers["settings_supported"] == 40
    assert "incidents_school_staff" not in answers


def test_save_and_come_back_later(page, live_app):
    organisation = create_organisation(live_app, members=("Sam Saver",))
    member = organisation.members[0]
    menu = page.get_by_role("navigation", name="Menu")
    survey_link = page.get_by_role("link", name=SURVEY_TITLE)

    sign_in_as(page, member.email)
    menu.get_by_role("link", name="Your surveys").click()
    expect(page.get_by_role("listitem").filter(has=survey_link)).to_contain_text("Not started")
    survey_link.click()
    press(page, "Start now")
    arrive(page, question_path("provides"))
    page.get_by_role("radio", name="Yes", exact=True).check()
    press(page, "Continue")

    arrive(page, question_path("settings"))
    page.get_by_role("checkbox", name="Free schools").check()
    page.get_by_role("checkbox", name="Early-years settings").check()
    page.get_by_label(SETTINGS_COUNT).fill("35")
    press(page, "Save and come back later")
    expect(heading(page)).to_have_text("Your answers have been saved")
    expect(page.get_by_text(f"We have emailed a link to {member.email}")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))

    sign_in_as(page, member.email)
    menu.get_by_role("link", name="Your surveys").click()
    expect(page.get_by_role("listitem").filter(has=survey_link)).to_contain_text("In progress")
    survey_link.click()
    arrive(page, START)
    press(page, "Continue")

    # The next page with nothing answered yet.
    arrive(page, question_path("services"))
    press(page, "Back")
    arrive(page, question_path("settings"))
    expect(page.get_by_role("checkbox", name="Free schools")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Early-years settings")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Special schools")).not_to_be_checked()
    expect(page.get_by_label(SETTINGS_COUNT)).to_have_value("35")
    press(page, "Back")
    arrive(page, question_path("provides"))
    expect(page.get_by_role("radio", name="Yes", exact=True)).to_be_checked()


def test_short_path_skips_the_schools_pages(page, live_app):
    organisation = create_organisation(live_app, members=("Nora No-Schools",))
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)

    sign_in_as(page, organisation.members[0].email)
    page.goto(START)
    press(page, "Start now")
    answer_short_path(page)

    seen = {url.split("/questions/")[1].split("?")[0] for url in visited if "/questions/" in url}
    assert seen == {
        "provides",
        "user_counts",
        "benchmark_counting",
        "size",
        "pupils_as_users",
        "users_and_service",
        "focus_group",
    }
    assert not seen & SCHOOLS_PAGES

    expect(page.locator("main h2.govuk-heading-m")).to_have_text(
        ["Services to schools", "Your users", "Your ICT service", "Your views", "Now send your response"]
    )
    expect(page.locator(".govuk-summary-list__key")).to_have_text(
        [PROVIDES, USERS_GRID, BENCHMARK, SPEND, FTE, AGREE, REASON, COUNTING, DIFFERENT, FOCUS_GROUP]
    )
    expect(answer_on_check_page(page, PROVIDES)).to_have_text("No")
    expect(answer_on_check_page(page, USERS_GRID)).to_contain_text("Total users: 945")
    expect(answer_on_check_page(page, BENCHMARK)).to_have_text("Office-based staff, Councillors")
    expect(answer_on_check_page(page, SPEND)).to_have_text("Not answered")
    press(page, "Submit")

    arrive(page, DONE)
    expect(heading(page)).to_have_text("Response submitted")
    expect(page.locator(".govuk-panel__body strong")).to_have_text(stored_reference(live_app, organisation))


def test_two_colleagues_editing_one_draft_overwrite_nothing(browser, live_server, live_app, browser_errors):
    organisation = create_organisation(live_app, members=("Ada Byron", "Ben Carter"))
    ada_member, ben_member = organisation.members
    ada = open_page(browser, live_server, browser_errors)
    ben = open_page(browser, live_server, browser_errors)
    try:
        sign_in_as(ada, ada_member.email)
        sign_in_as(ben, ben_member.email)
        ada.goto(START)
        press(ada, "Start now")
        arrive(ada, question_path("provides"))

        # Both open the page about the size of the ICT service.
        ada.goto(question_path("size"))
        ben.goto(question_path("size"))
        expect(ada.get_by_label(SPEND)).to_have_value("")
        expect(ben.get_by_label(SPEND)).to_have_value("")

        ada.get_by_label(SPEND).fill("1000")
        press(ada, "Continue")
        arrive(ada, question_path("pupils_as_users"))
        assert stored_answer(live_app, organisation, "ict_revenue_spend") == (1000, 1, "Ada Byron")

        # Ben's page is now stale.
        ben.get_by_label(SPEND).fill("2000")
        press(ben, "Continue")
        arrive(ben, question_path("size"))
        banner = ben.get_by_role("region", name="A colleague changed an answer")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(f'Ada Byron changed "{SPEND}"')
        expect(banner).to_contain_text("Their answer: £1,000.00. Yours: £2,000.00")
        expect(ben.get_by_label(SPEND)).to_have_value("2000")  # Ben's answer is still in the form
        assert stored_answer(live_app, organisation, "ict_revenue_spend") == (1000, 1, "Ada Byron")
        assert_no_axe_violations(ben)

        # Having seen Ada's answer, Ben keeps his own.
        press(ben, "Continue")
        arrive(ben, question_path("pupils_as_users"))
        assert stored_answer(live_app, organisation, "ict_revenue_spend") == (2000, 2, "Ben Carter")
    finally:
        ada.context.close()
        ben.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)


def test_short_path_without_javascript(no_js_page, live_app):
    page = no_js_page
    organisation = create_organisation(live_app, contact_email=True)

    page.goto(invitation_link(live_app, organisation))
    arrive(page, START)
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
    press(page, "Start now")
    answer_short_path(page)

    expect(answer_on_check_page(page, PROVIDES)).to_have_text("No")
    expect(answer_on_check_page(page, USERS_GRID)).to_contain_text("Total users: 945")
    expect(answer_on_check_page(page, BENCHMARK)).to_have_text("Office-based staff, Councillors")
    expect(answer_on_check_page(page, AGREE)).to_have_text("Strongly disagree")
    press(page, "Submit")

    arrive(page, DONE)
    expect(heading(page)).to_have_text("Response submitted")
    expect(page.locator(".govuk-panel__body strong")).to_have_text(stored_reference(live_app, organisation))
    answers = stored_answers(live_app, organisation)
    assert answers["provides_education"] == "no"
    assert answers["counted_in_benchmark"] == ["office_staff", "councillors"]
    assert not SCHOOLS_QUESTIONS & set(answers)
