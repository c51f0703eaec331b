"""The recommendation's services: measures from live data against hand-computed figures, scores with the
shipped rules, decisions, sign-off, reopening and rules versions (locks, history, audit, who may)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.analysis.evidence import definition_movers, theme_quotes
from app.analysis.models import AnalysisPassage, ChosenQuote, Code, OutcomeDecision, ScoringRules
from app.analysis.recommendation import (
    RecommendationError,
    assess,
    current_decisions,
    current_rules,
    locked_by,
    record_decision,
    reopen,
    rules_versions,
    save_rules,
    sign_off,
)
from app.analysis.scoring import shipped_document
from app.analysis.services import link_surveys
from app.audit.models import AuditEvent
from app.extensions import db
from app.surveys.models import Response
from app.surveys.results.impact.model import DEFINITION_KEYS, impact
from app.surveys.services import ensure_default_survey

# Four organisations' answers (A to D), and what each measure should be, worked out by hand below.
ANSWERS = (
    {  # A: no school staff or pupils, so spend per user never moves; does not know the pupils' share of incidents
        "provides_education": "yes",
        "users": {"office_staff": 1000},
        "ict_revenue_spend": 1_000_000,
        "incidents_pupils": "dont_know",
        "pupils_should_count": "agree",
        "counted_in_benchmark": ["office_staff", "pupils"],
        "service_level": {"pupils": "separate"},
    },
    {  # B: 300 school staff: 1,300 users, spend per user falls by 23% (moves)
        "provides_education": "yes",
        "users": {"office_staff": 1000, "school_staff": 300},
        "ict_revenue_spend": 1_000_000,
        "share_devices": 40,
        "pupils_should_count": "disagree",
        "counted_in_benchmark": ["office_staff"],
        "service_level": {"pupils": "same"},
    },
    {  # C: 100 school staff: falls by 9.1% (does not move); no benchmarking return; not asked about strain
        "provides_education": "no",
        "users": {"office_staff": 1000, "school_staff": 100},
        "ict_revenue_spend": 500_000,
        "pupils_should_count": "strongly-agree",
        "counted_in_benchmark": ["no-return"],
    },
    {"provides_education": "yes"},  # D: no spend: not in the impact figure
)


@pytest.fixture
def study(make_study, make_organisation):
    """A study fed by the default survey (answers A-D) and four coded passages."""
    study = make_study()
    survey = ensure_default_survey()
    for number, answers in enumerate(ANSWERS, start=1):
        organisation = make_organisation()
        db.session.add(
            Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=organisation.id,
                reference=f"REC-{number}",
                status="submitted",
                submitted_at=datetime.now(UTC),
                submitted_answers=answers,
            )
        )
    db.session.commit()
    link_surveys(study, {survey.id})
    passages = [
        ("We run the network for 40 primaries.", ["org:1", "org:2"], [("pupils-and-schools", "accepted", 0.9)]),
        ("Only office staff count as users here.", ["org:2"], [("user-definitions", "accepted", None),
                                                               ("data-availability", "suggested", 0.6)]),
        ("P3 said pupils' devices sit apart.", ["person:P3"], [("pupils-and-schools", "accepted", 0.5)]),
        ("We do not hold the numbers.", ["org:4"], [("data-availability", "rejected", 0.4)]),
    ]  # fmt: skip
    for position, (text, organisations, codes) in enumerate(passages, start=1):
        passage = AnalysisPassage(
            study_id=study.id,
            key=f"p{position}",
            source_kind="note",
            source_key=f"note:{position}",
            position=1,
            source_ref={},
            text=text,
            start=0,
            end=len(text),
            section="notes",
            section_label="Session note",
            council_type="unitary",
            pseudonyms=["P3"] if "P3" in text else [],
            organisations=organisations,
        )
        passage.codes = [
            Code(study_id=study.id, theme=t, status=s, origin="hand", confidence=c, codebook_version=1)
            for t, s, c in codes
        ]
        db.session.add(passage)
    db.session.commit()
    return study


@pytest.fixture
def analyst(make_user):
    return make_user("analyst")


@pytest.fixture
def lead(make_user):
    return make_user("lead_analyst")


def _figure(measure):
    return (measure.numerator, measure.denominator, round(measure.value, 2) if measure.value is not None else None)


def test_measures_from_the_survey_the_impact_model_and_the_codes(study):
    measures = assess(study).measures
    assert _figure(measures["survey.supports_pupils"]) == (3, 4, 75.0)
    assert _figure(measures["survey.strain_not_known"]) == (1, 2, 50.0)  # A and B were asked; A did not know
    assert _figure(measures["survey.pupils_should_count"]) == (2, 3, 66.67)
    assert _figure(measures["survey.pupils_in_benchmark"]) == (1, 2, 50.0)  # C makes no return
    assert _figure(measures["survey.pupils_different_service"]) == (1, 2, 50.0)
    assert _figure(measures["impact.spend_per_user_movers"]) == (1, 3, 33.33)  # B only; D has no spend
    # Organisations with any accepted code: org:1, org:2 and person:P3 (org:4's only code was rejected).
    assert _figure(measures["theme.pupils-and-schools"]) == (3, 3, 100.0)
    assert measures["theme.pupils-and-schools"].extra == "2 passages coded with this theme"
    assert _figure(measures["theme.user-definitions"]) == (1, 3, 33.33)
    assert _figure(measures["theme.data-availability"]) == (0, 3, 0.0)  # suggested and rejected codes do not count


def test_the_shipped_rules_score_each_outcome_and_a_threshold_exactly_met_counts(study):
    scores = assess(study).scores
    assert scores["amend-definition"].arithmetic == "3 (rule 1) + 2 (rule 3) + 1 (rule 4) = 6"
    assert scores["collect-additional-data"].score == 3
    assert scores["amend-reporting"].arithmetic == "2 (rule 8) + 1 (rule 9) = 3"
    # 50% of organisations serving pupils give them a different service: exactly the threshold of rule 13.
    assert scores["education-module"].arithmetic == "2 (rule 12) + 2 (rule 13) + 1 (rule 14) = 5"
    # The range the page states: rules 1, 3 and 4 support (3 + 2 + 1), rule 2 weighs against (2).
    assert (scores["amend-definition"].lowest, scores["amend-definition"].possible) == (-2, 6)


def test_a_study_without_surveys_or_codes_has_no_data_and_scores_nothing(make_study):
    assessment = assess(make_study())
    assert all(m.value is None for m in assessment.measures.values())
    assert all(s.score == 0 for s in assessment.scores.values())
    assert {r.status for s in assessment.scores.values() for r in s.results} == {"No data"}


def test_movers_read_every_definition_so_a_new_one_counts(monkeypatch):
    rows = [type("Row", (), {"organisation_id": 1, "region": "", "council_type": "", "answers": ANSWERS[2]})()]
    organisations = impact(rows, 0.25).organisations
    assert definition_movers(organisations) == (0, 1)
    # A definition added to the model later (another helper adds one): read through DEFINITION_KEYS.
    monkeypatch.setattr("app.analysis.evidence.DEFINITION_KEYS", (*DEFINITION_KEYS, "external_users"))
    organisations[0].spend_per_user["external_users"] = 500_000 / 1500  # moves 27%
    assert definition_movers(organisations) == (1, 1)


def test_quotes_are_the_chosen_ones_or_else_the_most_confident_accepted(study, analyst):
    quotes = assess(study).quotes["education-module"]
    assert [q.text[:10] for q in quotes] == ["We run the", "P3 said pu"]  # confidence 0.9, then 0.5
    assert quotes[1].pseudonyms == ("P3",) and quotes[1].council_type == "Unitary authority" and not quotes[1].chosen
    # Named as the theme pages name them: organisations by anonymous code, the source with its section.
    assert quotes[0].organisations == ("Org 001", "Org 002") and quotes[0].source == "Session note – Session note"
    chosen = db.session.scalar(select(AnalysisPassage).where(AnalysisPassage.key == "p3"))
    db.session.add(ChosenQuote(study_id=study.id, theme="pupils-and-schools", passage_id=chosen.id, position=1))
    db.session.commit()
    assert [(q.text[:10], q.chosen) for q in theme_quotes(study, "pupils-and-schools")] == [("P3 said pu", True)]
    assert assess(study).quotes["amend-reporting"] == []  # its rules' theme has no accepted passage


def test_a_decision_is_kept_with_its_score_and_each_change_adds_to_the_history(study, analyst):
    first = record_decision(study, "amend-definition", "recommend", "  The costs move. ", by=analyst)
    assert (first.rationale, first.score, first.rules_version) == ("The costs move.", 6, 0)
    record_decision(study, "amend-definition", "needs-more-evidence", "Wait for round two.", by=analyst)
    assert current_decisions(study)["amend-definition"].decision == "needs-more-evidence"
    assert db.session.query(OutcomeDecision).count() == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "analysis.decision_recorded"))
    assert event.actor_id == analyst.id and event.detail["outcome"] == "amend-definition"


@pytest.mark.parametrize(
    ("outcome", "decision", "rationale"),
    [("abolish", "recommend", "x"), ("amend-definition", "maybe", "x"), ("amend-definition", "recommend", " "),
     ("amend-definition", "recommend", "x" * 5001)],
)  # fmt: skip
def test_bad_decisions_are_refused(study, analyst, outcome, decision, rationale):
    with pytest.raises(RecommendationError):
        record_decision(study, outcome, decision, rationale, by=analyst)
    assert db.session.query(OutcomeDecision).count() == 0


def _decide_all(study, analyst):
    for outcome in ("amend-definition", "collect-additional-data", "amend-reporting", "education-module"):
        record_decision(study, outcome, "recommend", "Because.", by=analyst)


def test_sign_off_needs_a_lead_and_every_decision_then_locks_until_reopened(study, analyst, lead):
    record_decision(study, "amend-definition", "recommend", "Because.", by=analyst)
    with pytest.raises(RecommendationError, match="Missing: Collect additional data"):
        sign_off(study, "", by=lead)
    _decide_all(study, analyst)
    with pytest.raises(RecommendationError, match="Only a lead analyst"):
        sign_off(study, "", by=analyst)
    signed = sign_off(study, "Agreed at the board.", by=lead)
    assert locked_by(study).id == signed.id
    with pytest.raises(RecommendationError, match="signed off"):
        record_decision(study, "amend-definition", "do-not-recommend", "Changed my mind.", by=analyst)
    with pytest.raises(RecommendationError, match="signed off"):
        save_rules(study, shipped_document(), "", by=lead)
    with pytest.raises(RecommendationError, match="signed off"):
        sign_off(study, "", by=lead)
    with pytest.raises(RecommendationError, match="Only a lead"):
        reopen(study, "New data.", by=analyst)
    with pytest.raises(RecommendationError, match="Say why"):
        reopen(study, " ", by=lead)
    reopen(study, "New data arrived.", by=lead)
    assert locked_by(study) is None
    with pytest.raises(RecommendationError, match="nothing to reopen"):
        reopen(study, "Again.", by=lead)
    record_decision(study, "amend-definition", "do-not-recommend", "Changed my mind.", by=analyst)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("analysis.recommendation_signed_off") == 1
    assert actions.count("analysis.recommendation_reopened") == 1


def test_saving_rules_rescores_and_keeps_the_previous_version(study, lead):
    before = assess(study).scores["amend-definition"].score
    text = shipped_document().replace("threshold = 25\nweight = 3", "threshold = 25\nweight = 5", 1)
    row = save_rules(study, text, "Movers count more.", by=lead, base_version=0)
    assert row.number == 1 and current_rules(study).number == 1
    assert assess(study).scores["amend-definition"].score == before + 2
    assert [v.number for v in rules_versions(study)] == [1, 0]
    with pytest.raises(RecommendationError, match="Someone saved version 1"):
        save_rules(study, text, "", by=lead, base_version=0)
    with pytest.raises(RecommendationError, match="not known"):
        save_rules(study, text.replace("theme.user-definitions", "theme.nothing"), "", by=lead)
    assert db.session.query(ScoringRules).count() == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "analysis.scoring_rules_saved"))
    assert event.detail["number"] == 1 and event.detail["previous"] == 0
