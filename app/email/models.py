"""Record of outgoing email; the full message is kept only in the development outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    # Kept with the bodies (outbox only) and gone with them (erasure, retention).
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id", passive_deletes=True
    )


class OutboxAttachment(db.Model):
    """A file attached to an email kept in the outbox (a session's .ics), for admins to see and download."""

    __tablename__ = "outbox_attachment"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))  # e.g. "text/calendar; method=REQUEST"
    size: Mapped[int] = mapped_column(Integer)  # bytes
    data: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
