"""A record of one piece of slow work and how far it has got, and the file it made for download."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Job(db.Model):
    """Slow work running in the background: what it is, its progress, and its outcome.

    `work` (the import path of a module-level function) and `args` (JSON) say how to run it again, so any
    worker can take it from a queue and a person can try a failed job again. `runner`, `worker`,
    `started_at` and `heartbeat_at` say who is running it and when it was last heard from, so a job whose
    process has gone can be found (app/jobs/runner.py: `recover_jobs`).
    """

    __tablename__ = "job"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message: Mapped[str] = mapped_column(String(500), default="", server_default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    return_url: Mapped[str] = mapped_column(String(300), default="/", server_default="/")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    work: Mapped[str] = mapped_column(String(200), default="", server_default="")
    args: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    runner: Mapped[str] = mapped_column(String(10), default="", server_default="")
    worker: Mapped[str] = mapped_column(String(200), default="", server_default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def percent(self) -> int:
        """How far through, 0 to 100."""
        if self.status == "done":
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def can_try_again(self) -> bool:
        """A failed job that recorded how to run it can be started again by its owner or an admin."""
        return self.status == "failed" and bool(self.work)


class JobFile(db.Model):
    """The file a finished job made for download, kept in the database so that any node can serve it.

    At most JOB_FILE_MAX_BYTES (config.py); deleted RETENTION_JOB_FILE_HOURS after it was made, and with its job.
    """

    __tablename__ = "job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
