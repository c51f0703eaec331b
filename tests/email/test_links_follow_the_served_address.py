"""Links in emails start where the app is served: on a development copy without APP_BASE_URL, the address
it was opened on (`PORT=5090 make run` gives links on port 5090); in production, APP_BASE_URL whatever
Host header a request carries."""

from __future__ import annotations

import os
import re
import secrets

import pytest
from sqlalchemy import select

from app import create_app
from app.email.models import OutboxMessage
from app.email.sender import base_url, external_url
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig, TestingConfig
from tests.conftest import PASSWORD, REAL_CONTACTS, totp_code

SERVED = "http://127.0.0.1:5090"


@pytest.fixture
def config_overrides():
    # A development copy (DevelopmentConfig sets this when APP_BASE_URL is not set) still configured for 5000.
    return {"APP_BASE_URL_FOLLOWS_REQUEST": True, "APP_BASE_URL": "http://127.0.0.1:5000"}


def sign_in_at(client, email: str, where: str) -> None:
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD}, base_url=where)
    if response.headers.get("Location") == "/sign-in/code":
        response = client.post("/sign-in/code", data={"code": totp_code(email)}, base_url=where)
    assert response.status_code == 302, response.get_data(as_text=True)


def kept(subject: str) -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains(subject))).one()


def test_an_invitation_sent_from_a_copy_served_on_port_5090_links_to_port_5090(client, make_user):
    admin = make_user("admin")
    sign_in_at(client, admin.email, SERVED)
    data = {"name": "Rhiannon Evans", "email": "rhiannon@cardiff.example", "roles": ["analyst"], "organisation_id": ""}
    assert client.post("/admin/people/invite", data=data, base_url=SERVED).status_code == 302
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == data["email"])).one()
    assert re.search(r"http://127\.0\.0\.1:5090/invitation/\S+", message.text_body)
    assert 'href="http://127.0.0.1:5090/invitation/' in message.html_body
    assert ":5000" not in message.text_body + message.html_body


def test_an_email_sent_after_the_reply_links_to_where_the_copy_was_last_served(client, make_user):
    # The reset email goes once the response has gone, outside the request: it follows the last request's address.
    user = make_user("analyst", email="chris@example.org")
    client.post("/password/forgot", data={"email": user.email}, base_url="http://localhost:5123").close()
    assert "http://localhost:5123/password/reset/" in kept("Reset your password").text_body


def test_a_name_that_is_not_loopback_or_an_address_is_not_followed(app):
    # Any other name could be a DNS-rebinding page's: links stay at APP_BASE_URL.
    with app.test_request_context("/", base_url="http://attacker.example:5090"):
        assert external_url("auth.forgot_password") == "http://127.0.0.1:5000/password/forgot"
    with app.test_request_context("/", base_url="http://[::1]:5090"):
        assert base_url() == "http://[::1]:5090"


def test_only_a_development_copy_without_app_base_url_follows_the_served_address():
    assert TestingConfig.APP_BASE_URL_FOLLOWS_REQUEST is False
    assert ProductionConfig.APP_BASE_URL_FOLLOWS_REQUEST is False
    assert DevelopmentConfig.APP_BASE_URL_FOLLOWS_REQUEST is not bool(os.environ.get("APP_BASE_URL", "").strip())


def test_production_ignores_the_host_header(monkeypatch, database_url, make_user):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    config = type(
        "Production",
        (ProductionConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "APP_SINGLE_PROCESS": True,
            "MAIL_OUTBOX_ONLY": True,
            "APP_BASE_URL": "https://research.socitm.example",
            **REAL_CONTACTS,
        },
    )
    production = create_app(config)
    with production.app_context():
        make_user("analyst", email="chris@example.org")
        client = production.test_client()
        where = "https://attacker.example:5090"  # the Host header a request carries
        page = client.get("/password/forgot", base_url=where).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/password/forgot",
            data={"email": "chris@example.org", "csrf_token": token},
            base_url=where,
            headers={"Referer": f"{where}/password/forgot"},
        )
        response.close()
        assert response.status_code == 302
        body = kept("Reset your password").text_body
        assert "https://research.socitm.example/password/reset/" in body
        assert "attacker" not in body and "5090" not in body
        db.session.remove()
        db.engine.dispose()
