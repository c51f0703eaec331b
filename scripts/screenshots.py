"""Refresh docs/screenshots/ from the demo data: `make screenshots` (which runs `make demo-data` first).

Serves the app (configuration from the environment, as `flask run` would: the development database by
default) on a free loopback port, signs in as each demo role in Debian's Chromium through Playwright and
saves full-page PNGs. The demo accounts' password is read from instance/demo-password, and the demo
administrator's authenticator key from instance/demo-totp-secret (`make demo-data` writes both). Each
role signs in once and its later screenshots reuse that session (an authenticator code works only once).

Usage: python scripts/screenshots.py [--output DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script, so the app's packages are not on the path yet

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD_FILE = ROOT / "instance" / "demo-password"
TOTP_FILE = ROOT / "instance" / "demo-totp-secret"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 15_000

# A file whose third line is wrong in every column, to show the row-by-row problems table.
BAD_IMPORT_CSV = (
    b"name,region,council_type,contact_email\n"
    b"Durham County Council,north-east,unitary,ict@durham.demo.example\n"
    b",somewhere,parish,not-an-email\n"
    b"Kent County Council,south-east,county,\n"
    b"Kent County Council,south-east,county,\n"
)


@dataclass(frozen=True)
class Shot:
    """One screenshot: signed in as `role` (None: a visitor), `prepare` opens the page to capture."""

    name: str
    role: str | None
    prepare: Callable
    viewport: dict


def _goto(path: str) -> Callable:
    def prepare(page) -> None:
        response = page.goto(path)
        if response is None or response.status != 200:
            raise RuntimeError(f"{path} answered HTTP {response.status if response else 'nothing'}")

    return prepare


def _sign_in_errors(page) -> None:
    from playwright.sync_api import expect

    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _sign_in_code(page) -> None:
    """The second step of an administrator's sign-in: the password is right, the code is asked for."""
    from playwright.sync_api import expect

    from app.demo import demo_email

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_email("admin"))
    page.get_by_label("Password").fill(PASSWORD_FILE.read_text(encoding="utf-8").strip())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")


def _subject_access(page) -> None:
    """What is held about the demo member, found by their address, ready to download."""
    from playwright.sync_api import expect

    from app.demo import demo_email

    page.goto("/admin/privacy/subject-access")
    page.get_by_label("Email address").fill(demo_email("member"))
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("What we hold for")


