"""Every route in `app.url_map`, with hostile values in its path, as every role: never a server error.

The routes come from the URL map, so a route added later is swept too. Each path parameter in turn
takes each hostile value while the others keep real values (so the hostile one is what the view
reads), by GET and, where the route takes it, POST. What comes back is "not found" or "bad request",
or what the person's role gets anyway (sent to sign in, refused, method not allowed, throttled).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from app.identifiers import MAX_ID, MAX_PATH_TEXT, PathTextConverter, RowIdConverter, get_or_404, parse_id, same_secret
from tests.conftest import sign_in
from tests.test_authorisation_matrix import ROLES, sample_args  # noqa: F401 - the matrix's fixture: real ids

PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

# Already percent-encoded, as a browser would send them.
HOSTILE = (
    "0",
    "-1",
    str(MAX_ID + 1),
    "9223372036854775808",
    "99999999999999999999",
    "99999999999999999999.abc",
    "9" * 5000,
    "%D9%A1",  # ARABIC-INDIC DIGIT ONE, which Python's int() reads as 1
    "%D9%A1.abc",
    "%C2%B2",  # SUPERSCRIPT TWO: str.isdigit() says yes
    "1%00",
    "%00",
    "..",
    "%2E%2E",
    "%FF%FE",  # not UTF-8
    "x" * 5000,
    "not-a-token",
    "1.abc",
)


def _hostile_for(rule, name: str, args: dict) -> list[str]:
    """The hostile values for one parameter, with bad signatures on real ids where it is a token."""
    values = list(HOSTILE)
    if name == "token":
        real = args["volunteer_id"]
        values += [f"{real}.{'0' * 40}", f"{real}.%C3%A9", f"{real}.%D9%A1", f"{real}.", f"%D9%A1{real}.abc"]
    return values


def _path(rule, args: dict, hostile: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in hostile:
            return hostile[name]
        return quote(str(args[name]), safe="")

    return PARAMETER.sub(value, rule.rule)


def _signed_in_client(app, make_user, who: str):
    client = app.test_client()
    if who != "anonymous":
        user = make_user(who)
        assert sign_in(client, user.email).status_code == 302
    return client


ALLOWED = {400, 403, 404, 405, 429}


def _acceptable(response) -> bool:
    if response.status_code in ALLOWED:
        return True
    # Visitors are sent to sign in; token pages send someone with a dead link to a page saying so.
    return response.status_code == 302 and response.headers.get("Location", "").startswith("/")


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_no_route_gives_a_server_error_for_hostile_path_values(app, make_user, sample_args, who):  # noqa: F811
    client = _signed_in_client(app, make_user, who)
    problems: list[str] = []
    swept = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "auth.sign_out" or not rule.arguments:
            continue
        methods = [m for m in ("GET", "POST") if m in rule.methods]
        for name in sorted(rule.arguments):
            for value in _hostile_for(rule, name, sample_args):
                url = _path(rule, sample_args, {name: value})
                for method in methods:
                    response = client.open(url, method=method)
                    swept += 1
                    if response.status_code >= 500 or not _acceptable(response):
                        problems.append(f"{who} {method} {url[:120]} -> {response.status_code}")
                    response.close()
    assert swept > 1000  # the sweep really ran over the map
    assert not problems, "\n".join(problems[:40])


def test_every_integer_in_a_route_is_a_bounded_row_id(app):
    """A route added with `<int:…>` gets the bounded converter without anyone remembering to ask for it."""
    integer_parameters = [
        (rule.rule, name)
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if isinstance(converter, type(app.url_map.converters["int"](app.url_map)))
    ]
    assert integer_parameters
    assert app.url_map.converters["int"] is RowIdConverter
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/jobs/7") == ("jobs.show", {"job_id": 7})
    for path in ("/jobs/0", f"/jobs/{MAX_ID + 1}", "/jobs/\u0661", "/jobs/" + "9" * 19, "/jobs/-1"):
        with pytest.raises(Exception) as refused:
            adapter.match(path)
        assert getattr(refused.value, "code", None) == 404, path


def test_every_text_part_of_a_route_is_bounded_and_free_of_control_characters(app):
    """PostgreSQL refuses a NUL in text with an error, so a slug or token holding one must match no route."""
    assert app.url_map.converters["default"] is PathTextConverter
    assert app.url_map.converters["string"] is PathTextConverter
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/surveys/schools-ict/") == ("surveys.start", {"slug": "schools-ict"})
    assert adapter.match("/surveys/" + "s" * MAX_PATH_TEXT + "/")[1] == {"slug": "s" * MAX_PATH_TEXT}
    for path in ("/surveys/a\x00b/", "/surveys/\x00/", "/surveys/a\nb/", "/surveys/" + "s" * (MAX_PATH_TEXT + 1) + "/"):
        with pytest.raises(Exception) as refused:
            adapter.match(path)
        assert getattr(refused.value, "code", None) == 404, path


def test_ids_and_secrets_are_read_in_one_place(app, make_user):
    """The one parser refuses what int() would accept or the database would refuse to look up."""
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in ("", "0", "-1", str(MAX_ID + 1), "\u0661", "\u00b2", "1_000", " 1", "1.0", "9" * 5000, None, True):
        assert parse_id(text) is None, text
    from werkzeug.exceptions import NotFound

    from app.auth.models import User

    person = make_user("admin")
    assert get_or_404(User, str(person.id)) == person
    for ident in (str(MAX_ID + 1), "99999999999999999999", "\u0661", 0):
        with pytest.raises(NotFound):
            get_or_404(User, ident)
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "\u0661bc")  # hmac.compare_digest raises TypeError on this pair as str
    assert not same_secret("abc", "\udcff")


def test_a_volunteer_link_with_foreign_digits_or_a_huge_id_is_not_found(client, sample_args):  # noqa: F811
    """The requests from the report: each gave a 500."""
    volunteer_id = sample_args["volunteer_id"]
    study_id = sample_args["study_id"]
    for url in (
        "/focus-groups/withdraw/99999999999999999999.abc",
        "/focus-groups/withdraw/" + "9" * 5000,
        "/focus-groups/withdraw/%D9%A1.abc",
        f"/focus-groups/withdraw/{volunteer_id}.%C3%A9",
        f"/focus-groups/respond/{volunteer_id}.%D9%A1",
        "/focus-groups/respond/99999999999999999999.abc",
        "/focus-groups/99999999999999999999/volunteer",
        f"/focus-groups/{study_id}99999999999999/volunteer",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Traceback" not in response.get_data(as_text=True)
