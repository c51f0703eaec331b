"""What the cheapest request pays for: the health check asks the database one thing and looks for nobody.

Every request pays for what the app does around its view (hooks, the session, headers). These tests keep
that floor from creeping back without timing anything: they count what a request does (the statements the
database is sent, whether a person is looked for, which hooks are registered) and check that what a caller
gets is unchanged: the security headers and the session checks (tests/auth holds the sign-in throttling's).
"""

from __future__ import annotations

import tempfile

import pytest
from flask import g
from psycopg.pq import Trace
from sqlalchemy import event, update

from app.auth.models import User
from app.extensions import db, limiter

START_PAGE = "Who are our users?"  # what the home page shows a visitor, not a signed-in person


@pytest.fixture
def statements(app):
    """What the database is sent while the test runs: through SQLAlchemy, and (SQLite) as the driver sends it."""
    seen = {"sqlalchemy": [], "driver": []}

    def through_sqlalchemy(_conn, _cursor, statement, *_args):
        seen["sqlalchemy"].append(statement)

    traces = {}

    def on_checkout(dbapi_connection, _record, _proxy):
        if db.engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(seen["driver"].append)
        else:  # libpq's own trace of the messages psycopg sends, from the moment the pool hands it over
            trace = traces[id(dbapi_connection)] = tempfile.TemporaryFile()
            dbapi_connection.pgconn.trace(trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)

    def on_checkin(dbapi_connection, _record):
        if db.engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(None)
        elif id(dbapi_connection) in traces:
            dbapi_connection.pgconn.untrace()
            with traces.pop(id(dbapi_connection)) as trace:
                trace.seek(0)
                for line in trace.read().decode().splitlines():
                    parts = line.split("\t")
                    if parts[0] == "F" and parts[2] in ("Query", "Parse"):
                        seen["driver"].append(parts[-1].strip().strip('"'))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", through_sqlalchemy)
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    yield seen
    event.remove(engine, "before_cursor_execute", through_sqlalchemy)
    event.remove(engine, "checkout", on_checkout)
    event.remove(engine, "checkin", on_checkin)


def test_healthz_sends_the_database_one_probe_and_nothing_else(client, statements):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    # No transaction of the ORM session: no BEGIN, no ROLLBACK, no query through SQLAlchemy at all.
    assert statements["sqlalchemy"] == []
    if db.engine.dialect.name == "sqlite":
        assert statements["driver"] == ["SELECT 1"]
    else:  # the pool's pre-ping, as it hands the connection over, was the probe: nothing after it, not even a ROLLBACK
        assert statements["driver"] == []


def test_an_anonymous_healthz_looks_for_nobody_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "_login_user" not in g  # Flask-Login never loaded a person (nor hashed the visitor's address)
    assert "Set-Cookie" not in response.headers


def test_healthz_carries_every_security_header(client):
    headers = client.get("/healthz").headers
    assert (
        "'nonce-" in headers["Content-Security-Policy"]
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert headers["Cache-Control"] == "no-store"


def test_the_limiters_before_request_check_is_not_run_while_every_limit_is_on_its_view(app):
    """Flask-Limiter's own before-request check looks for app-wide, default and blueprint limits; there are none."""
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    manager = limiter.limit_manager
    assert not (manager.application_limits or manager.default_limits or manager._blueprint_limits)


def test_a_signed_in_persons_requests_still_load_them_and_check_their_session(client, signed_in):
    person = signed_in("member")
    assert client.get("/healthz").status_code == 200
    assert g._login_user.id == person.id  # the idle-timeout check looked them up, session token and all
    assert START_PAGE not in client.get("/").get_data(as_text=True)
    db.session.execute(update(User).where(User.id == person.id).values(session_token="revoked"))
    db.session.commit()
    assert START_PAGE in client.get("/").get_data(as_text=True)  # signed out everywhere: a visitor again


def test_a_new_secret_key_ends_sessions_signed_with_the_old_one(client, signed_in, app):
    """The session's signing is built once for the app's keys: a new key still takes effect at once."""
    signed_in("member")
    assert START_PAGE not in client.get("/").get_data(as_text=True)
    app.secret_key = "a different key, as after rotating it without a fallback"
    assert START_PAGE in client.get("/").get_data(as_text=True)
