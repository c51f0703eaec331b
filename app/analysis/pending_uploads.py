"""Projects uploaded for import, kept until the lead analyst confirms them on the next page.

Kept in the database (`analysis_pending_upload`), not on the disk of the node that took the upload, so
the confirmation may reach any node. An upload is found only by its random key, only by its uploader,
only for its study, and only for UPLOAD_LIFETIME; after that `flask retention apply` deletes it
(app/privacy/retention.py), as does the next upload. Confirming deletes it, so it is imported once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.analysis.models import PendingUpload
from app.auth.erasure import Erasure, erasure_step
from app.auth.models import User
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study

UPLOAD_LIFETIME = timedelta(hours=1)  # how long a lead has to confirm an import
KEEP_PER_PERSON = 5  # a person's newest uploads awaiting confirmation; older ones go as another arrives
_KEY = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16)


def keep_upload(data: bytes, user: User, study: Study, now: datetime | None = None) -> str:
    """Keep an uploaded project until `user` confirms its import into `study`; returns its random key.

    Uploads past their lifetime go in the same transaction, and so do the uploader's beyond their newest
    KEEP_PER_PERSON, so that unconfirmed uploads never pile up between retention runs."""
    now = now or utcnow()
    key = secrets.token_hex(16)
    with write_transaction():
        db.session.execute(
            delete(PendingUpload)
            .where(PendingUpload.created_at < now - UPLOAD_LIFETIME)
            .execution_options(synchronize_session=False)
        )
        db.session.add(
            PendingUpload(key=key, user_id=user.id, study_id=study.id, size=len(data), data=bytes(data), created_at=now)
        )
        db.session.flush()
        older = (
            select(PendingUpload.key)
            .where(PendingUpload.user_id == user.id)
            .order_by(PendingUpload.created_at.desc(), PendingUpload.key)
            .offset(KEEP_PER_PERSON)
        )
        stale = list(db.session.scalars(older))
        if stale:
            db.session.execute(
                delete(PendingUpload).where(PendingUpload.key.in_(stale)).execution_options(synchronize_session=False)
            )
    return key


def _mine(key: str, user: User, study: Study, now: datetime | None):
    return (
        (PendingUpload.key == key)
        & (PendingUpload.user_id == user.id)
        & (PendingUpload.study_id == study.id)
        & (PendingUpload.created_at >= (now or utcnow()) - UPLOAD_LIFETIME)
    )


def _well_formed(key: object) -> bool:
    return isinstance(key, str) and bool(_KEY.fullmatch(key))


def kept_upload(key: object, user: User, study: Study, *, now: datetime | None = None) -> bytes | None:
    """The bytes of an upload `keep_upload` kept for this user and study, still within its lifetime; None
    for anything else (a key of another shape is refused before it reaches the database, and someone
    else's key is as good as none). `take_upload` deletes it."""
    if not _well_formed(key):
        return None
    return db.session.scalar(select(PendingUpload.data).where(_mine(key, user, study, now)))


def take_upload(key: object, user: User, study: Study, *, now: datetime | None = None) -> bool:
    """Delete this user's upload for this study inside the caller's transaction; whether this call deleted it.

    The import calls it in the transaction that writes the codes (`read_qdpx(claim=...)`): two confirmations
    at once import it once (the second finds nothing to take), and an import that fails keeps the upload,
    so confirming again works."""
    if not _well_formed(key):
        return False
    taken = db.session.execute(
        delete(PendingUpload).where(_mine(key, user, study, now)).execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


# --- Retention and erasure ------------------------------------------------------------------------


def _old(cutoff: datetime):
    return PendingUpload.created_at < cutoff


def due_pending_uploads(cutoff: datetime, now: datetime) -> list[str]:
    """The keys of uploads made before `cutoff` (for `flask retention apply`)."""
    return list(db.session.scalars(select(PendingUpload.key).where(_old(cutoff)).order_by(PendingUpload.key)))


def delete_pending_uploads(cutoff: datetime) -> Callable[[Sequence[str], datetime], int]:
    """Deletes the uploads `due_pending_uploads` listed that are still past `cutoff`."""

    def apply(keys: Sequence[str], now: datetime) -> int:
        with write_transaction():
            return db.session.execute(
                delete(PendingUpload)
                .where(PendingUpload.key.in_(keys), _old(cutoff))
                .execution_options(synchronize_session=False)
            ).rowcount

    return apply


@erasure_step
def forget_pending_uploads(erasure: Erasure) -> None:
    """An erased account holder's uploads awaiting confirmation go at once (files they uploaded, which may
    hold their name as a coder; an upload by someone else that names them is deleted within the day).
    The caller commits."""
    if erasure.user_id is not None:
        db.session.execute(
            delete(PendingUpload)
            .where(PendingUpload.user_id == erasure.user_id)
            .execution_options(synchronize_session=False)
        )
