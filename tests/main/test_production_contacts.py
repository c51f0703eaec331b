"""Production refuses to start with contact details people would be shown still unset or placeholders
(research@socitm.example): help would go nowhere, and the privacy notice would name nobody to ask."""

from __future__ import annotations

import secrets

import pytest

from app import create_app
from config import DevelopmentConfig, ProductionConfig, is_placeholder_contact
from tests.conftest import REAL_CONTACTS


def production(**settings) -> type[ProductionConfig]:
    """A production configuration, right but for `settings`, as environment variables would give it."""
    base = {"RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0", "MAIL_SERVER": "smtp.internal"}
    return type("Production", (ProductionConfig,), {**base, **REAL_CONTACTS, **settings})


@pytest.fixture(autouse=True)
def real_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONTACT_EMAIL", "research@socitm.example"),  # the development default
        ("CONTACT_EMAIL", ""),
        ("PRIVACY_CONTACT_EMAIL", "privacy@socitm.example"),
        ("PRIVACY_CONTACT_EMAIL", "  "),
        ("MAIL_DEFAULT_SENDER", "Socitm research <research@socitm.example>"),
        ("FEEDBACK_URL", "https://feedback.example.com/form"),
        ("FEEDBACK_URL", "mailto:beta@socitm.test"),
    ],
)
def test_production_refuses_unset_or_placeholder_contact_details(name, value):
    with pytest.raises(RuntimeError, match=rf"Contact details people are shown are unset or placeholders \({name}="):
        create_app(production(**{name: value}))


def test_the_message_names_every_placeholder_left():
    with pytest.raises(RuntimeError) as refused:
        production(CONTACT_EMAIL=DevelopmentConfig.CONTACT_EMAIL, PRIVACY_CONTACT_EMAIL="").check()
    assert "CONTACT_EMAIL='research@socitm.example'" in str(refused.value)
    assert "PRIVACY_CONTACT_EMAIL=''" in str(refused.value)
    assert "MAIL_DEFAULT_SENDER" not in str(refused.value)


def test_production_starts_with_real_contacts_and_no_optional_ones():
    production(CONTACT_PHONE="", FEEDBACK_URL="").check()
    production(CONTACT_PHONE="0300 123 4567", FEEDBACK_URL="https://www.socitm.net/feedback").check()


def test_only_the_reserved_example_domains_are_placeholders():
    assert is_placeholder_contact("research@socitm.example")
    assert not is_placeholder_contact("Socitm research <research@socitm.org.uk>")
    assert not is_placeholder_contact("a@myexample.com")  # only the reserved domains themselves
    assert is_placeholder_contact("a@mail.example.org")
