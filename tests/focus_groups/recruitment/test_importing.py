"""Importing volunteers (recruitment/importing.py): parsing the CSV row by row, and an import that saves all or
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Volunteer
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.recruitment.importing import IMPORTED_CONSENT_VERSION, import_volunteers_csv, parse_volunteer_rows
from app.focus_groups.recruitment.volunteering import save_volunteer, slot_keys
from app.uploads import UploadRefused
from tests.focus_groups.recruitment.support import HEADER, details


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
