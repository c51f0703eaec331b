"""Recruitment services: saving volunteers once per email, the CSV import, invitations and the pool's figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Availability, Placement, Volunteer
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.recruitment.importing import IMPORTED_CONSENT_VERSION, import_volunteers_csv, parse_volunteer_rows
from app.focus_groups.recruitment.invitations import send_recruitment_invitations
from app.focus_groups.recruitment.pool import delete_volunteer, other_records, pool_for
from app.focus_groups.recruitment.volunteering import VolunteerDetails, save_volunteer, slot_keys, volunteer_from_form
from app.uploads import UploadRefused
from tests.conftest import text_part

HEADER = "volunteer_id,name,email,organisation,region,council_type,supports_schools,available,if_need_be,job_role\n"


def details(study, email="ann@example.org", **overrides) -> VolunteerDetails:
    values = dict(
        name="Ann Example",
        email=email,
        region="wales",
        council_type="welsh",
        supports_schools=True,
        availability=dict(zip((slot.id for slot in study.slots), ("yes", "if_need_be"), strict=False)),
        organisation_name="Cardiff Council",
        job_role="Head of ICT",
    )
    values.update(overrides)
    return VolunteerDetails(**values)


def test_a_volunteer_is_saved_with_consent_and_an_answer_for_every_slot(app, make_study):
    study = make_study(slots=3)
    now = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    volunteer, created = save_volunteer(study, details(study, audio_consent=True), now=now)
    db.session.commit()
    assert created
    assert volunteer.consent_version == CURRENT_CONSENT_VERSION and volunteer.audio_consent
    assert volunteer.consented_at.replace(tzinfo=UTC) == now
    assert volunteer.source == "form" and len(volunteer.salt) == 32
    assert [volunteer.answer_for(slot.id) for slot in study.slots] == ["yes", "if_need_be", "no"]
    assert db.session.scalar(select(func.count()).select_from(Availability)) == 3


def test_a_second_expression_of_interest_with_the_same_email_updates_the_first(app, make_study):
    study = make_study(slots=2)
    first, _ = save_volunteer(study, details(study))
    db.session.commit()
    again, created = save_volunteer(
        study,
        details(study, email="ANN@example.org", name="Ann Updated", availability={study.slots[1].id: "yes"}),
    )
    db.session.commit()
    assert not created and again.id == first.id
    assert db.session.scalar(select(func.count(Volunteer.id))) == 1
    assert again.name == "Ann Updated"
    assert [again.answer_for(slot.id) for slot in study.slots] == ["no", "yes"]


def test_the_same_email_may_volunteer_for_another_study(app, make_study):
    one, two = make_study(slots=2, title="One"), make_study(slots=2, title="Two")
    first, _ = save_volunteer(one, details(one))
    second, created = save_volunteer(two, details(two))
    db.session.commit()
    assert created and other_records(second) == [first]


def test_volunteering_through_the_form_emails_the_volunteer_and_is_audited(app, make_study, mailbox):
    study = make_study(slots=2)
    outcome = volunteer_from_form(study, details(study))
    assert outcome.created and outcome.emailed
    [message] = mailbox
    assert message["To"] == "ann@example.org" and "Thank you for volunteering" in message["Subject"]
    body = text_part(message)
    assert "Slot 1" in body and "Yes" in body and "If need be" in body
    assert "/focus-groups/withdraw/" in body  # the withdrawal link
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteered"))
    assert event.object_id == str(outcome.volunteer.id)
    # Again with the same address: nothing changes until its owner confirms, and within the hour no email goes.
    again = volunteer_from_form(study, details(study, job_role="CIO"))
    assert again.pending and not again.emailed and again.volunteer.job_role == "Head of ICT"
    assert len(mailbox) == 1


# --- parsing the CSV ---------------------------------------------------------------------------


def test_parsing_accepts_labels_slot_positions_and_optional_columns():
    text = HEADER + (
        "A17,Ann Example,Ann@Example.org,Cardiff Council,Wales,Welsh council,yes,1;Slot 3,2,Head of ICT\n"
        ",Bob Example,bob@example.org,Kent County Council,south-east,county,no,,,\n"
    )
    rows, errors = parse_volunteer_rows(text, {"1": 11, "2": 12, "3": 13})
    assert errors == []
    ann, bob = rows
    assert (ann.line, ann.email, ann.region, ann.council_type) == (2, "ann@example.org", "wales", "welsh")
    assert ann.availability == {11: "yes", 13: "yes", 12: "if_need_be"}
    assert ann.external_ref == "A17" and ann.job_role == "Head of ICT" and ann.supports_schools
    assert bob.availability == {} and not bob.supports_schools and bob.job_role is None


def test_parsing_reports_every_bad_row_with_its_line_number():
    text = HEADER + (
        "1,Ann,ann@example.org,Cardiff Council,Wales,welsh,yes,1,,\n"
        "2,,not-an-email,Cardiff Council,Atlantis,parish,maybe,9,,\n"
        "3,Ann again,ANN@example.org,Cardiff Council,wales,welsh,no,1,1,\n"
    )
    rows, errors = parse_volunteer_rows(text, {"1": 11})
    assert [r.line for r in rows] == [2]
    assert [e.line for e in errors] == [3, 4]
    bad = errors[0].message
    for words in ("Name is missing", "not-an-email", "region 'Atlantis'", "council type 'parish'", "yes or no", "'9'"):
        assert words in bad
    assert "nn@example.org is also on line 2" in errors[1].message
    assert "both available and if_need_be" in errors[1].message


def test_parsing_names_missing_columns_and_empty_files():
    _, errors = parse_volunteer_rows("name,email\nAnn,ann@example.org\n", {})
    assert errors[0].line == 1 and "missing: organisation, region" in errors[0].message
    rows, errors = parse_volunteer_rows(HEADER, {})
    assert rows == [] and errors[0].message == "The file has no volunteers in it"


def test_a_file_that_is_not_csv_is_refused_in_one_sentence_not_a_crash():
    with pytest.raises(UploadRefused, match="^The file must be a CSV saved as UTF-8 text$"):
        parse_volunteer_rows(HEADER + "1,Ann\x00,ann@example.org\n", {})


def test_without_slot_keys_the_values_are_slot_ids():
    rows, errors = parse_volunteer_rows(HEADER + "1,Ann,ann@example.org,X,Wales,welsh,yes,41;42,43,\n", None)
    assert errors == [] and rows[0].availability == {41: "yes", 42: "yes", 43: "if_need_be"}
    _, errors = parse_volunteer_rows(HEADER + "1,Ann,ann@example.org,X,Wales,welsh,yes,first,,\n", None)
    assert "'first' is not a slot id" in errors[0].message


# --- importing ---------------------------------------------------------------------------------


def test_an_import_with_any_bad_row_saves_nothing(app, make_study):
    study = make_study(slots=2)
    data = (HEADER + "1,Ann,ann@example.org,Cardiff,Wales,welsh,yes,1,2,\n2,Bob,bob@,Kent,Kent,county,no,,,\n").encode()
    result = import_volunteers_csv(study, data)
    assert not result.ok and [e.line for e in result.errors] == [3]
    assert db.session.scalar(select(func.count(Volunteer.id))) == 0


def test_an_import_records_consent_as_collected_elsewhere_and_links_organisations(app, make_study, make_organisation):
    study = make_study(slots=3)
    cardiff = make_organisation(name="Cardiff Council", region="wales", council_type="welsh")
    existing, _ = save_volunteer(study, details(study, email="bob@example.org", audio_consent=True))
    db.session.commit()
    data = (
        HEADER
        + "1,Ann,ann@example.org,cardiff council,Wales,welsh,yes,1;3,2,\n"
        + "2,Bob,bob@example.org,Somewhere Else,London,London borough,no,,1,\n"
    ).encode("utf-8-sig")
    result = import_volunteers_csv(study, data)
    assert result.ok and (result.created, result.updated) == (1, 1)
    ann = db.session.scalar(select(Volunteer).where(Volunteer.email == "ann@example.org"))
    assert ann.source == "import" and ann.consent_version == IMPORTED_CONSENT_VERSION and ann.consented_at
    assert ann.organisation_id == cardiff.id and ann.organisation_name == "Cardiff Council"
    assert [ann.answer_for(s.id) for s in study.slots] == ["yes", "if_need_be", "yes"]
    db.session.refresh(existing)
    assert existing.name == "Bob" and existing.organisation_id is None and existing.region == "london"
    assert existing.consent_version == CURRENT_CONSENT_VERSION and existing.audio_consent  # consent as they gave it
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "focus_groups.volunteers_imported"))
    assert slot_keys(study) == {"1": study.slots[0].id, "2": study.slots[1].id, "3": study.slots[2].id}


def test_a_file_that_is_not_utf8_is_refused(app, make_study):
    with pytest.raises(UploadRefused, match="^The file must be a CSV saved as UTF-8$"):
        import_volunteers_csv(make_study(), "name\nJosé\n".encode("latin-1"))


# --- invitations ---------------------------------------------------------------------------------


def test_recruitment_invitations_link_to_the_form_for_each_organisation(app, make_study, make_organisation, mailbox):
    study = make_study(slots=2)
    cardiff = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    quiet = make_organisation(name="Quiet Council")
    outcome = send_recruitment_invitations(study, [cardiff.id, quiet.id])
    assert outcome.sent == ["Cardiff Council"]
    assert outcome.skipped == [("Quiet Council", "no contact email and no member accounts")]
    [message] = mailbox
    assert message["To"] == "ict@cardiff.example"
    assert f"/focus-groups/{study.id}/volunteer?organisation={cardiff.id}" in text_part(message)
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "focus_groups.recruitment_invitation_sent")
    )


def test_no_invitations_while_the_study_is_not_recruiting(app, make_study, make_organisation, mailbox):
    study = make_study()
    study.recruiting = False
    db.session.commit()
    org = make_organisation(contact_email="ict@example.org")
    outcome = send_recruitment_invitations(study, [org.id])
    assert outcome.sent == [] and mailbox == []


# --- the pool ------------------------------------------------------------------------------------


def test_the_pool_counts_active_volunteers_by_region_and_council_type(app, make_study, make_volunteer):
    study = make_study(slots=2, target_groups=2, target_size=6, places_per_reserve=5)
    # (study.slots is read afresh before each call: the factory needs the study's slots loaded)
    make_volunteer(study, region="london", council_type="london-borough", available=study.slots[:1])
    make_volunteer(
        study, region="london", council_type="london-borough", if_need_be=study.slots[:1], supports_schools=False
    )
    make_volunteer(study, region="wales", council_type="welsh", available=study.slots[:2])
    make_volunteer(
        study, region="wales", council_type="welsh", available=study.slots[1:], withdrawn_at=datetime.now(UTC)
    )
    pool = pool_for(study)
    assert pool.matrix["london"]["london-borough"] == 2 and pool.matrix["wales"]["welsh"] == 1
    assert pool.region_totals["london"] == 2 and pool.council_type_totals["welsh"] == 1 and pool.total == 3
    assert (pool.places_needed, pool.reserves_needed, pool.volunteers_needed, pool.still_needed) == (12, 3, 15, 12)
    assert (pool.supports_schools, pool.no_schools) == (2, 1)
    assert "wales" not in pool.regions_without and "north-east" in pool.regions_without
    assert pool.council_types_without == [
        "county",
        "district",
        "unitary",
        "metropolitan-borough",
        "scottish",
        "northern-ireland-district",
        "other-public-body",
    ]
    assert [(a.yes, a.if_need_be, a.no) for a in pool.availability] == [(2, 1, 0), (1, 0, 2)]


@pytest.mark.parametrize(("places", "per_reserve", "reserves"), [(12, 5, 3), (10, 5, 2), (4, 5, 1)])
def test_reserves_round_up(app, make_study, places, per_reserve, reserves):
    study = make_study(target_groups=2, min_size=2, target_size=places // 2, places_per_reserve=per_reserve)
    assert pool_for(study).reserves_needed == reserves


def test_deleting_a_volunteer_removes_their_placement_and_availability(app, make_study, make_volunteer):
    study = make_study(slots=1)
    volunteer = make_volunteer(study, available=study.slots)
    db.session.add(Placement(study_id=study.id, slot_id=study.slots[0].id, volunteer_id=volunteer.id))
    db.session.commit()
    delete_volunteer(volunteer)
    assert db.session.scalar(select(func.count(Volunteer.id))) == 0
    assert db.session.scalar(select(func.count(Placement.id))) == 0
    assert db.session.scalar(select(func.count()).select_from(Availability)) == 0
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "focus_groups.volunteer_deleted"))


def test_a_volunteer_in_a_confirmed_session_is_withdrawn_not_deleted(app, make_study, make_volunteer):
    import pytest

    study = make_study(slots=1)
    volunteer = make_volunteer(study, available=study.slots)
    db.session.add(Placement(study_id=study.id, slot_id=study.slots[0].id, volunteer_id=volunteer.id, pseudonym="P4"))
    study.slots[0].status = "confirmed"
    db.session.commit()
    with pytest.raises(ValueError):
        delete_volunteer(volunteer)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Placement.id))) == 1  # P4 is never handed out again


def test_an_import_cannot_bring_back_someone_who_withdrew(app, make_study):
    from app.focus_groups.scheduling.withdrawal import withdraw_volunteer

    study = make_study(slots=2)
    volunteer, _ = save_volunteer(study, details(study, email="Ann@Example.org"))
    db.session.commit()
    withdraw_volunteer(volunteer)
    db.session.commit()
    data = (HEADER + "1,Ann,ann@example.org,Cardiff,Wales,welsh,yes,1,2,\n").encode()
    result = import_volunteers_csv(study, data)
    assert not result.ok
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "ann@example.org withdrew from this study: they can volunteer again themselves")
    ]
