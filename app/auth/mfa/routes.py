"""Two-factor pages: the sign-in code step, setting up an app, recovery codes, turning it off,
confirming one's identity before a sensitive change, and keeping administrators to their second factor."""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from app.auth import bp
from app.auth.decorators import public, role_required
from app.auth.mfa import services
from app.auth.mfa.forms import CodeForm, ConfirmIdentityForm, SetUpForm
from app.auth.mfa.pending import note_wrong_code, pending_sign_in
from app.auth.reauth import note_reauthenticated, reauth_required
from app.auth.roles import ADMIN
from app.auth.routes import _safe_next
from app.auth.throttling import failed_sign_in, note_refused_sign_in
from app.auth.throttling import note_wrong_code as note_wrong_code_for_account
from app.database import reads_first
from app.extensions import limiter
from app.security import note_activity

WRONG_CODE = "The code is not right. Enter the 6-digit code your authenticator app shows now, or a recovery code"
SET_UP_KEY = "two_factor_setup"  # the new secret while it is being set up, encrypted
NEW_CODES_KEY = "new_recovery_codes"  # new recovery codes, encrypted, until the page showing them is seen
# What an administrator who has not set up two-factor authentication may still reach.
OPEN_WITHOUT_SECOND_FACTOR = frozenset(
    {
        "static",
        "auth.two_factor_set_up",
        "auth.two_factor_new_codes",
        "auth.confirm_identity",
        "auth.sign_out",
        "main.healthz",
        "main.privacy",
        "main.accessibility",
        "main.contact",
    }
)


@bp.before_app_request
def require_two_factor_for_administrators():
    """An administrator without two-factor authentication can do nothing but set it up (or sign out)."""
    if request.endpoint is None or request.endpoint in OPEN_WITHOUT_SECOND_FACTOR:
        return None
    if current_user.is_authenticated and current_user.has_role(ADMIN) and not current_user.has_two_factor:
        return redirect(url_for("auth.two_factor_set_up"), code=303)
    return None


def _pending_account_key() -> str:
    pending = pending_sign_in() or {}
    return f"sign-in-code:{pending.get('user_id', 'none')}"


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(
    lambda: current_app.config["CODE_LIMIT_PER_ACCOUNT"],
    key_func=_pending_account_key,
    methods=["POST"],
    deduct_when=failed_sign_in,
)
@public
@reads_first
def sign_in_code():
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    pending = pending_sign_in()
    if pending is None:
        flash("Your sign-in was not finished in time. Sign in again.", "important")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        outcome = services.complete_sign_in(pending["user_id"], pending["token"], form.code.data)
        if outcome is not None:
            user, check = outcome
            session.clear()  # the half-signed-in state ends; a new session begins
            login_user(user)
            note_activity()
            note_reauthenticated()
            if check.method == "recovery-code":
                flash(
                    f"You used a recovery code. You have {check.recovery_codes_left} left: "
                    "you can get new ones from your account page.",
                    "important",
                )
            return redirect(_safe_next(pending.get("next")) or url_for("main.home"))
        if note_wrong_code_for_account(pending["user_id"]):
            services.send_wrong_codes_alert(pending["user_id"])
        if note_wrong_code(pending):
            note_refused_sign_in()  # counted by the limits above although the answer is a redirect
            flash("Too many wrong codes. Sign in again.", "important")
            return redirect(url_for("auth.sign_in"))
        form.code.errors.append(WRONG_CODE)
    return render_template("auth/sign_in_code.html", form=form)


