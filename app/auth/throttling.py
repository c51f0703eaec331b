"""Sign-in throttling that cannot be used to lock someone out of their own account.

Failed sign-ins are refused per (account, client) and per client by Flask-Limiter on the sign-in
route. Failures against one account from every client together are only counted here: past
LOGIN_ALERT_PER_ACCOUNT the account's owner is told by email, once a window, and can still sign
in from any client that has not failed. The counts live in the limiter's storage (Redis when
RATELIMIT_STORAGE_URI says so), so every worker shares them. Password-reset emails to one address
are limited the same way, whoever asks for them.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, g, request
from limits import parse

from app.auth.services import normalise_email
from app.extensions import client_address, limiter

EMAIL_KEY_LENGTH = 254  # the longest address the sign-in form accepts


def account_key(email: str) -> str:
    """A keyed hash of an address as accounts are compared (whether or not the account exists): the
    limiter's store (Redis, say) and its log lines never hold the address itself."""
    normalised = normalise_email(email)[:EMAIL_KEY_LENGTH]
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"throttle:{normalised}".encode(), hashlib.sha256).hexdigest()[:32]


def attempted_account() -> str:
    """The account a sign-in form names, as its limiter key (`account_key`)."""
    return account_key(request.form.get("email", ""))


def account_client_key() -> str:
    """The limiter key for one account tried from one client."""
    return f"sign-in:{attempted_account()}:{client_address()}"


def failed_sign_in(response: Response) -> bool:
    """Whether a sign-in response is a failure that counts towards the limits: the form shown again,
    or a failure that sends the person elsewhere (`note_refused_sign_in`, e.g. the last wrong code)."""
    return request.method == "POST" and (response.status_code == 200 or g.get("sign_in_refused", False))


def note_refused_sign_in() -> None:
    """Count this request as a failed sign-in even though its response is a redirect, not the form again."""
    g.sign_in_refused = True


def note_failed_sign_in(email: str) -> bool:
    """Count one failed sign-in against `email`, from any client.

    True, once a window, when the count has passed LOGIN_ALERT_PER_ACCOUNT: the caller then tells
    the owner. Counted the same way whether or not the account exists, so nothing here reveals it.
    """
    ceiling = parse(current_app.config["LOGIN_ALERT_PER_ACCOUNT"])
    account = account_key(email)
    if limiter.limiter.hit(ceiling, "sign-in-failures", account):
        return False
    once = type(ceiling)(1, ceiling.multiples)  # one alert per window of the same length
    return limiter.limiter.hit(once, "sign-in-alert", account)


def note_wrong_code(user_id: int) -> bool:
    """Count one wrong second-factor code after a right password for the account `user_id`.

    True, once a window, when CODE_ALERT_AFTER wrong codes have been entered within it (whichever
    sign-ins they came in): the password is then very likely known, and the caller tells the owner.
    """
    ceiling = parse(current_app.config["CODE_ALERT_AFTER"])
    account = str(user_id)
    limiter.limiter.hit(ceiling, "wrong-codes", account)
    if limiter.limiter.get_window_stats(ceiling, "wrong-codes", account).remaining > 0:
        return False
    once = type(ceiling)(1, ceiling.multiples)
    return limiter.limiter.hit(once, "wrong-codes-alert", account)


def reset_email_allowed(email: str) -> bool:
    """Whether a password-reset email may go to `email` now (RESET_EMAILS_PER_ACCOUNT), so nobody can
    flood someone's inbox from many clients. Counted whether or not the account exists."""
    limit = parse(current_app.config["RESET_EMAILS_PER_ACCOUNT"])
    return limiter.limiter.hit(limit, "reset-emails", account_key(email))
