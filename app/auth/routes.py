"""Sign-in, sign-out, invitation and reset links, and the person's own account pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from app.audit.services import record
from app.auth import bp
from app.auth.decorators import public, role_required
from app.auth.forms import ChangePasswordForm, ForgotPasswordForm, SetPasswordForm, SignInForm
from app.auth.mfa.pending import ask_for_code
from app.auth.reauth import note_reauthenticated, reauth_required
from app.auth.services import (
    AccountError,
    authenticate,
    change_password,
    end_session,
    request_password_reset,
    send_sign_in_alert,
    set_password_with_token,
    start_session,
    valid_token,
)
from app.auth.throttling import account_client_key, failed_sign_in, note_failed_sign_in, reset_email_allowed
from app.database import reads_first, write_transaction
from app.extensions import limiter
from app.numbers import json_safe
from app.security import note_activity

SIGN_IN_ERROR = "Enter a correct email address and password"


def _after_response(response: Response, work: Callable[[str], None], email: str, what: str) -> Response:
    """Run `work(email)` once the response has gone, so the reply takes the same time whether or not an
    email is sent (nobody learns from it whether an account exists)."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                work(email)
            except Exception:
                current_app.logger.exception("%s failed", what)

    response.call_on_close(run)
    return response


def _safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site.

    Browsers read a backslash as a slash and drop tabs and line breaks inside an address, so
    `/\\evil.example` or `/<tab>/evil.example` would leave the site as `//evil.example` does: any
    backslash, whitespace or control character refuses the target.
    """
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(character.isspace() or not character.isprintable() for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_CLIENT"],
    key_func=account_client_key,
    methods=["POST"],
    deduct_when=failed_sign_in,
)
@public
@reads_first
def sign_in():
    """Sign in with email and password.

    Failures are refused per (account, client) and per client (above); an account's failures from
    every client only tell its owner (app/auth/throttling.py), so nobody can lock them out.
    """
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if request.method == "GET" and request.args.get("signed_out") == "1":
        flash("You have signed out.", "success")  # carried here, not in the cleared cookie: see sign_out
    form = SignInForm()
    alert = False
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        # Recorded before the browser's session changes: if the write fails, nobody is signed in.
        code_needed = user is not None and user.has_two_factor
        if user is not None and start_session(user, form.password.data, code_needed=code_needed):
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a new session at sign-in: nothing carries over from before
            if code_needed:
                return ask_for_code(user, next_url)  # signed in only once the code is right (app/auth/mfa/)
            login_user(user)
            note_activity()
            note_reauthenticated()
            return redirect(next_url or url_for("main.home"))
        form.email.errors.append(SIGN_IN_ERROR)
        alert = note_failed_sign_in(form.email.data)
    response = make_response(
        render_template("auth/sign_in.html", form=form, timed_out=request.args.get("timeout") == "1")
    )
    if alert:
        _after_response(response, send_sign_in_alert, form.email.data, "Sign-in alert email")
    return response


@bp.route("/sign-out", methods=["POST"])
@role_required()
def sign_out():
    """Sign out: the session ends on the server too, so an old cookie no longer works, and the browser
    is asked to forget this site's cookies (Clear-Site-Data, SIGN_OUT_CLEAR_SITE_DATA)."""
    end_session(current_user._get_current_object())
    logout_user()
    session.clear()
    response = redirect(url_for("auth.sign_in", signed_out=1))
    # Never "storage": the notes console keeps notes that have not reached the server in localStorage,
    # under this person's id only, and the sign-out question (app/static/js/app.mjs) has just told them
    # the notes stay in this browser until they sign in again; clearing storage would destroy them.
    # The server cannot know whether any are waiting (they may have been typed offline), so storage is
    # never cleared. Not "cache" by default: every page is sent with Cache-Control: no-store, so no
    # personal page is in the cache, and "cache" stalls Chromium's sign-out for seconds (crbug.com/41343050).
    # The browser ignores cookies set by this response, so "You have signed out" travels in the
    # address instead. Where other services share this site's registrable domain, whose cookies the
    # browser would clear too, SIGN_OUT_CLEAR_SITE_DATA can be emptied.
    if current_app.config["SIGN_OUT_CLEAR_SITE_DATA"]:
        response.headers["Clear-Site-Data"] = current_app.config["SIGN_OUT_CLEAR_SITE_DATA"]
    return response


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@public
def forgot_password():
    """Ask for a password reset link. The reply is the same whether or not the account exists, and
    whether or not an email goes (at most RESET_EMAILS_PER_ACCOUNT to one address)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        response = redirect(url_for("auth.reset_requested"))
        if not reset_email_allowed(form.email.data):
            return response
        return _after_response(response, request_password_reset, form.email.data, "Password reset email")
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/check-your-email")
@public
def reset_requested():
    """Confirmation that a link is on its way if the account exists."""
    return render_template("auth/reset_requested.html")


def _token_page(purpose: str, secret: str, template: str, done_message: str):
    token = valid_token(secret, purpose)
    if token is None:
        return render_template("auth/link_invalid.html", purpose=purpose), 404
    form = SetPasswordForm(person=token.user)
    if form.validate_on_submit():
        try:
            set_password_with_token(token, form.password.data)
        except AccountError:
            return render_template("auth/link_invalid.html", purpose=purpose), 404
        flash(done_message, "success")
        return redirect(url_for("auth.sign_in"))
    return render_template(template, form=form, user=token.user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    """Set a password from an invitation link (single use, expiring)."""
    return _token_page(
        "invitation", token, "auth/accept_invitation.html", "Your password has been set. Sign in to continue."
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Set a new password from a reset link (single use, expiring)."""
    return _token_page(
        "reset", token, "auth/reset_password.html", "Your password has been changed. Sign in with your new password."
    )


@bp.route("/account")
@role_required()
def account():
    """The person's own details, roles and organisation."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@role_required()
@reauth_required
def account_password():
    """Change one's own password (other sessions end)."""
    form = ChangePasswordForm(person=current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current_password.data, form.password.data)
        except AccountError as exc:
            form.current_password.errors.append(str(exc))
        else:
            login_user(user)  # keep this session, with the new session token
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/export.json")
@role_required()
def account_export():
    """Download everything held about oneself, as JSON: the same document as the data.json of the
    archive an admin downloads for a subject access request (app/privacy/subject_access.py)."""
    from app.privacy.subject_access import subject_document, subject_for_person

    user = current_user._get_current_object()
    with write_transaction():  # a GET that writes: take the write lock first (app/database.py)
        record("privacy.personal_data_exported", user)
    document = json_safe(subject_document(subject_for_person(user)))  # answers stored before NaN was refused
    body = json.dumps(document, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=my-personal-data.json"},
    )
