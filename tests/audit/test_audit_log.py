"""The audit log: recorded by one helper, browsed and filtered by admins."""

from app.audit.models import AuditEvent
from app.audit.services import record
from app.extensions import db
from tests.conftest import page_text, sign_in


def test_record_notes_who_did_what_to_which_object(app, make_user):
    admin = make_user("admin")
    target = make_user("analyst")
    record("people.roles_changed", target, actor=admin, before=["analyst"], after=["admin"])
    db.session.commit()
    event = db.session.query(AuditEvent).one()
    assert (event.actor_id, event.actor_label, event.object_type, event.object_id) == (
        admin.id,
        admin.email,
        "user",
        str(target.id),
    )
    assert event.detail == {"before": ["analyst"], "after": ["admin"]} and event.occurred_at is not None


def test_sign_ins_and_failures_are_logged_and_filterable(client, make_user):
    admin = make_user("admin", email="dana@socitm.example")
    sign_in(client, "dana@socitm.example", "wrong")
    sign_in(client, "dana@socitm.example")
    page = page_text(client.get("/admin/audit/"))
    assert "auth.sign_in_failed" in page and "auth.signed_in" in page
    page = page_text(client.get("/admin/audit/?action=auth.sign_in_failed"))
    assert "1 event" in page
    page = page_text(client.get(f"/admin/audit/?object_type=user&object_id={admin.id}"))
    assert "3 events" in page  # the failure, the right password, then the sign-in once the code was right
    assert "auth.password_accepted" in page


def test_bad_dates_are_explained_not_crashed(client, signed_in):
    signed_in("admin")
    page = page_text(client.get("/admin/audit/?from=31/02/2026"))
    assert "There is a problem" in page and "YYYY-MM-DD" in page
    assert "event" in page


def test_date_filter(client, signed_in):
    signed_in("admin")
    assert "No events match these filters" in page_text(client.get("/admin/audit/?to=2000-01-01"))


def test_filtering_by_who_keeps_their_address_out_of_the_url(client, signed_in):
    admin = signed_in("admin", email="kim.ng@kent.example")
    response = client.post("/admin/audit/", data={"actor": "kim.ng", "action": "auth.signed_in"})
    location = response.headers["Location"]
    assert response.status_code == 302 and "kim" not in location and "action=auth.signed_in" in location
    page = page_text(client.get(location))
    assert "1 event" in page and admin.email in page and "Clear filters" in page
    assert "No events match these filters" in page_text(
        client.post("/admin/audit/", data={"actor": "nobody"}, follow_redirects=True)
    )
    # A person's address typed into the URL is not a filter: only the form searches by who.
    assert "No events match these filters" not in page_text(client.get("/admin/audit/?actor=nobody"))
