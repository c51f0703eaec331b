"""Account rules: signing in, invitations, password resets, disabling and erasure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.audit.services import record
from app.auth.erasure import forget, person_erasure
from app.auth.models import AccountToken, User
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.auth.roles import MEMBER
from app.auth.tokens import cancel_tokens, consume_token, find_token, issue_token
from app.clock import utcnow
from app.database import write_transaction
from app.email.sender import external_url, send_email, send_email_after_commit
from app.extensions import db


class AccountError(Exception):
    """A rule about accounts was broken; the message is fit to show the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """Emails are compared and stored trimmed and lower-cased."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The person with this email, if any."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The person if the email and password match an active account; None otherwise.

    The same work (one argon2 verification) is done whether or not the account exists, and it is
    done before any write, so on SQLite the database is not locked while the password is checked.
    Failed attempts are audit-logged; the caller records success with `start_session`.
    """
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        with write_transaction():
            record("auth.sign_in_failed", user, object_type="user", email=normalise_email(email)[:254])
        return None
    return user


def start_session(user: User, password: str | None = None, *, code_needed: bool = False) -> bool:
    """Note a successful sign-in (storing a stronger hash of `password` if the parameters have grown).

    With `code_needed` (two-factor authentication) only the right password is noted: the sign-in
    itself is recorded once the code is right (app/auth/mfa/services.py:complete_sign_in).

    The password was checked before any write, so the account is read again under a lock: if it was
    disabled, or its password changed, while the password was being checked, nothing is written and
    the sign-in does not go ahead (False).
    """
    checked_hash = user.password_hash
    user_id = user.id
    new_hash = hash_password(password) if password and needs_rehash(checked_hash) else None
    with write_transaction():
        current = db.session.scalar(
            select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
        )
        changed = current is None or not current.is_active or current.password_hash != checked_hash
        if not changed:
            if new_hash:
                current.password_hash = new_hash
            if code_needed:
                record("auth.password_accepted", current, actor=current)
                return True
            current.last_signed_in_at = utcnow()
            record("auth.signed_in", current, actor=current)
            return True
    with write_transaction():
        record("auth.sign_in_failed", current, object_type="user", reason="account changed during sign-in")
    return False


def end_session(user: User) -> None:
    """Sign the person out everywhere this session token was used."""
    with write_transaction():
        user.revoke_sessions()
        record("auth.signed_out", user, actor=user)


def invite_person(
    *, email: str, name: str, roles: Iterable[str], organisation_id: int | None, invited_by: User
) -> User:
    """Create an account without a password and email a single-use link to set one."""
    roles = set(roles)
    if not roles:
        raise AccountError("Select at least one role", "roles")
    if MEMBER in roles and organisation_id is None:
        raise AccountError("Select the organisation this member belongs to", "organisation_id")
    if find_user_by_email(email) is not None:
        raise AccountError("Someone with this email address already has an account", "email")
    with write_transaction():
        user = User(email=normalise_email(email), name=name.strip(), organisation_id=organisation_id)
        user.set_roles(roles)
        db.session.add(user)
        db.session.flush()
        _send_invitation(user, invited_by)
        record("people.person_invited", user, roles=sorted(roles))
    return user


def resend_invitation(user: User, invited_by: User) -> None:
    """Send a fresh invitation link; earlier links stop working."""
    if user.password_hash:
        raise AccountError("This person has already set a password")
    with write_transaction():
        _send_invitation(user, invited_by)
        record("people.invitation_resent", user)


def _send_invitation(user: User, invited_by: User) -> None:
    hours = current_app.config["INVITATION_TTL_HOURS"]
    secret = issue_token(user, "invitation", timedelta(hours=hours))
    send_email(
        user.email,
        f"You have been invited to {current_app.config['SERVICE_NAME']}",
        "invitation",
        user=user,
        invited_by=invited_by,
        link=external_url("auth.accept_invitation", token=secret),
        hours=hours,
    )


def request_password_reset(email: str) -> None:
    """Email a reset link if an active account has this address; otherwise do nothing.

    The caller shows the same message either way, so nobody learns who has an account. It runs after
    the response, outside any request: the account is read and the link issued in one write, which
    takes the write lock first (on SQLite a read snapshot left over from before could not be turned
    into a write while sign-ins are failing around it). The email goes once that write has committed,
    so the database is not locked while the SMTP server answers; its outbox record is written after.
    """
    minutes = current_app.config["RESET_TTL_MINUTES"]
    with write_transaction():
        user = find_user_by_email(email)
        if user is None or user.disabled or user.erased_at or not user.password_hash:
            return
        secret = issue_token(user, "reset", timedelta(minutes=minutes))
        record("auth.password_reset_requested", user, actor=user)
        send_email_after_commit(
            user.email,
            "Reset your password",
            "password_reset",
            user=user,
            link=external_url("auth.reset_password", token=secret),
            minutes=minutes,
        )


