"""Hostile input through every form (ASVS item 25): Hypothesis fills each form the app shows with markup,
scripts, control characters, NUL, overlong text, wrong types and hostile numbers. No answer is a 5xx, and no
page or export carries the markup unescaped or a formula a spreadsheet would run.

The forms are found the way a person finds them: every page each role can open is read, and every form on
it (its action and its fields) is fuzzed as that role. Forms that delete or end something go last, so they
do not take away what the others work on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.surveys.models import Survey
from tests.conftest import sign_in
from tests.test_authorisation_matrix import (  # noqa: F401 - the fixture is used by name
    EVERYONE,
    EXPECTED,
    RESPONDENT,
    sample_args,
)

MARKER = "x-fuzz"
HOSTILE_TEXT = [
    f'<script>alert("{MARKER}")</script>',
    f'"><{MARKER} onmouseover=alert(1)>',
    f"'><svg onload=alert('{MARKER}')>",
    f"</textarea><{MARKER}>",
    "javascript:alert(1)",
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: stolen=1",
    "\u202eevil\u202c",
    "\ufeff",
    "1e1000000",
    "1e400",
    "-1e400",
    "9" * 5000,
    "NaN",
    "-Infinity",
    "0x10",
    "١٢٣",
    "1_000",
    "",
    " ",
    "x" * 20_000,
    "../../../etc/passwd",
    "{{ 7 * 7 }}",
    "${7*7}",
    "' OR 1=1 --",
    '{"$gt": ""}',
    "2026-02-31",
    "true",
    "-1",
    "99999999999999999999",
]
CHARACTERS = st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Lu", "Ll", "Lo", "Nd", "No", "P", "S"])
VALUES = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(CHARACTERS, max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
DESTRUCTIVE = re.compile(r"delete|erase|remove|cancel|withdraw|disable|sign-out|revoke|decline|complete|lock")
SKIPPED_ACTIONS = ("/sign-out",)  # ends the session the rest of the walk needs; tested on its own elsewhere


class _Forms(HTMLParser):
    """The forms on a page: action, method and fields (name, type, the options of selects and radios)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._current = {
                "action": attributes.get("action") or "",
                "method": (attributes.get("method") or "get").lower(),
                "enctype": attributes.get("enctype") or "",
                "fields": {},
            }
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea", "button"):
            name = attributes.get("name")
            if name and name != "csrf_token":
                kind = attributes.get("type") or tag
                field = self._current["fields"].setdefault(name, {"type": kind, "values": []})
                if attributes.get("value") is not None:
                    field["values"].append(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _forms_on(page_url: str, html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        form["action"] = urlsplit(form["action"] or page_url).path or page_url
    return [form for form in parser.forms if form["method"] == "post"]


def _clients(app, make_user, make_organisation, args):
    """A client for each kind of visitor: anonymous, a member of the invited organisation, and an admin."""
    from app.organisations.models import Organisation

    anonymous = app.test_client()
    member_client = app.test_client()
    organisation = db.session.get(Organisation, args["organisation_id"])
    member = make_user("member", organisation=organisation)
    assert sign_in(member_client, member.email).status_code == 302
    admin_client = app.test_client()
    admin = make_user(("admin", "organiser", "facilitator"))
    assert sign_in(admin_client, admin.email).status_code == 302
    return {"anonymous": anonymous, "member": member_client, "admin": admin_client}


def _who_for(endpoint: str) -> str:
    rule = EXPECTED.get(endpoint)
    if rule == EVERYONE:
        return "anonymous"
    if rule == RESPONDENT:
        return "member"
    return "admin"


def _assert_safe(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("text/html"):
        body = response.get_data(as_text=True)
        assert f"<{MARKER}" not in body and f'alert("{MARKER}")</script>' not in body, f"{where}: markup unescaped"
        assert "<svg onload" not in body, f"{where}: markup unescaped"


def _discover(app, clients, args) -> list[tuple[str, dict]]:
    """Every POST form on every page a visitor of the right kind can open, once per action."""
    seen: dict[str, tuple[str, dict]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith("export"):
            continue
        try:
            url = rule.build(args, append_unknown=False)[1]
        except Exception:  # noqa: S112 - a rule whose arguments the sample does not provide
            continue
        who = _who_for(rule.endpoint)
        response = clients[who].get(url)
        _assert_safe(response, f"GET {url}")
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        for form in _forms_on(url, response.get_data(as_text=True)):
            if form["action"] in SKIPPED_ACTIONS:
                continue
            adapter = app.url_map.bind("localhost")
            try:
                endpoint, _ = adapter.match(form["action"], method="POST")
            except Exception:  # noqa: S112 - a form posting somewhere else (never expected)
                continue
            seen.setdefault(form["action"], (_who_for(endpoint), form))
    # The survey's question pages open once a response is started: every page, whatever the routing.
    member = clients["member"]
    assert member.post(f"/surveys/{args['slug']}/start").status_code == 302
    survey = db.session.scalar(select(Survey).where(Survey.slug == args["slug"]))
    for section in survey.versions[-1].definition["sections"]:
        for page in section["pages"]:
            url = f"/surveys/{args['slug']}/questions/{page['id']}"
            response = member.get(url)
            _assert_safe(response, f"GET {url}")
            for form in _forms_on(url, response.get_data(as_text=True)):
                seen.setdefault(form["action"], ("member", form))
    return sorted(seen.items(), key=lambda item: (bool(DESTRUCTIVE.search(item[0])), item[0]))


def _payload(form: dict, values: list[str]) -> dict:
    data = {}
    for (name, field), value in zip(form["fields"].items(), values, strict=False):
        if field["type"] == "file":
            data[name] = (io.BytesIO(value.encode("utf-8", "surrogatepass")), "hostile.xlsx")
        else:
            data[name] = value
    return data


EXAMPLES_PER_FORM = 6


def test_every_form_survives_hostile_input(app, make_user, make_organisation, sample_args):  # noqa: F811
    clients = _clients(app, make_user, make_organisation, sample_args)
    forms = _discover(app, clients, sample_args)
    assert len(forms) >= 30, f"only {len(forms)} forms found: the walk lost its way"

    for action, (who, form) in forms:
        _fuzz_form(clients[who], who, action, form)


def _fuzz_form(client, who: str, action: str, form: dict) -> None:
    """Post the form EXAMPLES_PER_FORM times with hostile values in every field."""
    width = max(len(form["fields"]), 1)

    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=st.lists(VALUES, min_size=width, max_size=width))
    def post_hostile(values):
        response = client.post(action, data=_payload(form, values), content_type=None)
        _assert_safe(response, f"POST {action} as {who} with {values!r:.300}")
        response.close()

    post_hostile()


def _refuse_constant(name: str):
    raise AssertionError(f"an export wrote {name}, which is not JSON")


def _cells(response) -> list[str]:
    content_type = response.headers.get("Content-Type", "")
    body = response.get_data()
    if "csv" in content_type:
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return [str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    return []


def test_exports_carry_hostile_text_safely(app, make_user, make_organisation, sample_args):  # noqa: F811
    """Hostile answers and notes come out of every export as inert text: valid JSON, no live formula."""
    from app.focus_groups.models import Slot
    from app.focus_groups.notes.taking import NoteInput, add_note

    slot = db.session.get(Slot, sample_args["slot_id"])
    for text in HOSTILE_TEXT[:9]:
        add_note(slot, NoteInput(text))
    db.session.commit()
    clients = _clients(app, make_user, make_organisation, sample_args)
    for action, (who, form) in _discover(app, clients, sample_args):
        if who == "member" and "/questions/" in action:  # every answer field gets each hostile text in turn
            for text in HOSTILE_TEXT[:9]:
                clients[who].post(action, data=_payload(form, [text] * len(form["fields"]))).close()

    admin = clients["admin"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.endswith("export") or "GET" not in rule.methods:
            continue
        formats = ("csv", "xlsx", "json") if "fmt" in rule.arguments else (None,)
        for fmt in formats:
            url = rule.build({**sample_args, "fmt": fmt} if fmt else sample_args, append_unknown=False)[1]
            response = admin.get(url, follow_redirects=True)
            _assert_safe(response, f"GET {url}")
            if response.status_code != 200:
                response.close()
                continue
            if "json" in response.headers.get("Content-Type", ""):
                json.loads(response.get_data(as_text=True), parse_constant=_refuse_constant)
            cells = _cells(response)
            response.close()
            for cell in cells:
                assert not (cell[:1] in "=+-@" and len(cell) > 1 and not cell[1:2].isdigit()), f"{url}: {cell!r}"
            checked += 1
    assert checked >= 3
