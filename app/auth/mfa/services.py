"""Two-factor authentication rules: authenticator-app codes (TOTP, RFC 6238) and single-use recovery codes.

The app's secret is stored encrypted (Fernet, with a key derived from SECRET_KEY and any
SECRET_KEY_FALLBACKS), so a copy of the database alone does not give anyone the codes; it is shown
once, while being set up. A code is accepted once: the last time step used is kept, and a code from
that step or an earlier one is refused. Recovery codes carry 120 random bits and only their SHA-256
hashes are stored (ASVS 6.5.2 allows a plain hash from 112 bits up). Every change is audit-logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import urlsafe_b64encode
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from app.audit.services import record
from app.auth.erasure import Erasure, erasure_step
from app.auth.models import RecoveryCode, User
from app.auth.roles import ADMIN
from app.clock import utcnow
from app.database import write_transaction
from app.email.sender import external_url, send_email_after_commit
from app.extensions import db

TOTP_PERIOD_SECONDS = 30
TOTP_DIGITS = 6
# Codes from the step before and after now are accepted too: phones' clocks drift and people type slowly.
TOTP_STEPS_EITHER_SIDE = 1
RECOVERY_CODE_COUNT = 10
# Crockford's base32 alphabet (no i, l, o or u): 24 characters of 5 bits each, 120 bits.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 24
_TOTP_CODE = re.compile(r"[0-9]{6}")


class SecondFactorError(Exception):
    """A two-factor rule was broken; the message is fit to show the person."""


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code: how it was accepted, and how many recovery codes remain."""

    method: str  # "authenticator-app" or "recovery-code"
    recovery_codes_left: int


def _cipher() -> MultiFernet:
    keys = [current_app.config["SECRET_KEY"], *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]
    return MultiFernet(
        [
            Fernet(urlsafe_b64encode(hmac.new(str(key).encode(), b"socitm totp secret", hashlib.sha256).digest()))
            for key in keys
            if key
        ]
    )


def encrypt_secret(secret: str) -> str:
    """The authenticator app's secret, encrypted for storage (or for the session while setting up)."""
    return _cipher().encrypt(secret.encode("ascii")).decode("ascii")


def decrypt_secret(token: str | None) -> str | None:
    """The secret back, or None if there is none or it cannot be read (SECRET_KEY changed without a fallback)."""
    if not token:
        return None
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        current_app.logger.error("A stored authenticator secret could not be decrypted (was SECRET_KEY changed?)")
        return None


def new_secret() -> str:
    """A new random secret for an authenticator app (160 bits, base32)."""
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The secret in groups of four characters, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["SERVICE_NAME"])


