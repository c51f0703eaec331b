"""While Redis (the limiter's storage) cannot be reached: by default each process counts attempts in its own
memory, under every form's own limits, so people still sign in and a guesser is still stopped; with the
fallback turned off, sign-in fails closed with the service's error page (docs/deployment.md, "Redis for
throttling")."""

from __future__ import annotations

import socket

import pytest

from app import LIMITER_FALLBACK_STATE
from app.extensions import limiter
from tests.auth.test_throttling import ATTACKER, OWNER, WRONG, attempt, from_client
from tests.conftest import PASSWORD, page_text


@pytest.fixture
def redis_gone():
    """A Redis URL on which nothing listens: a real refused connection (the socket is held, so no other
    process takes the port, and never listened on)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


class TestFallsBackToEachProcesssOwnCount:
    @pytest.fixture
    def config_overrides(self, redis_gone):
        return {"RATELIMIT_STORAGE_URI": redis_gone}

    def test_people_sign_in_and_a_guesser_is_still_stopped(self, app, make_user):
        user = make_user("analyst")
        owner = from_client(app, OWNER)
        for _ in range(8):  # the sign-in page and successful sign-ins count against nothing
            assert owner.get("/sign-in").status_code in (200, 302)
        assert attempt(owner, user.email, PASSWORD).status_code == 302
        attacker = from_client(app, ATTACKER)
        replies = [attempt(attacker, user.email, WRONG).status_code for _ in range(6)]
        assert replies == [200] * 5 + [429]  # the per-account-and-client limit, 5 per 15 minutes, in memory
        refused = attempt(attacker, user.email, PASSWORD)
        assert refused.status_code == 429 and "Too many attempts" in page_text(refused)
        assert attempt(from_client(app, "198.51.100.99"), user.email, PASSWORD).status_code == 302


class TestFailsClosedWhenTheFallbackIsOff:
    @pytest.fixture
    def config_overrides(self, redis_gone):
        return {"RATELIMIT_STORAGE_URI": redis_gone, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False}

    def test_nobody_signs_in_and_the_page_says_so_without_a_traceback(self, app, make_user):
        user = make_user("analyst")
        owner = from_client(app, OWNER)
        response = attempt(owner, user.email, PASSWORD)
        page = page_text(response)
        assert response.status_code == 500
        assert "Sorry" in page and "Traceback" not in page and "ConnectionError" not in page
        assert "Hello," not in page_text(owner.get("/"))  # the same browser: not signed in


def test_the_limiter_state_set_for_each_app_is_still_flask_limiters():
    """app/__init__.py sets these private attributes of Flask-Limiter (pinned) for each app: an upgrade
    that renames them must fail here, not quietly keep one app's fallback for the next."""
    assert all(hasattr(limiter, name) for name in LIMITER_FALLBACK_STATE)
