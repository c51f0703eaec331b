"""The one email sender: renders a plain-text and an HTML part and sends them over SMTP.

With no MAIL_SERVER configured (development), the message is kept in the database outbox
instead, where admins can read it. In production only the envelope (recipient, subject,
status) is recorded, never the body, so links in it are not kept.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from sqlalchemy import func, select, update
from sqlalchemy.sql.elements import ColumnElement

from app.email.models import OutboxMessage
from app.extensions import db

log = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """The SMTP server refused or could not be reached."""


def external_url(endpoint: str, **values) -> str:
    """An absolute link for use in emails, based on APP_BASE_URL (works outside requests too)."""
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["APP_BASE_URL"] + adapter.build(endpoint, values)


Attachment = tuple[str, str, bytes]  # (filename, content type such as "text/calendar; method=REQUEST", data)


def build_message(
    to: str, subject: str, template: str, attachments: list[Attachment] | None = None, **context
) -> EmailMessage:
    """Render templates/email/<template>.txt and .html into a multipart/alternative message,
    with any attachments after it (the message then becomes multipart/mixed)."""
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    context.setdefault("base_url", current_app.config["APP_BASE_URL"])
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

    `attachments` are (filename, content type, bytes); the outbox keeps the bodies only.

    Returns the outbox record, added to the current session; the caller commits. With
    `add_to_session=False` the caller adds it, inside its own write (so that on SQLite the database is
    not locked while the SMTP server answers).
    Delivery failures are logged and recorded with status 'failed', not raised,
    so a mail outage never loses the user's work.
    """
    message = build_message(to, subject, template, attachments, **context)
    record = OutboxMessage(recipient=to, subject=subject, template=template)
    if not current_app.config["MAIL_SERVER"]:
        record.status = "outbox"
        record.text_body = message.get_body(("plain",)).get_content()
        record.html_body = message.get_body(("html",)).get_content()
    else:
        try:
            _deliver(message)
            record.status = "sent"
        except EmailNotSent as exc:
            log.error("Email to %s (%s) not sent: %s", to, template, exc)
            record.status = "failed"
            record.error = str(exc)[:500]
    if add_to_session:
        db.session.add(record)
    return record


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
        changed += 1
    return changed
