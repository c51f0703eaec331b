"""In a real browser, at 1280 and 320 px with the axe-core check: a lead analyst sets up a double-coding
round of three passages, two analysts code it blind (one on a phone), and the agreement page shows kappa
and the disagreements, one of which the lead resolves; and coding without JavaScript."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.analysis.models import Code, CodingRound
from app.analysis.sources import sync_study
from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from app.focus_groups.models import Study
from app.focus_groups.notes.taking import NoteInput, add_note
from app.focus_groups.studies.services import add_slot, create_study
from tests.browser.conftest import DEMO_PASSWORD, assert_no_axe_violations, open_page, sign_in_as

pytestmark = pytest.mark.browser

NOTES = (
    "Pupils are counted as users in our benchmarking figures.",
    "Schools buy broadband and filtering from us as a traded service.",
    "The service desk spends a third of its time on school tickets.",
    "Councillors get a priority line to the service desk.",
)


def set_up_study_and_people(live_app, marker: str) -> dict:
    """A study of its own with four one-sentence notes read into passages, a lead and two analysts."""
    with live_app.app_context():
        study = create_study(f"Agreement journey {marker}")
        slot = add_slot(study, datetime(2055, 3, 1, 10, 0, tzinfo=UTC), location="https://meet.example.org/x")
        for text in NOTES:
            add_note(slot, NoteInput(text))
        db.session.commit()
        sync_study(study)
        people = {}
        for key, role, name in (
            ("lead", "lead_analyst", f"Lena Lead {marker}"),
            ("a", "analyst", f"Ada Analyst {marker}"),
            ("b", "analyst", f"Bo Analyst {marker}"),
        ):
            user = User(email=f"{key}-{marker}@example.org", name=name)
            user.password_hash = hash_password(DEMO_PASSWORD)
            user.set_roles([role])
            db.session.add(user)
            people[key] = (user.email, name)
        db.session.commit()
        found = {"study": study.id, **people}
        db.session.remove()
    return found


def code_every_passage(page: Page, choices: list[str], then: str) -> None:
    """Code the round's passages in order, ticking one label each (axe checked on the first), and see `then`."""
    for number, label in enumerate(choices, start=1):
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Passage {number} of {len(choices)}")
        if number == 1:
            assert_no_axe_violations(page)
        page.get_by_label(label, exact=True).check()
        page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(then)


