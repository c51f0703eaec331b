"""ASVS 6.2: passwords of 8 to 256 characters, no composition rules, refused when common or made of the
person's own words (name, email, organisation) or the service's name, wherever a password is set; and
ASVS 11.4: argon2id at or above OWASP's minimum, rehashed at sign-in when the parameters grow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters

from app.auth.passwords import MAX_LENGTH, password_problem, verify_password
from app.auth.tokens import issue_token
from app.extensions import db
from tests.conftest import PASSWORD, page_text, sign_in

CONTEXT = {"email": "sam.patel@kent.gov.uk", "name": "Sam Patel", "organisation": "Kent County Council"}


@pytest.mark.parametrize(
    "password,problem",
    [
        ("Socitm2026!", "the name of this service"),
        ("SOCITM-socitm", "the name of this service"),
        ("member research 1", "the name of this service"),
        ("Samuel", "8 characters or more"),
        ("Patel.Sam.1984", "your email address"),
        ("sam.patel@kent", "your email address"),
        ("KentCounty#2026", "your organisation's name"),
        ("kent county council", "your organisation's name"),
        ("countycouncil!", "your organisation's name"),
        ("Password123!", "too common"),
        ("!!password!!", "too common"),
    ],
)
def test_passwords_made_of_the_persons_or_the_services_own_words_are_refused(password, problem):
    assert problem in (password_problem(password, **CONTEXT) or "")


def test_a_persons_name_with_digits_and_punctuation_is_refused():
    assert "your name" in password_problem("Whitfield 2026!!", email="jo@example.org", name="Jo Whitfield")


@pytest.mark.parametrize(
    "password",
    [
        "plum kettle orbit sandal",  # words unrelated to the person
        "samphire tastes of the sea",  # contains "sam" but is mostly other words
        "correct horse battery staple",
        "x" * 7 + "q9!" + "mountain river",  # no composition rules: anything long and uncommon
        "é" * 64,
        "a long passphrase of sixty-four characters or more is welcome here!!",
    ],
)
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    assert password_problem(password, **CONTEXT) is None


def test_passwords_up_to_the_maximum_are_accepted():
    assert MAX_LENGTH >= 128
    assert password_problem("tulip " * (MAX_LENGTH // 6), **CONTEXT) is None
    assert "256 characters or fewer" in password_problem("t" * (MAX_LENGTH + 1), **CONTEXT)


def _refused_on(response, problem: str, password: str) -> None:
    page = page_text(response)
    assert response.status_code == 200 and "There is a problem" in page and 'href="#password"' in page
    assert problem in page
    assert password not in page  # a password typed is never sent back


def test_the_rules_apply_when_accepting_an_invitation(client, make_user, make_organisation):
    org = make_organisation(name="Kent County Council")
    person = make_user("member", name="Sam Patel", organisation=org, password=None)
    secret = issue_token(person, "invitation", timedelta(hours=1))
    db.session.commit()
    password = "KentCouncil2026!"
    response = client.post(f"/invitation/{secret}", data={"password": password, "confirm": password})
    _refused_on(response, "Password must not be based on your organisation's name", password)


def test_the_rules_apply_when_resetting_a_password(client, make_user):
    person = make_user("analyst", name="Chris Okafor")
    secret = issue_token(person, "reset", timedelta(hours=1))
    db.session.commit()
    password = "Okafor.Chris.99"
    response = client.post(f"/password/reset/{secret}", data={"password": password, "confirm": password})
    _refused_on(response, "Password must not be based on your name", password)


def test_the_rules_apply_when_changing_a_password(client, make_user):
    user = make_user("organiser")
    sign_in(client, user.email)
    password = "Socitm-Research-2026"
    data = {"current_password": PASSWORD, "password": password, "confirm": password}
    response = client.post("/account/password", data=data)
    _refused_on(response, "Password must not be based on the name of this service", password)


def test_hashes_meet_the_owasp_minimum_for_argon2id():
    from app.auth.passwords import hash_password

    parameters = extract_parameters(hash_password("a long unusual passphrase"))
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2 and parameters.parallelism >= 1


@pytest.mark.parametrize("two_factor", [False, True])
def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in(client, make_user, two_factor):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user = make_user("organiser", password=None, two_factor=two_factor)
    user.password_hash = weak
    db.session.commit()
    assert sign_in(client, user.email).headers["Location"] == "/"
    db.session.refresh(user)
    assert user.password_hash != weak
    parameters = extract_parameters(user.password_hash)
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2
    assert verify_password(user.password_hash, PASSWORD)


def test_a_wrong_password_does_not_rehash(client, make_user):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user = make_user("organiser", password=None)
    user.password_hash = weak
    db.session.commit()
    sign_in(client, user.email, password="not the password at all")
    db.session.refresh(user)
    assert user.password_hash == weak
