"""What awaits review in each study, as analysts' home pages show it (app/analysis/studies.py, hook `HOME`)."""

from __future__ import annotations

from sqlalchemy import update

from app.analysis import rounds
from app.analysis.models import Code
from app.analysis.studies import analyst_work
from app.extensions import db
from tests.analysis.test_rounds import passages_of, study_with_passages
from tests.conftest import page_text, sign_in


def _suggest(study, passages, theme: str = "pupils-and-schools") -> list[Code]:
    codes = [
        Code(
            study_id=study.id, passage_id=p.id, theme=theme, status="suggested", origin="suggested", codebook_version=1
        )
        for p in passages
    ]
    db.session.add_all(codes)
    db.session.commit()
    return codes


def test_each_study_says_what_awaits_review_and_what_the_analyst_has_to_double_code(app, make_user):
    study = study_with_passages()
    quiet = study_with_passages(title="Last year's study", notes=(), debrief="")
    passages = passages_of(study)
    _suggest(study, passages[:3])
    decided = _suggest(study, passages[3:5], theme="user-categories")
    db.session.execute(
        update(Code).where(Code.id.in_([c.id for c in decided])).values(status="accepted", needs_review=True)
    )
    db.session.commit()
    coder, other = make_user("analyst"), make_user("lead_analyst")
    coding_round = rounds.create_round(study, "First check", 4, coder.id, other.id, by=other)
    rounds.save_coding(coding_round.items[0], "a", [], by=coder)

    work = {item.summary.study.title: item for item in analyst_work(coder)}
    mine = work["Who are our users?"]
    assert (mine.summary.pending, mine.recheck, mine.to_review, mine.to_double_code) == (3, 2, 5, 3)
    assert analyst_work(other)[-1].to_double_code == 4  # the other coder has coded nothing yet
    assert (work["Last year's study"].to_review, work["Last year's study"].to_double_code) == (0, 0)
    assert quiet.id in {item.summary.study.id for item in analyst_work(coder)}


def test_the_analysts_home_leads_to_each_studys_review(client, make_user):
    study = study_with_passages()
    _suggest(study, passages_of(study)[:2])
    analyst = make_user("analyst")
    sign_in(client, analyst.email)
    page = page_text(client.get("/"))
    assert "Analysis" in page and "Who are our users?" in page
    assert "2 suggested codes" in page and f'href="/analysis/{study.id}/review"' in page
    assert 'href="/analysis/"' in page and "Go to the analysis" in page
    assert 'href="/surveys/results/"' in page


def test_the_analysts_home_without_studies_says_so(client, make_user):
    sign_in(client, make_user("lead_analyst").email)
    assert "There are no studies to analyse yet." in page_text(client.get("/"))
