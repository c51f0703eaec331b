"""The double-coding pages through the test client: setting up, blind coding, agreement, resolution,
with bad input, tampered ids, people who are not the round's coders and two studies."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.analysis import rounds
from app.analysis.models import Code, CodingRound
from app.extensions import db
from tests.analysis.test_rounds import code_all, set_up, study_with_passages
from tests.conftest import page_text, sign_in


def as_user(client, user):
    """Sign `client` in as `user` (signing out whoever was signed in)."""
    client.post("/sign-out")
    assert sign_in(client, user.email).status_code == 302
    return client


def base(study, coding_round=None) -> str:
    return f"/analysis/{study.id}/rounds" + (f"/{coding_round.id}" if coding_round else "")


def round_count() -> int:
    return db.session.scalar(select(func.count(CodingRound.id)))


# Setting up


def test_a_lead_sets_up_a_round_from_the_form(app, client, make_user):
    study = study_with_passages()
    lead = make_user("lead_analyst", name="Lee Lead")
    analyst = make_user("analyst", name="Ann Analyst")
    as_user(client, lead)
    empty = page_text(client.get(base(study)))
    assert "There are no double-coding rounds in this study yet" in empty and "Set up a round" in empty
    form = page_text(client.get(f"{base(study)}/new"))
    assert 'value="15"' in form  # every passage, as there are fewer than 30
    assert "Ann Analyst (" in form and "Lee Lead (" in form
    response = client.post(
        f"{base(study)}/new",
        data={"title": "Spring check", "sample_size": "4", "coder_a": str(analyst.id), "coder_b": str(lead.id)},
    )
    assert response.status_code == 302 and response.headers["Location"] == base(study)
    coding_round = db.session.scalar(select(CodingRound))
    assert (coding_round.title, coding_round.sample_size, len(coding_round.items)) == ("Spring check", 4, 4)
    listing = page_text(client.get(base(study), follow_redirects=True))
    assert "Spring check" in listing and listing.count("0 of 4 coded") == 2
    assert "Continue coding" in listing  # the lead is coder B


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sample_size": "0"}, "The sample size must be between 1 and 15"),
        ({"sample_size": "16"}, "The sample size must be between 1 and 15"),
        ({"sample_size": "99999999999999999999999999"}, "The sample size must be"),
        ({"sample_size": "1e1000000"}, "The sample size must be a whole number of passages, like 30"),
        ({"sample_size": "١٢"}, "The sample size must be a whole number of passages, like 30"),
        ({"sample_size": "9" * 5000}, "The sample size must be 40 characters or fewer"),
        ({"sample_size": "  "}, "Enter the sample size, as a whole number"),
        ({"coder_b": "same"}, "Choose two different people: coder B cannot also be coder A"),
        ({"coder_a": ""}, "Choose coder A from the list of analysts"),
        ({"coder_b": "99999999999999999999"}, "Choose coder B from the list of analysts"),
        ({"coder_b": "member"}, "Choose coder B from the list of analysts"),
        ({"title": "   "}, "Enter a title for the round"),
        ({"title": "x" * 201}, "The title must be 200 characters or fewer"),
    ],
)
def test_a_round_with_bad_input_is_refused_in_words_with_the_input_kept(app, client, make_user, changes, message):
    study = study_with_passages()
    lead = make_user("lead_analyst")
    analyst = make_user("analyst")
    member = make_user("member")
    data = {"title": "Spring check", "sample_size": "3", "coder_a": str(analyst.id), "coder_b": str(lead.id)}
    data.update(changes)
    data["coder_b"] = {"same": str(analyst.id), "member": str(member.id)}.get(data["coder_b"], data["coder_b"])
    as_user(client, lead)
    response = client.post(f"{base(study)}/new", data=data)
    text = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in text and message in text
    assert "govuk-form-group--error" in text
    if "sample_size" in changes and changes["sample_size"].strip():
        assert f'value="{changes["sample_size"]}"' in text  # what they typed is shown back
    assert round_count() == 0


def test_a_study_without_passages_says_so_instead_of_a_form(app, client, make_user):
    from app.focus_groups.studies.services import create_study

    study = create_study("Nothing read yet")
    db.session.commit()
    as_user(client, make_user("lead_analyst"))
    text = page_text(client.get(f"{base(study)}/new"))
    assert "This study has no passages to sample yet" in text and "Set up the round" not in text


def test_analysts_who_are_not_leads_cannot_set_up_or_delete_rounds(app, client, make_user):
    study, coding_round, coder_a, _ = set_up(make_user, size=2)
    as_user(client, coder_a)
    assert client.get(f"{base(study)}/new").status_code == 403
    assert client.post(f"{base(study, coding_round)}/delete").status_code == 403
    assert "Set up a round" not in page_text(client.get(base(study)))
    assert round_count() == 1


def test_a_round_is_deleted_only_after_confirmation(app, client, make_user):
    study, coding_round, _, lead = set_up(make_user, size=2)
    as_user(client, lead)
    confirm = page_text(client.get(f"{base(study, coding_round)}/delete"))
    assert "Delete ‘First check’?" in confirm and "It cannot be undone" in confirm
    assert round_count() == 1
    response = client.post(f"{base(study, coding_round)}/delete")
    assert response.status_code == 302 and round_count() == 0
    assert "Round ‘First check’ deleted." in page_text(client.get(base(study)))


# Blind coding


def test_a_coder_sees_only_the_passage_and_the_themes(app, client, make_user):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=3)
    first = coding_round.items[0]
    db.session.add(
        Code(study_id=study.id, passage_id=first.passage_id, theme="data-availability", status="suggested",
             origin="suggested", confidence=0.93, evidence=[[0, 6]], codebook_version=1)
    )  # fmt: skip
    db.session.commit()
    rounds.save_coding(first, "b", ["demand-and-strain"], by=coder_b)
    as_user(client, coder_a)
    response = client.get(f"{base(study, coding_round)}/code")
    text = page_text(response)
    assert response.status_code == 200
    assert "Passage 1 of 3" in text and first.passage.text in text
    assert "You have coded 0 of 3 passages" in text
    codebook = rounds.round_codebook(coding_round)
    for theme in codebook.themes:
        assert f'value="{theme.slug}"' in text and theme.definition in text
    assert "None of these themes applies" in text
    assert "checked" not in text  # not coder B's theme, not the tagger's suggestion
    assert "0.93" not in text and "Suggest" not in text and "<mark" not in text


def test_coding_saves_moves_on_and_an_earlier_passage_can_be_changed(app, client, make_user):
    study, coding_round, coder_a, _ = set_up(make_user, size=3)
    first, second, _ = coding_round.items
    as_user(client, coder_a)
    url = f"{base(study, coding_round)}/items/{first.id}/code"
    response = client.post(url, data={"themes": ["pupils-and-schools", "user-categories"]})
    assert response.status_code == 302 and response.headers["Location"] == f"{base(study, coding_round)}/code"
    text = page_text(client.get(response.headers["Location"]))
    assert "Passage 2 of 3" in text and second.passage.text in text and "You have coded 1 of 3" in text
    assert "Previous passage (1 of 3)" in text
    back = page_text(client.get(url))
    assert re.search(r'value="pupils-and-schools" checked', back) and re.search(
        r'value="user-categories" checked', back
    )
    assert "You have coded this passage already" in back
    client.post(url, data={"none": "y"})
    assert rounds.themes_of(db.session.get(type(first), first.id), "a") == []
    assert 'data-behaviour="exclusive" checked' not in back
    assert re.search(r'value="y" checked data-behaviour="exclusive"', page_text(client.get(url)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the themes that apply, or ‘None of these themes applies’"),
        ({"themes": ["user-definitions"], "none": "y"}, "not both"),
        ({"themes": ["made-up-theme"]}, "Choose themes from the list"),
    ],
)
def test_coding_with_bad_input_is_refused_in_words(app, client, make_user, data, message):
    study, coding_round, coder_a, _ = set_up(make_user, size=2)
    item = coding_round.items[0]
    as_user(client, coder_a)
    response = client.post(f"{base(study, coding_round)}/items/{item.id}/code", data=data)
    text = page_text(response)
    assert response.status_code == 200 and "There is a problem" in text and message in text
    assert 'href="#themes"' in text and "Passage 1 of 2" in text
    assert item.coded_a_at is None


def test_once_everything_is_coded_the_coder_is_told_and_the_round_locks(app, client, make_user):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=2)
    code_all(coding_round, coder_a, coder_b, [(["user-definitions"], None), ([], None)])
    as_user(client, coder_a)
    text = page_text(client.get(f"{base(study, coding_round)}/code"))
    assert "You have coded all 2 passages" in text and "has coded 0 of 2" in text
    code_all(coding_round, coder_a, coder_b, [(None, []), (None, [])])
    text = page_text(client.get(f"{base(study, coding_round)}/code"))
    assert "This round is complete" in text
    item = coding_round.items[0]
    response = client.post(f"{base(study, coding_round)}/items/{item.id}/code", data={"none": "y"})
    assert response.status_code == 200 and "This round is complete" in page_text(response)
    assert rounds.themes_of(item, "a") == ["user-definitions"]


@pytest.mark.parametrize("role", ["analyst", "lead_analyst", "admin"])
def test_nobody_but_the_rounds_coders_may_code_in_it(app, client, make_user, role):
    study, coding_round, _, _ = set_up(make_user, size=2)
    item = coding_round.items[0]
    as_user(client, make_user(role))
    assert client.get(f"{base(study, coding_round)}/code").status_code == 403
    assert client.get(f"{base(study, coding_round)}/items/{item.id}/code").status_code == 403
    assert client.post(f"{base(study, coding_round)}/items/{item.id}/code", data={"none": "y"}).status_code == 403
    assert item.coded_a_at is None and item.coded_b_at is None


def test_tampered_ids_and_other_studies_rounds_are_not_found(app, client, make_user):
    study, coding_round, coder_a, lead = set_up(make_user, size=2)
    other_study = study_with_passages("Another study")
    other_round = rounds.create_round(other_study, "Other", 2, coder_a.id, lead.id)
    foreign_item = other_round.items[0]
    item = coding_round.items[0]
    as_user(client, coder_a)
    for url in (
        f"/analysis/{other_study.id}/rounds/{coding_round.id}/code",  # a round of another study
        f"/analysis/{other_study.id}/rounds/{coding_round.id}/agreement",
        f"/analysis/{other_study.id}/rounds/{coding_round.id}/items/{item.id}/code",
        f"{base(study, coding_round)}/items/{foreign_item.id}/code",  # an item of another round
        f"{base(study, coding_round)}/items/99999999/code",
        f"{base(study)}/99999999/code",
        f"{base(study)}/99999999999999999999/agreement",
        "/analysis/99999999/rounds",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"{base(study, coding_round)}/items/{foreign_item.id}/code", data={"none": "y"}).status_code == 404
    )
    assert foreign_item.coded_a_at is None
    as_user(client, lead)
    assert client.post(f"/analysis/{other_study.id}/rounds/{coding_round.id}/delete").status_code == 404
    assert client.get(f"{base(study, coding_round)}/items/{foreign_item.id}/resolve").status_code == 404
    assert round_count() == 2


# Agreement and resolution


DISAGREEING = [
    (["pupils-and-schools"], ["pupils-and-schools"]),
    (["pupils-and-schools", "demand-and-strain"], ["pupils-and-schools"]),
    ([], []),
    (["user-definitions"], ["data-availability"]),
]


def test_an_analyst_sees_the_figures_over_passages_both_have_coded(app, client, make_user):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=5)
    code_all(coding_round, coder_a, coder_b, [*DISAGREEING, (["user-definitions"], None)])
    as_user(client, make_user("analyst"))
    text = page_text(client.get(f"{base(study, coding_round)}/agreement"))
    assert "The figures count only the 4 passages both have coded" in text
    assert "Krippendorff's alpha (MASI)" in text and "Cohen's kappa" in text
    words = re.sub(r"<[^>]+>", "", text)
    assert "0.80 or more is reliable" in words and "from 0.667 it is tentative" in words
    assert "Reliable" in text and "Undefined" in text
    assert "Both coders never used this theme, so kappa is undefined" in text
    assert "Disagreements" not in text  # the coders' own themes are for leads only


def test_a_coder_of_an_unfinished_round_sees_no_figures_and_no_codes(app, client, make_user):
    study, coding_round, coder_a, lead = set_up(make_user, size=5)  # the lead is coder B
    code_all(coding_round, coder_a, lead, DISAGREEING)
    for coder in (coder_a, lead):
        as_user(client, coder)
        text = page_text(client.get(f"{base(study, coding_round)}/agreement"))
        assert "The figures and the disagreements appear once both of you have coded every passage" in text
        assert "Cohen's kappa" not in text and "Disagreements" not in text
    item = coding_round.items[1]
    assert client.get(f"{base(study, coding_round)}/items/{item.id}/resolve").status_code == 403


def test_a_lead_sees_the_disagreements_side_by_side_and_resolves_one(app, client, make_user):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=4)
    code_all(coding_round, coder_a, coder_b, DISAGREEING)
    lead = make_user("lead_analyst", name="Lena Lead")
    as_user(client, lead)
    text = page_text(client.get(f"{base(study, coding_round)}/agreement"))
    assert "Disagreements (2)" in text
    assert "Passage 2 of 4" in text and "Passage 4 of 4" in text and "Passage 1 of 4" not in text
    assert "Coder A (Ada Analyst)" in text and "Coder B (Bo Lead)" in text
    item = coding_round.items[1]
    assert item.passage.text in text
    response = client.post(
        f"{base(study, coding_round)}/items/{item.id}/resolve",
        data={"themes": ["pupils-and-schools"], "note": "Strain is not in it.", "return_page": "1e1000000"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base(study, coding_round)}/agreement#disagreements"
    accepted = db.session.scalars(
        select(Code.theme).where(Code.passage_id == item.passage_id, Code.status == "accepted")
    ).all()
    assert accepted == ["pupils-and-schools"]
    text = page_text(client.get(f"{base(study, coding_round)}/agreement"))
    assert "Resolved by Lena Lead" in text and "Strain is not in it." in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the themes that apply, or ‘None of these themes applies’"),
        ({"themes": ["user-definitions"], "none": "y"}, "not both"),
        ({"themes": ["no-such-theme"]}, "Choose themes from the list"),
        ({"none": "y", "note": "x" * 2001}, "The note must be 2000 characters or fewer"),
    ],
)
def test_a_resolution_with_bad_input_is_refused_in_words(app, client, make_user, data, message):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=4)
    code_all(coding_round, coder_a, coder_b, DISAGREEING)
    as_user(client, make_user("lead_analyst"))
    item = coding_round.items[3]
    response = client.post(f"{base(study, coding_round)}/items/{item.id}/resolve", data=data)
    text = page_text(response)
    assert response.status_code == 200 and "There is a problem" in text and message in text
    assert "Resolve passage 4" in text
    assert item.resolved_at is None and db.session.scalar(select(func.count(Code.id))) == 0


def test_only_leads_resolve_and_only_what_both_have_coded(app, client, make_user):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=4)
    code_all(coding_round, coder_a, coder_b, [*DISAGREEING[:3], (["user-definitions"], None)])
    as_user(client, make_user("analyst"))
    done, half = coding_round.items[1], coding_round.items[3]
    assert client.post(f"{base(study, coding_round)}/items/{done.id}/resolve", data={"none": "y"}).status_code == 403
    as_user(client, make_user("lead_analyst"))
    assert client.get(f"{base(study, coding_round)}/items/{half.id}/resolve").status_code == 404
    assert client.post(f"{base(study, coding_round)}/items/{half.id}/resolve", data={"none": "y"}).status_code == 404
    assert done.resolved_at is None and half.resolved_at is None


def test_disagreements_are_paginated(app, client, make_user):
    notes = [f"Note {n} says pupils need devices." for n in range(14)]
    study = study_with_passages("Paged", notes=notes, debrief="")
    _, coding_round, coder_a, coder_b = set_up(make_user, size=14, study=study)
    code_all(coding_round, coder_a, coder_b, [(["user-definitions"], [])] * 14)
    as_user(client, make_user("lead_analyst"))
    first = page_text(client.get(f"{base(study, coding_round)}/agreement"))
    assert "Disagreements (14)" in first and "Showing 1 to 10 of 14" in first
    second = page_text(client.get(f"{base(study, coding_round)}/agreement?page=2"))
    assert "Showing 11 to 14 of 14" in second and "Passage 11 of 14" in second
    hostile = client.get(f"{base(study, coding_round)}/agreement?page=1e1000000")
    assert hostile.status_code == 200 and "Showing 1 to 10 of 14" in page_text(hostile)


def test_a_coder_sees_no_codes_or_suggestions_of_their_blind_passages_anywhere(client, make_user, study_with_notes):
    """Until both coders have coded a passage of their round, the passage and review pages hide its codes."""
    from sqlalchemy import select

    from app.analysis.models import AnalysisPassage, Code
    from app.analysis.rounds import create_round
    from app.analysis.services import tag_study
    from app.extensions import db
    from tests.conftest import sign_in

    study, _slot, _notes = study_with_notes
    tag_study(study.id)
    coder, other, lead = make_user("analyst"), make_user("analyst"), make_user("lead_analyst")
    passages = db.session.scalars(select(AnalysisPassage).where(AnalysisPassage.study_id == study.id)).all()
    coding_round = create_round(study, "Blind", len(passages), coder.id, other.id, by=lead)
    suggested = db.session.scalar(select(Code).where(Code.study_id == study.id, Code.status == "suggested"))
    sign_in(client, coder.email)
    page = client.get(f"/analysis/{study.id}/passages/{suggested.passage_id}").get_data(as_text=True)
    assert "double-coding this passage blind" in page and "Unreviewed suggestion" not in page
    listing = client.get(f"/analysis/{study.id}/passages?suggestions=1").get_data(as_text=True)
    assert "(unreviewed)" not in listing and "Codes hidden while you double-code" in listing
    assert 'name="code_id"' not in client.get(f"/analysis/{study.id}/review").get_data(as_text=True)
    client.post("/sign-out")
    sign_in(client, lead.email)  # not a coder of the round: sees everything
    assert "Unreviewed suggestion" in client.get(f"/analysis/{study.id}/passages/{suggested.passage_id}").get_data(
        as_text=True
    )
    assert coding_round.id
