"""Two-factor authentication: codes from an authenticator app (once each), recovery codes (once each),
the sign-in code step, administrators kept to it, reset by another administrator, all audit-logged."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.mfa import services
from app.auth.mfa.pending import PENDING_KEY
from app.auth.models import RecoveryCode, User
from app.clock import utcnow
from app.extensions import db
from tests.conftest import PASSWORD, TOTP_SECRET, page_text, sign_in, totp_code, wrong_code


def _actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id)
        )
    )


def _code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def _now_step() -> int:
    return int(utcnow().timestamp()) // services.TOTP_PERIOD_SECONDS


# --- the rules, tested directly ---------------------------------------------------------------


def test_a_code_is_accepted_for_now_or_a_step_either_side_and_never_twice(monkeypatch):
    secret = services.new_secret()
    now = _now_step()
    monkeypatch.setattr(services, "_current_step", lambda: now)  # a 30-second step may end mid-test
    assert services.matching_step(secret, _code_for_step(secret, now), None) == now
    assert services.matching_step(secret, _code_for_step(secret, now - 1), None) == now - 1
    assert services.matching_step(secret, _code_for_step(secret, now + 1), None) == now + 1
    assert services.matching_step(secret, _code_for_step(secret, now - 3), None) is None
    # Replay: a step at or before the last one used is refused, a later one is not.
    assert services.matching_step(secret, _code_for_step(secret, now), now) is None
    assert services.matching_step(secret, _code_for_step(secret, now - 1), now) is None
    assert services.matching_step(secret, _code_for_step(secret, now + 1), now) == now + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "9" * 5000, "12 34 5x"])
def test_malformed_codes_are_refused(code):
    assert services.matching_step(services.new_secret(), code, None) is None


def test_setting_up_stores_the_secret_encrypted_and_recovery_codes_hashed(app, make_user):
    user = make_user("organiser")
    secret = services.new_secret()
    with pytest.raises(services.SecondFactorError, match="The code is not right"):
        services.set_up(user, secret, wrong_code(secret))
    codes = services.set_up(user, secret, pyotp.TOTP(secret).now())
    db.session.refresh(user)
    assert user.has_two_factor and secret not in user.totp_secret_encrypted
    assert services.decrypt_secret(user.totp_secret_encrypted) == secret
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"([0-9a-z]{4}-){5}[0-9a-z]{4}", code) for code in codes)
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & set(stored)
    assert "auth.mfa_enrolled" in _actions(user)


def test_the_code_used_to_set_up_cannot_sign_in_again(app, make_user):
    user = make_user("organiser")
    secret = services.new_secret()
    code = pyotp.TOTP(secret).now()
    services.set_up(user, secret, code)
    assert services.complete_sign_in(user.id, user.session_token, code) is None
    assert "auth.sign_in_code_failed" in _actions(user)


def test_a_recovery_code_signs_in_once(app, make_user):
    user = make_user("analyst")
    codes = services.set_up(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now())
    outcome = services.complete_sign_in(user.id, user.session_token, codes[3].upper().replace("-", " "))
    assert outcome is not None
    signed_in, check = outcome
    assert signed_in.id == user.id and check.method == "recovery-code" and check.recovery_codes_left == 9
    assert services.complete_sign_in(user.id, user.session_token, codes[3]) is None
    assert "auth.mfa_recovery_code_used" in _actions(user)


def test_new_recovery_codes_replace_the_old_ones(app, make_user):
    user = make_user("analyst")
    old = services.set_up(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now())
    new = services.regenerate_recovery_codes(user)
    assert not set(old) & set(new)
    assert services.complete_sign_in(user.id, user.session_token, old[0]) is None
    assert services.complete_sign_in(user.id, user.session_token, new[0]) is not None
    assert "auth.mfa_recovery_codes_regenerated" in _actions(user)


def test_a_sign_in_waiting_for_its_code_ends_if_the_account_changes(app, make_user):
    user = make_user("admin")
    token = user.session_token
    user.revoke_sessions()  # a password change, disabling or a reset meanwhile
    db.session.commit()
    assert services.complete_sign_in(user.id, token, totp_code(user.email)) is None


def test_administrators_cannot_turn_it_off_nor_reset_their_own(app, make_user):
    admin = make_user("admin")
    with pytest.raises(services.SecondFactorError, match="Administrators must use"):
        services.turn_off(admin)
    with pytest.raises(services.SecondFactorError, match="ask another administrator"):
        services.reset(admin, admin)
    organiser = make_user("organiser", two_factor=True)
    with pytest.raises(services.SecondFactorError, match="Only an administrator"):
        services.reset(admin, organiser)
    db.session.refresh(admin)
    assert admin.has_two_factor


# --- signing in -------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_and_signs_in_only_once_it_is_right(client, make_user):
    admin = make_user("admin", name="Dana Reid")
    response = client.post("/sign-in?next=/admin/people/", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/code"
    assert client.get("/account").headers["Location"].startswith("/sign-in")  # not signed in yet
    page = page_text(client.get("/sign-in/code"))
    assert "Enter the code from your authenticator app" in page and 'autocomplete="one-time-code"' in page

    wrong = wrong_code()
    response = client.post("/sign-in/code", data={"code": wrong})
    page = page_text(response)
    assert response.status_code == 200 and "There is a problem" in page and 'href="#code"' in page
    assert "The code is not right" in page and "govuk-input--error" in page
    assert f'value="{wrong}"' not in page  # a code typed is never sent back
    assert client.get("/account").status_code == 302

    response = client.post("/sign-in/code", data={"code": totp_code(admin.email)})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/people/"
    assert "Hello, Dana Reid" in page_text(client.get("/"))
    actions = _actions(admin)
    assert (
        actions[-1] == "auth.signed_in"
        and "auth.password_accepted" in actions
        and "auth.sign_in_code_failed" in actions
    )


def test_the_same_code_cannot_sign_in_twice(client, make_user, app):
    admin = make_user("admin")
    code = totp_code(admin.email)
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": code}).headers["Location"] == "/"
    # Someone who saw the code (and knows the password) tries it again at once, from another browser.
    other = app.test_client()
    other.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    response = other.post("/sign-in/code", data={"code": code})
    assert response.status_code == 200 and "The code is not right" in page_text(response)
    assert other.get("/account").status_code == 302


def test_the_code_step_without_a_right_password_goes_back_to_sign_in(client):
    response = client.get("/sign-in/code")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.post("/sign-in/code", data={"code": "123456"}).headers["Location"] == "/sign-in"


def test_a_sign_in_waiting_too_long_for_its_code_must_start_again(client, make_user):
    admin = make_user("admin")
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    with client.session_transaction() as session:
        pending = session[PENDING_KEY]
        pending["since"] = (utcnow() - timedelta(minutes=6)).isoformat()
        session[PENDING_KEY] = pending
    response = client.post("/sign-in/code", data={"code": totp_code(admin.email)})
    assert response.headers["Location"] == "/sign-in"
    assert "not finished in time" in page_text(client.get("/sign-in"))
    assert client.get("/account").status_code == 302


def test_too_many_wrong_codes_mean_entering_the_password_again(client, make_user):
    admin = make_user("admin")
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    wrong = wrong_code()
    for _ in range(4):
        assert client.post("/sign-in/code", data={"code": wrong}).status_code == 200
    response = client.post("/sign-in/code", data={"code": wrong})
    assert response.headers["Location"] == "/sign-in"
    assert client.post("/sign-in/code", data={"code": totp_code(admin.email)}).headers["Location"] == "/sign-in"
    assert client.get("/account").status_code == 302


def test_wrong_codes_for_one_account_are_throttled_across_sign_ins(app, client, make_user):
    app.config.update(CODE_LIMIT_PER_ACCOUNT="3 per 15 minutes", CODE_TRIES_PER_SIGN_IN=10)
    admin = make_user("admin")
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    wrong = wrong_code()
    for _ in range(3):
        assert client.post("/sign-in/code", data={"code": wrong}).status_code == 200
    assert client.post("/sign-in/code", data={"code": totp_code(admin.email)}).status_code == 429
    assert client.get("/account").status_code == 302


def test_signing_in_with_a_recovery_code_says_how_many_are_left(client, make_user):
    user = make_user("organiser")
    codes = services.set_up(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now())
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    response = client.post("/sign-in/code", data={"code": codes[0]}, follow_redirects=True)
    assert "You used a recovery code. You have 9 left" in page_text(response)


# --- administrators must set it up ------------------------------------------------------------


def _key_on(page: str) -> str:
    return re.search(r'id="secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_an_administrator_without_it_must_set_it_up_before_anything_else(client, make_user):
    admin = make_user("admin", two_factor=False)
    assert sign_in(client, admin.email).headers["Location"] == "/"
    for path in ("/", "/admin/people/", "/account", "/admin/audit/"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/account/two-factor/set-up", path
    page = page_text(client.get("/account/two-factor/set-up"))
    assert "Administrators must use two-factor authentication" in page
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in page and "style=" not in page
    key = _key_on(page)
    assert len(key) == 32

    wrong = wrong_code(key)
    response = client.post("/account/two-factor/set-up", data={"code": wrong})
    page = page_text(response)
    assert response.status_code == 200 and "There is a problem" in page and 'href="#code"' in page
    assert _key_on(page) == key  # the same key until it is set up

    response = client.post("/account/two-factor/set-up", data={"code": pyotp.TOTP(key).now()}, follow_redirects=True)
    page = page_text(response)
    assert "Two-factor authentication is set up" in page and "will not be shown again" in page
    assert len(re.findall(r"<li>[0-9a-z]{4}(?:-[0-9a-z]{4}){5}</li>", page)) == 10
    assert key not in page
    assert client.get("/admin/people/").status_code == 200
    db.session.refresh(admin)
    assert services.decrypt_secret(admin.totp_secret_encrypted) == key
    assert "auth.mfa_enrolled" in _actions(admin)
    assert key not in page_text(client.get("/account"))  # never shown again


def test_organisers_are_offered_it_and_can_turn_it_off(client, make_user):
    organiser = make_user("organiser")
    sign_in(client, organiser.email)
    page = page_text(client.get("/account"))
    assert "We recommend it for organisers and analysts" in page and "Set up an authenticator app" in page
    key = _key_on(page_text(client.get("/account/two-factor/set-up")))
    client.post("/account/two-factor/set-up", data={"code": pyotp.TOTP(key).now()})
    page = page_text(client.get("/account"))
    assert "Turn off two-factor authentication" in page and "Get new recovery codes" in page
    assert "Turn off two-factor authentication?" in page_text(client.get("/account/two-factor/turn-off"))
    response = client.post("/account/two-factor/turn-off", follow_redirects=True)
    assert "Two-factor authentication is turned off." in page_text(response)
    db.session.refresh(organiser)
    assert not organiser.has_two_factor
    assert db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == organiser.id)) is None
    assert _actions(organiser)[-1] == "auth.mfa_disabled"


def test_moving_to_a_new_app_replaces_the_old_one(client, make_user):
    admin = make_user("admin")
    sign_in(client, admin.email)
    page = page_text(client.get("/account/two-factor/set-up"))
    assert "Administrators must use two-factor authentication" not in page  # already set up: not forced
    key = _key_on(page)
    assert key != TOTP_SECRET
    assert "Two-factor authentication is set up" in page_text(
        client.post("/account/two-factor/set-up", data={"code": pyotp.TOTP(key).now()}, follow_redirects=True)
    )
    db.session.refresh(admin)
    assert services.decrypt_secret(admin.totp_secret_encrypted) == key
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.mfa_enrolled"))
    assert event.detail == {"replaced": True}


def test_an_administrator_is_told_they_cannot_turn_it_off(client, make_user):
    admin = make_user("admin")
    sign_in(client, admin.email)
    assert "You cannot turn off two-factor authentication" in page_text(client.get("/account/two-factor/turn-off"))
    client.post("/account/two-factor/turn-off")
    db.session.refresh(admin)
    assert admin.has_two_factor


def test_recovery_codes_can_be_replaced_from_the_account_page(client, make_user):
    admin = make_user("admin")
    sign_in(client, admin.email)
    assert "Get new recovery codes?" in page_text(client.get("/account/two-factor/recovery-codes"))
    page = page_text(client.post("/account/two-factor/recovery-codes", follow_redirects=True))
    assert "Your new recovery codes" in page
    assert len(re.findall(r"<li>[0-9a-z]{4}(?:-[0-9a-z]{4}){5}</li>", page)) == 10


# --- reset by another administrator -----------------------------------------------------------


def test_another_administrator_resets_it_after_confirming(app, client, make_user):
    lost_phone = make_user("admin", name="Lee Lost")
    their_client = app.test_client()
    sign_in(their_client, lost_phone.email)
    admin = make_user("admin")
    sign_in(client, admin.email)
    page = page_text(client.get(f"/admin/people/{lost_phone.id}"))
    assert "Two-factor authentication" in page and f"/admin/people/{lost_phone.id}/two-factor/reset" in page
    page = page_text(client.get(f"/admin/people/{lost_phone.id}/two-factor/reset"))
    assert "Reset Lee Lost's two-factor authentication?" in page
    response = client.post(f"/admin/people/{lost_phone.id}/two-factor/reset", follow_redirects=True)
    assert "two-factor authentication has been reset and they have been signed out" in page_text(response)
    db.session.refresh(lost_phone)
    assert not lost_phone.has_two_factor
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.mfa_reset"))
    assert event.object_id == str(lost_phone.id) and event.actor_id == admin.id
    assert their_client.get("/account").status_code == 302  # signed out
    # At their next sign-in they set it up again before doing anything else.
    assert sign_in(their_client, lost_phone.email).headers["Location"] == "/"
    assert their_client.get("/").headers["Location"] == "/account/two-factor/set-up"


def test_an_administrator_cannot_reset_their_own(client, make_user):
    admin = make_user("admin")
    sign_in(client, admin.email)
    assert f"/admin/people/{admin.id}/two-factor/reset" not in page_text(client.get(f"/admin/people/{admin.id}"))
    response = client.post(f"/admin/people/{admin.id}/two-factor/reset", follow_redirects=True)
    assert "ask another administrator" in page_text(response)
    db.session.refresh(admin)
    assert admin.has_two_factor


def test_resetting_someone_without_it_is_not_found(client, make_user):
    admin = make_user("admin")
    person = make_user("analyst")
    sign_in(client, admin.email)
    assert client.post(f"/admin/people/{person.id}/two-factor/reset").status_code == 404


# --- the demo administrator ---------------------------------------------------------------------


def test_demo_data_sets_up_the_demo_administrators_authenticator_app(runner):
    key = "KRUGKIDUMVZXIIDBOBYCAZ3FORZSAYLO"
    result = runner.invoke(args=["demo-data", "--password", "demo password for tests", "--totp-secret", key])
    assert result.exit_code == 0, result.output
    assert f"Authenticator key for admin@demo.example (add it to an authenticator app): {services.grouped(key)}" in (
        result.output
    )
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.example"))
    assert admin.has_two_factor and services.decrypt_secret(admin.totp_secret_encrypted) == key
    result = runner.invoke(args=["demo-data", "--totp-secret", "not base32!"])
    assert result.exit_code != 0 and "at least 16 characters of base32" in result.output
