"""Invitation and password-reset links, sent by real email over loopback SMTP."""

from datetime import UTC, datetime, timedelta

from app.auth.models import AccountToken, User
from app.extensions import db
from tests.conftest import PASSWORD, link_in, sign_in, text_part

NEW_PASSWORD = "plum kettle orbit sandal"


def _invite(client, admin, mailbox, **form):
    sign_in(client, admin.email)
    data = {
        "name": "Rhiannon Evans",
        "email": "rhiannon@cardiff.example",
        "roles": ["facilitator"],
        "organisation_id": "",
    }
    data.update(form)
    response = client.post("/admin/people/invite", data=data)
    client.post("/sign-out")
    return response


def test_invited_person_sets_a_password_from_the_email_and_signs_in(client, make_user, mailbox):
    admin = make_user("admin", name="Dana Reid")
    response = _invite(client, admin, mailbox)
    assert response.status_code == 302
    [message] = mailbox
    assert message["To"] == "rhiannon@cardiff.example"
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    assert "Dana Reid has invited you" in text_part(message)
    link = link_in(message)
    page = client.get(link).get_data(as_text=True)
    assert "Welcome, Rhiannon Evans" in page
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert sign_in(client, "rhiannon@cardiff.example", NEW_PASSWORD).status_code == 302
    assert "Hello, Rhiannon Evans" in client.get("/").get_data(as_text=True)


def test_an_invitation_link_works_once(client, make_user, mailbox):
    _invite(client, make_user("admin"), mailbox)
    link = link_in(mailbox[0])
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = client.get(link)
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)
    response = client.post(link, data={"password": "another good passphrase", "confirm": "another good passphrase"})
    assert response.status_code == 404
    assert sign_in(client, "rhiannon@cardiff.example", NEW_PASSWORD).status_code == 302


def test_an_expired_invitation_link_does_not_work(client, make_user, mailbox):
    _invite(client, make_user("admin"), mailbox)
    token = db.session.query(AccountToken).one()
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link_in(mailbox[0])).status_code == 404


def test_resending_an_invitation_retires_the_old_link(client, make_user, mailbox):
    admin = make_user("admin")
    _invite(client, admin, mailbox)
    person = db.session.query(User).filter_by(email="rhiannon@cardiff.example").one()
    sign_in(client, admin.email)
    client.post(f"/admin/people/{person.id}/resend-invitation")
    client.post("/sign-out")
    first, second = (link_in(m) for m in mailbox)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_weak_password_is_refused_with_the_reason_and_the_link_still_works(client, make_user, mailbox):
    _invite(client, make_user("admin"), mailbox)
    link = link_in(mailbox[0])
    page = client.post(link, data={"password": "password", "confirm": "password"}).get_data(as_text=True)
    assert "There is a problem" in page and "too common" in page and 'href="#password"' in page
    page = client.post(link, data={"password": NEW_PASSWORD, "confirm": "different"}).get_data(as_text=True)
    assert "The passwords do not match" in page
    assert client.get(link).status_code == 200


def test_password_reset_by_email(client, make_user, mailbox):
    user = make_user("analyst", email="chris@example.org")
    response = client.post("/password/forgot", data={"email": "Chris@Example.org"})
    response.close()  # as a server does once the reply is sent; the email goes after the reply
    assert response.headers["Location"] == "/password/check-your-email"
    [message] = mailbox
    assert message["To"] == "chris@example.org" and message["Subject"] == "Reset your password"
    link = link_in(message)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert sign_in(client, user.email, PASSWORD).status_code == 200  # the old password no longer works
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302
    assert client.get(link).status_code == 404  # single use


def test_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing(client, make_user, mailbox):
    make_user("analyst", email="chris@example.org")
    known = client.post("/password/forgot", data={"email": "chris@example.org"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    known.close()
    unknown.close()
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m["To"] for m in mailbox] == ["chris@example.org"]


def test_a_reset_signs_the_person_out_everywhere(app, client, make_user, mailbox):
    user = make_user("analyst")
    other_device = app.test_client()
    sign_in(other_device, user.email)
    client.post("/password/forgot", data={"email": user.email}).close()
    response = client.post(link_in(mailbox[0]), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert other_device.get("/account").status_code == 302


def test_changing_ones_password_keeps_this_session_and_ends_others(app, client, make_user):
    user = make_user("analyst")
    other_device = app.test_client()
    sign_in(other_device, user.email)
    sign_in(client, user.email)
    page = client.post(
        "/account/password", data={"current_password": "wrong", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    ).get_data(as_text=True)
    assert "Your current password is not right" in page
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302


def test_people_can_download_their_own_data(client, signed_in):
    user = signed_in("member", name="Sam Patel")
    response = client.get("/account/export.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_json()
    [account] = data["tables"]["account"]
    assert account["name"] == "Sam Patel" and account["roles"] == ["member"]
    assert account["organisation"] == user.organisation.name
    assert any(item["action"] == "auth.signed_in" for item in data["tables"]["audit_events"])
