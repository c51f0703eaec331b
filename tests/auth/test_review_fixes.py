"""Fixes from the security review of two-factor authentication, re-authentication and sign-in throttling:
alerts written under the write lock, the last wrong code counted and its owner told, sessions ending
when the second factor changes, erasing and disabling behind re-authentication (with a grace for a
form being filled in), recovery codes shown by POST-redirect-GET, the confirmation page's back link,
and what `flask demo-data` says about the demo administrator's app."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.mfa import services
from app.auth.mfa.routes import NEW_CODES_KEY
from app.auth.models import User
from app.auth.reauth import FORM_SHOWN_KEY, REAUTH_SESSION_KEY
from app.auth.services import request_password_reset, send_sign_in_alert
from app.clock import utcnow
from app.extensions import db
from tests.conftest import PASSWORD, TOTP_SECRET, page_text, sign_in, text_part, totp_code, wrong_code

CODES_ON_PAGE = r"<li>[0-9a-z]{4}(?:-[0-9a-z]{4}){5}</li>"


def _actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id)
        )
    )


def _stale_snapshot(user: User) -> None:
    """This session reads (on SQLite a read snapshot begins), then another connection changes the data:
    the snapshot is now stale, and on SQLite it can no longer be turned into a write."""
    db.session.scalar(select(User.id).where(User.id == user.id))
    with db.engine.connect() as other:
        other.execute(update(User).where(User.id == user.id).values(name="Renamed elsewhere"))
        other.commit()


# --- 1. alerts and reset emails after the response: read and written under the write lock ----------


def test_a_sign_in_alert_is_sent_even_when_the_data_changed_since_the_last_read(app, make_user, mailbox):
    user = make_user("organiser")
    _stale_snapshot(user)
    send_sign_in_alert(user.email)
    service = app.config["SERVICE_NAME"]
    assert [m["Subject"] for m in mailbox] == [f"Someone is trying to sign in to your {service} account"]
    assert "Hello Renamed elsewhere" in text_part(mailbox[0])  # read under the lock: the current name
    assert "auth.sign_in_alert_sent" in _actions(user)


def test_a_reset_email_is_sent_even_when_the_data_changed_since_the_last_read(make_user, mailbox):
    user = make_user("organiser")
    _stale_snapshot(user)
    request_password_reset(user.email)
    assert [m["Subject"] for m in mailbox] == ["Reset your password"]
    assert "/password/reset/" in text_part(mailbox[0])
    assert "auth.password_reset_requested" in _actions(user)


def test_no_alert_for_an_address_without_an_active_account(make_user, mailbox):
    disabled = make_user("organiser", disabled=True)
    send_sign_in_alert(disabled.email)
    send_sign_in_alert("nobody@example.org")
    request_password_reset("nobody@example.org")
    assert mailbox == []


# --- 2. wrong second-factor codes ---------------------------------------------------------------


def test_the_last_wrong_code_of_a_sign_in_counts_towards_the_accounts_limit(app, client, make_user):
    app.config.update(CODE_LIMIT_PER_ACCOUNT="5 per 15 minutes", CODE_TRIES_PER_SIGN_IN=5)
    admin = make_user("admin")
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    wrong = wrong_code()
    for _ in range(4):
        assert client.post("/sign-in/code", data={"code": wrong}).status_code == 200
    assert client.post("/sign-in/code", data={"code": wrong}).headers["Location"] == "/sign-in"
    # Five wrong codes have been tried for this account: a sixth try is refused, even with a right code.
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": totp_code(admin.email)}).status_code == 429
    assert client.get("/account").status_code == 302


def test_wrong_codes_after_the_right_password_tell_the_owner_once(app, client, make_user, mailbox):
    admin = make_user("admin", name="Dana Reid")
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    wrong = wrong_code()
    for _ in range(2):
        client.post("/sign-in/code", data={"code": wrong})
    assert mailbox == []
    typed = "<b>call 0800 evil</b>"
    client.post("/sign-in/code", data={"code": typed})  # the third wrong code in a row
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == admin.email
    assert message["Subject"] == f"Someone may know your {app.config['SERVICE_NAME']} password"
    body = text_part(message)
    assert "Hello Dana Reid" in body and "someone probably knows your password" in body
    assert "/password/forgot" in body and "evil" not in message.as_string()  # nothing typed goes into it
    # More wrong codes, in this sign-in or another, do not send it again within the window.
    client.post("/sign-in/code", data={"code": wrong})
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    for _ in range(3):
        client.post("/sign-in/code", data={"code": wrong})
    assert len(mailbox) == 1
    assert _actions(admin).count("auth.sign_in_code_alert_sent") == 1


# --- 3. changing or turning off the second factor ends the other sessions ---------------------------


def test_replacing_the_app_signs_the_person_out_everywhere_else(app, client, make_user):
    organiser = make_user("organiser", two_factor=True)
    elsewhere = app.test_client()
    sign_in(elsewhere, organiser.email)
    sign_in(client, organiser.email)
    page = page_text(client.get("/account/two-factor/set-up"))
    key = page.split('id="secret-key">')[1].split("<")[0].replace(" ", "")
    response = client.post("/account/two-factor/set-up", data={"code": pyotp.TOTP(key).now()}, follow_redirects=True)
    assert "You have been signed out everywhere else" in page_text(response)
    assert elsewhere.get("/account").status_code == 302  # signed out
    assert client.get("/account").status_code == 200  # this session goes on


def test_turning_it_off_signs_the_person_out_everywhere_else(app, client, make_user):
    organiser = make_user("organiser", two_factor=True)
    elsewhere = app.test_client()
    sign_in(elsewhere, organiser.email)
    sign_in(client, organiser.email)
    response = client.post("/account/two-factor/turn-off", follow_redirects=True)
    assert "You have been signed out everywhere else" in page_text(response)
    assert elsewhere.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_setting_up_for_the_first_time_keeps_other_sessions(app, client, make_user):
    organiser = make_user("organiser")
    elsewhere = app.test_client()
    sign_in(elsewhere, organiser.email)
    codes = services.set_up(organiser, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now())
    assert len(codes) == 10
    assert elsewhere.get("/account").status_code == 200


# --- 4. erasing and disabling need a recent confirmation; a form shown in time may be sent later --------


def _as_if_minutes_ago(client, minutes: int, *, form_too: bool = False) -> None:
    with client.session_transaction() as session:
        moment = (utcnow() - timedelta(minutes=minutes)).isoformat()
        session[REAUTH_SESSION_KEY] = moment
        if form_too:
            session[FORM_SHOWN_KEY]["at"] = moment


def test_erasing_and_disabling_ask_who_you_are_when_the_sign_in_was_not_recent(client, make_user):
    admin = make_user("admin")
    other = make_user("organiser", name="Sam Other")
    sign_in(client, admin.email)
    _as_if_minutes_ago(client, 10)
    for action in ("erase", "disable"):
        path = f"/admin/people/{other.id}/{action}"
        for method in ("GET", "POST"):
            response = client.open(path, method=method)
            assert response.status_code == 303, (method, path)
            assert response.headers["Location"] == f"/account/confirm-identity?next={path}"
    db.session.refresh(other)
    assert other.name == "Sam Other" and not other.disabled


def test_a_form_shown_within_the_window_can_be_sent_a_little_later(client, make_user):
    admin = make_user("admin")
    other = make_user("organiser")
    sign_in(client, admin.email)
    path = f"/admin/people/{other.id}/disable"
    assert client.get(path).status_code == 200
    _as_if_minutes_ago(client, 10, form_too=True)  # the page stayed open for ten minutes
    assert client.post(path).headers["Location"] == f"/admin/people/{other.id}"
    db.session.refresh(other)
    assert other.disabled


def test_the_grace_is_only_for_that_form_and_not_for_ever(client, make_user):
    admin = make_user("admin")
    other = make_user("organiser")
    sign_in(client, admin.email)
    assert client.get(f"/admin/people/{other.id}/disable").status_code == 200
    _as_if_minutes_ago(client, 10, form_too=True)
    # Another sensitive page, not shown within the window, still asks.
    assert client.post(f"/admin/people/{other.id}/erase").status_code == 303
    _as_if_minutes_ago(client, 20, form_too=True)  # shown twenty minutes ago: past the grace
    assert client.post(f"/admin/people/{other.id}/disable").status_code == 303
    db.session.refresh(other)
    assert not other.disabled and other.erased_at is None


# --- 5. recovery codes: POST, redirect, then shown once by GET -----------------------------------


def test_new_recovery_codes_are_shown_once_and_reloading_does_not_replace_them(client, make_user):
    admin = make_user("admin")
    sign_in(client, admin.email)
    response = client.post("/account/two-factor/recovery-codes")
    assert response.status_code == 303 and response.headers["Location"] == "/account/two-factor/recovery-codes/new"
    assert "recovery" not in response.headers["Location"].split("/new")[1]  # nothing in the address
    page = page_text(client.get(response.headers["Location"]))
    codes = [c[4:-5] for c in re.findall(CODES_ON_PAGE, page)]
    assert len(codes) == 10 and "Your new recovery codes" in page
    with client.session_transaction() as session:
        assert NEW_CODES_KEY not in session
    again = client.get("/account/two-factor/recovery-codes/new", follow_redirects=True)
    assert "Recovery codes are shown only once" in page_text(again)
    assert not re.findall(CODES_ON_PAGE, page_text(again))
    # The codes shown are the ones that work.
    assert services.complete_sign_in(admin.id, admin.session_token, codes[0]) is not None


def test_codes_from_setting_up_are_shown_by_get_after_the_form(client, make_user):
    organiser = make_user("organiser")
    sign_in(client, organiser.email)
    page = page_text(client.get("/account/two-factor/set-up"))
    key = page.split('id="secret-key">')[1].split("<")[0].replace(" ", "")
    response = client.post("/account/two-factor/set-up", data={"code": pyotp.TOTP(key).now()})
    assert response.status_code == 303 and response.headers["Location"] == "/account/two-factor/recovery-codes/new"
    page = page_text(client.get(response.headers["Location"]))
    assert "Two-factor authentication is set up" in page


# --- 6. the confirmation page's back link -----------------------------------------------------------


def test_confirming_links_back_to_the_page_the_person_came_from(client, make_user):
    admin = make_user("admin")
    other = make_user("organiser")
    sign_in(client, admin.email)
    _as_if_minutes_ago(client, 10)
    came_from = f"http://localhost/admin/people/{other.id}"
    response = client.get(f"/admin/people/{other.id}/erase", headers={"Referer": came_from})
    page = page_text(client.get(response.headers["Location"]))
    assert f'<a href="/admin/people/{other.id}" class="govuk-back-link">' in page
    # From the sensitive page itself (its form sent too late), the link does not lead back into it.
    erase = f"http://localhost/admin/people/{other.id}/erase"
    response = client.post(f"/admin/people/{other.id}/erase", headers={"Referer": erase})
    assert response.headers["Location"] == f"/account/confirm-identity?next=/admin/people/{other.id}/erase"
    # A back address elsewhere is not followed.
    page = page_text(client.get("/account/confirm-identity?back=//evil.example/"))
    assert "evil.example" not in page and '<a href="/account" class="govuk-back-link">' in page


def test_an_administrator_who_must_set_it_up_is_not_sent_round_in_a_loop(client, make_user):
    admin = make_user("admin", two_factor=False)
    sign_in(client, admin.email)
    _as_if_minutes_ago(client, 10)
    page = page_text(client.get("/account/confirm-identity?next=/account/two-factor/set-up"))
    assert '<a href="/account/two-factor/set-up" class="govuk-back-link">' in page
    assert 'href="/account" class="govuk-back-link"' not in page


# --- 7. flask demo-data -------------------------------------------------------------------------------


def test_demo_data_says_the_admin_already_has_an_app_when_run_again(runner):
    key = "KRUGKIDUMVZXIIDBOBYCAZ3FORZSAYLO"
    first = runner.invoke(args=["demo-data", "--password", "demo password for tests"])
    assert "admin@demo.example sets up an authenticator app at first sign-in" in first.output
    runner.invoke(args=["demo-data", "--totp-secret", key])
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0, again.output
    assert "sets up an authenticator app at first sign-in" not in again.output
    assert "admin@demo.example already has an authenticator app (set up earlier)" in again.output
