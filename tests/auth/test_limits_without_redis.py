"""While Redis (the limiter's storage) cannot be reached: by default each process counts sign-in attempts
in its own memory, so people still sign in and a guesser is still stopped; with the fallback turned off,
sign-in fails closed with the service's error page (docs/deployment.md, "Redis for throttling")."""

from __future__ import annotations

import socket

import pytest

from tests.auth.test_throttling import ATTACKER, OWNER, WRONG, attempt, from_client
from tests.conftest import PASSWORD, page_text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


GONE = f"redis://127.0.0.1:{_closed_port()}/0"


class TestFallsBackToEachProcesssMemory:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_STORAGE_URI": GONE, "LOGIN_LIMIT_PER_IP": "6 per 15 minutes"}

    def test_people_sign_in_and_a_guesser_is_still_stopped(self, app, make_user):
        user = make_user("analyst")
        assert attempt(from_client(app, OWNER), user.email, PASSWORD).status_code == 302
        attacker = from_client(app, ATTACKER)
        replies = [attempt(attacker, user.email, WRONG).status_code for _ in range(7)]
        assert replies == [200] * 6 + [429]  # the fallback: LOGIN_LIMIT_PER_IP per client, in this process
        refused = attempt(attacker, user.email, PASSWORD)
        assert refused.status_code == 429 and "Too many attempts" in page_text(refused)


class TestFailsClosedWhenTheFallbackIsOff:
    @pytest.fixture
    def config_overrides(self):
        return {"RATELIMIT_STORAGE_URI": GONE, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False}

    def test_nobody_signs_in_and_the_page_says_so_without_a_traceback(self, app, make_user):
        user = make_user("analyst")
        response = attempt(from_client(app, OWNER), user.email, PASSWORD)
        page = page_text(response)
        assert response.status_code == 500
        assert "Sorry" in page and "Traceback" not in page and "ConnectionError" not in page
        assert "Hello," not in page_text(from_client(app, OWNER).get("/"))
