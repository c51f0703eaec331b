"""In a real browser, on a desktop and a 320 px phone: a lead analyst edits a theme's patterns, previews
which passages the change would newly suggest the theme for (matched words marked), and saves a new
version of the codebook; every page passes the axe-core check."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.analysis.models import AnalysisPassage, CodebookVersion
from app.analysis.services import codebook_of
from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from app.focus_groups.studies.services import create_study
from tests.browser.conftest import DEMO_PASSWORD, assert_no_axe_violations, sign_in_as

pytestmark = pytest.mark.browser

PASSAGES = [
    "The caretaker books a ceilidh band for the end of term.",
    "Our service desk answers within four hours.",
    "Every pupil gets a laptop from the council.",
]


def study_with_passages(live_app) -> tuple[int, str]:
    """A fresh study with three passages, and a lead analyst who can sign in (their email)."""
    marker = secrets.token_hex(3)
    with live_app.app_context():
        study = create_study(f"Codebook study {marker}")
        db.session.flush()
        for number, text in enumerate(PASSAGES):
            db.session.add(
                AnalysisPassage(
                    study_id=study.id,
                    key=f"browser-{marker}-{number}",
                    source_kind="note",
                    source_key=f"note:{number}",
                    position=0,
                    source_ref={"note": number},
                    text=text,
                    start=0,
                    end=len(text),
                    section="guide-1",
                )
            )
        lead = User(email=f"lead-{marker}@demo.example", name=f"Lead {marker}")
        lead.password_hash = hash_password(DEMO_PASSWORD)
        lead.set_roles(("lead_analyst",))
        db.session.add(lead)
        db.session.commit()
        study_id, email = study.id, lead.email
        db.session.remove()
    return study_id, email


def saved_patterns(live_app, study_id: int) -> tuple[int, list[str]] | None:
    """The latest saved version's number and the values of its pupils-and-schools patterns (None: none saved)."""
    with live_app.app_context():
        version = db.session.scalar(
            select(CodebookVersion)
            .where(CodebookVersion.study_id == study_id)
            .order_by(CodebookVersion.number.desc())
            .limit(1)
        )
        found = None
        if version is not None:
            found = version.number, [p.value for p in codebook_of(version).theme("pupils-and-schools").patterns]
        db.session.remove()
    return found


def edit_preview_and_save(page: Page, live_app) -> None:
    study_id, email = study_with_passages(live_app)
    sign_in_as(page, email)
    page.goto(f"/analysis/{study_id}/codebook")
    expect(page.get_by_role("heading", level=1)).to_have_text("Codebook")
    expect(page.get_by_role("heading", name="Pupils and schools", level=2)).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Edit the theme Pupils and schools").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the theme Pupils and schools")
    patterns = page.get_by_label("Indicator patterns")
    page.get_by_text("How to write patterns").click()
    expect(page.get_by_role("cell", name="near: pupils devices 5")).to_be_visible()
    assert_no_axe_violations(page)

    # A bad line first: the error summary names it and the text stays as typed.
    original = patterns.input_value()
    patterns.fill(original + "\nword: the")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("would match almost anything")
    expect(patterns).to_have_value(original + "\nword: the")
    assert_no_axe_violations(page)

    patterns.fill(original + "\nword: ceilidh")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("heading", name="Preview: what your changes would suggest")).to_be_visible()
    expect(page.locator("#preview-newly")).to_have_text("1 passage")
    expect(page.locator("#preview-newly-examples mark")).to_have_text("ceilidh")
    expect(patterns).to_have_value(original + "\nword: ceilidh")
    assert saved_patterns(live_app, study_id) is None  # a preview saves nothing
    assert_no_axe_violations(page)

    page.get_by_label("What changed and why (optional)").fill("Ceilidhs are school events")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Version 2 of the codebook is saved.")
    expect(page.get_by_role("cell", name="Ceilidhs are school events")).to_be_visible()
    number, values = saved_patterns(live_app, study_id)
    assert number == 2 and "ceilidh" in values
    assert_no_axe_violations(page)


def test_a_lead_analyst_edits_previews_and_saves_a_theme_on_a_desktop(page: Page, live_app):
    edit_preview_and_save(page, live_app)


def test_a_lead_analyst_edits_previews_and_saves_a_theme_on_a_small_phone(mobile_page: Page, live_app):
    edit_preview_and_save(mobile_page, live_app)
