"""The outbox never shows an admin a link secret meant for someone else (invitation, reset, survey
invitation, a volunteer's links): the token is replaced by "[link hidden]" in the text and HTML."""

from __future__ import annotations

import re
import secrets

import pytest
from werkzeug.routing import IntegerConverter

from app.auth.services import invite_person, request_password_reset
from app.email.link_secrets import SECRET_ARGUMENTS, hide_link_secrets
from app.email.models import OutboxMessage
from app.email.sender import external_url, send_email
from app.extensions import db
from tests.conftest import page_text

# Every name a route's non-numeric path argument has. A new one must be looked at: if it carries a
# secret, name it `token` so the outbox hides it (app/email/link_secrets.py).
NOT_SECRET_ARGUMENTS = {
    *("slug", "page_id", "question_id", "section_id", "fmt", "filename", "theme", "extension"),
    *("kind", "outcome", "row"),  # the framework matrix's row kind and anonymous row code; an outcome slug
}


def token_routes(app) -> list[str]:
    """The endpoints whose links carry a secret."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if SECRET_ARGUMENTS & set(rule.arguments)})


def test_every_path_argument_is_either_a_token_or_known_not_to_be_secret(app):
    names = {
        name
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if not isinstance(converter, IntegerConverter)
    }
    assert names - NOT_SECRET_ARGUMENTS <= SECRET_ARGUMENTS, names - NOT_SECRET_ARGUMENTS - SECRET_ARGUMENTS


def test_the_known_secret_links_are_all_covered(app):
    assert {
        "auth.accept_invitation",
        "auth.reset_password",
        "surveys.invitation",
        "focus_groups.respond",
        "focus_groups.withdraw",
        "focus_groups.confirm_volunteer_change",
    } <= set(token_routes(app))


def _link(app, endpoint: str, secret: str) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {name: 7 for name in rule.arguments if name != "token"}
    return external_url(endpoint, token=secret, **values)


@pytest.fixture
def admin(signed_in):
    """An administrator signed in with the `client` fixture."""
    return signed_in("admin", email="admin@socitm.example")


def test_each_secret_link_is_hidden_in_the_text_and_html_an_admin_reads(app, client, admin):
    class Person:
        name = "Sam Patel"

    for endpoint in token_routes(app):
        secret = secrets.token_urlsafe(32)
        link = _link(app, endpoint, secret)
        record = send_email(
            "sam@kent.example", "Welcome", "invitation", user=Person(), invited_by=None, link=link, hours=1
        )
        db.session.commit()
        text = page_text(client.get(f"/admin/outbox/{record.id}"))
        html = client.get(f"/admin/outbox/{record.id}/html").get_data(as_text=True)
        for shown in (text, html):
            assert secret not in shown, endpoint
            assert link.replace(secret, "[link hidden]") in shown, endpoint
        assert "Links that would let someone act as the recipient are hidden" in text
        assert f'href="{link.replace(secret, "[link hidden]")}' not in text  # not a link to follow
        assert secret in db.session.get(OutboxMessage, record.id).text_body  # the email itself is whole


def test_an_invitation_and_a_reset_in_the_outbox_show_no_live_token(app, client, admin):
    person = invite_person(
        email="ann@kent.example", name="Ann Lee", roles=["analyst"], organisation_id=None, invited_by=admin
    )
    request_password_reset(admin.email)  # an admin's own reset: theirs to see
    invitation, reset = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    live = re.search(r"/invitation/(\S+)", invitation.text_body).group(1)
    assert "are hidden from everyone but the recipient" in page_text(client.get("/admin/outbox/"))
    page = page_text(client.get(f"/admin/outbox/{invitation.id}"))
    assert person.email in page and "http://localhost/invitation/[link hidden]" in page and live not in page
    own = page_text(client.get(f"/admin/outbox/{reset.id}"))
    assert re.search(r'href="http://localhost/password/reset/[\w-]+"', own)  # the recipient sees their own
    client.post("/sign-out")
    assert client.get(f"/invitation/{live}").status_code == 200  # the hidden link still works for Ann


def test_other_links_and_text_are_left_alone(app):
    body = (
        "Start here: http://localhost/surveys/schools-ict/ and see https://www.socitm.net/invitation/x.\n"
        "Keep http://localhost/focus-groups/respond/12.abcdef?answered=accept safe."
    )
    hidden = hide_link_secrets(body)
    assert "http://localhost/surveys/schools-ict/" in hidden
    assert "http://localhost/focus-groups/respond/[link hidden]?answered=accept" in hidden
    assert "12.abcdef" not in hidden
    # Another site's address with a path like ours is hidden too: a stored link under an older
    # APP_BASE_URL must not slip through, and hiding more than needed costs nothing.
    assert "https://www.socitm.net/invitation/[link hidden]" in hidden