@bp.route("/account/confirm-identity", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["CODE_LIMIT_PER_ACCOUNT"],
    key_func=lambda: f"confirm-identity:{current_user.get_id()}",
    methods=["POST"],
    deduct_when=failed_sign_in,
)
@role_required()
def confirm_identity():
    """Enter one's password (and code) again before a sensitive change; then carry on to `next`."""
    user = current_user._get_current_object()
    form = ConfirmIdentityForm()
    next_url = _safe_next(request.args.get("next")) or url_for("auth.account")
    if user.has_role(ADMIN) and not user.has_two_factor:
        back_url = url_for("auth.two_factor_set_up")  # every other page sends them there
    else:
        back_url = _safe_next(request.args.get("back")) or url_for("auth.account")
    if form.validate_on_submit():
        wrong = services.confirm_identity(user, form.password.data, form.code.data)
        if wrong is None:
            note_reauthenticated()
            return redirect(next_url)
        if wrong == "password":
            form.password.errors.append("Your password is not right")
        else:
            form.code.errors.append(WRONG_CODE if form.code.data else "Enter the code from your authenticator app")
    return render_template("auth/confirm_identity.html", form=form, next_url=next_url, back_url=back_url)


@bp.route("/account/two-factor/set-up", methods=["GET", "POST"])
@role_required()
@reauth_required
def two_factor_set_up():
    """Add an authenticator app: scan the QR code (or type the key), then enter the code it shows."""
    user = current_user._get_current_object()
    secret = services.decrypt_secret(session.get(SET_UP_KEY))
    if secret is None:
        if request.method == "POST":  # the page was left open too long, or the secret was lost
            flash("The set-up was started again. Add the new key below to your app.", "important")
        secret = services.new_secret()
        session[SET_UP_KEY] = services.encrypt_secret(secret)
        if request.method == "POST":
            return redirect(url_for("auth.two_factor_set_up"), code=303)
    form = SetUpForm()
    if form.validate_on_submit():
        replacing = user.has_two_factor
        try:
            codes = services.set_up(user, secret, form.code.data)
        except services.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            session.pop(SET_UP_KEY, None)
            login_user(user)  # replacing an app ends every session: this one goes on with the new token
            if replacing:
                flash("Your new authenticator app is set up. You have been signed out everywhere else.", "success")
            return _show_new_codes(codes, just_set_up=True)
    uri = services.provisioning_uri(user, secret)
    return render_template(
        "auth/two_factor_set_up.html",
        form=form,
        qr_code=services.qr_code_svg(uri),
        key=services.grouped(secret),
        required=user.has_role(ADMIN) and not user.has_two_factor,
    )


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@role_required()
@reauth_required
def two_factor_recovery_codes():
    """Confirm, then replace one's recovery codes with new ones (shown once)."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("auth.account"))
    if request.method == "POST":
        return _show_new_codes(services.regenerate_recovery_codes(user), just_set_up=False)
    return render_template("auth/recovery_codes_confirm.html", left=services.recovery_codes_left(user))


def _show_new_codes(codes: list[str], *, just_set_up: bool):
    """Keep new recovery codes in the session (encrypted) for the one page that shows them, and go there:
    reloading that page cannot replace them again, as reloading the form's answer would."""
    session[NEW_CODES_KEY] = services.encrypt_secret(json.dumps({"codes": codes, "just_set_up": just_set_up}))
    return redirect(url_for("auth.two_factor_new_codes"), code=303)


@bp.route("/account/two-factor/recovery-codes/new")
@role_required()
def two_factor_new_codes():
    """Show the recovery codes just made, once: they leave the session as they are shown."""
    kept = services.decrypt_secret(session.pop(NEW_CODES_KEY, None))
    if kept is None:
        flash("Recovery codes are shown only once. You can get new ones from your account page.", "important")
        return redirect(url_for("auth.account"))
    shown = json.loads(kept)
    return render_template("auth/recovery_codes.html", codes=shown["codes"], just_set_up=shown["just_set_up"])


@bp.route("/account/two-factor/turn-off", methods=["GET", "POST"])
@role_required()
@reauth_required
def two_factor_turn_off():
    """Confirm, then turn off two-factor authentication (not for administrators, who must keep it)."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("auth.account"))
    if request.method == "POST":
        try:
            services.turn_off(user)
        except services.SecondFactorError as exc:
            flash(str(exc), "important")
        else:
            login_user(user)  # every session ended: this one goes on with the new token
            flash("Two-factor authentication is turned off. You have been signed out everywhere else.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/two_factor_turn_off.html", is_admin=user.has_role(ADMIN))
