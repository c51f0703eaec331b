"""Single-use, expiring tokens for invitation and password-reset links."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from app.auth.models import AccountToken, User
from app.clock import aware, utcnow
from app.extensions import db


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    """Create a token for `user` and return the secret to put in the link.

    Earlier unused tokens of the same purpose are cancelled, so only the newest link works.
    """
    now = utcnow()
    cancel_tokens(user, purpose)
    secret = secrets.token_urlsafe(32)  # 256 random bits; only its SHA-256 is stored
    db.session.add(
        AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(secret), expires_at=now + lifetime)
    )
    return secret


def find_token(secret: str, purpose: str) -> AccountToken | None:
    """The unused, unexpired token for this secret, or None."""
    token = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _digest(secret), AccountToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or aware(token.expires_at) <= utcnow():
        return None
    return token


def consume_token(token: AccountToken) -> bool:
    """Mark the token used. False if another request used it first (single use under concurrency)."""
    result = db.session.execute(
        update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None)).values(used_at=utcnow())
    )
    return result.rowcount == 1


def cancel_tokens(user: User, purpose: str | None = None) -> None:
    """Retire every unused link of `user` (of one purpose, or all of them): they stop working at once.

    Done when a new link of the purpose is sent, and when the password is set or changed or the
    account is disabled, so a link sent earlier cannot undo any of these.
    """
    query = update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose)
    db.session.execute(query.values(used_at=utcnow()))
