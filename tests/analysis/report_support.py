"""A tiny hand-built study for the report tests, with every figure worked out by hand in the tests.

Focus groups: one confirmed session, P1 (London, London borough), P2 (Wales, Welsh council) and
P3 (North East, metropolitan borough), all accepted. Passages: the session's four sentences. Accepted
codes: both of P1's sentences "pupils-and-schools" (by the lead analyst), P2's "user-definitions" (by an
analyst); a rejected suggestion does not count. A double-coding round over the four passages. A summary
in two versions, one chosen quote, two decisions on one outcome and a sign-off. Survey: four organisations
invited (two Welsh councils, two London boroughs), three responded; two of them provide services to pupils.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.analysis.models import (
    AnalysisPassage,
    ChosenQuote,
    Code,
    OutcomeDecision,
    SignOff,
    StudySurvey,
    ThemeSummary,
)
from app.analysis.rounds import create_round, save_coding
from app.analysis.sources import sync_study
from app.extensions import db
from app.surveys.invitations.services import record_invitation
from app.surveys.models import Response
from app.surveys.services import ensure_default_survey

ORGANISATIONS = (  # name, region, council type, answer to "provides education" (None: did not respond)
    ("Aberhaven County Borough Council", "wales", "welsh", "yes"),
    ("Bryncoed Council", "wales", "welsh", "no"),
    ("Camden Fields Borough Council", "london", "london-borough", "yes"),
    ("Dunmore Borough Council", "london", "london-borough", None),
)


def passage(study, starts: str) -> AnalysisPassage:
    return db.session.scalar(
        select(AnalysisPassage).where(AnalysisPassage.study_id == study.id, AnalysisPassage.text.startswith(starts))
    )


def code(study, text: str, theme: str, coder, status: str = "accepted", origin: str = "hand") -> None:
    db.session.add(
        Code(
            study_id=study.id,
            passage_id=passage(study, text).id,
            theme=theme,
            status=status,
            origin=origin,
            codebook_version=1,
            coder_id=coder.id,
        )
    )


def survey_answers(make_organisation):
    """The default survey with the four organisations invited and three answers submitted."""
    survey = ensure_default_survey()
    for n, (name, region, council_type, education) in enumerate(ORGANISATIONS, start=1):
        organisation = make_organisation(name=name, region=region, council_type=council_type)
        record_invitation(survey, organisation, f"ict{n}@example.org")
        if education:
            db.session.add(
                Response(
                    survey_id=survey.id,
                    version_id=survey.current_version.id,
                    organisation_id=organisation.id,
                    reference=f"REPORT-{n}",
                    status="submitted",
                    submitted_at=datetime.now(UTC),
                    submitted_answers={"provides_education": education},
                )
            )
    db.session.commit()
    return survey


def tiny_study(study, make_user, make_organisation):
    """Fill `study` (from the `study_with_notes` fixture) as the module says; returns (lead, analyst)."""
    lead = make_user("lead_analyst", name="Lena Lead", email="lena.lead@example.org")
    analyst = make_user("analyst", name="Arun Analyst", email="arun.analyst@example.org")
    sync_study(study)
    code(study, "P1 said", "pupils-and-schools", lead)
    code(study, "Pupils' devices", "pupils-and-schools", lead)
    code(study, "P2 counts", "user-definitions", analyst)
    code(study, "P2 counts", "user-categories", analyst, status="rejected", origin="suggested")
    db.session.commit()
    coding_round = create_round(study, "First round", 4, lead.id, analyst.id, by=lead)
    coded = {  # passage start: (coder A's themes, coder B's themes)
        "P1 said": (["pupils-and-schools"], ["pupils-and-schools"]),
        "Pupils' devices": (["pupils-and-schools"], []),
        "P2 counts": (["user-definitions"], ["user-definitions"]),
        "Coffee": ([], []),
    }
    for item in coding_round.items:
        first, second = next(v for k, v in coded.items() if item.passage.text.startswith(k))
        save_coding(item, "a", first, by=lead)
        save_coding(item, "b", second, by=analyst)
    for number, text in ((1, "An early draft."), (2, "Councils that serve schools carry them on traded SLAs.")):
        db.session.add(
            ThemeSummary(study_id=study.id, theme="pupils-and-schools", number=number, text=text, codebook_version=1)
        )
    db.session.add(
        ChosenQuote(study_id=study.id, theme="pupils-and-schools", passage_id=passage(study, "P1 said").id, position=1)
    )
    for decision, rationale, score in (
        ("needs-more-evidence", "Too early.", None),
        ("recommend", "Pupils change the counts.", 5.0),
    ):
        db.session.add(
            OutcomeDecision(
                study_id=study.id,
                outcome="amend-definition",
                decision=decision,
                rationale=rationale,
                score=score,
                rules_version=2,
                created_by_id=lead.id,
            )
        )
        db.session.flush()
    db.session.add(SignOff(study_id=study.id, action="signed-off", created_by_id=lead.id))
    survey = survey_answers(make_organisation)
    db.session.add(StudySurvey(study_id=study.id, survey_id=survey.id))
    db.session.commit()
    return lead, analyst
