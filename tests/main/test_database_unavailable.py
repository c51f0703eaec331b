"""When the database does not answer (stopped or restarting), people get the service's own page saying
so, never a bare "Internal Server Error" or a traceback; /healthz says 503 (bench/cluster.py measures
the same with PostgreSQL really stopped and started mid-run)."""

from __future__ import annotations

import socket

import pytest

from app import create_app
from tests.conftest import _config_for


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def unreachable_app():
    """The app pointed at a PostgreSQL server that is not there (a real refused connection)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone"
    return create_app(_config_for(url))


def test_signed_in_person_sees_the_unavailable_page(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1.sometoken"  # a signed-in person: loading them needs the database
    response = client.get("/surveys/schools-ict/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in page and "Try again later" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_health_check_says_503(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"
