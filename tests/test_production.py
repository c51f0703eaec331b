"""The production profile: JSON request lines with a request id, the id on error pages, the health check
and pages while the database is unreachable (a real one: a closed port, a database that does not exist),
the proxy settings, and `flask deployment-check`."""

from __future__ import annotations

import io
import json
import logging
import os
import socket

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app import create_app
from app.deployment import HEADROOM, ConnectionBudget
from app.extensions import db
from app.logs import JsonFormatter
from config import ProductionConfig, TestingConfig, normalise_database_url
from tests.conftest import REAL_CONTACTS


@pytest.fixture
def config_overrides():
    return {"LOG_FORMAT": "json"}


@pytest.fixture
def log_lines():
    """What the app logs during the test, as the JSON lines production writes, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def _access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "app.request"]


def test_each_request_writes_one_json_line_without_query_string_or_link_secret(client, log_lines):
    response = client.get("/password/reset/SECRET-TOKEN-VALUE?email=someone@example.org")
    [line] = _access_lines(log_lines())
    assert line["method"] == "GET"
    assert line["path"] == "/password/reset/[hidden]"
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["user_id"] is None
    assert line["level"] == "INFO" and line["time"].endswith("Z")
    written = json.dumps(log_lines())
    assert "SECRET-TOKEN-VALUE" not in written and "someone@example.org" not in written


def test_the_json_line_names_the_signed_in_person(client, signed_in, log_lines):
    user = signed_in("member")
    client.get("/")
    line = _access_lines(log_lines())[-1]
    assert line["path"] == "/" and line["status"] == 200
    assert line["user_id"] == user.id


def test_other_log_lines_carry_the_request_id(app, log_lines):
    def noisy():
        logging.getLogger("app.example").warning("something odd")
        return "done"

    app.add_url_rule("/noisy", "noisy", noisy)
    response = app.test_client().get("/noisy")
    [warning] = [line for line in log_lines() if line["logger"] == "app.example"]
    assert warning["message"] == "something odd" and warning["level"] == "WARNING"
    assert warning["request_id"] == response.headers["X-Request-ID"]


def test_text_mode_writes_no_request_lines_but_still_gives_an_id(database_url, log_lines):
    config = type("Text", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "text"})
    response = create_app(config).test_client().get("/privacy")
    assert len(response.headers["X-Request-ID"]) == 16
    assert _access_lines(log_lines()) == []


@pytest.mark.parametrize("config_overrides", [{"LOG_FORMAT": "json", "TRUSTED_PROXIES": 1}])
def test_a_trusted_proxys_request_id_is_kept_and_echoed(client, log_lines):
    proxy_id = "0f8e7d6c5b4a39281706f5e4d3c2b1a0"  # nginx's $request_id
    response = client.get("/privacy", headers={"X-Request-ID": proxy_id})
    assert response.headers["X-Request-ID"] == proxy_id
    assert _access_lines(log_lines())[0]["request_id"] == proxy_id


@pytest.mark.parametrize("config_overrides", [{"LOG_FORMAT": "json", "TRUSTED_PROXIES": 1}])
@pytest.mark.parametrize("bad", ["a" * 5000, "abcdefgh\ninjected line", 'abcdefgh"}, {"x', "short"])
def test_a_malformed_request_id_is_replaced_and_never_logged(client, log_lines, bad):
    response = client.get("/privacy", environ_overrides={"HTTP_X_REQUEST_ID": bad})
    made_here = response.headers["X-Request-ID"]
    assert made_here != bad and len(made_here) == 16
    lines = log_lines()
    assert _access_lines(lines)[0]["request_id"] == made_here
    assert bad not in json.dumps(lines) and "injected" not in json.dumps(lines)


def test_without_a_trusted_proxy_a_clients_request_id_is_ignored(client):
    response = client.get("/privacy", headers={"X-Request-ID": "chosen-by-the-client-1234"})
    assert response.headers["X-Request-ID"] != "chosen-by-the-client-1234"


def _quoted(response) -> bool:
    reference = response.headers["X-Request-ID"]
    return f'quote reference <strong class="govuk-!-font-weight-bold">{reference}</strong>' in response.get_data(
        as_text=True
    )


def test_error_pages_show_the_reference_to_quote(app):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", "explode", explode)
    client = app.test_client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and _quoted(missing)
    broken = client.get("/explode")
    page = broken.get_data(as_text=True)
    assert broken.status_code == 500 and _quoted(broken)
    assert "secret internals" not in page and "Traceback" not in page


def test_forbidden_pages_do_not_show_a_reference(client, signed_in):
    signed_in("member")
    response = client.get("/admin/people/")
    assert response.status_code == 403
    assert "quote reference" not in response.get_data(as_text=True)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


def _postgres_server() -> str | None:
    """The PostgreSQL server the suite may use (TEST_DATABASE_URL, or the usual local one), if it answers."""
    url = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.OperationalError:
        return None
    return url


def _unreachable(kind: str) -> str:
    if kind == "closed port":
        return f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/socitm"
    server = _postgres_server()
    if server is None:
        pytest.skip("no PostgreSQL server to ask for a database that does not exist")
    return make_url(normalise_database_url(server)).set(database="no_such_database_here").render_as_string(False)


@pytest.fixture(params=["closed port", "no such database"])
def app_without_database(request):
    config = type("Unreachable", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": _unreachable(request.param)})
    application = create_app(config)
    yield application
    with application.app_context():
        db.engine.dispose()


def test_healthz_answers_503_with_a_short_body_when_the_database_is_unreachable(app_without_database):
    response = app_without_database.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert len(response.get_data()) < 100


def test_a_page_needing_the_database_shows_the_unavailable_page_when_it_is_unreachable(app_without_database):
    response = app_without_database.test_client().get("/password/reset/some-token")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in page and _quoted(response)
    for internals in ("Traceback", "OperationalError", "psycopg", "connection", "no_such_database"):
        assert internals not in page


def test_a_signed_in_persons_page_while_the_database_is_unreachable(app_without_database, client, signed_in):
    """Even the layout (which reads the signed-in person) cannot reach the database: a bare page, no trace."""
    signed_in("member")
    cookie = client.get_cookie("socitm_session")
    config = type(
        "UnreachableSameKey",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": app_without_database.config["SQLALCHEMY_DATABASE_URI"]},
    )
    broken = create_app(config).test_client()
    broken.set_cookie("socitm_session", cookie.value)
    response = broken.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in page
    assert response.headers["X-Request-ID"] in page
    assert "Traceback" not in page and "psycopg" not in page


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXIES": 1}])
def test_one_trusted_proxy_gives_the_clients_address_and_scheme(app):
    from flask import request

    app.add_url_rule("/whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    seen = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen.get_data(as_text=True) == "198.51.100.7 https"  # the proxy's own hop, not what the client wrote


def test_without_trusted_proxies_forwarded_headers_are_ignored(app):
    from flask import request

    app.add_url_rule("/whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    seen = app.test_client().get(
        "/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}, environ_base={}
    )
    assert seen.get_data(as_text=True) == "127.0.0.1 http"


def test_the_connection_budget_sum():
    budget = ConnectionBudget(nodes=2, workers=5, per_worker=10, max_connections=100, reserved=3)
    assert budget.needed == 100
    assert budget.available == 100 - 3 - HEADROOM
    assert not budget.fits
    assert ConnectionBudget(2, 4, 10, 100, 3).fits
    assert "2 node(s) × 5 worker(s) × 10 connection(s)" in budget.describe()


def test_deployment_check_against_the_real_database(runner, app, monkeypatch):
    monkeypatch.setenv("NODES", "1")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    result = runner.invoke(args=["deployment-check"])
    if db.engine.dialect.name == "sqlite":
        assert result.exit_code == 0 and "SQLite database: one machine only" in result.output
        monkeypatch.setenv("NODES", "3")
        result = runner.invoke(args=["deployment-check"])
        assert result.exit_code != 0 and "NODES is 3 but the database is a SQLite file" in result.output
        return
    assert result.exit_code == 0, result.output
    assert "Database connections fit: 1 node(s) × 2 worker(s) × 10 connection(s)" in result.output
    monkeypatch.setenv("NODES", "50")
    result = runner.invoke(args=["deployment-check"])
    assert result.exit_code != 0
    assert "Too many database connections: 50 node(s) × 2 worker(s) × 10 connection(s)" in result.output
    assert "(max_connections)" in result.output


def test_deployment_check_says_when_it_cannot_reach_the_database():
    config = type("Closed", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": _unreachable("closed port")})
    application = create_app(config)
    result = application.test_cli_runner().invoke(args=["deployment-check"])
    assert result.exit_code == 1
    assert "Could not ask the database for its connection limit" in result.output
    assert "Traceback" not in result.output


def _production(**settings) -> type[ProductionConfig]:
    base = {"RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0", "MAIL_SERVER": "smtp.internal", **REAL_CONTACTS}
    return type("Production", (ProductionConfig,), {**base, **settings})


def test_production_on_several_nodes_refuses_what_one_node_keeps_to_itself(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.setenv("NODES", "2")
    with pytest.raises(RuntimeError, match="NODES is 2 but DATABASE_URL is a SQLite file"):
        _production(SQLALCHEMY_DATABASE_URI="sqlite:////srv/socitm.db").check()
    shared = "postgresql+psycopg://socitm@db.internal/socitm"
    with pytest.raises(RuntimeError, match=r"RATELIMIT_STORAGE_URI is memory://.*\(2 workers are configured\) on 2"):
        _production(SQLALCHEMY_DATABASE_URI=shared, RATELIMIT_STORAGE_URI="memory://", APP_SINGLE_PROCESS=True).check()
    _production(SQLALCHEMY_DATABASE_URI=shared).check()  # PostgreSQL and Redis: shared by every node
