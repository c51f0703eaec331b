"""Health check, public pages, error pages and security headers."""

import re

import pytest

from app import create_app
from config import ProductionConfig, TestingConfig
from tests.conftest import REAL_CONTACTS, page_text


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_503_when_the_database_does_not_answer(tmp_path):
    broken = type(
        "Broken", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/nowhere.db"}
    )
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


def test_start_page_invites_visitors_to_sign_in(client):
    page = client.get("/").get_data(as_text=True)
    assert "Who are our users?" in page
    assert 'href="/sign-in"' in page


@pytest.mark.parametrize("path", ["/privacy", "/accessibility", "/sign-in", "/password/forgot"])
def test_public_pages_have_a_way_home(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert 'href="/"' in response.get_data(as_text=True)


def test_unknown_page_shows_the_404_page_in_the_service_style(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "govuk-template" in page


def test_unexpected_error_shows_a_plain_page_without_a_stack_trace(app):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", "explode", explode)
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_security_headers_on_every_page(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_pages_are_never_cached_but_static_files_may_be(client):
    """Pages can be personal without an account (an invitation holder's draft); assets are not."""
    assert client.get("/sign-in").headers["Cache-Control"] == "no-store"
    assert client.get("/privacy").headers["Cache-Control"] == "no-store"
    static = client.get("/static/favicon.svg")
    static.close()
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_each_response_gets_a_new_nonce(client):
    first = client.get("/sign-in").headers["Content-Security-Policy"]
    second = client.get("/sign-in").headers["Content-Security-Policy"]
    assert first != second


def test_the_page_text_tests_read_holds_none_of_the_random_values(client):
    """Tests assert short words ("P3") are absent; the nonce and CSRF token are random letters that may hold them."""
    client.application.config["WTF_CSRF_ENABLED"] = True
    response = client.get("/sign-in")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    text = page_text(response)
    assert nonce not in text and token not in text
    assert '<script nonce="">' in text and 'name="csrf_token" value=""' in text


def test_no_page_loads_anything_from_another_site(client):
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_sends_hsts_and_secure_cookies(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    config = type(
        "Prod",
        (ProductionConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "APP_SINGLE_PROCESS": True,
            "MAIL_OUTBOX_ONLY": True,
            **REAL_CONTACTS,
        },
    )
    app = create_app(config)
    client = app.test_client()
    response = client.get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