def test_a_lead_sets_up_a_round_two_analysts_code_it_and_the_agreement_shows(page: Page, mobile_page: Page, live_app):
    marker = secrets.token_hex(3)
    setup = set_up_study_and_people(live_app, marker)
    rounds_url = f"/analysis/{setup['study']}/rounds"

    # The lead sets up a round of three passages.
    sign_in_as(page, setup["lead"][0])
    page.goto(rounds_url)
    expect(page.get_by_text("There are no double-coding rounds in this study yet")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Set up a round").click()
    page.get_by_label("Title").fill("First check")
    page.get_by_label("Sample size").fill("1e1000000")
    page.get_by_role("button", name="Set up the round").click()
    expect(page.get_by_role("alert")).to_contain_text("The sample size must be a whole number of passages")
    assert_no_axe_violations(page)
    expect(page.get_by_label("Sample size")).to_have_value("1e1000000")
    page.get_by_label("Sample size").fill("3")
    page.get_by_label("Coder A").select_option(label=f"{setup['a'][1]} ({setup['a'][0]})")
    page.get_by_label("Coder B").select_option(label=f"{setup['b'][1]} ({setup['b'][0]})")
    page.get_by_role("button", name="Set up the round").click()
    expect(page.get_by_text("Round ‘First check’ set up with 3 passages.")).to_be_visible()
    expect(page.get_by_text("0 of 3 coded")).to_have_count(2)
    assert_no_axe_violations(page)

    # Coder A codes on a desktop: the same theme everywhere.
    lead_url = page.url
    page.context.clear_cookies()
    sign_in_as(page, setup["a"][0])
    page.goto(rounds_url)
    page.get_by_role("link", name=re.compile("^Continue coding")).click()
    code_every_passage(page, ["Pupils and schools"] * 3, "You have coded all 3 passages")
    page.goto(rounds_url)
    page.get_by_role("link", name=re.compile("^Agreement")).click()
    expect(page.get_by_text("appear once both of you have coded every passage")).to_be_visible()

    # Coder B codes on a phone: agrees on the first passage, not on the other two.
    sign_in_as(mobile_page, setup["b"][0])
    mobile_page.goto(rounds_url)
    assert_no_axe_violations(mobile_page)
    mobile_page.get_by_role("link", name=re.compile("^Continue coding")).click()
    code_every_passage(
        mobile_page,
        ["Pupils and schools", "None of these themes applies", "Demand and strain"],
        "This round is complete",
    )

    # The lead reads the agreement on a phone and on a desktop, and resolves a disagreement.
    mobile_page.context.clear_cookies()
    sign_in_as(mobile_page, setup["lead"][0])
    mobile_page.goto(lead_url)
    mobile_page.get_by_role("link", name=re.compile("^Agreement")).click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Agreement between the coders")
    expect(mobile_page.get_by_text("Krippendorff's alpha (MASI)")).to_be_visible()
    assert_no_axe_violations(mobile_page)

    page.context.clear_cookies()
    sign_in_as(page, setup["lead"][0])
    page.goto(rounds_url)
    page.get_by_role("link", name=re.compile("^Agreement")).click()
    table = page.locator("#themes-table")
    expect(table.get_by_role("columnheader", name="Cohen's kappa")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^Pupils and schools"))).to_contain_text("Unreliable")
    expect(table.get_by_role("row", name=re.compile("^User definitions"))).to_contain_text("Undefined")
    expect(page.get_by_role("heading", name="Disagreements (2)")).to_be_visible()
    assert_no_axe_violations(page)
    first = page.locator("section").filter(has=page.get_by_role("heading", name=re.compile(r"^Passage \d of 3")))
    expect(first).to_have_count(2)
    section = first.first
    expect(section).to_contain_text(f"Coder A ({setup['a'][1]})")
    expect(section).to_contain_text(f"Coder B ({setup['b'][1]})")
    section.get_by_label("Pupils and schools", exact=True).check()
    section.get_by_label("Note (optional)").fill("Schools are the subject.")
    section.get_by_role("button", name=re.compile("^Resolve")).click()
    expect(
        page.get_by_text(re.compile(r"Passage \d resolved: its agreed themes are now accepted codes"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(f"Resolved by {setup['lead'][1]}"))).to_be_visible()
    assert_no_axe_violations(page)

    with live_app.app_context():
        coding_round = db.session.scalar(select(CodingRound).where(CodingRound.study_id == setup["study"]))
        resolved = [item for item in coding_round.items if item.resolved_at is not None]
        assert len(resolved) == 1 and resolved[0].resolved_themes == ["pupils-and-schools"]
        status = db.session.scalar(
            select(Code.status).where(Code.passage_id == resolved[0].passage_id, Code.theme == "pupils-and-schools")
        )
        assert status == "accepted"
        db.session.remove()


def test_coding_works_without_javascript(browser, live_server, live_app, browser_errors):
    marker = secrets.token_hex(3)
    setup = set_up_study_and_people(live_app, marker)
    with live_app.app_context():
        from app.analysis.rounds import create_round

        study = db.session.get(Study, setup["study"])
        emails = (setup["a"][0], setup["b"][0])
        coder_a, coder_b = (db.session.scalar(select(User).where(User.email == email)) for email in emails)
        round_id = create_round(study, "No scripts", 2, coder_a.id, coder_b.id).id
        db.session.remove()
    page = open_page(browser, live_server, browser_errors, java_script_enabled=False)
    try:
        sign_in_as(page, setup["a"][0])
        page.goto(f"/analysis/{setup['study']}/rounds/{round_id}/code")
        page.get_by_label("User definitions", exact=True).check()
        page.get_by_label("None of these themes applies", exact=True).check()  # no script unticks the other
        page.get_by_role("button", name="Save and continue").click()
        # (No axe check here: with scripts off, axe cannot run; the page is checked with them on above.)
        expect(page.get_by_role("alert")).to_contain_text("not both")
        page.get_by_label("User definitions", exact=True).uncheck()
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Passage 2 of 2")
    finally:
        page.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)
