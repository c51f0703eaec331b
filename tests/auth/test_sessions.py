"""Sessions: an absolute lifetime beside the idle timeout, sign-out that asks the browser to forget the
site's cookies and cache (but never the session notes waiting in it), and production's cookies."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from app import create_app
from app.auth import passwords
from app.extensions import db
from config import ProductionConfig
from tests.conftest import PASSWORD, REAL_CONTACTS, link_in, page_text, sign_in


def test_a_busy_session_still_ends_after_the_absolute_timeout(client, make_user):
    user = make_user("analyst")
    sign_in(client, user.email)
    with client.session_transaction() as session:
        session["started_at"] = (datetime.now(UTC) - timedelta(hours=12, minutes=1)).isoformat()
        session["last_seen"] = datetime.now(UTC).isoformat()  # active a moment ago
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    page = page_text(client.get(response.headers["Location"]))
    assert "Your session ended because it began more than 12 hours ago. Sign in again to carry on." in page
    assert client.get("/account").status_code == 302  # signed out, not only sent away


def test_a_session_within_its_lifetime_carries_on(client, make_user):
    user = make_user("analyst")
    sign_in(client, user.email)
    with client.session_transaction() as session:
        started = datetime.fromisoformat(session["started_at"])
        assert datetime.now(UTC) - started < timedelta(minutes=1)  # the clock starts at sign-in
        session["started_at"] = (datetime.now(UTC) - timedelta(hours=11, minutes=59)).isoformat()
    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:  # noting activity does not restart the clock
        session["last_seen"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    client.get("/account")
    with client.session_transaction() as session:
        assert datetime.now(UTC) - datetime.fromisoformat(session["started_at"]) > timedelta(hours=11)


def test_signing_in_again_starts_a_new_lifetime(client, make_user):
    user = make_user("analyst")
    with client.session_transaction() as session:
        session["started_at"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()  # left from before
    sign_in(client, user.email)
    assert client.get("/account").status_code == 200


def test_an_invitation_links_access_ends_after_the_absolute_timeout_too(client):
    with client.session_transaction() as session:
        session["survey_invitations"] = {"1": 1}
        session["without_account"] = True
        session["started_at"] = (datetime.now(UTC) - timedelta(hours=13)).isoformat()
        session["last_seen"] = datetime.now(UTC).isoformat()
    client.get("/")
    with client.session_transaction() as session:
        assert "survey_invitations" not in session and "without_account" not in session


def test_sign_out_asks_the_browser_to_forget_its_cookies_but_not_storage(client, make_user):
    user = make_user("facilitator")
    sign_in(client, user.email)
    response = client.post("/sign-out")
    # Not "storage": session notes not yet on the server wait in localStorage for this person.
    assert response.headers["Clear-Site-Data"] == '"cookies"'
    assert response.headers["Location"] == "/sign-in?signed_out=1"
    # The browser ignores cookies set alongside Clear-Site-Data, so the message is not in one.
    assert "Set-Cookie" not in response.headers or "Expires=Thu, 01 Jan 1970" in response.headers["Set-Cookie"]
    assert "You have signed out." in page_text(client.get(response.headers["Location"]))
    assert client.get("/account").status_code == 302


class TestClearSiteDataSetting:
    @pytest.fixture
    def config_overrides(self):
        return {"SIGN_OUT_CLEAR_SITE_DATA": ""}

    def test_a_site_sharing_its_domain_can_keep_other_services_cookies(self, client, make_user):
        sign_in(client, make_user("analyst").email)
        response = client.post("/sign-out")
        assert "Clear-Site-Data" not in response.headers
        assert "You have signed out." in page_text(client.get(response.headers["Location"]))
        assert client.get("/account").status_code == 302


def test_an_unknown_account_costs_the_same_argon2_verification(client, make_user, monkeypatch):
    """No timing difference: an unknown address is checked against a real argon2id hash too."""
    make_user("analyst", email="known@example.org")
    checked: list[str] = []

    class Counting:
        """The real hasher, noting which hash each verification was made against."""

        def __init__(self, hasher):
            self.hasher = hasher

        def __getattr__(self, name):
            return getattr(self.hasher, name)

        def verify(self, hash_: str, password: str) -> bool:
            checked.append(hash_)
            return self.hasher.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", Counting(passwords._hasher))
    known = sign_in(client, "known@example.org", "wrong password")
    unknown = sign_in(client, "nobody@example.org", "wrong password")
    assert len(checked) == 2 and all(hash_.startswith("$argon2id$") for hash_ in checked)
    assert known.status_code == unknown.status_code == 200
    assert page_text(known).replace("known@", "X@") == page_text(unknown).replace("nobody@", "X@").replace(
        _nonce(unknown), _nonce(known)
    ).replace(_csrf(unknown), _csrf(known))


def _nonce(response) -> str:
    return re.search(r"nonce-([\w-]+)", response.headers["Content-Security-Policy"]).group(1)


def _csrf(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', response.get_data(as_text=True))
    return match.group(1) if match else ""


def test_unknown_used_and_expired_account_links_look_the_same(client, make_user, mailbox):
    from app.auth.models import AccountToken
    from app.auth.services import invite_person
    from app.extensions import db

    admin = make_user("admin")
    invite_person(email="ann@example.org", name="Ann Lee", roles=["analyst"], organisation_id=None, invited_by=admin)
    token = db.session.query(AccountToken).one()
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    expired = client.get(link_in(mailbox[0]))
    unknown = client.get(f"/invitation/{secrets.token_urlsafe(32)}")
    assert expired.status_code == unknown.status_code == 404
    heading = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
    assert heading.search(page_text(expired)).group(1) == heading.search(page_text(unknown)).group(1)


@pytest.fixture
def production_client(monkeypatch, database_url):
    """A client of the app as production builds it (over HTTPS), on the test database."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    config = type(
        "Production",
        (ProductionConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "APP_SINGLE_PROCESS": True,
            "MAIL_OUTBOX_ONLY": True,
            **REAL_CONTACTS,
        },
    )
    app = create_app(config)
    with app.app_context():
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def test_production_cookies_are_host_prefixed_secure_http_only_and_same_site(production_client, make_user):
    user = make_user("analyst")
    page = production_client.get("/sign-in", base_url="https://localhost")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-socitm_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes and "domain" not in attributes
    assert "Path=/;" in cookie + ";" and "SameSite=Lax" in cookie
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = production_client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/sign-in"},
    )
    assert response.status_code == 302
    assert response.headers["Set-Cookie"].startswith("__Host-socitm_session=")
    assert production_client.get("/account", base_url="https://localhost").status_code == 200
