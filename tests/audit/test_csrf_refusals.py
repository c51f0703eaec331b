"""A request failing the CSRF check is refused with a plain page and put in the audit log (ASVS item 21),
at most once per person and page in the refusal window, as other refusals are."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.refusals import CSRF_REFUSED
from app.extensions import db


@pytest.fixture
def config_overrides():
    return {"WTF_CSRF_ENABLED": True}


def test_a_forged_post_is_refused_and_logged_once_per_window(client):
    for _ in range(5):
        response = client.post("/sign-in", data={"email": "someone@example.org", "password": "x"})
        assert response.status_code == 400
        assert "There was a problem with your request" in response.get_data(as_text=True)
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == CSRF_REFUSED)).all()
    assert len(events) == 1
    (event,) = events
    assert (event.object_type, event.object_id) == ("endpoint", "auth.sign_in")
    assert event.detail["method"] == "POST" and event.detail["status"] == 400
    assert "CSRF" in event.detail["reason"] and "someone@example.org" not in str(event.detail)


def test_a_refused_link_keeps_its_secret_out_of_the_log(client):
    """A CSRF failure on a password-reset link must not show a still-working token to every admin."""
    secret = "StillValidToken_" + "x" * 30
    assert client.post(f"/password/reset/{secret}", data={"password": "whatever"}).status_code == 400
    db.session.expire_all()
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == CSRF_REFUSED)).all()
    assert event.detail["path"] == "/password/reset/[link hidden]"
    assert secret not in str(event.detail) and secret not in (event.object_id or "")
