"""In a real browser, from the demo study's signed-off recommendation: the lead analyst reopens it, an
analyst opens a theme, chooses and moves a quote, writes a new version of the summary and records a
decision on each of the four outcomes; the lead signs off, the page shows it locked, and the report shows
the sign-off and the new summary on its print page and in the Word document it downloads. Every page is
checked by axe-core, at 1280 px and on a 320 px phone; recording a decision also works without JavaScript.

The browser tests share one live app, so each test starts from the recommendation signed off, as the demo
data gives it: a test that stops part-way (reopened, not signed off again) does not decide the next one's
fate.
"""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.analysis import recommendation
from app.analysis.models import DECISIONS, OUTCOMES
from app.auth.models import User
from app.demo import demo_email
from app.extensions import db
from app.focus_groups.models import Study
from tests.browser.conftest import assert_no_axe_violations, open_page, sign_in
from tests.browser.test_analysis_review import demo_study_id, fits_the_screen

pytestmark = pytest.mark.browser

THEME = "pupils-and-schools"
THEME_NAME = "Pupils and schools"
# The journey's decision on each outcome: every one of the three choices is used.
JOURNEY_DECISIONS = {
    "amend-definition": "recommend",
    "collect-additional-data": "needs-more-evidence",
    "amend-reporting": "recommend",
    "education-module": "do-not-recommend",
}


@pytest.fixture(autouse=True)
def signed_off_as_the_demo_leaves_it(live_app):
    """Before each test: if an earlier one left the recommendation open, the demo lead signs it off again."""
    study_id = demo_study_id(live_app)
    with live_app.app_context():
        study = db.session.get(Study, study_id)
        lead = db.session.scalar(select(User).where(User.email == demo_email("lead_analyst")))
        if recommendation.locked_by(study) is None:
            recommendation.sign_off(study, "Signed off again for the next browser test.", by=lead)
        db.session.remove()
    yield


def outcome_section(page: Page, outcome: str) -> Locator:
    """The recommendation page's section on one outcome (a region named by its heading)."""
    return page.get_by_role("region", name=OUTCOMES[outcome], exact=True)


def reopen(page: Page, study_id: int, reason: str, axe: bool = True) -> None:
    """As a lead analyst on the signed-off recommendation: follow "Reopen", confirm with the reason.

    axe-core needs JavaScript, so a page without it (`axe=False`) is not checked."""
    page.goto(f"/analysis/{study_id}/recommendation")
    expect(page.get_by_role("heading", name="Signed off")).to_be_visible()
    page.get_by_role("link", name="Reopen the recommendation").click()
    expect(page.locator("h1")).to_have_text("Reopen the recommendation?")
    if axe:
        assert_no_axe_violations(page)
    page.get_by_label("Why reopen the recommendation?").fill(reason)
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_text("The recommendation is reopened: decisions and rules can change again.")).to_be_visible()


def sign_off(page: Page, study_id: int, note: str, axe: bool = True) -> None:
    """As a lead analyst: follow "Sign off", read the decisions listed, confirm with a note."""
    page.goto(f"/analysis/{study_id}/recommendation")
    page.get_by_role("link", name="Sign off the recommendation").click()
    expect(page.locator("h1")).to_have_text("Sign off the recommendation?")
    if axe:
        assert_no_axe_violations(page)
    page.get_by_label("Note (optional)").fill(note)
    page.get_by_role("button", name="Sign off", exact=True).click()
    expect(page.get_by_text("The recommendation is signed off and locked.")).to_be_visible()


def record_decision(page: Page, outcome: str, decision: str, rationale: str) -> None:
    """Choose a decision on one outcome, give the rationale, and record it."""
    section = outcome_section(page, outcome)
    section.get_by_label(DECISIONS[decision], exact=True).check()
    section.get_by_label("Rationale").fill(rationale)
    section.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text(f"Your decision on ‘{OUTCOMES[outcome]}’ is recorded.")).to_be_visible()


