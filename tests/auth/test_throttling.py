"""Sign-in throttling: nobody can lock an owner out of their account, the owner is told when it is
attacked from many places, the counts are shared by every worker through Redis, and production
refuses settings that would multiply the limits."""

from __future__ import annotations

import os
import secrets

import pytest
import redis
from sqlalchemy import select

from app import create_app
from app.audit.models import AuditEvent
from app.extensions import db
from config import ProductionConfig
from tests.conftest import PASSWORD, REAL_CONTACTS, _config_for, page_text, text_part

ATTACKER = "203.0.113.5"
OWNER = "198.51.100.7"
WRONG = "not the right one"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def from_client(app, address: str):
    """A test client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, email: str, password: str | None = None):
    """Post the sign-in form (a wrong password unless one is given), and close the response as a
    server does once it is sent."""
    response = client.post("/sign-in", data={"email": email, "password": password or WRONG})
    response.close()
    return response


def test_failures_from_one_client_do_not_lock_the_owner_out(app, make_user):
    user = make_user("analyst")
    attacker = from_client(app, ATTACKER)
    for _ in range(5):
        assert attempt(attacker, user.email).status_code == 200
    refused = attempt(attacker, user.email, PASSWORD)  # that client now waits, even with the right password
    assert refused.status_code == 429 and "Too many attempts" in page_text(refused)
    owner = from_client(app, OWNER)
    assert attempt(owner, user.email, PASSWORD).status_code == 302
    assert "Hello," in page_text(owner.get("/"))


class TestManyClientsAgainstOneAccount:
    @pytest.fixture
    def config_overrides(self):
        return {"LOGIN_ALERT_PER_ACCOUNT": "8 per hour"}

    def test_the_owner_is_told_once_and_can_still_sign_in(self, app, make_user, mailbox):
        user = make_user("analyst", name="Chris Okafor")
        for n in range(6):  # a botnet: two failures from each of six clients, never enough to throttle one
            client = from_client(app, f"192.0.2.{n + 10}")
            for _ in range(2):
                assert attempt(client, user.email.upper()).status_code == 200
        [alert] = mailbox
        assert alert["To"] == user.email
        assert alert["Subject"] == "Someone is trying to sign in to your Socitm member research account"
        body = text_part(alert)
        assert body.startswith("Hello Chris Okafor,")
        assert "Your account has not been locked" in body and "http://localhost/password/forgot" in body
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_alert_sent")).all()
        assert [event.object_id for event in events] == [str(user.id)]
        assert attempt(from_client(app, OWNER), user.email, PASSWORD).status_code == 302

    def test_an_unknown_address_gets_the_same_replies_and_nobody_is_emailed(self, app, make_user, mailbox):
        make_user("analyst", email="known@example.org")
        replies = {}
        for email in ("known@example.org", "nobody@example.org"):
            pages = set()
            for n in range(10):
                response = attempt(from_client(app, f"192.0.2.{n + 40}"), email)
                pages.add((response.status_code, "Enter a correct email address and password" in page_text(response)))
            replies[email] = pages
        assert replies["known@example.org"] == replies["nobody@example.org"] == {(200, True)}
        assert [message["To"] for message in mailbox] == ["known@example.org"]


def test_reset_emails_to_one_address_are_limited_whoever_asks(app, make_user, mailbox):
    user = make_user("analyst")
    for n in range(5):
        response = from_client(app, f"192.0.2.{n + 70}").post("/password/forgot", data={"email": user.email})
        response.close()
        assert response.status_code == 302 and response.headers["Location"] == "/password/check-your-email"
    assert [message["To"] for message in mailbox] == [user.email] * 3


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"no Redis at {REDIS_URL} (REQUIRE_REDIS=1 makes this a failure)")


class TestSharedThroughRedis:
    @pytest.fixture
    def config_overrides(self):
        _redis_or_skip()
        return {"RATELIMIT_STORAGE_URI": REDIS_URL}

    def test_two_workers_share_the_count(self, app, database_url, config_overrides, make_user):
        # Each run uses its own client address, so runs (SQLite and PostgreSQL at once) never share keys.
        address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        email = make_user("analyst", email=f"shared-{secrets.token_hex(4)}@example.org").email
        for _ in range(3):
            assert attempt(from_client(app, address), email).status_code == 200
        # A second worker: its own app and its own connection to the limiter's storage.
        second = create_app(_config_for(database_url, **config_overrides))
        with second.app_context():
            for _ in range(2):
                assert attempt(from_client(second, address), email).status_code == 200
            assert attempt(from_client(second, address), email, PASSWORD).status_code == 429
            db.session.remove()
            db.engine.dispose()  # this second app's connections, before the test's own app goes on


def production(**settings) -> type[ProductionConfig]:
    """ProductionConfig with some settings changed, as environment variables would."""
    base = {"RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0", "MAIL_SERVER": "smtp.internal", **REAL_CONTACTS}
    return type("Production", (ProductionConfig,), {**base, **settings})


@pytest.fixture
def real_secret_key(monkeypatch):
    """A production-grade SECRET_KEY, and no worker settings from the environment running the tests."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)


def test_production_starts_with_redis_throttling_and_smtp(real_secret_key):
    production().check()


def test_production_refuses_memory_storage_unless_one_process_is_promised(real_secret_key, monkeypatch):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI is memory://"):
        production(RATELIMIT_STORAGE_URI="memory://").check()
    production(RATELIMIT_STORAGE_URI="memory://", APP_SINGLE_PROCESS=True).check()
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with pytest.raises(RuntimeError, match=r"\(4 workers are configured\)"):
        production(RATELIMIT_STORAGE_URI="memory://", APP_SINGLE_PROCESS=True).check()
    monkeypatch.delenv("WEB_CONCURRENCY")
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--bind 127.0.0.1:8000 --workers=3")
    with pytest.raises(RuntimeError, match=r"\(3 workers are configured\)"):
        production(RATELIMIT_STORAGE_URI="memory://", APP_SINGLE_PROCESS=True).check()
    production().check()  # Redis: any number of workers


def test_production_refuses_to_keep_emails_in_the_outbox_unless_chosen(real_secret_key):
    with pytest.raises(RuntimeError, match="MAIL_SERVER is not set"):
        production(MAIL_SERVER="").check()
    production(MAIL_SERVER="", MAIL_OUTBOX_ONLY=True).check()


def test_the_limiter_never_holds_or_logs_an_address(app, make_user, caplog):
    """Its keys are keyed hashes: neither the store (Redis in production) nor its log lines hold the address."""
    import logging

    from app.extensions import limiter

    caplog.set_level(logging.DEBUG)
    user = make_user("analyst", email="kim.ng@kent.example")
    attacker = from_client(app, ATTACKER)
    for _ in range(6):
        attempt(attacker, user.email)
        attempt(attacker, "nobody.here@kent.example")
    app.test_client().post("/password/forgot", data={"email": user.email}).close()
    keys = " ".join(map(str, limiter.storage.storage))
    assert "sign-in" in keys and "reset" in keys
    assert "kim.ng" not in keys and "nobody.here" not in keys
    assert not [r for r in caplog.records if "kim.ng" in r.getMessage() or "nobody.here" in r.getMessage()]
