"""Every state-changing request without a valid CSRF token is refused, and changes nothing."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.audit.refusals import CSRF_REFUSED
from app.extensions import db
from tests.conftest import PASSWORD, totp_code

# Routes deliberately open to cross-site posts (none today). Each needs a reason beside it.
CSRF_EXEMPT: set[str] = set()


@pytest.fixture
def config_overrides():
    return {"WTF_CSRF_ENABLED": True}


def _csrf_token(client, path="/sign-in") -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_every_state_changing_route_refuses_a_request_without_a_token(app, client, make_user, make_organisation):
    admin = make_user(("admin", "organiser", "member"))
    org = make_organisation()
    token = _csrf_token(client)
    assert (
        client.post("/sign-in", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )
    # Administrators sign in with a code as well (tests/conftest.py sets up their authenticator app).
    code = {"code": totp_code(admin.email), "csrf_token": _csrf_token(client, "/sign-in/code")}
    assert client.post("/sign-in/code", data=code).headers["Location"] == "/"
    args = {
        "user_id": admin.id,
        "organisation_id": org.id,
        "message_id": 1,
        "token": "x",
        "filename": "x",
        "slug": "schools-ict",
        "page_id": "provides",
        "job_id": 1,
        "question_id": "provides_education",
        "section_id": "education",
        "fmt": "csv",
        "study_id": 1,
        "guide_question_id": 1,
        "slot_id": 1,
        "volunteer_id": 1,
        "placement_id": 1,
        "note_id": 1,
        "passage_id": 1,
        "code_id": 1,
        "theme": "pupils-and-schools",
        "number": 1,
        "extension": "qdc",
        "round_id": 1,
        "item_id": 1,
        "kind": "organisation",
        "row": "001",
        "outcome": "amend-definition",
    }
    # Nothing is saved; the only trace is the refusal itself in the audit log (rate-limited per page).
    other_events = select(func.count(AuditEvent.id)).where(AuditEvent.action != CSRF_REFUSED)
    before = db.session.scalar(other_events)
    checked = 0
    for rule in app.url_map.iter_rules():
        unsafe = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not unsafe or rule.endpoint in CSRF_EXEMPT:
            continue
        url = rule.build(args, append_unknown=False)[1]
        for method in unsafe:
            response = client.open(url, method=method, data={"email": "x@example.org"})
            assert response.status_code == 400, f"{method} {url} accepted a request without a CSRF token"
            assert "nothing was saved" in response.get_data(as_text=True)
            checked += 1
    assert checked >= 10
    assert db.session.scalar(other_events) == before
    refusals = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == CSRF_REFUSED))
    assert refusals == checked
    assert client.get("/account").status_code == 200  # still signed in: sign-out was refused too


def test_a_valid_token_is_accepted(client, make_user):
    user = make_user("analyst")
    token = _csrf_token(client)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