def send_sign_in_alert(email: str) -> None:
    """Tell an account's owner that many sign-ins have failed for it, from anywhere; otherwise do nothing.

    Their account stays open to them (app/auth/throttling.py): the email says so and how to change
    their password if they think it is known. It runs after the response, while sign-ins are failing
    around it, so the account is read and the alert recorded in one write that takes the write lock
    first; the email goes after that write (the SMTP server is not waited for under the lock).
    """
    with write_transaction():
        user = find_user_by_email(email)
        if user is None or not user.is_active:
            return
        record("auth.sign_in_alert_sent", user)
        send_email_after_commit(
            user.email,
            f"Someone is trying to sign in to your {current_app.config['SERVICE_NAME']} account",
            "sign_in_alert",
            user=user,
            reset_link=external_url("auth.forgot_password"),
        )


def valid_token(secret: str, purpose: str) -> AccountToken | None:
    """The live token for a link, or None if it is unknown, used or expired."""
    token = find_token(secret, purpose)
    if token is None or token.user.disabled or token.user.erased_at:
        return None
    return token


def set_password_with_token(token: AccountToken, password: str) -> User:
    """Use an invitation or reset link to set a password; the link then stops working."""
    password_hash = hash_password(password)  # slow on purpose: computed before the write begins
    with write_transaction():
        if not consume_token(token):
            raise AccountError("This link has already been used")
        user = token.user
        user.password_hash = password_hash
        user.revoke_sessions()
        cancel_tokens(user)  # an older invitation or reset link cannot set it again
        action = "auth.invitation_accepted" if token.purpose == "invitation" else "auth.password_reset"
        record(action, user, actor=user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a signed-in person's password; their other sessions end."""
    if not verify_password(user.password_hash, current_password):
        raise AccountError("Your current password is not right", "current_password")
    password_hash = hash_password(new_password)
    with write_transaction():
        user.password_hash = password_hash
        user.revoke_sessions()
        cancel_tokens(user)  # a reset link sent before cannot undo the change
        record("auth.password_changed", user, actor=user)


def set_disabled(user: User, disabled: bool, by: User) -> None:
    """Disable (ending every session at once) or re-enable an account."""
    if disabled and user.id == by.id:
        raise AccountError("You cannot disable your own account")
    with write_transaction():
        user.disabled = disabled
        user.revoke_sessions()
        if disabled:
            cancel_tokens(user)  # re-enabling does not bring old invitation or reset links back
        record("people.person_disabled" if disabled else "people.person_enabled", user)


def update_person(user: User, *, name: str, roles: Iterable[str], organisation_id: int | None, by: User) -> None:
    """Change a person's name, roles and organisation; role changes are audit-logged."""
    roles = set(roles)
    if not roles:
        raise AccountError("Select at least one role", "roles")
    if MEMBER in roles and organisation_id is None:
        raise AccountError("Select the organisation this member belongs to", "organisation_id")
    if user.id == by.id and "admin" not in roles:
        raise AccountError("You cannot remove your own administrator role", "roles")
    before = sorted(user.roles)
    with write_transaction():
        user.name = name.strip()
        user.organisation_id = organisation_id
        user.set_roles(roles)
        if before != sorted(roles):
            record("people.roles_changed", user, before=before, after=sorted(roles))
        record("people.person_updated", user)


def erase_person(user: User, by: User) -> None:
    """Erase a person's personal data everywhere, in one transaction; what happened stays, credited to
    "Erased person <id>" (app/auth/erasure.py).

    The account keeps only that label and an unusable address. Their own audit events are credited to
    the label and lose their IP addresses (so do failed sign-ins on their account), and events naming
    them are redacted; emails to them keep only that they were sent, emails mentioning them are
    redacted; the answers they changed, session notes naming them, note and debrief histories and
    their volunteer records (withdrawn) are made anonymous by the features' own steps; an
    organisation's contact address that was theirs is removed.
    """
    from app.organisations.models import Organisation

    if user.id == by.id:
        raise AccountError("You cannot erase your own account")
    with write_transaction():
        if user.erased_at is not None:
            return
        erasure = person_erasure(user.id, [user.name], [user.email])
        db.session.execute(
            update(Organisation)
            .where(func.lower(Organisation.contact_email).in_(erasure.emails))
            .values(contact_email=None)
            .execution_options(synchronize_session=False)
        )
        user.email = f"erased-{user.id}@erased.invalid"
        user.name = erasure.label
        user.password_hash = None
        user.disabled = True
        user.erased_at = utcnow()
        user.set_roles([])
        user.organisation_id = None
        user.revoke_sessions()
        db.session.flush()
        forget(erasure)
        record("people.person_erased", user, actor=by)
