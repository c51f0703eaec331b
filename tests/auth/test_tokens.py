"""Account link tokens: random, stored only as a hash, single use, expiring, and retired whenever the
password is set or changed or the account is disabled."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from app.auth.models import AccountToken
from app.auth.services import change_password, request_password_reset, set_disabled
from app.auth.tokens import issue_token
from app.extensions import db
from tests.conftest import PASSWORD, link_in

NEW_PASSWORD = "plum kettle orbit sandal"


def test_a_token_is_random_and_only_its_hash_is_stored(app, make_user):
    user = make_user("analyst")
    secrets_ = {issue_token(user, "reset", timedelta(minutes=5)) for _ in range(20)}
    db.session.commit()
    assert len(secrets_) == 20 and all(len(secret) >= 43 for secret in secrets_)  # 32 random bytes each
    stored = {token.token_hash for token in db.session.query(AccountToken)}
    assert stored == {hashlib.sha256(secret.encode()).hexdigest() for secret in secrets_}
    assert not stored & secrets_


def test_changing_the_password_retires_a_reset_link_sent_before(client, make_user, mailbox):
    user = make_user("analyst")
    request_password_reset(user.email)
    link = link_in(mailbox[0])
    assert client.get(link).status_code == 200
    change_password(user, PASSWORD, NEW_PASSWORD)
    assert client.get(link).status_code == 404
    response = client.post(link, data={"password": "an attacker's choice", "confirm": "an attacker's choice"})
    assert response.status_code == 404


def test_using_a_reset_link_retires_an_invitation_sent_before(client, make_user, mailbox):
    user = make_user("analyst")
    invitation = issue_token(user, "invitation", timedelta(hours=1))
    db.session.commit()
    request_password_reset(user.email)
    assert client.post(link_in(mailbox[0]), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert client.get(f"/invitation/{invitation}").status_code == 404


def test_re_enabling_an_account_does_not_bring_its_old_links_back(client, make_user, mailbox):
    admin = make_user("admin")
    user = make_user("analyst")
    request_password_reset(user.email)
    link = link_in(mailbox[0])
    set_disabled(user, True, admin)
    set_disabled(user, False, admin)
    assert client.get(link).status_code == 404
