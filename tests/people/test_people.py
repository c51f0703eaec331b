"""Admins invite people, change their roles, disable and erase accounts."""

import re

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from tests.conftest import page_text, sign_in


def test_people_list_filters_and_paginates(client, signed_in, make_user):
    signed_in("admin")
    for n in range(30):
        make_user("analyst", name=f"Analyst {n:02d}")
    make_user("facilitator", name="Jo Whitfield")
    page = client.get("/admin/people/").get_data(as_text=True)
    assert "32 people" in page and "Showing 1 to 25 of 32" in page and 'rel="next"' in page
    page = client.get("/admin/people/?role=facilitator").get_data(as_text=True)
    assert "1 person" in page and "Jo Whitfield" in page and "Analyst 00" not in page
    page = client.post("/admin/people/", data={"q": "nobody-matches"}, follow_redirects=True).get_data(as_text=True)
    assert "Nobody matches these filters" in page


def test_a_search_by_name_or_email_stays_out_of_the_url_and_survives_paging(client, signed_in, make_user):
    signed_in("admin")
    for n in range(30):
        make_user("analyst", name=f"Whitfield {n:02d}", email=f"whitfield{n:02d}@kent.example")
    make_user("analyst", name="Jo Bloggs", email="jo@kent.example")
    response = client.post("/admin/people/", data={"q": "whitfield", "role": "analyst", "status": ""})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "whitfield" not in location.lower() and "role=analyst" in location
    page = client.get(location).get_data(as_text=True)
    assert "30 people" in page and 'value="whitfield"' in page and "Jo Bloggs" not in page
    second = client.get(location + "&page=2").get_data(as_text=True)
    assert "Whitfield 29" in second and "Jo Bloggs" not in second
    # Reached afresh (the navigation, "Clear filters"), the list is not filtered by an old search.
    assert "Jo Bloggs" in client.get("/admin/people/").get_data(as_text=True)


def test_inviting_a_member_needs_an_organisation_and_keeps_what_was_typed(client, signed_in):
    signed_in("admin")
    response = client.post(
        "/admin/people/invite",
        data={"name": "Sam Patel", "email": "sam@kent.example", "roles": ["member"], "organisation_id": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Select the organisation this member belongs to" in page and 'href="#organisation_id"' in page
    assert 'value="Sam Patel"' in page and 'value="sam@kent.example"' in page
    assert db.session.query(User).filter_by(email="sam@kent.example").count() == 0


def test_invite_form_reports_every_missing_answer(client, signed_in):
    signed_in("admin")
    page = page_text(client.post("/admin/people/invite", data={"organisation_id": ""}))
    for message in ("Enter the person's full name", "Enter the person's email address", "Select at least one role"):
        assert message in page


def test_an_email_address_can_only_have_one_account(client, signed_in, make_user):
    signed_in("admin")
    make_user("analyst", email="taken@example.org")
    page = client.post(
        "/admin/people/invite",
        data={"name": "Someone", "email": "Taken@example.org", "roles": ["analyst"], "organisation_id": ""},
    ).get_data(as_text=True)
    assert "already has an account" in page


def test_invitation_without_smtp_lands_in_the_outbox(client, signed_in, make_organisation):
    signed_in("admin")
    org = make_organisation(name="Cardiff Council", region="wales", council_type="welsh")
    response = client.post(
        "/admin/people/invite",
        data={
            "name": "Rhiannon Evans",
            "email": "rhiannon@cardiff.example",
            "roles": ["member"],
            "organisation_id": str(org.id),
        },
    )
    assert response.status_code == 302
    outbox = client.get("/admin/outbox/").get_data(as_text=True)
    assert "rhiannon@cardiff.example" in outbox and "Held" in outbox
    message_path = re.search(r'href="(/admin/outbox/\d+)"', outbox).group(1)
    text = client.get(message_path).get_data(as_text=True)
    assert "for Cardiff Council" in text and "http://localhost/invitation/[link hidden]" in text  # for Rhiannon only


def test_changing_roles_is_audit_logged(client, signed_in, make_user):
    admin = signed_in("admin")
    person = make_user("analyst")
    response = client.post(
        f"/admin/people/{person.id}/edit",
        data={"name": person.name, "roles": ["analyst", "facilitator"], "organisation_id": ""},
    )
    assert response.status_code == 302
    assert db.session.get(User, person.id).roles == {"analyst", "facilitator"}
    event = db.session.query(AuditEvent).filter_by(action="people.roles_changed").one()
    assert event.actor_id == admin.id and event.object_id == str(person.id)
    assert event.detail == {"before": ["analyst"], "after": ["analyst", "facilitator"]}
    log = client.get("/admin/audit/?action=people.roles_changed").get_data(as_text=True)
    assert "people.roles_changed" in log and admin.email in log


def test_admins_cannot_remove_their_own_admin_role(client, signed_in):
    admin = signed_in("admin")
    page = client.post(
        f"/admin/people/{admin.id}/edit", data={"name": admin.name, "roles": ["analyst"], "organisation_id": ""}
    ).get_data(as_text=True)
    assert "You cannot remove your own administrator role" in page
    assert db.session.get(User, admin.id).roles == {"admin"}


def test_disabling_asks_for_confirmation_first(client, signed_in, make_user):
    signed_in("admin")
    person = make_user("analyst", name="Chris Okafor")
    page = page_text(client.get(f"/admin/people/{person.id}/disable"))
    assert "Disable Chris Okafor's account?" in page and "Cancel" in page
    assert not db.session.get(User, person.id).disabled
    client.post(f"/admin/people/{person.id}/disable")
    assert db.session.get(User, person.id).disabled
    assert "Disabled" in client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    client.post(f"/admin/people/{person.id}/enable")
    assert not db.session.get(User, person.id).disabled


def test_erasing_removes_personal_data_but_keeps_an_anonymous_audit_trail(app, client, signed_in, make_user):
    signed_in("admin")
    person = make_user("analyst", name="Chris Okafor", email="chris@example.org")
    other = app.test_client()
    sign_in(other, "chris@example.org")
    assert "Erase Chris Okafor's personal data?" in page_text(client.get(f"/admin/people/{person.id}/erase"))
    client.post(f"/admin/people/{person.id}/erase")
    erased = db.session.get(User, person.id)
    assert erased.name == f"Erased person {person.id}" and "chris" not in erased.email and erased.password_hash is None
    assert other.get("/account").status_code == 302
    assert "Chris Okafor" not in client.get("/admin/people/").get_data(as_text=True)
    assert db.session.query(AuditEvent).filter_by(action="people.person_erased", object_id=str(person.id)).count() == 1


def test_unknown_person_is_a_404(client, signed_in):
    signed_in("admin")
    assert client.get("/admin/people/99999").status_code == 404
