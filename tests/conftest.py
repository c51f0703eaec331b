"""Shared fixtures: a fresh database per run (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
an app per test with its tables emptied afterwards, a loopback SMTP server, and factories."""

from __future__ import annotations

import html
import os
import re
import secrets
import socket
import tempfile
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pyotp
import pytest
from aiosmtpd.controller import Controller
from flask import g
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import delete, update
from sqlalchemy.engine import make_url

from app import create_app
from app.auth.mfa.services import encrypt_secret
from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from app.organisations.models import Organisation
from config import TestingConfig, normalise_database_url

# Property-based tests have no per-example deadline (a busy machine is not a failure; the tests that guard
# against stalls bound CPU time themselves). In CI (.ci/run sets CI=1) they explore the same examples every
# run, so a landing never depends on luck; locally they keep exploring new ones.
settings.register_profile("suite", deadline=None)
settings.register_profile("ci", settings.get_profile("suite"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "suite")

PASSWORD = "correct horse battery staple"
_HASHED_PASSWORD = hash_password(PASSWORD)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the test administrators' authenticator app
# Contact details a production configuration needs (it refuses the development placeholders).
REAL_CONTACTS = {
    "CONTACT_EMAIL": "research@socitm.org.uk",
    "PRIVACY_CONTACT_EMAIL": "privacy@socitm.org.uk",
    "MAIL_DEFAULT_SENDER": "Socitm research <research@socitm.org.uk>",
}


def _create_postgres_database(server_url: str) -> tuple[str, callable]:
    """Create a uniquely named database on the server; return its URL and a function that drops it."""
    import psycopg

    url = make_url(normalise_database_url(server_url))
    name = f"socitm_test_{secrets.token_hex(4)}"
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url():
    """A freshly created, migrated database for this test run."""
    server = os.environ.get("TEST_DATABASE_URL")
    tmpdir = None
    if server:
        url, drop = _create_postgres_database(server)
    else:
        tmpdir = tempfile.TemporaryDirectory(prefix="socitm-test-")
        url, drop = f"sqlite:///{Path(tmpdir.name) / 'test.db'}", (lambda: None)
    app = create_app(_config_for(url))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url
    drop()
    if tmpdir:
        tmpdir.cleanup()


def _config_for(url: str, **overrides) -> type[TestingConfig]:
    return type("RunConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


@pytest.fixture
def config_overrides():
    """Settings a test module can change (override this fixture) before the app is built."""
    return {}


class FreshRequestClient(FlaskClient):
    """A test client whose requests each start afresh, as they do in production.

    The `app` fixture keeps an app context open for the whole test and Flask reuses it for
    requests. So that nothing leaks between requests, each starts with an empty `g` (Flask-Login
    caches the user there) and a new database transaction, and what a request left uncommitted
    is rolled back afterwards, as the end of a real request does.
    """

    def open(self, *args, **kwargs):
        for key in list(vars(g)):
            delattr(g, key)
        db.session.commit()
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.rollback()


@pytest.fixture
def app(database_url, config_overrides):
    """The application, on the run's database; every table is emptied after the test."""
    application = create_app(_config_for(database_url, **config_overrides))
    application.test_client_class = FreshRequestClient
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(delete(table))
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_organisation(app):
    """Create an organisation: make_organisation(name=..., region=..., council_type=...)."""
    counter = {"n": 0}

    def make(name: str | None = None, region: str = "south-east", council_type: str = "county", **kwargs):
        counter["n"] += 1
        org = Organisation(
            name=name or f"Test Council {counter['n']}", region=region, council_type=council_type, **kwargs
        )
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(app, make_organisation):
    """Create a person who can sign in: make_user(role="admin", email=..., password=PASSWORD).

    Administrators have two-factor authentication set up with TOTP_SECRET (they must), others do not;
    `two_factor=True/False` says otherwise. `sign_in` enters the code when one is needed.
    """
    counter = {"n": 0}

    def make(
        role: str | tuple[str, ...] = "member",
        email: str | None = None,
        name: str | None = None,
        organisation: Organisation | None = None,
        password: str | None = PASSWORD,
        two_factor: bool | None = None,
        **kwargs,
    ):
        counter["n"] += 1
        roles = (role,) if isinstance(role, str) else role
        if "member" in roles and organisation is None:
            organisation = make_organisation()
        user = User(
            email=email or f"person{counter['n']}@example.org",
            name=name or f"Person {counter['n']}",
            organisation_id=organisation.id if organisation else None,
            **kwargs,
        )
        user.password_hash = (
            _HASHED_PASSWORD if password == PASSWORD else (hash_password(password) if password else None)
        )
        user.set_roles(roles)
        if two_factor if two_factor is not None else "admin" in roles:
            user.totp_secret_encrypted = encrypt_secret(TOTP_SECRET)
            user.totp_enrolled_at = datetime.now(UTC)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def sign_in(client, email: str, password: str = PASSWORD, follow_redirects: bool = False):
    """Post the sign-in form, and the code from TOTP_SECRET when the account asks for one."""
    response = client.post("/sign-in", data={"email": email, "password": password})
    if response.status_code == 302 and response.headers["Location"] == "/sign-in/code":
        return client.post("/sign-in/code", data={"code": totp_code(email)}, follow_redirects=follow_redirects)
    if follow_redirects and response.status_code == 302:
        return client.get(response.headers["Location"], follow_redirects=True)
    return response


def wrong_code(secret: str = TOTP_SECRET) -> str:
    """A six-digit code the app refuses for this secret: not the code of this 30-second step or of the two steps
    either side (the app accepts one step either side), so a "wrong code" test is never right by chance."""
    totp = pyotp.TOTP(secret)
    now = int(datetime.now(UTC).timestamp()) // totp.interval
    accepted = {totp.generate_otp(step) for step in range(now - 2, now + 3)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in accepted)


def totp_code(email: str) -> str:
    """The authenticator app's code now for a test account set up with TOTP_SECRET.

    A code is accepted once per 30-second step, so the account's last used step is forgotten first,
    as if the next step had come (tests sign the same person in more than once).
    """
    db.session.execute(update(User).where(User.email == email).values(totp_last_step=None))
    db.session.commit()
    return pyotp.TOTP(TOTP_SECRET).now()


@pytest.fixture
def signed_in(client, make_user):
    """Sign in as a new person with the given role(s); returns that person."""

    def _as(role: str | tuple[str, ...] = "member", **kwargs) -> User:
        user = make_user(role, **kwargs)
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _as


class _Collector:
    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(_as_mail_programs_read_it(envelope.content))
        return "250 Message accepted for delivery"


def _as_mail_programs_read_it(content: bytes) -> EmailMessage:
    """A received message, with its subject as a mail program shows it.

    A subject too long for one 78-character line is sent folded straight after its colon ("Subject:" CRLF
    " A place has come up: ..."), as RFC 5322 allows. Mail programs show it without the fold's space; Python's
    parser keeps that space, so a test of a long subject would depend on the length of the date in it.
    """
    message = message_from_bytes(content, policy=policy.default)
    subject = message["Subject"]
    if subject is not None and str(subject) != str(subject).lstrip():
        message.replace_header("Subject", str(subject).lstrip())
    return message


@pytest.fixture
def mailbox(app):
    """A real SMTP server on loopback; the app sends to it. Yields the list of received messages."""
    collector = _Collector()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    try:
        yield collector.messages
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    """The plain-text body of an email."""
    return message.get_body(("plain",)).get_content()


def link_in(message: EmailMessage) -> str:
    """The first link in an email's text, as a path on this site."""
    match = re.search(r"http://localhost(/\S+)", text_part(message))
    assert match, text_part(message)
    return match.group(1)


_RANDOM_VALUES = re.compile(r'(nonce|name="csrf_token"[^>]*?value)="[^"]*"')


def page_text(response) -> str:
    """A response's HTML with entities decoded, so tests can look for the words a person reads.

    The values that differ on every response (the script nonce, the CSRF token) are blanked: they are random
    letters, so a test asserting that a short word such as "P3" is *not* on the page would otherwise fail
    whenever the nonce happened to contain it.
    """
    return _RANDOM_VALUES.sub(r'\1=""', html.unescape(response.get_data(as_text=True)))
