"""The outbox: emails the platform has sent or, without SMTP, kept for admins to read."""

from __future__ import annotations

import io

from flask import Response, abort, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import role_required
from app.auth.roles import ADMIN
from app.email import bp
from app.email.link_secrets import hide_link_secrets, hide_link_secrets_in_file
from app.email.models import OutboxAttachment, OutboxMessage
from app.extensions import db
from app.identifiers import get_or_404
from app.numbers import requested_page


def _message(message_id: int) -> OutboxMessage:
    return get_or_404(OutboxMessage, message_id)


def _shows_links(message: OutboxMessage) -> bool:
    # A link's secret is for the email's recipient alone: hidden from every other admin reading it, except
    # on a development copy (OUTBOX_SHOWS_LINKS), where the outbox is how a developer follows every journey.
    return bool(current_app.config.get("OUTBOX_SHOWS_LINKS")) or (
        current_user.email.lower() == message.recipient.strip().lower()
    )


def _as_shown(message: OutboxMessage, body: str | None) -> str | None:
    return body if _shows_links(message) else hide_link_secrets(body)


# What each kind of attachment is called on the page (its type is shown beside it).
KIND_NAMES = {"text/calendar": "Calendar file", "text/plain": "Text file", "text/csv": "CSV file"}


def attachment_kind(content_type: str) -> str:
    """ "Calendar file (text/calendar)": a name people know, and the exact type."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return f"{KIND_NAMES[kind]} ({kind})" if kind in KIND_NAMES else kind


def size_label(size: int) -> str:
    """A file's size as GOV.UK writes it: "900 bytes", "1.2 KB", "3.4 MB"."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB".replace(".0 ", " ")
    return f"{size / 1_000_000:.1f} MB".replace(".0 ", " ")


@bp.route("/")
@role_required(ADMIN)
def index():
    """Every email, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    page = db.paginate(query, page=requested_page(request.args), per_page=50, error_out=False)
    return render_template("outbox/index.html", page=page)


@bp.route("/<int:message_id>")
@role_required(ADMIN)
def show(message_id: int):
    """One email: envelope, and its text when it was kept in the outbox (links' secrets hidden)."""
    message = _message(message_id)
    return render_template(
        "outbox/show.html",
        message=message,
        text_body=_as_shown(message, message.text_body),
        attachment_kind=attachment_kind,
        size_label=size_label,
    )


@bp.route("/<int:message_id>/attachments/<int:attachment_id>")
@role_required(ADMIN)
def attachment(message_id: int, attachment_id: int):
    """Download one of an email's attachments (a session's .ics), its links' secrets hidden as in the message."""
    message = _message(message_id)
    kept = db.session.scalar(
        select(OutboxAttachment).where(OutboxAttachment.id == attachment_id, OutboxAttachment.message_id == message.id)
    )
    if kept is None:
        abort(404)
    data = kept.data if _shows_links(message) else hide_link_secrets_in_file(kept.content_type, kept.data)
    return send_file(
        io.BytesIO(data), mimetype=kept.content_type.split(";", 1)[0], as_attachment=True, download_name=kept.filename
    )


@bp.route("/<int:message_id>/html")
@role_required(ADMIN)
def html(message_id: int):
    """The HTML part, served in a sandbox so nothing in it can run (links' secrets hidden)."""
    message = _message(message_id)
    if not message.html_body:
        abort(404)
    return Response(
        _as_shown(message, message.html_body),
        mimetype="text/html",
        headers={"Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
    )
