"""The results pages (results/routes.py): figures with filters in the heading, free text without names,
crosstabs, members' comparison, the impact page, web exports, and empty or all-"I do not know" results."""

import copy
import re
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


@pytest.fixture
def counted_responses(app, survey, make_organisation):
    """Three submitted responses with what each counts today: A ticks office staff and has 500 partners; B does
    not submit a benchmarking return and has 100 contractors; C gives no spend and does not say what it counts."""
    for n, (name, kind, grid, spend, counted) in enumerate(
        [
            ("Alpha County Council", "county", {"office_staff": 1000, "partners": 500}, 1_000_000.0, ["office_staff"]),
            (
                "Beta District Council",
                "district",
                {"office_staff": 2000, "contractors": 100},
                2_000_000.0,
                ["no-return"],
            ),
            ("Gamma County Council", "county", {"office_staff": 1000}, None, None),
        ]
    ):
        org = make_organisation(name=name, region="south-east", council_type=kind)
        answers = {"provides_education": "no", "users": grid, "ict_revenue_spend": spend, "ict_staff_fte": 10.0}
        if counted is not None:
            answers["counted_in_benchmark"] = counted
        db.session.add(
            Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=org.id,
                reference=f"SIC-COUNTED-{n}",
                status="submitted",
                submitted_at=datetime.now(UTC),
                submitted_answers=answers,
            )
        )
    db.session.commit()


def test_impact_page_shows_external_users_and_how_many_organisations_move(client, signed_in, counted_responses):
    signed_in("analyst")
    page = " ".join(page_text(client.get("/surveys/results/schools-ict/impact")).split())
    assert "5. Plus external users, weighted" in page
    assert "How much an external user counts" in page
    assert "Residents using council ICT" in page and "council ict" not in page  # the acronym keeps its capitals
    assert "1 means the same order" in page  # Spearman's rho said in plain words
    assert "volunteers and residents using council ICT count as 0.25 of a user each" in page
    assert "itself an assumed default" in page
    assert "How many organisations' figures move from what they count today" in page
    # A: 1,000 counted today, 1,500 under definition 5: spend per user -33%, users per FTE +50%.
    # B: falls back to 2,000 (current), 2,100 under definition 5: -4.8% and +5%, changes only.
    assert (
        "Under definition 5 (plus external users, weighted), ICT spend per user moves by more than 20% from what "
        "each organisation counts today for 1 of 2 organisations (50%), and changes at all for 2."
    ) in page
    assert "(1 does not submit one, 1 did not say)" in page
    # The fallbacks are everyone without an answer, not only those who "did not say" (one has no return).
    assert (
        "For the 2 organisations without an answer on which groups they count (they did not say, did not know, or do"
        in page
    )
    movement = page.split('id="movement"')[1]
    row = movement.split("5. Plus external users, weighted</th>")[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells == ["2", "1 (50%)", "2", "3", "1 (33%)", "2"]  # users per FTE: C has FTE too (1,000 = 1,000)
    by_type = movement.split("by council type and definition")[1].split("</table>")[0]
    assert "1 of 1" in by_type and "0 of 1" in by_type and "n < 5" in by_type  # small groups flagged
    main = page.split('id="main-content"')[1].split("</main>")[0]  # the phase banner above it says "Beta"
    for name in ("Alpha", "Beta", "Gamma"):
        assert name not in main


def test_impact_export_has_the_baseline_and_external_columns(client, signed_in, counted_responses):
    import io

    import pandas as pd

    signed_in("analyst")
    response = client.get("/surveys/results/schools-ict/impact.csv")
    table = pd.read_csv(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    response.close()
    first = table.iloc[0]
    assert (first["users_as_counted"], first["users_plus_external"], first["weight_partners"]) == (1000, 1500, 1)
    assert first["counted_in_benchmark"] == "office_staff" and first["baseline_source"] == "as ticked"
    assert first["spend_per_user_change_plus_external"] == pytest.approx(1000 / 1500 - 1)
    assert list(table["baseline_source"])[1:] == ["current definition: no_return", "current definition: not_answered"]
    assert "organisation" not in table.columns


@pytest.fixture
def draft(app, survey):
    """A draft survey nobody can answer yet (as an imported XLSForm or definition is)."""
    from app.surveys.authoring.services import import_draft_survey

    data = copy.deepcopy(survey.current_version.definition)
    data["title"] = "Imported draft"
    return import_draft_survey(data)


def _links(response) -> list[str]:
    return [href for href in re.findall(r'href="(/[^"]*)"', response.get_data(as_text=True)) if "/static/" not in href]


def test_a_drafts_results_say_there_are_none_yet_with_a_way_back(client, signed_in, draft):
    signed_in("organiser")
    for path in ("", "crosstab", "free-text", "export", "export?format=csv", "impact", "impact.csv"):
        response = client.get(f"/surveys/results/{draft.slug}/{path}")
        assert response.status_code == 200, path
        page = page_text(response)
        assert "There are no results yet" in page and "Back to Imported draft" in page
    assert client.get("/surveys/results/no-such-survey/").status_code == 404


def test_every_link_on_a_drafts_survey_pages_leads_to_a_page(client, signed_in, draft):
    signed_in("organiser")
    seen = set()
    for start in ("/surveys/manage/", f"/surveys/manage/{draft.slug}/", f"/surveys/results/{draft.slug}/"):
        for href in _links(client.get(start)):
            if href not in seen and "sign-out" not in href:
                seen.add(href)
                assert client.get(href).status_code == 200, f"{href} (linked from {start})"
    assert f"/surveys/results/{draft.slug}/" in seen


def test_crosstabs_name_each_question_as_it_was_asked(client, signed_in, responses):
    signed_in("analyst")
    page = page_text(client.get("/surveys/results/schools-ict/crosstab?rows=pupils_should_count&columns=region"))
    assert "Pupils should be counted as users when benchmarking council ICT services. Do you agree?" in page
    assert "Whether you agree" not in page


def test_a_follow_up_free_text_question_shows_the_question_it_follows(client, signed_in, responses):
    signed_in("analyst")
    agree = "Pupils should be counted as users when benchmarking council ICT services. Do you agree?"
    page = page_text(client.get("/surveys/results/schools-ict/free-text"))
    assert "Why do you say that?" in page and f"Asked after: “{agree}”" in page
    assert f"Asked after: “{agree}”" in page_text(client.get("/surveys/results/schools-ict/"))


def test_ranking_columns_say_which_definition_they_are_under(client, signed_in, survey, make_organisation):
    # Rank 1 is the highest spend per user: the first council, whose users are mostly pupils, falls from 1 to 3.
    for n, (office, pupils, spend) in enumerate([(1000, 50000, 400000), (1000, 0, 200000), (1000, 0, 300000)]):
        org = make_organisation(name=f"Council {n}", region="south-east", council_type="county")
        answers = {
            "provides_education": "yes",
            "users": {"office_staff": office, "pupils": pupils},
            "ict_revenue_spend": spend,
            "ict_staff_fte": 10,
        }
        db.session.add(
            Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=org.id,
                reference=f"SIC-RANK-{n}",
                status="submitted",
                submitted_at=datetime.now(UTC),
                submitted_answers=answers,
            )
        )
    db.session.commit()
    signed_in("analyst")
    page = page_text(client.get("/surveys/results/schools-ict/impact"))
    assert "Rank, current definition" in page and "Rank, definition 3" in page and "Change in rank" in page
    assert ">Then<" not in page and "Rank now" not in page
