"""Browser test fixtures: the app served on a real port with the demo data, Debian's Chromium driven by
Playwright, a fresh browser context per test, signing in as a demo role, and an axe-core check.

Chromium is Debian's (/usr/bin/chromium), never a Playwright download. Without it the browser tests are
skipped, unless REQUIRE_BROWSER=1 says they must run (in CI), in which case they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from app.demo import demo_email, load_demo_data, set_up_demo_two_factor
from app.extensions import db
from config import TestingConfig

REPO_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_SCRIPT = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA. axe-core has no "wcag22a" tag: WCAG 2.2's new level A
# criteria have no automated rules, so "wcag22aa" is the only 2.2 tag there is.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

DEMO_PASSWORD = "browser-tests-demo-password-7Lq"
DEMO_TOTP_SECRET = "KRUGKIDUMVZXIIDBOBYCAZ3FORZSAYLO"  # the demo administrator's authenticator app
ROLES = ("member", "organiser", "facilitator", "analyst", "admin")
DESKTOP = {"width": 1280, "height": 900}
# Playwright's default is 30s for every action and expectation; a local server answers far sooner.
TIMEOUT_MS = 10_000


def _require_browser() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip() == "1"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium: skip the browser tests without it (fail instead when REQUIRE_BROWSER=1)."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium), so browser tests cannot run"
        if _require_browser():
            pytest.fail(message + " and REQUIRE_BROWSER=1 says they must.", pytrace=False)
        pytest.skip(message + ".")
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is missing at {AXE_SCRIPT}: run `npm ci`.", pytrace=False)
    return CHROMIUM


_SERVED_APP: dict[str, Flask] = {}


_RESPONSE_BODY = "tests.response_body"


class _ClosingBody:
    """A response body that closes at most once (Werkzeug's server and `connection_dropped` may both try)."""

    def __init__(self, body) -> None:
        self._body = body
        self._closed = False

    def __iter__(self):
        return iter(self._body)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._body, "close", None)
            if close is not None:
                close()


def _remember_response_body(wsgi_app):
    """Wrap the app so that the request handler can close the body of a response the browser abandoned."""

    def app(environ, start_response):
        body = _ClosingBody(wsgi_app(environ, start_response))
        environ[_RESPONSE_BODY] = body
        return body

    return app


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (pytest shows logs on failure anyway), which
    closes the response when the browser drops the connection.

    Werkzeug's server skips closing the response when the socket is reset while it drains the request: a
    static file (favicon.svg) is then left open, and its ResourceWarning turns up, as an error, in whichever
    test is running when the garbage collector finds it.
    """

    def log_request(self, code="-", size="-") -> None:
        pass

    def connection_dropped(self, error, environ=None) -> None:
        body = (environ or {}).get(_RESPONSE_BODY)
        if body is not None:
            body.close()


@dataclass(frozen=True)
class LiveServer:
    """The running server's address, and the Flask app it serves (to set up data in its database)."""

    url: str
    app: Flask


@pytest.fixture(scope="session")
def live_server_and_app(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on a fresh, migrated SQLite database with the demo data, served on 127.0.0.1.

    CSRF protection is switched back on (the unit-test config turns it off), so forms are tested as
    people use them.
    """
    database = tmp_path_factory.mktemp("browser") / "browser.db"
    config = type(
        "BrowserConfig",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "WTF_CSRF_ENABLED": True},
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
        load_demo_data(DEMO_PASSWORD)
        set_up_demo_two_factor(DEMO_TOTP_SECRET)
        db.session.remove()
        db.engine.dispose()

    app.wsgi_app = _remember_response_body(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["APP_BASE_URL"] = url  # links in invitation emails point at this server
    _SERVED_APP["app"] = app  # for sign_in_as, which computes authenticator codes from the database
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_server_and_app) -> str:
    """The live server's URL (see `live_server_and_app`)."""
    return live_server_and_app.url


@pytest.fixture(scope="session")
def live_app(live_server_and_app) -> Flask:
    """The Flask app behind the live server: set up data with `with live_app.app_context(): ...`.

    The demo data is shared by every browser test, and an organisation has one response per survey,
    so a test that answers a survey should create its own organisation here.
    """
    return live_server_and_app.app


@pytest.fixture(scope="session")
def browser(chromium_path) -> Iterator[Browser]:
    """Headless Chromium for the whole run."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT_MS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_errors() -> list[str]:
    """Script errors, console errors (such as CSP violations) and server errors seen during a test.

    The `page` and `mobile_page` fixtures fail the test if there are any.
    """
    return []


def open_page(
    browser: Browser, base_url: str, errors: list[str], viewport: dict | None = None, **context_options
) -> Page:
    """A page in a new context (no cookies), recording script errors, console errors and failed responses.

    `context_options` go to Playwright's `new_context`, such as `java_script_enabled=False`.
    """
    context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console error on {page.url}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 500:
            errors.append(f"HTTP {response.status} for {response.url}")

    page.on("pageerror", lambda exc: errors.append(f"script error on {page.url}: {exc}"))
    page.on("console", on_console)
    page.on("response", on_response)
    return page


@pytest.fixture
def page(browser, live_server, browser_errors) -> Iterator[Page]:
    """A desktop-sized page (1280x900) in its own browser context; fails the test on script or server errors."""
    page = open_page(browser, live_server, browser_errors)
    try:
        yield page
    finally:
        page.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)


@pytest.fixture
def mobile_page(browser, live_server, browser_errors) -> Iterator[Page]:
    """A small-phone page (320x640), the narrowest width WCAG reflow (1.4.10) asks for."""
    page = open_page(browser, live_server, browser_errors, viewport={"width": 320, "height": 640})
    try:
        yield page
    finally:
        page.context.close()
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)


def sign_in(page: Page, role: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form as the demo account for `role`, and wait for the home page."""
    sign_in_as(page, demo_email(role), password)


def authenticator_code(app: Flask, email: str) -> str | None:
    """The code an account's authenticator app shows now, or None if it has not set one up.

    A code is accepted once per 30-second step and tests sign the same account in many times, so the
    account's last used step is forgotten first, as if the next step had come.
    """
    import pyotp

    from app.auth.mfa.services import decrypt_secret
    from app.auth.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        secret = decrypt_secret(user.totp_secret_encrypted) if user is not None and user.has_two_factor else None
        if secret is None:
            return None
        user.totp_last_step = None
        db.session.commit()
        return pyotp.TOTP(secret).now()


def sign_in_as(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form with any account (and its authenticator code), and wait for the home page."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    code = authenticator_code(_SERVED_APP["app"], email) if "app" in _SERVED_APP else None
    if code is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
        page.get_by_label("Code", exact=True).fill(code)
        page.get_by_role("button", name="Continue").click()
    # On small screens the menu (and its Sign out button) is folded away, so wait for the home page itself.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now (WCAG 2.0/2.1/2.2 A and AA rules); return the violations.

    The script is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
    real CSP stays on.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate(
        "tags => window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return results["violations"]


def format_violations(violations: list[dict]) -> str:
    """One block per rule: its id, impact and help text, then the elements that break it."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node['html'][:200]}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page) -> None:
    """Fail, listing each rule and element, if axe-core finds WCAG A/AA problems on the page."""
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"axe-core found accessibility problems on {page.url}:\n{format_violations(violations)}")