def _import_errors(page) -> None:
    from playwright.sync_api import expect

    page.goto("/organisations/import")
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[{"name": "organisations.csv", "mimeType": "text/csv", "buffer": BAD_IMPORT_CSV}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-errors")).to_be_visible()
    page.evaluate("() => window.scrollTo(0, 0)")


def _survey_errors(page) -> None:
    """The survey's percentages page, previewed, with answers that break its rules."""
    from playwright.sync_api import expect

    _goto("/surveys/manage/schools-ict/preview/strain_incidents")(page)
    page.get_by_label("What share of your incidents and tickets came from school staff?").fill("70")
    page.get_by_label("What share came from pupils?").fill("45")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def _mobile_menu_open(page) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link").first).to_be_visible()


def _demo_study(page) -> None:
    """The organiser's page for the demo study, reached through the navigation."""
    from playwright.sync_api import expect

    page.goto("/focus-groups/")
    page.get_by_role("link", name="Who are our users?", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who are our users?")


def _study_then(link: str, role: str = "link") -> Callable:
    """The demo study's page, then one of its links (or link-styled buttons)."""

    def prepare(page) -> None:
        _demo_study(page)
        page.get_by_role(role, name=link).first.click()
        page.wait_for_load_state()

    return prepare


def _pool_then(link: str) -> Callable:
    """The demo study's volunteer pool, then one of its links."""

    def prepare(page) -> None:
        _study_then("See the pool")(page)
        page.get_by_role("button", name=link).or_(page.get_by_role("link", name=link)).first.click()
        page.wait_for_load_state()

    return prepare


def _volunteer_form(page) -> None:
    """The public expression-of-interest form, from the link on the study page."""
    _demo_study(page)
    page.locator("a.app-wrap[href$='/volunteer']").first.click()
    page.wait_for_load_state()


def _facilitator_session(page) -> None:
    """The facilitator's own session: the guide and the participants as pseudonyms."""
    page.goto("/focus-groups/sessions")
    page.locator("main a[href^='/focus-groups/sessions/']").first.click()
    page.wait_for_load_state()


def _notes_console(page) -> None:
    """The note-taking console of the facilitator's session."""
    _facilitator_session(page)
    page.get_by_role("button", name="Take notes").first.click()
    page.wait_for_load_state()


def _analysis(then: str | None = None) -> Callable:
    """The demo study's analysis overview, then one of its sections by its link text."""

    def prepare(page) -> None:
        _goto("/analysis/")(page)
        page.get_by_role("link", name="Who are our users?").first.click()
        if then:
            page.get_by_role("navigation", name="Analysis of this study").get_by_role("link", name=then).click()
        page.wait_for_load_state()

    return prepare


def _analysis_passage(page) -> None:
    """A session note of the demo study, with its codes and the form to code it by hand."""
    _analysis("Passages")(page)
    page.get_by_label("Source").select_option("note")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Open passage 3 and code").click()
    page.wait_for_load_state()


def _analysis_theme(page) -> None:
    """A theme's summary page: its reach, quotes, related survey figures and the written summary."""
    _analysis("Themes")(page)
    page.locator("main").get_by_role("link", name="Pupils and schools", exact=True).first.click()
    page.wait_for_load_state()


def _scoring_rules(page) -> None:
    """The scoring rules, as the lead analyst reads and edits them."""
    _analysis("Recommendation")(page)
    page.locator("main").get_by_role("link", name=re.compile(r"^scoring rules")).first.click()
    page.wait_for_load_state()


ASKED = "Members who asked to hear about focus groups"

SHOTS: list[Shot] = [
    Shot("start", None, _goto("/"), DESKTOP),
    Shot("sign-in", None, _goto("/sign-in"), DESKTOP),
    Shot("sign-in-errors", None, _sign_in_errors, DESKTOP),
    Shot("sign-in-code", None, _sign_in_code, DESKTOP),
    Shot("privacy-notice", None, _goto("/privacy"), DESKTOP),
    Shot("member-home", "member", _goto("/"), DESKTOP),
    Shot("member-account", "member", _goto("/account"), DESKTOP),
    Shot("organiser-home", "organiser", _goto("/"), DESKTOP),
    Shot("organiser-organisations", "organiser", _goto("/organisations/"), DESKTOP),
    Shot("facilitator-home", "facilitator", _goto("/"), DESKTOP),
    Shot("analyst-home", "analyst", _goto("/"), DESKTOP),
    Shot("admin-home", "admin", _goto("/"), DESKTOP),
    Shot("admin-people", "admin", _goto("/admin/people/"), DESKTOP),
    Shot("admin-invite", "admin", _goto("/admin/people/invite"), DESKTOP),
    Shot("admin-audit", "admin", _goto("/admin/audit/"), DESKTOP),
    Shot("admin-account-two-factor", "admin", _goto("/account"), DESKTOP),
    Shot("admin-subject-access", "admin", _subject_access, DESKTOP),
    Shot("admin-outbox", "admin", _goto("/admin/outbox/"), DESKTOP),
    Shot("admin-organisation-new", "admin", _goto("/organisations/new"), DESKTOP),
    Shot("admin-organisation-import-errors", "admin", _import_errors, DESKTOP),
    Shot("member-surveys", "member", _goto("/surveys/"), DESKTOP),
    Shot("member-survey-start", "member", _goto("/surveys/schools-ict/"), DESKTOP),
    Shot("organiser-survey-dashboard", "organiser", _goto("/surveys/manage/schools-ict/"), DESKTOP),
    Shot("organiser-survey-invite", "organiser", _goto("/surveys/manage/schools-ict/invite"), DESKTOP),
    Shot("organiser-survey-builder", "organiser", _goto("/surveys/manage/schools-ict/build"), DESKTOP),
    Shot("survey-question-errors", "organiser", _survey_errors, DESKTOP),
    Shot("analyst-results", "analyst", _goto("/surveys/results/schools-ict/"), DESKTOP),
    Shot("analyst-impact", "analyst", _goto("/surveys/results/schools-ict/impact"), DESKTOP),
    Shot("analyst-analysis-study", "analyst", _analysis(), DESKTOP),
    Shot("analyst-analysis-passages", "analyst", _analysis("Passages"), DESKTOP),
    Shot("analyst-analysis-review", "analyst", _analysis("Review"), DESKTOP),
    Shot("analyst-analysis-passage", "analyst", _analysis_passage, DESKTOP),
    Shot("lead-analyst-codebook", "lead_analyst", _analysis("Codebook"), DESKTOP),
    Shot("mobile-analysis-review", "analyst", _analysis("Review"), PHONE),
    Shot("analyst-analysis-themes", "analyst", _analysis("Themes"), DESKTOP),
    Shot("analyst-analysis-theme", "analyst", _analysis_theme, DESKTOP),
    Shot("analyst-analysis-matrices", "analyst", _analysis("Matrices"), DESKTOP),
    Shot("analyst-analysis-recommendation", "analyst", _analysis("Recommendation"), DESKTOP),
    Shot("lead-analyst-scoring-rules", "lead_analyst", _scoring_rules, DESKTOP),
    Shot("analyst-analysis-report", "analyst", _analysis("Report"), DESKTOP),
    Shot("analyst-analysis-exchange", "analyst", _analysis("Exchange"), DESKTOP),
    Shot("mobile-analysis-recommendation", "analyst", _analysis("Recommendation"), PHONE),
    Shot("mobile-survey-matrix", "organiser", _goto("/surveys/manage/schools-ict/preview/service_level"), PHONE),
    Shot("mobile-survey-grid", "organiser", _goto("/surveys/manage/schools-ict/preview/user_counts"), PHONE),
    Shot("organiser-focus-group-study", "organiser", _demo_study, DESKTOP),
    Shot("organiser-focus-group-pool", "organiser", _study_then("See the pool"), DESKTOP),
    Shot("organiser-focus-group-members", "organiser", _pool_then(ASKED), PHONE),
    Shot("organiser-focus-group-plan", "organiser", _study_then("Plan the groups", "button"), DESKTOP),
    Shot("mobile-volunteer-form", "organiser", _volunteer_form, PHONE),
    Shot("facilitator-session", "facilitator", _facilitator_session, DESKTOP),
    Shot("facilitator-notes-console", "facilitator", _notes_console, DESKTOP),
    Shot("mobile-notes-console", "facilitator", _notes_console, PHONE),
    Shot("mobile-sign-in", None, _goto("/sign-in"), PHONE),
    Shot("mobile-home", "admin", _goto("/"), PHONE),
    Shot("mobile-organiser-home", "organiser", _goto("/"), PHONE),
    Shot("mobile-facilitator-home", "facilitator", _goto("/"), PHONE),
    Shot("mobile-menu", "admin", _mobile_menu_open, PHONE),
]


def _fail(message: str) -> None:
    print(f"screenshots: {message}", file=sys.stderr)
    raise SystemExit(1)


@contextmanager
def serve() -> Iterator[str]:
    """The app, configured from the environment, on a free loopback port; yields its URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from app import create_app
    from config import config_from_env

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code="-", size="-") -> None:
            pass

    app = create_app(config_from_env())
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="screenshots-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def sign_in(page, role: str, password: str) -> None:
    """Sign in through the form as the demo account for `role`."""
    from playwright.sync_api import expect

    from app.demo import demo_email

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(demo_email(role))
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if page.locator(".govuk-error-summary").count():
        _fail(f"could not sign in as {demo_email(role)}: run `make demo-data` to set the demo password")
    if role == "admin":  # administrators must use two-factor authentication
        import pyotp

        if not TOTP_FILE.exists():
            _fail(f"{TOTP_FILE.relative_to(ROOT)} is missing: run `make demo-data` first")
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(TOTP_FILE.read_text(encoding="utf-8").strip()).now())
        page.get_by_role("button", name="Continue").click()
        if page.locator(".govuk-error-summary").count():
            _fail("the authenticator code was refused: run `make demo-data` to set the demo administrator's key")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def take(browser, base_url: str, shot: Shot, password: str, output: Path, sessions: dict[str, dict]) -> Path:
    """Open a fresh context, signed in as the shot's role (once per role: `sessions` keeps each role's
    cookies for its later shots), and save a full-page PNG."""
    context = browser.new_context(
        base_url=base_url, viewport=shot.viewport, device_scale_factor=1, storage_state=sessions.get(shot.role)
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        if shot.role and shot.role not in sessions:
            sign_in(page, shot.role, password)
            sessions[shot.role] = context.storage_state()
        shot.prepare(page)
        path = output / f"{shot.name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots", help="where to save the PNGs")
    args = parser.parse_args(argv)

    if not PASSWORD_FILE.exists():
        _fail(f"{PASSWORD_FILE.relative_to(ROOT)} is missing: run `make demo-data` first")
    password = PASSWORD_FILE.read_text(encoding="utf-8").strip()
    if not CHROMIUM.exists():
        _fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")

    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    args.output.mkdir(parents=True, exist_ok=True)
    with serve() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            sessions: dict[str, dict] = {}
            for number, shot in enumerate(SHOTS, start=1):
                path = take(browser, base_url, shot, password, args.output, sessions)
                who = shot.role or "visitor"
                print(
                    f"[{number}/{len(SHOTS)}] {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
                    f"({who}, {shot.viewport['width']}px wide)",
                    flush=True,
                )
        finally:
            browser.close()
    print(f"Saved {len(SHOTS)} screenshots in {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
