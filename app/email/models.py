"""Record of outgoing email; the full message is kept only in the development outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class OutboxMessage(db.Model):
    """An email the platform sent (status 'sent'), could not send ('failed'),
    or held because no SMTP server is configured ('outbox')."""

    __tablename__ = "outbox_message"
    __table_args__ = (CheckConstraint("status IN ('sent', 'failed', 'outbox')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(String(500))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
