"""Organisations: saving and deleting (each its own transaction), the CSV import (all or nothing, errors
row by row) and the pages."""

import io

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from app.organisations.models import Organisation
from app.organisations.services import (
    OrganisationError,
    delete_organisation,
    import_organisations_csv,
    save_organisation,
)
from app.uploads import UploadRefused
from tests.conftest import page_text

GOOD = (
    "name,region,council_type,contact_email\n"
    "Kent County Council,South East,County council,ict@kent.example\n"
    "Cardiff Council,wales,welsh,\n"
)


def test_import_adds_organisations_accepting_labels_or_slugs(app):
    result = import_organisations_csv(GOOD.encode())
    assert result.ok and (result.created, result.updated) == (2, 0)
    kent = db.session.query(Organisation).filter_by(name="Kent County Council").one()
    assert (kent.region, kent.council_type, kent.contact_email) == ("south-east", "county", "ict@kent.example")
    assert db.session.query(AuditEvent).filter_by(action="organisations.imported").one().detail == {
        "created": 2,
        "updated": 0,
    }


def test_import_updates_organisations_that_already_exist(app, make_organisation):
    make_organisation(name="Kent County Council", region="london", council_type="district")
    result = import_organisations_csv(GOOD.encode())
    assert (result.created, result.updated) == (1, 1)
    assert db.session.query(Organisation).filter_by(name="Kent County Council").one().region == "south-east"


def test_a_bad_row_means_nothing_is_imported_and_each_problem_has_its_line(app):
    csv = (
        "name,region,council_type,contact_email\n"
        "Kent County Council,South East,County council,ict@kent.example\n"
        ",Atlantis,Parish council,not-an-email\n"
        "Kent County Council,South East,County council,\n"
        "\n"
        "Leeds City Council,Yorkshire and the Humber,Metropolitan borough,ict@leeds.example\n"
    )
    result = import_organisations_csv(csv.encode())
    assert not result.ok
    assert [e.line for e in result.errors] == [3, 4]
    assert "Name is missing" in result.errors[0].message
    assert "region 'Atlantis'" in result.errors[0].message
    assert "council type 'Parish council'" in result.errors[0].message
    assert "not a valid email address" in result.errors[0].message
    assert "also on line 2" in result.errors[1].message
    assert db.session.query(Organisation).count() == 0


def test_import_explains_missing_columns_and_wrong_encodings(app):
    result = import_organisations_csv(b"name,region\nKent,South East\n")
    assert result.errors[0].line == 1 and "missing: council_type, contact_email" in result.errors[0].message
    with pytest.raises(UploadRefused, match="UTF-8"):
        import_organisations_csv("name,region,council_type,contact_email\nBr\xe6nt,wales,welsh,\n".encode("cp1252"))
    result = import_organisations_csv(b"name,region,council_type,contact_email\n")
    assert "no organisations" in result.errors[0].message


def test_import_page_lists_problems_row_by_row(client, signed_in):
    signed_in("organiser")
    bad = "name,region,council_type,contact_email\nKent,Nowhere,county,\n"
    response = client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(bad.encode()), "orgs.csv")},
        content_type="multipart/form-data",
    )
    page = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in page and "Nothing was imported" in page
    assert '<td class="govuk-table__cell">2</td>' in page and "Region 'Nowhere'" in page


def test_import_page_needs_a_csv_file(client, signed_in):
    signed_in("organiser")
    page = page_text(
        client.post(
            "/organisations/import", data={"file": (io.BytesIO(b"x"), "orgs.xlsx")}, content_type="multipart/form-data"
        )
    )
    assert "The selected file must be a CSV" in page
    page = page_text(client.post("/organisations/import", data={}, content_type="multipart/form-data"))
    assert "Select a CSV file" in page


