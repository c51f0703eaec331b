"""When the database does not answer (stopped or restarting), people get the service's own page saying
so, never a bare "Internal Server Error" or a traceback; /healthz says 503 (bench/cluster.py measures
the same with PostgreSQL really stopped and started mid-run)."""

from __future__ import annotations

import socket

import pytest

from app import create_app
from app.extensions import db
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


def test_a_connection_the_server_dropped_is_replaced_by_the_health_check(database_url):
    """A restarted PostgreSQL ends every pooled connection. The pool tests a connection as it hands it out
    (pre-ping), which is all /healthz asks of the database, so the check answers 200 on a new connection."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    import psycopg

    probed = create_app(_config_for(database_url))
    client = probed.test_client()
    assert client.get("/healthz").status_code == 200
    with probed.app_context():
        pooled = db.engine.raw_connection()
        before = pooled.driver_connection.info.backend_pid
        pooled.close()
        assert db.engine.pool.checkedin() == 1
        admin_url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (before,))
        response = client.get("/healthz")
        assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}
        pooled = db.engine.raw_connection()
        assert pooled.driver_connection.info.backend_pid != before  # the dropped one was replaced
        pooled.close()
        db.engine.dispose()
