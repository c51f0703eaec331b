"""Refused requests (403) are audit-logged, at most once per person (or client address) and page in
ten minutes, counted in the database so the limit holds across workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.audit.refusals import REFUSAL_WINDOW, record_refusal
from app.extensions import db
from tests.conftest import sign_in


def _refusals() -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == "security.access_refused").order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def test_a_refused_request_is_logged_with_who_what_and_where(client, make_user):
    member = make_user("member")
    sign_in(client, member.email)
    response = client.get("/admin/people/")
    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.get_data(as_text=True)
    (event,) = _refusals()
    assert (event.actor_id, event.actor_label) == (member.id, member.email)
    assert (event.object_type, event.object_id) == ("endpoint", "people.index")
    assert event.detail == {"status": 403, "method": "GET", "path": "/admin/people/"}
    assert event.ip_address == "127.0.0.1"


def test_a_crawler_cannot_flood_the_log(client, make_user):
    analyst = make_user("analyst")
    sign_in(client, analyst.email)
    for _ in range(25):
        assert client.get("/admin/people/").status_code == 403
        assert client.post("/admin/people/invite").status_code == 403
    for user_id in range(1, 20):  # the same page with other ids is the same endpoint
        assert client.get(f"/admin/people/{user_id}").status_code == 403
    assert [e.object_id for e in _refusals()] == ["people.index", "people.invite", "people.show"]


def test_the_limit_is_per_person_and_ends_after_the_window(client, app, make_user):
    first, second = make_user("member"), make_user("member")
    sign_in(client, first.email)
    client.get("/admin/audit/")
    client.get("/admin/audit/")
    other = app.test_client()
    sign_in(other, second.email)
    other.get("/admin/audit/")
    assert [e.actor_id for e in _refusals()] == [first.id, second.id]
    # Ten minutes on, the same person refused the same page is logged again.
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == "security.access_refused")
        .values(occurred_at=datetime.now(UTC) - REFUSAL_WINDOW - timedelta(seconds=5))
    )
    db.session.commit()
    client.get("/admin/audit/")
    assert [e.actor_id for e in _refusals()] == [first.id, second.id, first.id]


def test_without_an_account_the_client_address_is_what_is_counted(app):
    """Visitors are sent to sign in rather than refused, but a refusal without an account (an invitation
    link's holder, say) is counted by client address."""
    for address in ("203.0.113.5", "203.0.113.5", "203.0.113.6"):
        with app.test_request_context("/admin/audit/", environ_base={"REMOTE_ADDR": address}):
            record_refusal()
    events = _refusals()
    assert [(e.actor_id, e.ip_address) for e in events] == [(None, "203.0.113.5"), (None, "203.0.113.6")]
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 2


def test_what_a_refused_request_had_begun_is_not_kept(app, make_user):
    """The refusal is written in a transaction of its own, after rolling back the refused request's work."""
    from flask_login import login_user

    from app.organisations.models import Organisation

    member = make_user("member")
    with app.test_request_context("/admin/audit/"):
        login_user(member)
        db.session.add(Organisation(name="Half-made Council", region="wales", council_type="welsh"))
        db.session.flush()
        assert record_refusal() is True
    assert db.session.scalar(select(Organisation.id).where(Organisation.name == "Half-made Council")) is None
    assert len(_refusals()) == 1
