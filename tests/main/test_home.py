"""The home page of people signed in (app/main/home.py): one part for each line of work their roles give
them, provided by the features through the hook `HOME`, and the administrator's own part."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.models import AccountToken
from app.auth.services import invite_person
from app.clock import utcnow
from app.extensions import db
from app.hooks import HOME, HomeSection, register
from app.main.home import admin_overview, home_sections
from app.surveys.services import ensure_default_survey
from tests.conftest import page_text, sign_in


def _refusal(action: str, days_ago: float = 0, **detail) -> None:
    event = record(action, object_type="endpoint", object_id="people.index", **detail)
    event.occurred_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def test_the_administrator_sees_invitations_not_accepted_and_whether_their_links_still_work(app, make_user):
    admin = make_user("admin")
    waiting = invite_person(
        email="wren@example.org", name="Wren Waiting", roles=["analyst"], organisation_id=None, invited_by=admin
    )
    lapsed = invite_person(
        email="lee@example.org", name="Lee Lapsed", roles=["organiser"], organisation_id=None, invited_by=admin
    )
    db.session.execute(
        update(AccountToken).where(AccountToken.user_id == lapsed.id).values(expires_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    overview = admin_overview()
    assert overview.invitations_total == 2
    found = {item.name: item for item in overview.invitations}
    assert not found["Wren Waiting"].expired and found["Wren Waiting"].link_expires_at > utcnow()
    assert found["Lee Lapsed"].expired
    assert waiting.id in {item.user_id for item in overview.invitations}


def test_the_administrator_sees_the_last_weeks_refusals_by_kind_and_the_latest(app, make_user):
    _refusal("auth.sign_in_failed", email="someone@example.org")
    _refusal("auth.sign_in_failed", days_ago=1, email="someone@example.org")
    _refusal("security.access_refused", days_ago=2, path="/admin/people/")
    _refusal("auth.sign_in_failed", days_ago=8)  # more than a week ago
    _refusal("auth.signed_in")  # not a refusal
    overview = admin_overview()
    assert overview.refusal_counts == [
        ("auth.sign_in_failed", "Failed sign-ins", 2),
        ("security.access_refused", "Pages refused", 1),
    ]
    assert [(r.what, r.who, r.where) for r in overview.refusals] == [
        ("Failed sign-in", "someone@example.org", None),
        ("Failed sign-in", "someone@example.org", None),
        ("Page refused", "Someone not signed in", "/admin/people/"),
    ]


def test_the_administrators_home_leads_to_their_pages(client, make_user):
    admin = make_user("admin", name="Dana Admin")
    invite_person(
        email="wren@example.org", name="Wren Waiting", roles=["analyst"], organisation_id=None, invited_by=admin
    )
    client.post("/sign-in", data={"email": "wren@example.org", "password": "not the password"})
    sign_in(client, admin.email)
    page = page_text(client.get("/"))
    assert "Invitations not yet accepted" in page and "Wren Waiting" in page and "link works until" in page
    assert "Failed sign-ins" in page and 'href="/admin/audit/?action=auth.sign_in_failed"' in page
    for href in ("/surveys/manage/", "/focus-groups/", "/admin/people/", "/admin/outbox/", "/admin/audit/"):
        assert f'href="{href}"' in page


def test_an_administrator_with_nothing_waiting_is_told_so(client, make_user):
    sign_in(client, make_user("admin").email)
    page = page_text(client.get("/"))
    assert "Everyone invited has set their password." in page
    assert "No failed sign-ins or refused pages in the last 7 days." in page


def test_someone_with_several_roles_sees_each_part_under_its_own_heading(client, make_user):
    ensure_default_survey().open_to_all_members = True
    db.session.commit()
    person = make_user(("member", "organiser", "facilitator", "analyst", "admin"), name="Pat Many")
    sign_in(client, person.email)
    page = page_text(client.get("/"))
    headings = re.findall(r'<h2 class="govuk-heading-m" id="[^"]+">([^<]+)</h2>', page)
    assert headings == [
        "Your organisation's survey",
        "Surveys",
        "Focus groups",
        "Your sessions",
        "Analysis",
        "Administration",
        "Your account",
    ]


def test_each_role_sees_only_its_own_parts(client, make_user):
    expected = {
        "member": ["Your organisation's surveys", "Your account"],
        "organiser": ["Surveys", "Focus groups", "Your account"],
        "facilitator": ["Your sessions", "Your account"],
        "analyst": ["Analysis", "Your account"],
        "lead_analyst": ["Analysis", "Your account"],
        "admin": ["Administration", "Your account"],
    }
    for role, headings in expected.items():
        sign_in(client, make_user(role).email)
        page = page_text(client.get("/"))
        assert re.findall(r'<h2 class="govuk-heading-m" id="[^"]+">([^<]+)</h2>', page) == headings, role
        client.post("/sign-out")


def test_parts_come_from_the_hook_in_their_order(app, make_user):
    def first(user):
        return HomeSection("Comes first", "main/home_admin.html", order=1)

    register(app, HOME, first)
    with app.test_request_context():
        sections = home_sections(make_user("analyst"))
    assert [section.heading for section in sections] == ["Comes first", "Analysis"]
    assert sections[0].heading_id == "home-main-home-admin"


def test_refused_pages_are_recorded_for_the_administrators_home(client, make_user):
    sign_in(client, make_user("member").email)
    client.get("/admin/people/")
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="security.access_refused").count() == 1
    assert admin_overview().refusal_counts == [("security.access_refused", "Pages refused", 1)]
