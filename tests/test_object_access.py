"""Object-level access (ASVS 5.0 V8): two organisations, two studies, two sessions, two of each object.
For each kind of object, someone with access to the first cannot read or change the second: it is not
found (404) when it is reached through the wrong parent, and refused (403) when their role allows the
page but not that object."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.focus_groups.models import GuideQuestion, Slot, Study, Volunteer
from app.focus_groups.notes.models import Note
from app.focus_groups.notes.taking import NoteInput, add_note
from app.focus_groups.services import volunteer_token
from app.jobs.models import Job
from app.organisations.models import Organisation
from app.surveys.invitations.services import invite_organisation
from app.surveys.models import Answer, Response
from app.surveys.services import ensure_default_survey
from tests.conftest import page_text, sign_in
from tests.focus_groups.conftest import make_study, make_volunteer  # noqa: F401 - the focus-group factories
from tests.focus_groups.notes.support import make_session
from tests.surveys.conftest import answer_page


@dataclass
class Side:
    """One of the two: an organisation with its member, a study with its session, facilitator and note."""

    organisation: Organisation
    member: object
    study: Study
    slot: Slot
    facilitator: object
    note: Note
    volunteer: Volunteer
    question: GuideQuestion
    analyst: object
    job: Job


@pytest.fixture
def sides(app, make_user, make_organisation, make_study, make_volunteer) -> tuple[Side, Side]:  # noqa: F811
    survey = ensure_default_survey()
    built = []
    for number in (1, 2):
        organisation = make_organisation(f"Council {number}", contact_email=f"ict@council{number}.example")
        assert invite_organisation(survey, organisation) is None
        member = make_user("member", organisation=organisation)
        facilitator = make_user("facilitator")
        slot = make_session(make_study, make_volunteer, facilitator=facilitator)
        note, _ = add_note(slot, NoteInput(f"Note of session {number}"))
        study = db.session.get(Study, slot.study_id)
        analyst = make_user("analyst")
        job = Job(kind="export", title=f"Export {number}", total=1, status="done", result={}, created_by_id=analyst.id)
        db.session.add(job)
        db.session.commit()
        built.append(
            Side(
                organisation,
                member,
                study,
                slot,
                facilitator,
                note,
                study.volunteers[0],
                study.questions[0],
                analyst,
                job,
            )
        )
    return built[0], built[1]


def _client(app, person):
    client = app.test_client()
    assert sign_in(client, person.email).status_code == 302
    return client


def test_survey_response_and_draft_answers(app, sides):
    one, two = sides
    first = _client(app, one.member)
    assert first.post("/surveys/schools-ict/start").status_code == 302
    assert answer_page(first, "provides", {"provides_education": "yes"}).status_code == 302
    ref_one = db.session.scalar(select(Response.reference).where(Response.organisation_id == one.organisation.id))
    second = _client(app, two.member)
    assert second.post("/surveys/schools-ict/start").status_code == 302
    page = page_text(second.get("/surveys/schools-ict/questions/provides"))
    assert ref_one not in page and one.organisation.name not in page
    # Posting with the other organisation's response reference changes nothing of theirs.
    response = second.post(
        "/surveys/schools-ict/questions/provides",
        data={"action": "continue", "response_ref": ref_one, "provides_education": "no"},
    )
    assert response.status_code == 400  # refused as a request no page of ours could send
    db.session.expire_all()
    answer = db.session.scalar(
        select(Answer.value).join(Response).where(Response.organisation_id == one.organisation.id)
    )
    assert answer == "yes"
    assert ref_one not in page_text(second.get("/surveys/schools-ict/check"))


def test_organisations_are_managed_only_by_organisers_and_admins(app, sides):
    one, two = sides
    member = _client(app, one.member)
    for url in (f"/organisations/{two.organisation.id}/edit", f"/organisations/{one.organisation.id}/edit"):
        assert member.get(url).status_code == 403
        assert member.post(url, data={"name": "Renamed"}).status_code == 403
    assert db.session.get(Organisation, two.organisation.id).name == "Council 2"


def test_a_studys_slots_questions_and_volunteers_are_not_found_through_another_study(app, sides, make_user):
    one, two = sides
    organiser = _client(app, make_user("organiser"))
    wrong = one.study.id
    for method, url in (
        ("GET", f"/focus-groups/{wrong}/slots/{two.slot.id}"),
        ("GET", f"/focus-groups/{wrong}/slots/{two.slot.id}/edit"),
        ("POST", f"/focus-groups/{wrong}/slots/{two.slot.id}/delete"),
        ("GET", f"/focus-groups/{wrong}/guide/{two.question.id}"),
        ("POST", f"/focus-groups/{wrong}/guide/{two.question.id}/delete"),
        ("GET", f"/focus-groups/{wrong}/volunteers/{two.volunteer.id}"),
        ("POST", f"/focus-groups/{wrong}/volunteers/{two.volunteer.id}/delete"),
    ):
        assert organiser.open(url, method=method).status_code == 404, (method, url)
    response = organiser.post(
        f"/focus-groups/{wrong}/groups/lock",
        data={"volunteer_id": two.volunteer.id, "slot_id": two.slot.id, "kind": "in"},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Slot, two.slot.id) is not None
    assert db.session.get(GuideQuestion, two.question.id) is not None
    assert db.session.get(Volunteer, two.volunteer.id) is not None


def test_a_facilitator_sees_only_their_own_session(app, sides):
    one, two = sides
    facilitator = _client(app, one.facilitator)
    assert facilitator.get(f"/focus-groups/sessions/{one.slot.id}").status_code == 200
    for method, url in (
        ("GET", f"/focus-groups/sessions/{two.slot.id}"),
        ("GET", f"/focus-groups/sessions/{two.slot.id}/notes"),
        ("POST", f"/focus-groups/sessions/{two.slot.id}/notes/new"),
        ("GET", f"/focus-groups/sessions/{two.slot.id}/debrief"),
        ("GET", f"/focus-groups/sessions/{two.slot.id}/proportions"),
        ("POST", f"/focus-groups/sessions/{two.slot.id}/notes/complete"),
        ("GET", f"/focus-groups/sessions/{two.slot.id}/notes.csv"),
        ("GET", f"/focus-groups/sessions/{two.slot.id}/notes/print"),
    ):
        assert facilitator.open(url, method=method, data={"text": "Sneaked in"}).status_code == 403, (method, url)
    assert db.session.scalar(select(func.count(Note.id)).where(Note.text == "Sneaked in")) == 0


def test_session_notes_are_not_found_through_another_session(app, sides, make_user):
    one, two = sides
    for person in (one.facilitator, make_user("organiser")):
        client = _client(app, person)
        for method, url in (
            ("GET", f"/focus-groups/sessions/{one.slot.id}/notes/{two.note.id}/edit"),
            ("POST", f"/focus-groups/sessions/{one.slot.id}/notes/{two.note.id}/edit"),
            ("POST", f"/focus-groups/sessions/{one.slot.id}/notes/{two.note.id}/delete"),
            ("POST", f"/focus-groups/sessions/{one.slot.id}/notes/{two.note.id}/restore"),
            ("GET", f"/focus-groups/sessions/{one.slot.id}/notes/{two.note.id}/history"),
        ):
            response = client.open(url, method=method, data={"text": "Overwritten"})
            assert response.status_code == 404, (person.email, method, url)
    db.session.expire_all()
    note = db.session.get(Note, two.note.id)
    assert note.text == "Note of session 2" and note.deleted_at is None


def test_a_volunteers_link_acts_only_for_that_volunteer(app, sides, client):
    one, two = sides
    own = volunteer_token(one.volunteer, "withdraw")
    signature = own.partition(".")[2]
    for purpose in ("withdraw", "respond"):
        forged = f"{two.volunteer.id}.{volunteer_token(one.volunteer, purpose).partition('.')[2]}"
        assert client.get(f"/focus-groups/{purpose}/{forged}").status_code == 404
        assert client.post(f"/focus-groups/{purpose}/{forged}", data={"confirm": "yes"}).status_code == 404
    assert client.get(f"/focus-groups/withdraw/{two.volunteer.id}.{signature}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Volunteer, two.volunteer.id).withdrawn_at is None


def test_a_job_and_its_export_are_only_for_whoever_started_it(app, sides):
    one, two = sides
    analyst = _client(app, one.analyst)
    assert analyst.get(f"/jobs/{one.job.id}").status_code == 200
    assert analyst.get(f"/jobs/{two.job.id}").status_code == 403
    assert analyst.get(f"/jobs/{two.job.id}/download").status_code == 403
