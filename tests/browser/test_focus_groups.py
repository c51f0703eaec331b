"""In a real browser: an organiser sets up the focus-group study and plans the groups.

The demo data holds the "Who are our users?" study with its volunteers, three confirmed groups and one
proposed; other browser tests may add volunteers, so counts are read from the pages, never assumed.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.models import Placement, Volunteer
from app.organisations.models import Organisation
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser


def open_demo_study(page: Page) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Focus groups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Focus groups")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Who are our users?", exact=True).click()
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
    page.get_by_label("Year").fill("2058")
    page.get_by_label("Start time").fill("9:30am")
    page.get_by_label("Meeting link or venue address").fill("https://meet.socitm.example/extra")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Slot added.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"Tue 14 May 2058, 9:30am"))).to_be_visible()

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


def latest_email(app: Flask, recipient: str, template: str) -> str:
    """The newest email of a kind to a recipient, from the outbox (the live app has no SMTP server)."""
    with app.app_context():
        body = db.session.scalar(
            select(OutboxMessage.text_body)
            .where(OutboxMessage.recipient == recipient, OutboxMessage.template == template)
            .order_by(OutboxMessage.id.desc())
        )
    assert body, f"no {template} email to {recipient} in the outbox"
    return body


def link_to(body: str, path: str) -> str:
    match = re.search(rf"https?://\S+{re.escape(path)}\S*", body)
    assert match, f"no link to {path} in:\n{body}"
    return match.group(0)


def test_a_member_volunteers_is_placed_and_accepts_from_the_email(
    page: Page, mobile_page: Page, live_app: Flask
) -> None:
    # The organiser invites the member's organisation (Kent County Council) to volunteer.
    sign_in(page, "organiser")
    open_demo_study(page)
    page.get_by_role("link", name="Invite members to volunteer").click()
    page.get_by_role("group", name="Regions").get_by_label("South East").check()
    page.get_by_role("group", name="Council types").get_by_label("County council").check()
    page.get_by_role("button", name="Show these organisations").click()
    expect(page.get_by_label("Kent County Council")).to_be_checked()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_text(re.compile(r"\d+ invitations? sent"))).to_be_visible()
    with live_app.app_context():
        kent = db.session.scalar(select(Organisation).where(Organisation.name == "Kent County Council"))
        kent_email, kent_id = kent.contact_email, kent.id
    form_link = link_to(latest_email(live_app, kent_email, "fg_recruitment"), "/volunteer")

    # The member follows the link on a phone, signs in when asked, and volunteers for every slot.
    member = mobile_page
    sign_in(member, "member")
    member.goto(form_link)
    expect(member.get_by_label("Organisation")).to_have_value(str(kent_id))
    member.get_by_label("Full name").fill("Sam Patel")
    member.get_by_label("Email address").fill("member@demo.example")
    member.get_by_label("Job role").fill("Head of ICT")
    member.get_by_role("group", name=re.compile("support schools")).get_by_role("radio", name="Yes").check()
    for group in member.get_by_role("group", name=re.compile(r"^Slot \d+")).all():
        group.get_by_role("radio", name="Yes", exact=True).check()
    member.get_by_label("I agree to take part on these terms").check()
    assert_no_axe_violations(member)
    member.get_by_role("button", name="Send").click()
    expect(member.get_by_role("heading", name="Thank you for volunteering")).to_be_visible()

    # The organiser proposes groups, makes sure the member is in the proposed group, and confirms it.
    open_demo_study(page)
    page.get_by_role("button", name="Plan the groups").click()
    page.get_by_role("button", name=re.compile(r"Propose groups")).click()
    expect(page.get_by_text(re.compile(r"group proposed"))).to_be_visible()
    proposed = page.locator("h2", has=page.locator(".govuk-tag", has_text="Proposed")).first
    slot_id = proposed.get_attribute("id").removeprefix("slot-")
    group_table = page.locator(f"#slot-{slot_id} + dl + p + table")
    page.wait_for_load_state()  # counted at once, on the whole page
    if not group_table.get_by_role("cell", name="Sam Patel").count():
        row = page.get_by_role("row", name=re.compile("Sam Patel"))
        row.get_by_label(re.compile("Move Sam Patel to")).select_option(f"{slot_id}:participant")
        row.get_by_role("button", name=re.compile("Move")).click()
        expect(page.get_by_text(re.compile(r"Sam Patel moved .* as a participant"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Confirm this group and send the invitations")).first.click()
    expect(page.get_by_text("Sam Patel")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name=re.compile(r"Confirm and send \d+ invitations?")).click()
    expect(page.get_by_role("heading", name="Done")).to_be_visible()

    # The member accepts from the invitation email, without signing in.
    invitation = latest_email(live_app, "member@demo.example", "fg_invitation")
    respond = link_to(invitation, "/focus-groups/respond/")
    visitor = member.context.browser.new_context(base_url=member.url.split("/focus-groups")[0])
    try:
        answer_page = visitor.new_page()
        answer_page.goto(respond)
        assert_no_axe_violations(answer_page)
        answer_page.get_by_role("button", name="Accept: I can come").click()
        expect(answer_page.get_by_text(re.compile("accepted|See you", re.IGNORECASE)).first).to_be_visible()
    finally:
        visitor.close()
    with live_app.app_context():
        placement = db.session.scalar(select(Placement).join(Volunteer).where(Volunteer.email == "member@demo.example"))
        assert (placement.role, placement.status, placement.slot_id) == ("participant", "accepted", int(slot_id))
        assert placement.pseudonym and placement.pseudonym.startswith("P")
