"""The results pages (results/routes.py): figures with filters in the heading, free text without names,
crosstabs, members' comparison, the impact page, web exports, and empty or all-"I do not know" results."""

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.surveys.models import Response
from tests.conftest import page_text, sign_in


@pytest.fixture
def responses(app, survey, make_organisation):
    """Three submitted responses: two counties that support pupils, one district that does not."""
    made = []
    for n, (name, region, kind, education) in enumerate(
        [
            ("Kent County Council", "south-east", "county", "yes"),
            ("Surrey County Council", "south-east", "county", "yes"),
            ("Preston City Council", "north-west", "district", "no"),
        ]
    ):
        org = make_organisation(name=name, region=region, council_type=kind)
        answers = {
            "provides_education": education,
            "pupils_reason": f"Reason from {name}",
            "users": {"office_staff": 1000 * (n + 1), "pupils": 5000 if education == "yes" else 0},
        }
        response = Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference=f"SIC-TEST-{n}",
            status="submitted",
            submitted_at=datetime.now(UTC),
            submitted_answers=answers,
        )
        db.session.add(response)
        made.append(response)
    db.session.commit()
    return made


def test_analysts_see_the_headline_and_figures_with_filters_in_the_heading(client, signed_in, responses):
    signed_in("analyst")
    page = page_text(client.get("/surveys/results/schools-ict/"))
    assert "Results: All responding organisations" in page
    assert "67%</strong> of responding organisations (2 of 3)" in page
    assert "<svg" in page and "<table" in page
    page = page_text(client.get("/surveys/results/schools-ict/?council_type=county"))
    assert "Results: Responding county councils" in page and "(2 of 2)" in page
    page = page_text(client.get("/surveys/results/schools-ict/?region=wales"))
    assert "No submitted responses match these filters" in page


def test_free_text_page_hides_names(client, signed_in, responses):
    signed_in("analyst")
    page = page_text(client.get("/surveys/results/schools-ict/free-text"))
    assert "Reason from Kent County Council" in page  # the answer itself
    assert "South East" in page and "County council" in page
    assert page.count("Kent County Council") == 1  # only inside the quoted answer, never as a label


def test_crosstab_page(client, signed_in, responses):
    signed_in("analyst")
    page = page_text(client.get("/surveys/results/schools-ict/crosstab?rows=provides_education&columns=region"))
    assert "South East" in page and "2 (100%)" in page


def test_results_with_no_responses_show_an_empty_state(client, signed_in, survey):
    signed_in("analyst")
    assert "No organisation has submitted a response yet" in page_text(client.get("/surveys/results/schools-ict/"))


def test_member_comparison_is_off_until_organisers_switch_it_on(client, signed_in, survey):
    signed_in("member")
    assert client.get("/surveys/schools-ict/comparison").status_code == 404


def test_members_compare_once_switched_on_and_enough_have_submitted(
    app, client, signed_in, survey, make_organisation, make_user
):
    member = signed_in("member")
    organiser_client = app.test_client()
    organiser = make_user("organiser")
    sign_in(organiser_client, organiser.email)
    organiser_client.post("/surveys/manage/schools-ict/comparison", data={"enabled": "yes"})
    page = page_text(client.get("/surveys/schools-ict/comparison"))
    assert "Submit your organisation's answers" in page
    orgs = [member.organisation] + [make_organisation(council_type="county") for _ in range(10)]
    for n, org in enumerate(orgs):
        db.session.add(
            Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=org.id,
                reference=f"SIC-C-{n}",
                status="submitted",
                submitted_at=datetime.now(UTC),
                submitted_answers={"ict_staff_fte": float(n + 1)},
            )
        )
    db.session.commit()
    page = page_text(client.get("/surveys/schools-ict/comparison"))
    assert "How " + member.organisation.name + " compares" in page
    assert "The number of ICT staff" in page and "(n=11)" in page
    for org in orgs[1:]:
        assert org.name not in page


def test_impact_page_shows_the_derivation_and_refuses_a_bad_weight(client, signed_in, responses):
    signed_in("analyst")
    page = page_text(client.get("/surveys/results/schools-ict/impact"))
    assert "How much a pupil counts" in page and "ICT spend per user" in page and "Users per ICT staff FTE" in page
    page = page_text(client.get("/surveys/results/schools-ict/impact?weight=2"))
    assert "There is a problem" in page and "Enter the pupil weight as a number from 0 to 1" in page
    assert 'value="2"' in page
    page = page_text(client.get("/surveys/results/schools-ict/impact?weight=0.5"))
    assert "uses a weight of <strong>0.50</strong>" in page


def test_web_exports_stream_csv_and_build_xlsx_in_a_job_with_a_download(client, signed_in, responses):
    import io

    import pandas as pd
    from openpyxl import load_workbook
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    signed_in("analyst")
    response = client.get("/surveys/results/schools-ict/export?format=csv&labels=1&council_type=county")
    assert response.headers["Content-Disposition"] == "attachment; filename=schools-ict-responses.csv"
    table = pd.read_csv(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert sorted(table["organisation"]) == ["Kent County Council", "Surrey County Council"]
    assert set(table["council_type"]) == {"County council"}
    job = client.get("/surveys/results/schools-ict/export?format=xlsx")
    assert job.headers["Location"].startswith("/jobs/")
    page = page_text(client.get(job.headers["Location"]))
    assert "3 responses exported" in page
    download = client.get(job.headers["Location"] + "/download")
    workbook = load_workbook(io.BytesIO(download.get_data()), read_only=True)
    assert workbook.sheetnames == ["data", "codebook"]
    assert len(list(workbook["data"].iter_rows())) == 4
    download.close()
    formats = sorted(
        e.detail["format"]
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "surveys.exported"))
    )
    assert formats == ["csv", "xlsx"]


def test_impact_figures_download(client, signed_in, responses):
    import io

    import pandas as pd

    signed_in("analyst")
    response = client.get("/surveys/results/schools-ict/impact.csv?weight=0.5")
    table = pd.read_csv(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    response.close()
    assert len(table) == 3 and "users_plus_pupils" in table.columns and set(table["pupil_weight"]) == {0.5}
    assert "organisation" not in table.columns  # anonymous codes only


def test_one_response_and_all_dont_know_give_figures_not_errors(client, signed_in, survey, make_organisation):
    signed_in("analyst")
    org = make_organisation()
    answers = {
        "provides_education": "yes",
        "share_spend": "dont_know",
        "share_devices": "dont_know",
        "users": {"office_staff": 0, "pupils": 0},
    }
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference="SIC-ONE",
            status="submitted",
            submitted_at=datetime.now(UTC),
            submitted_answers=answers,
        )
    )
    db.session.commit()
    page = page_text(client.get("/surveys/results/schools-ict/"))
    assert "(1 of 1)" in page and 'said "I do not know"' in page
    assert client.get("/surveys/results/schools-ict/impact").status_code == 200
    assert client.get("/surveys/results/schools-ict/crosstab?rows=share_spend&columns=region").status_code == 200
