"""People, their roles and their single-use account tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.roles import MEMBER, ROLES
from app.extensions import db


def new_session_token() -> str:
    """A fresh random value that identifies the person's current sign-in sessions."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person who can sign in. Email is stored lower-cased and is unique."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Two-factor authentication (app/auth/mfa/): the authenticator app's secret, encrypted with a key
    # derived from SECRET_KEY; when it was set up; the last 30-second time step whose code was accepted
    # (a code is never accepted twice).
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")  # noqa: F821
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> set[str]:
        """The names of the roles this person holds."""
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        """True if the person holds any of the given roles."""
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles) -> None:
        """Replace the person's roles with the given ones."""
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(UserRole(role=role))

    @property
    def role_labels(self) -> list[str]:
        """The person's roles in display order."""
        return [label for role, label in ROLES.items() if role in self.roles]

    @property
    def has_two_factor(self) -> bool:
        """True once the person has set up an authenticator app."""
        return self.totp_enrolled_at is not None

    @property
    def status(self) -> str:
        """Active, invited (no password yet), disabled or erased."""
        if self.erased_at:
            return "erased"
        if self.disabled:
            return "disabled"
        if not self.password_hash:
            return "invited"
        return "active"

    @property
    def is_active(self) -> bool:  # used by Flask-Login
        return not self.disabled and self.erased_at is None and self.password_hash is not None

    def get_id(self) -> str:
        """The session identifier: id plus a token that changes when sessions are revoked."""
        return f"{self.id}.{self.session_token}"

    def revoke_sessions(self) -> None:
        """End every signed-in session of this person (checked on every request)."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.email!r}>"


class UserRole(db.Model):
    """One role held by one person."""

    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")


class AccountToken(db.Model):
    """A single-use, expiring link token (invitation or password reset). Only its hash is stored."""

    __tablename__ = "account_token"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One single-use recovery code for signing in without the authenticator app. Only its hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = ["MEMBER", "AccountToken", "RecoveryCode", "User", "UserRole"]
