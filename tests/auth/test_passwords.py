"""Password rules and hashing."""

import pytest

from app.auth.passwords import hash_password, password_problem, verify_password


def test_hashes_are_argon2id_and_verify():
    hashed = hash_password("a long unusual passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long unusual passphrase")
    assert not verify_password(hashed, "a long unusual passphrasE")
    assert not verify_password(None, "anything")


@pytest.mark.parametrize(
    "password,problem",
    [
        ("short", "8 characters or more"),
        ("password1", "too common"),
        ("qwertyuiop", "too common"),
        ("Password123!", "too common"),
        ("jo.bloggs-2026", "must not contain your email address"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, problem):
    assert problem in password_problem(password, email="jo.bloggs@example.org")


def test_a_strong_password_is_accepted():
    assert password_problem("plum kettle orbit sandal", email="jo@example.org") is None
