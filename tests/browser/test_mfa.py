"""In a real browser: an administrator without two-factor authentication is taken to set it up after
signing in (QR code drawn as inline SVG under the real CSP, the key to type by hand, recovery codes
shown once), then signs out and back in with a code from the app."""

from __future__ import annotations

import re
import secrets

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from tests.browser.conftest import DEMO_PASSWORD, assert_no_axe_violations, authenticator_code
from tests.conftest import wrong_code

pytestmark = pytest.mark.browser


def _new_administrator(app: Flask) -> str:
    """An administrator with a password and no authenticator app yet; returns their email."""
    email = f"new-admin-{secrets.token_hex(4)}@demo.example"
    with app.app_context():
        user = User(email=email, name="Robin Newadmin", password_hash=hash_password(DEMO_PASSWORD))
        user.set_roles({"admin"})
        db.session.add(user)
        db.session.commit()
    return email


def _enter_password(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_administrator_sets_up_an_authenticator_app_and_signs_in_with_a_code(page: Page, live_app: Flask):
    email = _new_administrator(live_app)
    _enter_password(page, email)

    # Taken straight to set-up, whatever they ask for until it is done.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.get_by_text("Administrators must use two-factor authentication")).to_be_visible()
    page.goto("/admin/people/")
    expect(page).to_have_url(re.compile(r"/account/two-factor/set-up$"))
    qr_code = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr_code).to_be_visible()
    box = qr_code.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100  # drawn, not blocked by the CSP
    assert_no_axe_violations(page)
    key = page.locator("#secret-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)

    # A wrong code is summarised and linked to its field.
    wrong = wrong_code(key)
    page.get_by_label("Code from the app").fill(wrong)
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("The code is not right"))).to_have_attribute("href", "#code")

    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Two-factor authentication is set up")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_no_axe_violations(page)
    page.get_by_role("link", name="I have kept my recovery codes: continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Robin Newadmin")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    # Signing in again: the password, then the code, before anything is shown.
    _enter_password(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    assert_no_axe_violations(page)
    page.goto("/admin/people/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.goto("/sign-in/code")
    page.get_by_label("Code", exact=True).fill(authenticator_code(live_app, email))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Robin Newadmin")
    page.goto("/admin/people/")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
