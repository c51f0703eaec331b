"""The audit log: recorded by one helper, browsed and filtered by admins."""

import re
from pathlib import Path

from app.audit.labels import ACTION_LABELS, action_label, object_type_label
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
    assert "Sign-in failed" in page and "Signed in" in page
    page = page_text(client.get("/admin/audit/?action=auth.sign_in_failed"))
    assert "1 event" in page
    page = page_text(client.get(f"/admin/audit/?object_type=user&object_id={admin.id}"))
    assert "3 events" in page  # the failure, the right password, then the sign-in once the code was right
    assert "Password accepted, waiting for the sign-in code" in page


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


def test_the_filters_and_the_log_show_words_not_codes(client, signed_in, make_user, make_organisation):
    admin = signed_in("admin")
    record("focus_groups.composed", actor=admin, object_type="study", object_id=7)
    record("focus_groups.slot_added", actor=admin, object_type="slot", object_id=3)
    db.session.commit()
    html = client.get("/admin/audit/").get_data(as_text=True)
    assert '<option value="focus_groups.composed">Focus groups proposed</option>' in html
    assert '<option value="slot">Session</option>' in html
    page = page_text(client.get("/admin/audit/?action=focus_groups.composed"))
    assert "Focus groups proposed" in page and "Study 7" in page
    assert page.count("focus_groups.composed") == 1  # only as the selected option's value, never shown


def test_every_action_the_app_records_has_a_label(app):
    """Every dotted code in the app that is not a page's endpoint is an audit action, and each has words."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    areas = "auth|security|people|organisations|privacy|retention|surveys|focus_groups|analysis"
    pattern = re.compile(rf'"((?:{areas})\.[a-z_]+)"')
    codes = set()
    for path in Path(app.root_path).rglob("*.py"):
        codes.update(pattern.findall(path.read_text(encoding="utf-8")))
    unlabelled = sorted(code for code in codes - endpoints if code not in ACTION_LABELS)
    assert unlabelled == []
    assert action_label("reports.something_new") == "Reports something new"  # a new code still reads as words
    assert object_type_label("guidequestion") == "Discussion guide question" and object_type_label(None) == ""
