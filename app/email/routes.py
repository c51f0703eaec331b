"""The outbox: emails the platform has sent or, without SMTP, kept for admins to read."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import role_required
from app.auth.roles import ADMIN
from app.email import bp
from app.email.link_secrets import hide_link_secrets
from app.email.models import OutboxMessage
from app.extensions import db
from app.identifiers import get_or_404
from app.numbers import requested_page


def _message(message_id: int) -> OutboxMessage:
    return get_or_404(OutboxMessage, message_id)


def _as_shown(message: OutboxMessage, body: str | None) -> str | None:
    # A link's secret is for the email's recipient alone: hidden from every other admin reading it, except
    # on a development copy (OUTBOX_SHOWS_LINKS), where the outbox is how a developer follows every journey.
    if current_app.config.get("OUTBOX_SHOWS_LINKS") or current_user.email.lower() == message.recipient.strip().lower():
        return body
    return hide_link_secrets(body)


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
    return render_template("outbox/show.html", message=message, text_body=_as_shown(message, message.text_body))


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