def test_import_page_success(client, signed_in):
    signed_in("admin")
    response = client.post(
        "/organisations/import",
        data={"file": (io.BytesIO(GOOD.encode()), "orgs.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Import complete: 2 organisations added, 0 updated." in page and "Cardiff Council" in page


def test_adding_an_organisation_keeps_input_on_errors(client, signed_in, make_organisation):
    signed_in("organiser")
    make_organisation(name="Kent County Council")
    page = page_text(
        client.post(
            "/organisations/new",
            data={"name": "Kent County Council", "region": "", "council_type": "county", "contact_email": "bad"},
        )
    )
    assert "Select the region" in page and "Enter an email address in the correct format" in page
    assert 'value="Kent County Council"' in page and 'value="county" selected' in page
    response = client.post(
        "/organisations/new",
        data={"name": "Kent County Council", "region": "south-east", "council_type": "county", "contact_email": ""},
    )
    assert "An organisation with this name already exists" in page_text(response)
    response = client.post(
        "/organisations/new",
        data={"name": "Medway Council", "region": "south-east", "council_type": "unitary", "contact_email": ""},
    )
    assert response.status_code == 302
    assert db.session.query(Organisation).filter_by(name="Medway Council").one().council_type == "unitary"


def test_list_filters_by_region_and_council_type(client, signed_in, make_organisation):
    signed_in("organiser")
    make_organisation(name="Cardiff Council", region="wales", council_type="welsh")
    make_organisation(name="Kent County Council", region="south-east", council_type="county")
    page = page_text(client.get("/organisations/?region=wales"))
    assert "Cardiff Council" in page and "Kent County Council" not in page
    page = page_text(client.get("/organisations/?council_type=district"))
    assert "No organisations match these filters" in page


def test_an_organisation_with_members_cannot_be_deleted(client, signed_in, make_organisation, make_user):
    signed_in("admin")
    org = make_organisation(name="Kent County Council")
    make_user("member", organisation=org)
    response = client.post(f"/organisations/{org.id}/delete", follow_redirects=True)
    assert "still has 1 member account" in page_text(response)
    empty = make_organisation(name="Old Shared Service")
    assert "Delete Old Shared Service?" in page_text(client.get(f"/organisations/{empty.id}/delete"))
    client.post(f"/organisations/{empty.id}/delete")
    assert db.session.get(Organisation, empty.id) is None


def test_saving_commits_the_organisation_and_its_audit_event_without_the_caller(app, make_user):
    organiser = make_user("organiser")
    saved = save_organisation(
        None,
        name=" Medway Council ",
        region="south-east",
        council_type="unitary",
        contact_email="ICT@Medway.example",
        by=organiser,
    )
    db.session.rollback()  # nothing was left for the caller to commit
    stored = db.session.get(Organisation, saved.id)
    assert (stored.name, stored.contact_email) == ("Medway Council", "ict@medway.example")
    event = db.session.query(AuditEvent).filter_by(action="organisations.organisation_created").one()
    assert (event.actor_id, event.object_id, event.detail) == (organiser.id, str(saved.id), {"name": "Medway Council"})


def test_a_clashing_name_or_members_leave_everything_as_it_was(app, make_organisation, make_user):
    kent = make_organisation(name="Kent County Council")
    medway = make_organisation(name="Medway Council", region="south-east", council_type="unitary")
    with pytest.raises(OrganisationError, match="already exists") as caught:
        save_organisation(
            medway, name="kent county council", region="london", council_type="county", contact_email=None
        )
    assert caught.value.field == "name"
    db.session.rollback()
    unchanged = db.session.get(Organisation, medway.id)
    assert (unchanged.name, unchanged.region) == ("Medway Council", "south-east")
    make_user("member", organisation=kent)
    with pytest.raises(OrganisationError, match="still has 1 member account"):
        delete_organisation(kent)
    delete_organisation(medway)
    db.session.rollback()
    assert db.session.get(Organisation, kent.id) is not None and db.session.get(Organisation, medway.id) is None
    deleted = db.session.query(AuditEvent).filter_by(action="organisations.organisation_deleted").one()
    assert deleted.detail == {"name": "Medway Council"}
