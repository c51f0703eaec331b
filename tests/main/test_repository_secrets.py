"""No secrets in the repository (ASVS item 22): no private keys, cloud or service credentials, and no
setting of SECRET_KEY, a password or a database password written into a tracked file outside the tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
    # The README's example `postgresql://user:pass@host/db` is a placeholder, not a password.
    "password in a URL": re.compile(r"\b(postgres(ql)?|redis|smtp|mysql)(\+\w+)?://[^\s:/@]+:(?!pass@)[^\s@/]{3,}@"),
    "secret in an env file": re.compile(r"^(SECRET_KEY|MAIL_PASSWORD|DATABASE_URL)=\S{8,}", re.MULTILINE),
}
# Tests and their fixtures set throwaway values on purpose.
EXEMPT = ("tests/",)


def _tracked_files() -> list[Path]:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listing.split("\0") if name and not name.startswith(EXEMPT)]


def test_no_tracked_file_holds_a_secret():
    found = []
    for path in _tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", "ignore")
        found += [f"{path.relative_to(ROOT)}: {name}" for name, pattern in PATTERNS.items() if pattern.search(text)]
    assert not found, found


def test_the_places_secrets_live_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "instance/" in ignored


def test_the_scanner_finds_what_it_looks_for():
    samples = {
        "private key": "-----BEGIN RSA PRIVATE KEY-----",
        "password in a URL": "postgresql://app:hunter22@db.example/app",
        "secret in an env file": "SECRET_KEY=abcdefghijklmnop",
    }
    for name, sample in samples.items():
        assert PATTERNS[name].search(sample), name
    assert not PATTERNS["password in a URL"].search("postgresql://postgres@127.0.0.1:5432/postgres")
