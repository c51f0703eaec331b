"""Role queries for sessions: the organisers told of what happens to a session, and the people who
can facilitate or take notes."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User, UserRole
from app.auth.roles import FACILITATOR, ORGANISER
from app.extensions import db


def organisers() -> list[User]:
    """Everyone who holds the organiser role and can still use the service (they get notices)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == ORGANISER, User.disabled.is_(False), User.erased_at.is_(None))
            .order_by(User.id)
        )
    )


def facilitators() -> list[User]:
    """People who can be given a session to facilitate or take notes in."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == FACILITATOR, User.disabled.is_(False), User.erased_at.is_(None))
            .order_by(User.name)
        )
    )
