"""ASVS 7.5: confirming one's identity (password, and a code where set up) before changing one's
password or two-factor settings, or another person's roles or two-factor authentication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.reauth import FORM_SHOWN_KEY, REAUTH_SESSION_KEY
from app.clock import utcnow
from app.extensions import db
from tests.conftest import PASSWORD, page_text, sign_in, totp_code, wrong_code


def _long_ago(client) -> None:
    """As if the sign-in (or the last confirmation) was ten minutes ago, and no page shown since."""
    with client.session_transaction() as session:
        session[REAUTH_SESSION_KEY] = (utcnow() - timedelta(minutes=10)).isoformat()
        session.pop(FORM_SHOWN_KEY, None)


@pytest.mark.parametrize(
    "path",
    [
        "/account/password",
        "/account/two-factor/set-up",
        "/account/two-factor/recovery-codes",
        "/account/two-factor/turn-off",
        "/admin/people/invite",
        "/admin/people/{other}/edit",
        "/admin/people/{other}/two-factor/reset",
    ],
)
def test_sensitive_changes_ask_who_you_are_when_the_sign_in_was_not_recent(client, make_user, path):
    admin = make_user("admin")
    other = make_user("organiser", two_factor=True)
    sign_in(client, admin.email)
    path = path.format(other=other.id)
    assert client.get(path).status_code == 200  # just signed in: no need to ask again
    _long_ago(client)
    for method in ("GET", "POST"):
        response = client.open(path, method=method, data={})
        assert response.status_code == 303, (method, path)
        assert response.headers["Location"] == "/account/confirm-identity?next=" + path
    db.session.refresh(other)
    assert other.has_two_factor  # the refused POST changed nothing


def test_changing_roles_needs_the_password_and_code_again(client, make_user):
    admin = make_user("admin")
    other = make_user("analyst")
    sign_in(client, admin.email)
    _long_ago(client)
    data = {"name": other.name, "roles": ["analyst", "organiser"], "organisation_id": ""}
    response = client.post(f"/admin/people/{other.id}/edit", data=data)
    confirm = response.headers["Location"]
    page = page_text(client.get(confirm))
    assert "Confirm it is you" in page and 'name="code"' in page

    response = client.post(confirm, data={"password": "not my password", "code": totp_code(admin.email)})
    page = page_text(response)
    assert response.status_code == 200 and "There is a problem" in page and "Your password is not right" in page
    assert "not my password" not in page

    response = client.post(confirm, data={"password": PASSWORD, "code": ""})
    assert "Enter the code from your authenticator app" in page_text(response)
    wrong = wrong_code()
    response = client.post(confirm, data={"password": PASSWORD, "code": wrong})
    assert "The code is not right" in page_text(response) and f'value="{wrong}"' not in page_text(response)

    response = client.post(confirm, data={"password": PASSWORD, "code": totp_code(admin.email)})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/people/{other.id}/edit"
    assert client.post(f"/admin/people/{other.id}/edit", data=data).status_code == 302
    db.session.refresh(other)
    assert other.roles == {"analyst", "organiser"}
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)).all()
    assert (
        "auth.reauthentication_failed" in actions
        and "auth.reauthenticated" in actions
        and "people.roles_changed" in actions
    )


def test_without_two_factor_the_password_alone_confirms(client, make_user):
    member = make_user("member")
    sign_in(client, member.email)
    _long_ago(client)
    confirm = client.get("/account/password").headers["Location"]
    assert 'name="code"' not in page_text(client.get(confirm))
    response = client.post(confirm, data={"password": PASSWORD})
    assert response.headers["Location"] == "/account/password"
    assert client.get("/account/password").status_code == 200


def test_confirming_only_returns_to_this_sites_pages(client, make_user):
    member = make_user("member")
    sign_in(client, member.email)
    response = client.post("/account/confirm-identity?next=https://evil.example/", data={"password": PASSWORD})
    assert response.headers["Location"] == "/account"
