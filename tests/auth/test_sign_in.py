"""Signing in and out: messages, sessions, throttling, idle timeout."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import PASSWORD, sign_in

GENERIC = "Enter a correct email address and password"


def test_sign_in_takes_a_person_to_their_home(client, make_user):
    user = make_user("analyst", name="Chris Okafor")
    response = sign_in(client, user.email.upper())  # email is not case-sensitive
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Hello, Chris Okafor" in page and "Sign out" in page


@pytest.mark.parametrize(
    "email,password",
    [
        ("known@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_wrong_details_get_the_same_message_whether_or_not_the_account_exists(client, make_user, email, password):
    make_user("analyst", email="known@example.org")
    response = sign_in(client, email, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert GENERIC in page and "There is a problem" in page
    assert f'value="{email}"' in page  # the email typed is kept
    assert "No account" not in page and "not found" not in page.lower()


def test_empty_form_points_at_each_field(client):
    page = client.post("/sign-in", data={}).get_data(as_text=True)
    assert 'href="#email"' in page and "Enter your email address" in page
    assert 'href="#password"' in page and "Enter your password" in page


def test_failed_sign_in_is_audit_logged(client, make_user):
    user = make_user("analyst")
    sign_in(client, user.email, "nope")
    event = db.session.query(AuditEvent).filter_by(action="auth.sign_in_failed").one()
    assert event.object_id == str(user.id) and event.ip_address == "127.0.0.1"


def test_disabled_and_invited_people_cannot_sign_in(client, make_user):
    disabled = make_user("analyst", disabled=True)
    invited = make_user("analyst", password=None)
    assert GENERIC in sign_in(client, disabled.email).get_data(as_text=True)
    assert GENERIC in sign_in(client, invited.email, "anything at all").get_data(as_text=True)


def test_sign_in_starts_a_new_session(client, make_user):
    user = make_user("analyst")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}.")


def test_next_only_follows_paths_on_this_site(client, make_user):
    user = make_user("analyst")
    response = client.post("/sign-in?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/sign-out")
    response = client.post("/sign-in?next=/account", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_pages_that_need_a_sign_in_send_visitors_to_it(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_sign_out_ends_the_session_on_the_server_too(client, make_user):
    user = make_user("analyst")
    sign_in(client, user.email)
    stolen = client.get_cookie("socitm_session").value
    client.post("/sign-out")
    client.set_cookie("socitm_session", stolen)  # replaying the old cookie no longer works
    assert client.get("/account").status_code == 302


def test_disabling_an_account_signs_the_person_out(app, client, make_user):
    user = make_user("analyst")
    sign_in(client, user.email)
    assert client.get("/account").status_code == 200
    admin = make_user("admin")
    admin_client = app.test_client()
    sign_in(admin_client, admin.email)
    admin_client.post(f"/admin/people/{user.id}/disable")
    assert client.get("/account").status_code == 302


def test_idle_sessions_time_out(client, make_user):
    user = make_user("analyst")
    sign_in(client, user.email)
    with client.session_transaction() as session:
        session["last_seen"] = (datetime.now(UTC) - timedelta(minutes=31)).isoformat()
    response = client.get("/account")
    assert response.status_code == 302 and "timeout=1" in response.headers["Location"]
    assert "had not done anything for a while" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_activity_is_written_to_the_session_at_most_once_a_minute(client, make_user):
    """The cookie is not re-signed and re-sent on every request, only when the session changes."""
    user = make_user("analyst")
    sign_in(client, user.email)
    client.get("/account")  # the first page with a form adds the CSRF token to the session
    assert "Set-Cookie" not in client.get("/account").headers
    with client.session_transaction() as session:
        session["last_seen"] = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    response = client.get("/account")
    assert response.status_code == 200
    assert response.headers["Set-Cookie"].startswith("socitm_session=")
    with client.session_transaction() as session:
        assert datetime.now(UTC) - datetime.fromisoformat(session["last_seen"]) < timedelta(seconds=30)


def test_sign_in_cookie_is_http_only_and_same_site(client, make_user):
    user = make_user("analyst")
    cookie = sign_in(client, user.email).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_repeated_failures_for_one_account_are_throttled(client, make_user):
    user = make_user("analyst")
    for _ in range(5):
        assert sign_in(client, user.email, "wrong").status_code == 200
    response = sign_in(client, user.email)  # even the right password waits now
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    other = make_user("analyst")
    assert sign_in(client, other.email).status_code == 302  # other accounts are unaffected


def test_successful_sign_ins_do_not_count_towards_the_limit(client, make_user):
    user = make_user("analyst")
    for _ in range(7):
        assert sign_in(client, user.email).status_code == 302
        client.post("/sign-out")


class TestPerAddressLimit:
    @pytest.fixture
    def config_overrides(self):
        return {"LOGIN_LIMIT_PER_IP": "3 per 15 minutes"}

    def test_many_accounts_from_one_address_are_throttled(self, client):
        for n in range(3):
            assert sign_in(client, f"guess{n}@example.org", "wrong").status_code == 200
        assert sign_in(client, "guess9@example.org", "wrong").status_code == 429


@pytest.mark.parametrize("change", ["password reset", "disabled"])
def test_an_account_changed_while_its_password_was_checked_is_not_signed_in(app, make_user, change):
    """The password is checked before anything is written; the write checks the account again."""
    from sqlalchemy import update

    from app.auth.models import User
    from app.auth.passwords import hash_password, verify_password
    from app.auth.services import authenticate, start_session

    user = make_user("analyst")
    found = authenticate(user.email, PASSWORD)
    assert found is not None
    values = {"password_hash": hash_password("a-brand-new-passphrase")} if change == "password reset" else {}
    if change == "disabled":
        values["disabled"] = True
    with db.engine.begin() as other:  # another request, meanwhile
        other.execute(update(User).where(User.id == found.id).values(**values))
    assert start_session(found, PASSWORD) is False
    db.session.expire_all()
    again = db.session.get(User, user.id)
    assert again.last_signed_in_at is None
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))).all()
    assert "auth.sign_in_failed" in actions and "auth.signed_in" not in actions
    if change == "password reset":
        assert verify_password(again.password_hash, "a-brand-new-passphrase")
