"""After signing in, `next=` is followed only to a path on this site (ASVS 5.0 V3: no open redirect)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD

HOSTILE_NEXT = [
    "//evil.example",
    "//evil.example/surveys/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "https:evil.example",
    "http://localhost.evil.example/",
    "%2F%2Fevil.example",  # sent encoded once more: arrives as //evil.example
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_never_sends_people_off_the_site(client, make_user, target):
    member = make_user("member")
    response = client.post(
        f"/sign-in?next={quote(target, safe='')}", data={"email": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_follows_next_to_a_page_on_this_site(client, make_user):
    member = make_user("member")
    response = client.post(
        "/sign-in?next=" + quote("/surveys/?page=2", safe=""), data={"email": member.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/surveys/?page=2"
