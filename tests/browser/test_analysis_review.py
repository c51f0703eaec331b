"""In a real browser: an analyst reviews the tagger's suggestions with the keyboard and watches the
theme's precision change, codes a passage by selecting words of it, and does both without JavaScript;
every page is checked by axe-core, at 1280 px and on a 320 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.analysis.models import AnalysisPassage, Code
from app.extensions import db
from app.focus_groups.demo import DEMO_STUDY_TITLE
from app.focus_groups.models import Study
from tests.browser.conftest import assert_no_axe_violations, open_page, sign_in

pytestmark = pytest.mark.browser


def demo_study_id(live_app) -> int:
    with live_app.app_context():
        study_id = db.session.scalar(select(Study.id).where(Study.title == DEMO_STUDY_TITLE))
        db.session.remove()
    return study_id


def busiest_theme(live_app, study_id: int) -> tuple[str, int]:
    """The theme with the most suggestions awaiting review, and how many."""
    with live_app.app_context():
        codes = db.session.scalars(
            select(Code.theme)
            .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
            .where(Code.study_id == study_id, Code.status == "suggested", AnalysisPassage.present.is_(True))
        ).all()
        db.session.remove()
    theme = max(sorted(set(codes)), key=codes.count)  # ties: the same theme every run
    return theme, codes.count(theme)


def select_text(page: Page, selector: str, start: int, end: int) -> None:
    """Select characters start to end of an element's text, across the <mark>s inside it, as a mouse would."""
    page.evaluate(
        """([selector, start, end]) => {
            const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const next = seen + node.length;
                if (start >= seen && start <= next) range.setStart(node, start - seen);
                if (end >= seen && end <= next) { range.setEnd(node, end - seen); break; }
                seen = next;
            }
            const selection = document.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [selector, start, end],
    )


def theme_not_on(live_app, passage_id: int) -> str:
    """The name of a default theme the passage has no code for (so coding it is plainly by hand)."""
    from app.analysis.codebook import default_codebook

    with live_app.app_context():
        used = set(db.session.scalars(select(Code.theme).where(Code.passage_id == passage_id)))
        db.session.remove()
    return next(theme.name for theme in default_codebook().themes if theme.slug not in used)


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_analyst_reviews_ten_suggestions_with_the_keyboard(page: Page, live_app):
    study_id = demo_study_id(live_app)
    sign_in(page, "analyst")
    page.get_by_role("link", name="Go to the analysis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analysis")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=DEMO_STUDY_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_STUDY_TITLE)
    assert_no_axe_violations(page)

    theme, pending = busiest_theme(live_app, study_id)
    assert pending >= 3, "the demo data gives the busiest theme several suggestions"
    page.goto(f"/analysis/{study_id}/review?theme={theme}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review suggestions")
    assert_no_axe_violations(page)
    precision = page.locator("#review-precision")
    seen = [precision.inner_text()]
    decided = []
    for n in range(10):
        if n == min(pending, 10) - 1 or page.locator("#review-form").count() == 0:
            page.goto(f"/analysis/{study_id}/review")  # on to the other themes
        code_id = page.locator('#review-form input[name="code_id"]').get_attribute("value")
        with page.expect_navigation():
            page.keyboard.press("a" if n % 2 == 0 else "r")
        decided.append((int(code_id), "accepted" if n % 2 == 0 else "rejected"))
        if n < min(pending, 10) - 1:
            seen.append(precision.inner_text())
    # The first decision of the theme is an acceptance (100%), the second a rejection (50%).
    assert seen[:3] == ["no decisions yet", "100%", "50%"] or seen[0] != "no decisions yet", seen
    assert len(set(seen)) > 1, f"the precision never changed: {seen}"
    with live_app.app_context():
        stored = {
            code.id: code.status
            for code in db.session.scalars(select(Code).where(Code.id.in_([c for c, _ in decided])))
        }
        db.session.remove()
    assert stored == dict(decided)


def test_an_analyst_codes_a_passage_by_selecting_words(page: Page, live_app):
    study_id = demo_study_id(live_app)
    sign_in(page, "analyst")
    page.goto(f"/analysis/{study_id}/passages?source=note")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=re.compile(r"^Open passage 1 ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Passage")
    # analysis.mjs adds this button once it listens for selections; selecting before that would be missed
    expect(page.get_by_role("button", name="Code the whole passage instead")).to_be_visible()
    text = page.locator("#passage-text").inner_text()
    words = text.split()
    chosen = " ".join(words[:2])
    select_text(page, "#passage-text", 0, len(chosen))
    expect(page.get_by_label("Selected text")).to_have_value(chosen)
    passage_id = int(re.search(r"/passages/(\d+)", page.url).group(1))
    name = theme_not_on(live_app, passage_id)
    page.get_by_label("Theme").select_option(label=name)
    page.get_by_role("button", name="Add code").click()
    expect(page.locator(".govuk-notification-banner").first).to_contain_text(name)
    expect(page.locator("#passage-text mark").first).to_have_text(chosen)
    expect(page.get_by_text("Coded by hand").first).to_be_visible()
    assert_no_axe_violations(page)


def test_review_and_coding_work_without_javascript(browser, live_server, live_app, browser_errors):
    study_id = demo_study_id(live_app)
    page = open_page(browser, live_server, browser_errors, java_script_enabled=False)
    try:
        sign_in(page, "lead_analyst")
        page.goto(f"/analysis/{study_id}/review")
        code_id = page.locator('#review-form input[name="code_id"]').get_attribute("value")
        page.get_by_role("button", name=re.compile(r"^Accept")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Review suggestions")
        with live_app.app_context():
            assert db.session.get(Code, int(code_id)).status == "accepted"
            db.session.remove()
        page.goto(f"/analysis/{study_id}/passages")
        page.get_by_role("link", name=re.compile(r"^Open passage 2 ")).click()
        page.get_by_label("Theme").select_option(label="User definitions")
        page.get_by_role("button", name="Add code").click()
        expect(page.get_by_text("Coded by hand").first).to_be_visible()
    finally:
        page.context.close()
    assert not browser_errors, "\n".join(browser_errors)


def test_the_analysis_pages_fit_a_phone(mobile_page: Page, live_app):
    study_id = demo_study_id(live_app)
    sign_in(mobile_page, "analyst")
    for path in (
        "/analysis/",
        f"/analysis/{study_id}/",
        f"/analysis/{study_id}/passages",
        f"/analysis/{study_id}/review",
    ):
        mobile_page.goto(path)
        expect(mobile_page.locator("h1")).to_be_visible()
        assert fits_the_screen(mobile_page), f"{path} is wider than a 320 px phone"
        assert_no_axe_violations(mobile_page)
    mobile_page.goto(f"/analysis/{study_id}/passages")
    mobile_page.get_by_role("link", name=re.compile(r"^Open passage 1 ")).click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Passage")
    assert fits_the_screen(mobile_page)
    assert_no_axe_violations(mobile_page)