def test_from_a_theme_to_a_signed_off_recommendation_and_its_report(browser, live_server, live_app, browser_errors):
    study_id = demo_study_id(live_app)
    lead = open_page(browser, live_server, browser_errors)
    analyst = open_page(browser, live_server, browser_errors)
    try:
        # The demo carries the study to a signed-off recommendation: the lead reopens it, saying why.
        sign_in(lead, "lead_analyst")
        reopen(lead, study_id, "A new summary of pupils and schools to weigh.")
        expect(lead.get_by_text("Not signed off yet: 4 of 4 outcomes have a decision.")).to_be_visible()
        assert_no_axe_violations(lead)

        # The analyst opens a theme from the list of themes.
        page = analyst
        sign_in(page, "analyst")
        page.goto(f"/analysis/{study_id}/themes")
        page.get_by_role("link", name=THEME_NAME, exact=True).click()
        expect(page.locator("h1")).to_have_text(THEME_NAME)
        assert_no_axe_violations(page)

        # Chooses a suggested quote: it joins the chosen ones, last; then moves it up one place.
        chosen = page.locator("ol.govuk-list > li")
        before = chosen.count()
        assert before >= 1, "the demo chose quotes for every theme"
        choose = re.compile("^Choose")
        suggestion = page.locator("ul.govuk-list > li").filter(has=page.get_by_role("button", name=choose))
        quote = suggestion.first.locator(".app-quote__text").inner_text()
        suggestion.first.get_by_role("button", name=choose).click()
        expect(page.get_by_text("The quote is chosen.")).to_be_visible()
        expect(chosen).to_have_count(before + 1)
        expect(chosen.nth(before).locator(".app-quote__text")).to_have_text(quote)
        page.get_by_role("button", name=f"Move up quote {before + 1}").click()
        expect(chosen.nth(before - 1).locator(".app-quote__text")).to_have_text(quote)
        assert_no_axe_violations(page)

        # Writes a new version of the summary; the history shows it with who saved it and when.
        summary = "Pupils are supported in most councils that answered, under a traded agreement of their own."
        page.get_by_role("link", name="Edit the summary").click()
        expect(page.locator("h1")).to_have_text(f"Summary of {THEME_NAME}")
        assert_no_axe_violations(page)
        version = int(re.search(r"You are editing version (\d+)", page.locator("main").inner_text()).group(1))
        page.get_by_label("Summary of the theme").fill(summary)
        page.get_by_role("button", name="Save the summary").click()
        expect(page.get_by_text(f"The summary is saved as version {version + 1}.")).to_be_visible()
        expect(page.get_by_text(summary)).to_be_visible()
        page.get_by_role("link", name=re.compile("^Every version")).click()
        expect(page.locator("h1")).to_have_text(f"Every version of the summary of {THEME_NAME}")
        expect(page.get_by_role("heading", name=f"Version {version + 1} (current)")).to_be_visible()
        saved = page.locator("main p.govuk-body-s").first
        expect(saved).to_contain_text("by Chris Okafor")
        expect(saved).to_contain_text(re.compile(r"Saved \d+ \w+ \d{4} at (\d{1,2}(:\d\d)?(am|pm)|midday|midnight)"))
        expect(page.locator(".govuk-inset-text").first).to_have_text(summary)
        assert_no_axe_violations(page)

        # Records a decision with a rationale on each of the four outcomes.
        page.goto(f"/analysis/{study_id}/recommendation")
        expect(page.locator("h1")).to_have_text("Recommendation")
        assert_no_axe_violations(page)
        rationales = {}
        for outcome, decision in JOURNEY_DECISIONS.items():
            rationales[outcome] = f"Journey rationale for {outcome}: the passages and the survey agree."
            record_decision(page, outcome, decision, rationales[outcome])
            section = outcome_section(page, outcome)
            expect(section.locator(".govuk-summary-list")).to_contain_text(DECISIONS[decision])
            expect(section.locator(".govuk-summary-list")).to_contain_text(rationales[outcome])
            expect(section.locator(".govuk-summary-list")).to_contain_text("by Chris Okafor")
        assert_no_axe_violations(page)
        page.get_by_role("link", name="scoring rules", exact=False).first.click()
        expect(page.locator("h1")).to_contain_text("rules")
        assert_no_axe_violations(page)

        # The lead signs off: the confirmation lists the four decisions, then the page is locked.
        sign_off(lead, study_id, "Signed off after the journey's review.")
        expect(lead.get_by_role("heading", name="Signed off")).to_be_visible()
        expect(lead.get_by_text("Signed off by Morgan Ellis")).to_be_visible()
        expect(lead.get_by_role("button", name="Record the decision")).to_have_count(0)
        assert_no_axe_violations(lead)
        page.goto(f"/analysis/{study_id}/recommendation")
        expect(page.get_by_role("heading", name="Signed off")).to_be_visible()
        expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
        expect(page.get_by_role("link", name="Reopen the recommendation")).to_have_count(0)

        # The report's print page shows the sign-off, the new summary and the decisions.
        page.goto(f"/analysis/{study_id}/report")
        expect(page.locator("h1")).to_contain_text("study report")
        expect(page.get_by_text("Signed off by the lead analyst on ")).to_be_visible()
        expect(page.get_by_text(summary)).to_be_visible()
        for outcome in JOURNEY_DECISIONS:
            expect(page.get_by_text(rationales[outcome])).to_be_visible()
        assert_no_axe_violations(page)

        # The Word document downloads, opens, and says the same.
        with page.expect_download() as download_info:
            page.get_by_role("link", name="download it as a Word document").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".docx")
        document = Document(io.BytesIO(download.path().read_bytes()))
        paragraphs = [paragraph.text for paragraph in document.paragraphs]
        assert summary in paragraphs
        assert any(text.startswith("Signed off by the lead analyst on ") for text in paragraphs)
        for outcome, decision in JOURNEY_DECISIONS.items():
            # Each outcome's heading, then its decision and the rationale.
            at = paragraphs.index(OUTCOMES[outcome], paragraphs.index("Recommendation"))
            assert paragraphs[at + 1 : at + 3] == [f"Decision: {DECISIONS[decision]}", rationales[outcome]]
    finally:
        lead.context.close()
        analyst.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)


