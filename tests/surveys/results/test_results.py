"""Results: figures checked against hand arithmetic, the Wilson interval, crosstabs, free text,
member comparisons, and the pages."""

import json
from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.surveys.authoring.definition import load_definition
from app.surveys.models import Response
from app.surveys.results.comparison import member_comparison
from app.surveys.results.crosstabs import crosstab
from app.surveys.results.dataset import Filters, Row
from app.surveys.results.figures import question_result
from app.surveys.results.free_text import free_texts
from app.surveys.results.headline import headline, wilson_interval
from app.surveys.services import DEFAULT_DEFINITION
from tests.conftest import page_text, sign_in

SURVEY = load_definition(json.loads(DEFAULT_DEFINITION.read_text()))


def _row(n, region="wales", council_type="welsh", **answers):
    return Row(
        response_id=n,
        reference=f"R{n}",
        organisation_id=n,
        organisation=f"Org {n}",
        region=region,
        council_type=council_type,
        status="submitted",
        started_at=None,
        submitted_at=None,
        version=1,
        answers=answers,
    )


def test_wilson_interval_matches_hand_computation():
    # 7 of 10: p = .7, z = 1.96: centre = (.7 + 1.96²/20) / (1 + 1.96²/10) = .6408..., half = .2438...
    low, high = wilson_interval(7, 10)
    assert low == pytest.approx(0.3968, abs=1e-4) and high == pytest.approx(0.8922, abs=1e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    assert wilson_interval(0, 0) is None


def test_choice_shares_are_of_those_who_answered():
    rows = [_row(1, pupil_funding="traded"), _row(2, pupil_funding="traded"), _row(3, pupil_funding="grant"), _row(4)]
    result = question_result(SURVEY.question("pupil_funding"), rows)
    assert result.answered == 3
    shares = {s.code: (s.count, round(s.percent, 1)) for s in result.shares}
    assert shares["traded"] == (2, 66.7) and shares["grant"] == (1, 33.3) and shares["mixed"] == (0, 0.0)


def test_numbers_give_mean_median_quartiles_and_range_with_dont_know_counted():
    rows = [_row(i, share_spend=v) for i, v in enumerate([10, 20, 30, 40, "dont_know"], start=1)]
    result = question_result(SURVEY.question("share_spend"), rows)
    s = result.numbers
    assert (result.answered, result.dont_know, s.n) == (5, 1, 4)
    # 10, 20, 30, 40: mean 25, median 25, Q1 = 17.5 and Q3 = 32.5 (linear interpolation), range 10-40.
    assert (s.mean, s.median, s.q1, s.q3, s.minimum, s.maximum) == (25, 25, 17.5, 32.5, 10, 40)


def test_matrix_rows_and_user_grid_categories():
    rows = [
        _row(1, service_level={"school_staff": "same", "pupils": "none"}, users={"office_staff": 100, "pupils": 1000}),
        _row(2, service_level={"school_staff": "separate", "pupils": "none"}, users={"office_staff": 300, "pupils": 0}),
    ]
    matrix = question_result(SURVEY.question("service_level"), rows)
    pupils = dict((label, (shares, n)) for label, shares, n in matrix.rows)["Pupils"]
    assert pupils[1] == 2 and [s.count for s in pupils[0]] == [0, 0, 0, 2]
    grid = question_result(SURVEY.question("users"), rows)
    office = dict(grid.categories)["Office-based staff"]
    assert (office.n, office.total, office.median) == (2, 400, 200)
    assert dict(grid.categories)["Total users"].total == 1400


def test_headline_by_council_type_flags_small_groups_and_reports_pupil_service():
    rows = [
        _row(
            i,
            council_type="county",
            provides_education="yes",
            service_level={"school_staff": "same", "pupils": "separate"},
        )
        for i in range(6)
    ]
    rows += [_row(10 + i, council_type="district", provides_education="no") for i in range(3)]
    result = headline(SURVEY, rows)
    assert (result.overall.supporting, result.overall.n) == (6, 9)
    county, district = result.by_council_type
    assert (county.label, county.percent, county.small) == ("County council", 100.0, False)
    assert (district.percent, district.small) == (0.0, True)
    assert result.pupil_service_n == 6 and result.pupil_service[1].count == 6
    assert result.verdict in ("the majority", "not clearly either: the interval includes half")


def test_crosstab_counts_and_column_percentages():
    rows = [
        _row(1, council_type="county", provides_education="yes"),
        _row(2, council_type="county", provides_education="no"),
        _row(3, council_type="district", provides_education="no"),
        _row(4, council_type="district"),
    ]  # did not answer: left out
    table = crosstab(SURVEY, rows, "provides_education", "council_type")
    assert table.column_labels == ["County council", "District council"]
    assert table.row_labels == ["Yes", "No"]
    assert table.counts == [[1, 0], [1, 1]] and table.column_n == [2, 1]
    assert table.percent(0, 0) == 50.0 and table.percent(1, 1) == 100.0


def test_crosstab_of_a_multiple_choice_counts_each_option():
    rows = [
        _row(1, region="london", education_settings=["special", "pru"]),
        _row(2, region="london", education_settings=["special"]),
    ]
    table = crosstab(SURVEY, rows, "education_settings", "region")
    assert table.row_labels == ["Special schools", "Pupil referral units"]
    assert table.counts == [[2], [1]] and table.column_n == [2]


def test_free_text_shows_region_and_council_type_not_the_name():
    rows = [
        _row(
            1,
            region="london",
            council_type="london-borough",
            provides_education="yes",
            pupils_reason="Pupils are real users.",
        )
    ]
    [(question, texts)] = free_texts(SURVEY, rows)
    assert question.id == "pupils_reason"
    assert (texts[0].text, texts[0].region, texts[0].council_type) == (
        "Pupils are real users.",
        "London",
        "London borough",
    )
    assert "Org 1" not in repr(texts[0])


def test_members_see_medians_only_with_enough_responses_and_never_small_groups():
    rows = [_row(i, council_type="county" if i < 6 else "district", ict_staff_fte=float(i)) for i in range(1, 13)]
    mine = rows[0]
    figures = {f.label: f for f in member_comparison(SURVEY, rows, mine)}
    fte = figures["The number of ICT staff"]
    assert (fte.yours, fte.median_all, fte.n_all) == (1.0, 6.5, 12)
    assert (fte.median_type, fte.n_type) == (3.0, 5)  # counties 1-5
    district = rows[-1]
    assert {f.label: f for f in member_comparison(SURVEY, rows, district)}[
        "The number of ICT staff"
    ].median_type == 9.0  # districts 6-12: 7 of them
    assert member_comparison(SURVEY, rows[:9], mine) is None  # fewer than 10 submitted
    few = [_row(i, council_type="county" if i < 4 else "district", ict_staff_fte=float(i)) for i in range(1, 13)]
    assert {f.label: f for f in member_comparison(SURVEY, few, few[0])}["The number of ICT staff"].median_type is None


def test_filters_describe_what_they_select():
    assert Filters().describe() == "All responding organisations"
    assert Filters(regions=("wales",), council_types=("welsh",), education="yes").describe() == (
        "Responding welsh councils in Wales that provide ICT services to schools or pupils"
    )


# --- the pages ------------------------------------------------------------------------------------


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


def test_free_text_becomes_passages_for_the_analysis_without_names():
    from app.passages import Passage, passage_id
    from app.surveys.results.free_text import free_text_passages

    rows = [
        _row(
            1,
            region="wales",
            council_type="welsh",
            provides_education="yes",
            pupils_reason="Pupils count.",
            pupil_funding="other",
            pupil_funding__other="Charity funding",
        )
    ]
    passages = free_text_passages(SURVEY, rows)
    assert passages == [
        Passage(
            id=passage_id("survey", "response:1:pupil_funding__other", "Charity funding", 1),
            source_kind="survey",
            source_ref={"response": 1, "question": "pupil_funding__other", "sentence": 1},
            text="Charity funding",
            start=0,
            end=15,
            section="pupil_funding__other",
            source_key="response:1:pupil_funding__other",
            section_label="How are the ICT services that pupils use mainly funded?",
            region="wales",
            council_type="welsh",
            supports_schools=True,
        ),
        Passage(
            id=passage_id("survey", "response:1:pupils_reason", "Pupils count.", 1),
            source_kind="survey",
            source_ref={"response": 1, "question": "pupils_reason", "sentence": 1},
            text="Pupils count.",
            start=0,
            end=13,
            section="pupils_reason",
            source_key="response:1:pupils_reason",
            section_label="Why do you say that?",
            region="wales",
            council_type="welsh",
            supports_schools=True,
        ),
    ]
    assert all(p.id.startswith("s-") and p.pseudonyms == () and p.note_kind is None for p in passages)
    assert "Org 1" not in repr(passages) and "R1" not in repr(passages)


def test_free_text_passages_are_sentences_with_offsets_into_the_answer_as_stored():
    from app.surveys.results.free_text import free_text_passages

    answer = "  Pupils count. Staff do too.\nSo do governors."
    rows = [_row(7, region="london", council_type="london-borough", provides_education="no", pupils_reason=answer)]
    passages = free_text_passages(SURVEY, rows)
    assert [(p.text, p.start, p.end, p.source_ref["sentence"]) for p in passages] == [
        ("Pupils count.", 2, 15, 1),
        ("Staff do too.", 16, 29, 2),
        ("So do governors.", 30, 46, 3),
    ]
    assert all(answer[p.start : p.end] == p.text for p in passages)
    assert {(p.region, p.council_type, p.supports_schools) for p in passages} == {("london", "london-borough", False)}
    assert len({p.id for p in passages}) == 3


def test_a_survey_passage_id_survives_rereading_and_changes_with_the_text():
    from app.surveys.results.free_text import free_text_passages

    def read(reason):
        return free_text_passages(SURVEY, [_row(3, provides_education="yes", pupils_reason=reason)])

    first, again = read("Pupils are users too."), read("Pupils are users too.")
    assert [p.id for p in first] == [p.id for p in again]
    changed = read("Pupils are users as well.")
    assert changed[0].id != first[0].id
    elsewhere = free_text_passages(SURVEY, [_row(4, provides_education="yes", pupils_reason="Pupils are users too.")])
    assert elsewhere[0].id != first[0].id  # another response's identical answer is another passage


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
