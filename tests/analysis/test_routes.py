"""The analysis pages through the test client: reading and tagging a study, the passages and their
filters, coding by hand (whole passage or a span), the review queue, and bad or tampered input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.analysis.models import AnalysisPassage, Code, StudySurvey
from app.extensions import db
from tests.conftest import sign_in


@pytest.fixture
def analyst(client, make_user):
    person = make_user("analyst", name="Ana Lyst")
    sign_in(client, person.email)
    return person


def _tag(client, study) -> str:
    response = client.post(f"/analysis/{study.id}/tag", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _passage(study, starts: str) -> AnalysisPassage:
    return db.session.scalar(
        select(AnalysisPassage).where(AnalysisPassage.study_id == study.id, AnalysisPassage.text.startswith(starts))
    )


def test_an_analyst_reads_and_tags_a_study_and_sees_what_awaits_review(client, analyst, study_with_notes):
    study, _slot, _notes = study_with_notes
    page = client.get("/analysis/").get_data(as_text=True)
    assert study.title in page and f"/analysis/{study.id}/" in page
    assert "Nothing has been read yet" in client.get(f"/analysis/{study.id}/").get_data(as_text=True)
    result = _tag(client, study)
    assert "Passages read and tagged" in result and "New sentences" in result
    overview = client.get(f"/analysis/{study.id}/").get_data(as_text=True)
    assert "4 sentences" in overview
    assert "Pupils and schools" in overview
    pending = db.session.scalars(select(Code).where(Code.study_id == study.id, Code.status == "suggested")).all()
    assert any(code.theme == "pupils-and-schools" for code in pending)
    assert all(code.codebook_version == 1 for code in pending)


def test_passages_show_pseudonyms_never_names_and_filter_by_attributes(client, analyst, study_with_notes):
    study, _slot, _notes = study_with_notes
    _tag(client, study)
    page = client.get(f"/analysis/{study.id}/passages").get_data(as_text=True)
    assert "P1 said their traded SLA" in page and "Coffee break" in page
    assert "Priya Shah" not in page and "Tom Evans" not in page
    wales = client.get(f"/analysis/{study.id}/passages?region=wales").get_data(as_text=True)
    assert "P2 counts only office staff" in wales and "P1 said" not in wales
    nothing = client.get(f"/analysis/{study.id}/passages?theme=pupils-and-schools").get_data(as_text=True)
    assert "No passage matches these filters" in nothing  # suggestions count only once accepted
    unreviewed = client.get(f"/analysis/{study.id}/passages?theme=pupils-and-schools&suggestions=1")
    assert "(unreviewed)" in unreviewed.get_data(as_text=True)
    ignored = client.get(f"/analysis/{study.id}/passages?region=atlantis&theme=nope&page=99999999999999")
    assert ignored.status_code == 200


def test_coding_a_span_by_hand_records_coder_origin_and_evidence(client, analyst, study_with_notes):
    study, _slot, _notes = study_with_notes
    _tag(client, study)
    passage = _passage(study, "Coffee break")
    url = f"/analysis/{study.id}/passages/{passage.id}"
    response = client.post(url, data={"theme": "user-definitions", "start": "0", "end": "6"})
    assert response.status_code == 302
    code = db.session.scalar(select(Code).where(Code.passage_id == passage.id, Code.theme == "user-definitions"))
    assert (code.status, code.origin, code.coder_id, code.evidence) == ("accepted", "hand", analyst.id, [[0, 6]])
    page = client.get(url).get_data(as_text=True)
    assert "Coded by hand" in page and "Ana Lyst" in page and '<mark class="app-evidence">Coffee</mark>' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"theme": "not-a-theme"}, "Choose a theme from the list"),
        ({"theme": ""}, "Choose a theme"),
        ({"theme": "user-definitions", "start": "5", "end": "2"}, "Select part of the passage"),
        ({"theme": "user-definitions", "start": "0", "end": "9" * 5000}, "Select part of the passage"),
        ({"theme": "user-definitions", "start": "1e1000000", "end": "3"}, "Select part of the passage"),
    ],
)
def test_bad_hand_coding_is_refused_in_words(client, analyst, study_with_notes, data, message):
    study, _slot, _notes = study_with_notes
    _tag(client, study)
    passage = _passage(study, "Coffee break")
    response = client.post(f"/analysis/{study.id}/passages/{passage.id}", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert db.session.scalar(select(Code).where(Code.passage_id == passage.id, Code.status == "accepted")) is None


def test_the_review_queue_accepts_rejects_skips_and_changes_themes(client, analyst, study_with_notes):
    study, _slot, _notes = study_with_notes
    _tag(client, study)
    url = f"/analysis/{study.id}/review"
    first = client.get(url).get_data(as_text=True)
    code_id = int(re.search(r'name="code_id" value="(\d+)"', first).group(1))
    assert client.post(url, data={"code_id": code_id, "action": "accept"}).status_code == 302
    decided = db.session.get(Code, code_id)
    assert (decided.status, decided.coder_id) == ("accepted", analyst.id)
    assert decided.decided_at is not None
    following = client.get(url).get_data(as_text=True)
    assert f'name="code_id" value="{code_id}"' not in following
    assert "Precision" in following
    remaining = db.session.scalars(select(Code).where(Code.study_id == study.id, Code.status == "suggested")).all()
    for code in remaining:
        client.post(url, data={"code_id": code.id, "action": "skip"})
    assert "skipped every remaining suggestion" in client.get(url).get_data(as_text=True)
    again = client.get(url + "?restart=1").get_data(as_text=True)
    assert 'name="code_id"' in again
    if remaining:
        target = remaining[0]
        other = "data-availability" if target.theme != "data-availability" else "user-definitions"
        client.post(url, data={"code_id": target.id, "action": "change", "new_theme": other})
        db.session.expire_all()
        assert db.session.get(Code, target.id).status == "rejected"
        changed = db.session.scalar(select(Code).where(Code.passage_id == target.passage_id, Code.theme == other))
        assert (changed.status, changed.origin) == ("accepted", "hand")


def test_tampered_and_foreign_ids_answer_not_found(client, analyst, study_with_notes, make_study):
    study, _slot, _notes = study_with_notes
    _tag(client, study)
    other = make_study(title="Another study")
    passage = _passage(study, "Coffee break")
    code = db.session.scalar(select(Code).where(Code.study_id == study.id))
    assert client.get(f"/analysis/{other.id}/passages/{passage.id}").status_code == 404
    assert client.post(f"/analysis/{other.id}/codes/{code.id}", data={"action": "accept"}).status_code == 404
    assert client.post(f"/analysis/{other.id}/review", data={"code_id": code.id, "action": "accept"}).status_code == 404
    assert client.get(f"/analysis/{study.id}/passages/{'9' * 5000}").status_code == 404
    assert client.get(f"/analysis/{'9' * 5000}/").status_code == 404
    response = client.post(f"/analysis/{study.id}/review", data={"code_id": "9" * 5000, "action": "accept"})
    assert response.status_code == 404


def test_only_lead_analysts_choose_the_surveys_feeding_a_study(client, make_user, study_with_notes, submitted_answer):
    study, _slot, _notes = study_with_notes
    survey, _response = submitted_answer("Pupils are users too and we count them.")
    analyst = make_user("analyst")
    sign_in(client, analyst.email)
    assert client.get(f"/analysis/{study.id}/surveys").status_code == 403
    client.post("/sign-out")
    lead = make_user("lead_analyst")
    sign_in(client, lead.email)
    assert client.post(f"/analysis/{study.id}/surveys", data={"surveys": ["999"]}).status_code == 200
    assert client.post(f"/analysis/{study.id}/surveys", data={"surveys": [str(survey.id)]}).status_code == 302
    assert db.session.get(StudySurvey, (study.id, survey.id)) is not None
    _tag(client, study)
    page = client.get(f"/analysis/{study.id}/passages?source=survey").get_data(as_text=True)
    assert "Pupils are users too" in page and "Survey answer" in page


def test_an_analysts_home_page_leads_to_the_analysis_and_says_what_awaits_review(client, analyst, study_with_notes):
    study, _slot, _notes = study_with_notes
    _tag(client, study)
    pending = db.session.scalar(select(func.count(Code.id)).where(Code.status == "suggested"))
    page = client.get("/").get_data(as_text=True)
    assert "Go to the analysis" in page and 'href="/analysis/"' in page
    assert f"{pending} suggested code" in page


def test_members_home_page_says_nothing_of_the_analysis(client, make_user):
    member = make_user("member")
    sign_in(client, member.email)
    assert "Go to the analysis" not in client.get("/").get_data(as_text=True)


def test_the_overview_says_when_the_sources_changed_since_they_were_read(client, analyst, study_with_notes):
    from app.focus_groups.notes.taking import NoteInput, add_note

    study, slot, _notes = study_with_notes
    _tag(client, study)
    assert "have changed since they were last read" not in client.get(f"/analysis/{study.id}/").get_data(as_text=True)
    add_note(slot, NoteInput("P3 said residents on the library PCs are users too."))
    db.session.commit()
    page = client.get(f"/analysis/{study.id}/").get_data(as_text=True)
    assert "have changed since they were last read: 1 new or edited sentence" in page
    _tag(client, study)
    assert "have changed since they were last read" not in client.get(f"/analysis/{study.id}/").get_data(as_text=True)


def test_the_tagging_job_learns_its_total_once_it_has_read_the_sources(client, analyst, study_with_notes):
    from app.jobs.models import Job

    study, _slot, _notes = study_with_notes
    client.post(f"/analysis/{study.id}/tag")
    job = db.session.scalar(select(Job).where(Job.kind == "analysis_tag"))
    assert (job.status, job.done, job.total, job.percent) == ("done", 4, 4, 100)