def test_the_recommendation_pages_fit_a_phone(mobile_page: Page, live_app):
    study_id = demo_study_id(live_app)
    sign_in(mobile_page, "lead_analyst")
    for path in (
        f"/analysis/{study_id}/themes/{THEME}",
        f"/analysis/{study_id}/recommendation",
        f"/analysis/{study_id}/recommendation/rules",
        f"/analysis/{study_id}/recommendation/history",
        f"/analysis/{study_id}/recommendation/reopen",
        f"/analysis/{study_id}/report",
    ):
        mobile_page.goto(path)
        expect(mobile_page.locator("h1")).to_be_visible()
        assert fits_the_screen(mobile_page), f"{path} is wider than a 320 px phone"
        assert_no_axe_violations(mobile_page)
    # The sign-off confirmation too, and an open recommendation's decision forms.
    reopen(mobile_page, study_id, "Checking the pages on a phone.")
    assert fits_the_screen(mobile_page)
    assert_no_axe_violations(mobile_page)
    mobile_page.goto(f"/analysis/{study_id}/recommendation/sign-off")
    expect(mobile_page.locator("h1")).to_have_text("Sign off the recommendation?")
    assert fits_the_screen(mobile_page)
    sign_off(mobile_page, study_id, "Checked on a phone.")
    assert fits_the_screen(mobile_page)


def test_recording_a_decision_works_without_javascript(browser, live_server, live_app, browser_errors):
    study_id = demo_study_id(live_app)
    page = open_page(browser, live_server, browser_errors, java_script_enabled=False)
    try:
        sign_in(page, "lead_analyst")
        reopen(page, study_id, "Recording a decision without JavaScript.", axe=False)
        # A decision without a rationale is refused, with the error shown and the choice kept.
        section = outcome_section(page, "education-module")
        section.get_by_label(DECISIONS["needs-more-evidence"], exact=True).check()
        section.get_by_role("button", name="Record the decision").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Give the rationale for the decision")
        kept = outcome_section(page, "education-module").get_by_label("Needs more evidence", exact=True)
        expect(kept).to_be_checked()
        # The page with the error comes with status 400, which the browser logs as a console error: expected.
        assert len(browser_errors) == 1 and "status of 400" in browser_errors[0], browser_errors
        browser_errors.clear()
        rationale = "Recorded with JavaScript switched off: the forms are plain HTML."
        record_decision(page, "education-module", "needs-more-evidence", rationale)
        expect(outcome_section(page, "education-module").locator(".govuk-summary-list")).to_contain_text(rationale)
        sign_off(page, study_id, "Signed off again without JavaScript.", axe=False)
        expect(page.get_by_role("heading", name="Signed off")).to_be_visible()
    finally:
        page.context.close()
    assert not browser_errors, "\n".join(browser_errors)
