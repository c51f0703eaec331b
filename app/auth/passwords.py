"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import gzip
import re
import string
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 8
MAX_LENGTH = 256

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 40 ms a sign-in on this
# hardware instead of 160 ms at the library's default, so a burst of sign-ins does not starve the server.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A real hash to verify against when no account matches, so timing does not reveal whether it exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-only-for-timing")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list of passwords too common to allow."""
    path = Path(__file__).parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches. Spends the same effort when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


# Words of the service itself: a password made of them is the first thing an attacker tries here.
SERVICE_WORDS = ("socitm", "member research", "who are our users")
# Fewer letters than this left once the person's own words are taken out: the password is "mostly" them.
_OTHER_LETTERS_NEEDED = 4


def _letters(text: str) -> str:
    """Only the letters, lower-cased: digits, spaces and punctuation do not disguise a word."""
    return "".join(ch for ch in text.casefold() if ch.isalpha())


def _terms(*phrases: str) -> set[str]:
    """Each phrase whole and each of its words, as letters only (words of fewer than 2 letters ignored)."""
    terms: set[str] = set()
    for phrase in phrases:
        terms.add(_letters(phrase))
        terms.update(_letters(word) for word in re.split(r"[\s._+@'-]+", phrase))
    return {term for term in terms if len(term) >= 2}


def _based_on(password: str, terms: set[str]) -> bool:
    """True when the password is one of the terms, or is mostly terms with digits and punctuation around them."""
    letters = _letters(password)
    if not letters or not terms:
        return False
    if len(letters) >= 3 and any(letters in term for term in terms):
        return True
    remainder = letters
    for term in sorted(terms, key=len, reverse=True):
        remainder = remainder.replace(term, "")
    return remainder != letters and len(remainder) < _OTHER_LETTERS_NEEDED


def _service_terms() -> set[str]:
    words = list(SERVICE_WORDS)
    if has_app_context():
        words.append(current_app.config.get("SERVICE_NAME", ""))
    return _terms(*words)


def password_problem(password: str, *, email: str = "", name: str = "", organisation: str = "") -> str | None:
    """Why a new password is not acceptable, in words for the person choosing it, or None.

    No composition rules (NIST SP 800-63B, ASVS 6.2): a length of 8 to 256 characters, not on the
    list of common passwords, and not made of the person's own name, email address, organisation or
    the service's name (case ignored, with or without digits and punctuation around them).
    """
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    stripped = lowered.strip(string.digits + string.punctuation + " ")
    if {lowered, stripped, _letters(password)} & common_passwords():
        return "Password is too common, choose one that is harder to guess"
    local_part = email.split("@")[0].lower()
    if (local_part and len(local_part) >= 4 and local_part in lowered) or _based_on(password, _terms(local_part)):
        return "Password must not contain your email address"
    if name and _based_on(password, _terms(name)):
        return "Password must not be based on your name"
    if organisation and _based_on(password, _terms(organisation)):
        return "Password must not be based on your organisation's name"
    if _based_on(password, _service_terms()):
        return "Password must not be based on the name of this service"
    return None