def qr_code_svg(uri: str) -> Markup:
    """The QR code for `uri` as inline SVG markup (no style attributes, so the CSP needs no 'unsafe-inline')."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        title="QR code for your authenticator app",
        svgclass="app-qr-code",
    )
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1))  # noqa: S704 - segno's own markup; the URI inside is encoded as modules, not text


def _current_step() -> int:
    return int(utcnow().timestamp()) // TOTP_PERIOD_SECONDS


def matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step whose code `code` is, if it is now or one step either side and after `last_step`."""
    code = re.sub(r"\s", "", code or "")
    if not _TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
    now = _current_step()
    for step in range(now - TOTP_STEPS_EITHER_SIDE, now + TOTP_STEPS_EITHER_SIDE + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def normalise_recovery_code(code: str) -> str:
    """A typed recovery code as stored: lower case, without spaces or hyphens, look-alikes mapped."""
    cleaned = re.sub(r"[\s-]", "", (code or "").lower())
    return cleaned.translate(str.maketrans({"i": "1", "l": "1", "o": "0", "u": "v"}))


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode("ascii", "replace")).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes with new ones (in the caller's transaction); return them, shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    return codes


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the person has."""
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _locked(user_id: int) -> User | None:
    return db.session.scalar(
        select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
    )


def set_up(user: User, secret: str, code: str) -> list[str]:
    """Turn on two-factor authentication with `secret` once `code` from the app proves it was added.

    Returns the new recovery codes (shown once). An earlier app and its recovery codes stop working,
    and the person's sessions end, as when the password changes (the caller signs its own session in again).
    """
    step = matching_step(secret, code, None)
    if step is None:
        raise SecondFactorError("The code is not right. Enter the 6-digit code your authenticator app shows now")
    with write_transaction():
        current = _locked(user.id)
        replaced = current.has_two_factor
        if replaced:  # another app replaces the old one: every session, this one too, ends (the caller keeps its own)
            current.revoke_sessions()
        current.totp_secret_encrypted = encrypt_secret(secret)
        current.totp_enrolled_at = utcnow()
        current.totp_last_step = step
        codes = _new_recovery_codes(current)
        record("auth.mfa_enrolled", current, actor=current, replaced=replaced or None)
    return codes


def _use_code(user: User, code: str) -> str | None:
    """Accept `code` for the locked `user` (an app code after the last one used, or an unused
    recovery code), noting its use in the caller's transaction. The method used, or None."""
    secret = decrypt_secret(user.totp_secret_encrypted)
    step = matching_step(secret, code, user.totp_last_step) if secret else None
    if step is not None:
        user.totp_last_step = step
        return "authenticator-app"
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if used.rowcount == 1:
        record("auth.mfa_recovery_code_used", user, actor=user)
        return "recovery-code"
    return None


def complete_sign_in(user_id: int, session_token: str, code: str) -> tuple[User, CodeCheck] | None:
    """Finish a sign-in whose password was right with a code; None (audit-logged) if the code is wrong.

    Also None when the account was disabled, or its password or two-factor settings changed, since
    the password was checked (its session token then differs).
    """
    with write_transaction():
        user = _locked(user_id)
        if user is None or not user.is_active or user.session_token != session_token or not user.has_two_factor:
            record("auth.sign_in_code_failed", user, object_type="user", reason="account changed during sign-in")
            return None
        method = _use_code(user, code)
        if method is None:
            record("auth.sign_in_code_failed", user, actor=user)
            return None
        user.last_signed_in_at = utcnow()
        record("auth.signed_in", user, actor=user, second_factor=method)
    return user, CodeCheck(method, recovery_codes_left(user))


def send_wrong_codes_alert(user_id: int) -> None:
    """Tell the owner that their password was given right but wrong codes followed (their password is
    probably known), and audit-log it. Fixed wording: nothing anyone typed goes into the email.

    The account is read and the alert recorded in one write; the email goes after it, so the database
    is not locked while the SMTP server answers, and its outbox record is written then.
    """
    with write_transaction():
        user = _locked(user_id)
        if user is None or not user.is_active:
            return
        record("auth.sign_in_code_alert_sent", user)
        send_email_after_commit(
            user.email,
            f"Someone may know your {current_app.config['SERVICE_NAME']} password",
            "sign_in_code_alert",
            user=user,
            reset_link=external_url("auth.forgot_password"),
        )


def confirm_code(user: User, code: str) -> CodeCheck | None:
    """Check a code for someone already signed in (confirming who they are before a sensitive change)."""
    with write_transaction():
        current = _locked(user.id)
        method = _use_code(current, code)
        if method is None:
            record("auth.reauthentication_failed", current, actor=current, factor="code")
            return None
    return CodeCheck(method, recovery_codes_left(current))


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes for the person; the old ones stop working. Returns them, shown once."""
    if not user.has_two_factor:
        raise SecondFactorError("Set up an authenticator app first")
    with write_transaction():
        current = _locked(user.id)
        codes = _new_recovery_codes(current)
        record("auth.mfa_recovery_codes_regenerated", current, actor=current)
    return codes


def _clear(user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off(user: User) -> None:
    """Turn off two-factor authentication for oneself. Administrators must keep it.

    The person's sessions end, as when the password changes (the caller signs its own session in again).
    """
    if user.has_role(ADMIN):
        raise SecondFactorError("Administrators must use two-factor authentication, so it cannot be turned off")
    with write_transaction():
        current = _locked(user.id)
        _clear(current)
        current.revoke_sessions()
        record("auth.mfa_disabled", current, actor=current)


def reset(user: User, by: User) -> None:
    """An administrator removes another person's authenticator app and recovery codes (a lost phone).

    The person is signed out everywhere; at their next sign-in an administrator must set up again.
    """
    if user.id == by.id:
        raise SecondFactorError("You cannot reset your own two-factor authentication: ask another administrator")
    if not by.has_role(ADMIN):
        raise SecondFactorError("Only an administrator can reset two-factor authentication")
    if not user.has_two_factor:
        raise SecondFactorError("This person has not set up two-factor authentication")
    with write_transaction():
        current = _locked(user.id)
        _clear(current)
        current.revoke_sessions()
        record("auth.mfa_reset", current, actor=by)


def confirm_identity(user: User, password: str, code: str | None) -> str | None:
    """Check a signed-in person's password, and their code where they use two-factor authentication.

    Returns None when both are right (audit-logged), else the name of the first wrong field.
    """
    from app.auth.passwords import verify_password

    if not verify_password(user.password_hash, password):
        with write_transaction():
            record("auth.reauthentication_failed", user, actor=user, factor="password")
        return "password"
    if user.has_two_factor and (not code or confirm_code(user, code) is None):
        if not code:
            with write_transaction():
                record("auth.reauthentication_failed", user, actor=user, factor="code")
        return "code"
    with write_transaction():
        record("auth.reauthenticated", user, actor=user)
    return None


@erasure_step
def forget_second_factor(erasure: Erasure) -> None:
    """An erased account holder's authenticator key and recovery codes go too. The caller commits."""
    if erasure.user_id is not None:
        user = db.session.get(User, erasure.user_id)
        if user is not None:
            _clear(user)
