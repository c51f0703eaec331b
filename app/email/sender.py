"""The one email sender: renders a plain-text and an HTML part and sends them over SMTP.

With no MAIL_SERVER configured (development), the message is kept in the database outbox
instead (with its attachments), where admins can read it. In production only the envelope (recipient, subject,
status) is recorded, never the body, so links in it are not kept.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app, has_request_context, render_template, request
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.elements import ColumnElement

from app.email.models import OutboxAttachment, OutboxMessage
from app.extensions import db

log = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """The SMTP server refused or could not be reached."""


_SERVED_AT = "socitm_served_at"  # app.extensions key: where a development copy was last served (see base_url)


def _served_address() -> str | None:
    """The address this request reached the app on, when it may be trusted to be where the app is served:
    a loopback name or an IP address. Any other name could be a DNS-rebinding page's, so it is not followed."""
    root = request.url_root.rstrip("/")
    host = (urlsplit(root).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return root
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return root


# What a request's own address is made of (`request.url_root`): a request with the same values as the
# last one noted was served at the same address, so its address is not worked out again.
_ADDRESS_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")
_LAST_NOTED = "socitm_served_at_parts"


def note_served_address() -> None:
    """Before each request on a development copy without APP_BASE_URL: remember where the app is served, so
    that work done outside a request (a background job, an email sent after the response) links there too."""
    app = current_app
    if not app.config.get("APP_BASE_URL_FOLLOWS_REQUEST"):
        return
    environ = request.environ
    parts = tuple(environ.get(name) for name in _ADDRESS_PARTS)
    if app.extensions.get(_LAST_NOTED) == parts:
        return
    served = _served_address()
    if served:
        app.extensions[_SERVED_AT] = served
    app.extensions[_LAST_NOTED] = parts


def base_url() -> str:
    """Where links in emails start: APP_BASE_URL; on a development copy where it was not set, the address the
    app is served on (this request's, or outside a request the last one's). Never the Host header in production."""
    config = current_app.config
    if not config.get("APP_BASE_URL_FOLLOWS_REQUEST"):
        return config["APP_BASE_URL"]
    served = _served_address() if has_request_context() else None
    return served or current_app.extensions.get(_SERVED_AT) or config["APP_BASE_URL"]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for use in emails, based on `base_url()` (works outside requests too)."""
    adapter = current_app.url_map.bind("localhost")
    return base_url() + adapter.build(endpoint, values)


Attachment = tuple[str, str, bytes]  # (filename, content type such as "text/calendar; method=REQUEST", data)


def build_message(
    to: str, subject: str, template: str, attachments: list[Attachment] | None = None, **context
) -> EmailMessage:
    """Render templates/email/<template>.txt and .html into a multipart/alternative message,
    with any attachments after it (the message then becomes multipart/mixed)."""
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    context.setdefault("base_url", base_url())
    text = render_template(f"email/{template}.txt", subject=subject, **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="socitm-research")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments or ():
        kind, *parameters = (part.strip() for part in content_type.split(";"))
        maintype, _, subtype = kind.partition("/")
        params = dict(p.split("=", 1) for p in parameters if "=" in p)
        message.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename, params=params
        )
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    try:
        if config["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config["MAIL_SERVER"],
                config["MAIL_PORT"],
                timeout=config["MAIL_TIMEOUT"],
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
        with smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise EmailNotSent(str(exc)) from exc


def send_email(
    to: str,
    subject: str,
    template: str,
    attachments: list[Attachment] | None = None,
    *,
    add_to_session: bool = True,
    **context,
) -> OutboxMessage:
    """Send one email (or keep it in the outbox when no SMTP server is configured).

    `attachments` are (filename, content type, bytes); the outbox keeps them with the bodies.

    Returns the outbox record, added to the current session; the caller commits. With
    `add_to_session=False` the caller adds it, inside its own write (so that on SQLite the database is
    not locked while the SMTP server answers); `send_email_after_commit` does that for an email that
    must go only if the caller's transaction commits.
    Delivery failures are logged and recorded with status 'failed', not raised,
    so a mail outage never loses the user's work.
    """
    message = build_message(to, subject, template, attachments, **context)
    record = _send(message, to, subject, template)
    if add_to_session:
        db.session.add(record)
    return record


def _kept_attachment(part: EmailMessage) -> OutboxAttachment:
    """An attachment as the outbox keeps it: name, type (with its parameters, such as method=REQUEST), bytes."""
    data = part.get_payload(decode=True) or b""
    kept = [(name, value) for name, value in part.get_params()[1:] if name not in ("name", "charset")]
    parameters = "".join(f"; {name}={value}" for name, value in kept)
    return OutboxAttachment(
        filename=(part.get_filename() or "attachment")[:255],
        content_type=(part.get_content_type() + parameters)[:255],
        size=len(data),
        data=data,
    )


def _send(message: EmailMessage, to: str, subject: str, template: str, recorded_as: str | None = None) -> OutboxMessage:
    """Deliver (or, with no SMTP server, keep) a built message; its outbox record, not added to any
    session. `recorded_as`: see `send_email_after_commit`."""
    record = OutboxMessage(recipient=recorded_as or to, subject=subject, template=template)
    if not current_app.config["MAIL_SERVER"]:
        record.status = "outbox"
        if recorded_as is None:
            record.text_body = message.get_body(("plain",)).get_content()
            record.html_body = message.get_body(("html",)).get_content()
            record.attachments = [_kept_attachment(part) for part in message.iter_attachments()]
    else:
        try:
            _deliver(message)
            record.status = "sent"
        except EmailNotSent as exc:
            error = str(exc) if recorded_as is None else re.sub(re.escape(to), recorded_as, str(exc), flags=re.I)
            log.error("Email to %s (%s) not sent: %s", recorded_as or to, template, error)
            record.status = "failed"
            record.error = error[:500]
    return record


# --- Email that waits for its transaction to commit ---------------------------------------------

_AFTER_COMMIT = "emails_after_commit"


@dataclass
class _Waiting:
    message: EmailMessage
    to: str
    subject: str
    template: str
    recorded_as: str | None
    transaction: SessionTransaction  # the innermost transaction it was asked for in


def send_email_after_commit(
    to: str,
    subject: str,
    template: str,
    attachments: list[Attachment] | None = None,
    *,
    recorded_as: str | None = None,
    **context,
) -> None:
    """Send one email once the current transaction commits, and not at all if it (or the savepoint it
    was asked for in) rolls back.

    The message is rendered now, inside the caller's transaction, from what it can see; it goes to the
    SMTP server only after the commit, so a write (on SQLite, the database's write lock) is never held
    while the server answers, and its outbox record is then written in a short transaction of its own.
    `recorded_as` is who that record names instead of `to`, for a message to someone being erased: it
    then keeps no body either, and the address is taken out of any error. Delivery failures are logged
    and recorded with status 'failed', as for `send_email`.
    """
    message = build_message(to, subject, template, attachments, **context)
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    waiting = _Waiting(message, to, subject, template, recorded_as, transaction)
    session.info.setdefault(_AFTER_COMMIT, []).append(waiting)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_waiting(session: Session, ended: SessionTransaction) -> None:
    waiting = session.info.get(_AFTER_COMMIT)
    if waiting:
        session.info[_AFTER_COMMIT] = [w for w in waiting if not _within(w.transaction, ended)]


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_savepoint(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        _drop_waiting(session, previous_transaction)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # A committed transaction's emails have gone already (below); whatever is left was rolled back or closed.
    if transaction.parent is None and not transaction.nested:
        _drop_waiting(session, transaction)


@event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction may still roll back
        return
    waiting = session.info.pop(_AFTER_COMMIT, None)
    if not waiting:
        return
    records = [_send(w.message, w.to, w.subject, w.template, w.recorded_as) for w in waiting]
    # This session cannot write once committed; the records go in through a session of their own.
    try:
        with Session(bind=db.engine) as outbox, outbox.begin():
            outbox.add_all(records)
    except SQLAlchemyError:
        log.exception("%d sent email(s) could not be recorded in the outbox", len(records))


def redact_outbox(
    label: str,
    *,
    addresses: Iterable[str],
    mentioned: Callable[..., ColumnElement[bool]],
    redact: Callable[[str], str],
) -> int:
    """Make the outbox forget a person (part of erasure; the caller commits); returns how many records changed.

    A message to one of their `addresses` keeps only that it was sent: the recipient becomes `label`
    and the bodies (their name, their links) go. A message to someone else that mentions them
    (`mentioned`, a SQL condition on columns) has each mention replaced by `label`.
    """
    wanted = sorted({a.strip().lower() for a in addresses if a and a.strip()})
    changed = 0
    if wanted:
        # Their attachments go with the bodies (a session's .ics names its attendee's address).
        to_them = select(OutboxMessage.id).where(func.lower(OutboxMessage.recipient).in_(wanted))
        db.session.execute(
            delete(OutboxAttachment)
            .where(OutboxAttachment.message_id.in_(to_them))
            .execution_options(synchronize_session=False)
        )
        changed += db.session.execute(
            update(OutboxMessage)
            .where(func.lower(OutboxMessage.recipient).in_(wanted))
            .values(recipient=label, text_body=None, html_body=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    columns = (OutboxMessage.subject, OutboxMessage.error, OutboxMessage.text_body, OutboxMessage.html_body)
    for message in db.session.scalars(select(OutboxMessage).where(mentioned(*columns))):
        message.subject = (redact(message.subject) or "")[:255]
        message.error = redact(message.error)[:500] if message.error else message.error
        message.text_body = redact(message.text_body) if message.text_body else message.text_body
        message.html_body = redact(message.html_body) if message.html_body else message.html_body
        message.attachments = []  # files are not rewritten: one about a message that mentions them goes
        changed += 1
    return changed
