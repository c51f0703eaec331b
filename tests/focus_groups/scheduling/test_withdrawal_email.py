"""The "You have left" email goes once the withdrawal has committed, never from inside its transaction
(which an account erasure shares): sent exactly once after a commit, not at all after a rollback, and
the SMTP server is never answered while the database is held for writing."""

from __future__ import annotations

import socket
import sqlite3
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.auth.services import erase_person
from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.models import Volunteer
from app.focus_groups.scheduling.withdrawal import withdraw_volunteer

LEFT = "You have left the Socitm focus groups"


class _Witness:
    """An SMTP server that, as each message arrives, looks at the database from a connection of its own:
    whether the volunteers' erasure is already committed there, and (on SQLite) whether a write could begin."""

    def __init__(self, engine):
        self.engine = engine
        self.messages: list = []
        self.seen: list[tuple[list[str | None], bool]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.engine.connect() as connection:
            emails = list(connection.scalars(select(Volunteer.email).order_by(Volunteer.id)))
        writable = True
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()  # the driver's own connection, in autocommit mode
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA busy_timeout = 0")
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    cursor.execute("ROLLBACK")
                except sqlite3.OperationalError:  # "database is locked": a write was in progress
                    writable = False
                cursor.close()
            finally:
                raw.invalidate()  # not back to the pool with its busy timeout changed
        self.seen.append((emails, writable))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def witness(app):
    """The loopback SMTP server of `mailbox`, watching the database as each message arrives."""
    handler = _Witness(db.engine)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    try:
        yield handler
    finally:
        controller.stop()


def _left(messages) -> list:
    return [m for m in messages if m["Subject"] == LEFT]


def test_the_email_goes_once_the_withdrawal_has_committed(app, witness, make_study, make_volunteer):
    study = make_study(slots=1)
    volunteer = make_volunteer(study, email="leaver@example.org")
    withdraw_volunteer(volunteer)
    assert witness.messages == []  # nothing yet: the withdrawal may still be rolled back
    db.session.commit()
    (message,) = witness.messages
    assert (message["To"], message["Subject"]) == ("leaver@example.org", LEFT)
    assert witness.seen == [([None], True)]  # already erased there, and nothing held for writing
    db.session.commit()  # a later commit sends nothing again
    assert len(witness.messages) == 1
    (record,) = db.session.scalars(select(OutboxMessage))
    assert (record.recipient, record.template, record.status) == (
        f"Withdrawn volunteer {volunteer.id}",
        "fg_withdrawal_confirmation",
        "sent",
    )


def test_a_rolled_back_withdrawal_sends_nothing(app, witness, make_study, make_volunteer):
    study = make_study(slots=1)
    volunteer = make_volunteer(study, email="stays@example.org")
    volunteer_id = volunteer.id
    withdraw_volunteer(volunteer)
    db.session.rollback()
    db.session.commit()
    assert witness.messages == []
    assert db.session.get(Volunteer, volunteer_id).email == "stays@example.org"
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_withdrawal_in_a_savepoint_rolled_back_sends_nothing_though_the_rest_commits(
    app, witness, make_study, make_volunteer
):
    study = make_study(slots=1)
    kept, leaving = make_volunteer(study, email="kept@example.org"), make_volunteer(study, email="gone@example.org")
    withdraw_volunteer(leaving)
    savepoint = db.session.begin_nested()
    withdraw_volunteer(kept)
    savepoint.rollback()
    db.session.commit()
    assert [m["To"] for m in witness.messages] == ["gone@example.org"]
    db.session.expire_all()
    assert (kept.email, leaving.email) == ("kept@example.org", None)


def test_leaving_at_the_end_of_retention_sends_nothing(app, witness, make_study, make_volunteer):
    study = make_study(slots=1)
    withdraw_volunteer(make_volunteer(study), retention=True)
    db.session.commit()
    assert witness.messages == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_an_erased_account_holder_is_told_after_the_erasure_commits(
    app, witness, make_study, make_volunteer, make_user
):
    admin = make_user(role="admin")
    person = make_user(email="member@example.org", name="Mona Member")
    first, second = make_study(slots=1), make_study(slots=1, title="Another study")
    make_volunteer(first, email="member@example.org", user_id=person.id)
    make_volunteer(second, email="member@example.org")
    erase_person(person, by=admin)
    left = _left(witness.messages)
    assert [m["To"] for m in left] == ["member@example.org", "member@example.org"]
    # Each went out after the erasure had committed, with nothing held for writing.
    assert witness.seen == [([None, None], True), ([None, None], True)]
    records = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "fg_withdrawal_confirmation"))
    assert {(r.recipient, r.status, r.text_body) for r in records} == {(f"Erased person {person.id}", "sent", None)}
