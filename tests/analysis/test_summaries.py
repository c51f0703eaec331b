"""Themed summaries (app/analysis/summaries.py): figures against a small study counted by hand, quote
suggestions spread across speakers, chosen quotes, versioned summaries and the related survey figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.analysis.models import AnalysisPassage, ChosenQuote, Code, ThemeSummary
from app.analysis.services import codebook_of, current_version, link_surveys
from app.analysis.summaries import co_occurrence, study_organisations, theme_counts, theme_findings
from app.analysis.summaries_editing import (
    QuoteError,
    StaleSummary,
    choose_quote,
    move_quote,
    remove_quote,
    save_summary,
)
from app.analysis.summaries_figures import figures_for, study_figures
from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.studies.services import create_study
from app.surveys.models import Response
from app.surveys.services import ensure_default_survey

PUPILS = "pupils-and-schools"
DEFINITIONS = "user-definitions"

# (name, kind, session, pseudonyms, organisations, region, council type, section, present, {theme: (status, conf)})
PASSAGES = (
    ("p1", "note", 10, ["P1"], ["org:1"], "wales", "welsh", "guide-1", True,
     {PUPILS: ("accepted", 0.9), DEFINITIONS: ("accepted", 0.8)}),
    ("p2", "note", 10, ["P1"], ["org:1"], "wales", "welsh", "guide-1", True, {PUPILS: ("accepted", 0.95)}),
    ("p3", "note", 10, ["P1"], ["org:1"], "wales", "welsh", "guide-2", True, {PUPILS: ("accepted", 0.85)}),
    ("p4", "note", 11, ["P2"], ["org:3"], "london", "london-borough", "guide-1", True,
     {PUPILS: ("accepted", 0.5), DEFINITIONS: ("accepted", 0.6)}),
    ("p5", "survey", None, [], ["org:2"], "wales", "welsh", "pupils_reason", True, {PUPILS: ("suggested", 0.99)}),
    ("p6", "survey", None, [], ["org:4"], "london", "london-borough", "users_counting", True,
     {DEFINITIONS: ("accepted", 0.7)}),
    ("p7", "note", 11, ["P2", "P3"], ["org:3", "person:P9"], None, None, "guide-1", True, {PUPILS: ("rejected", 0.4)}),
    ("p8", "survey", None, [], ["org:2"], "wales", "welsh", "pupils_reason", False, {PUPILS: ("accepted", 0.9)}),
    ("p9", "survey", None, [], ["org:4"], "london", "london-borough", "users_counting", True,
     {PUPILS: ("accepted", 0.7)}),
)  # fmt: skip


def make_themed_study(title: str = "Who are our users?"):
    """A study with the passages above; returns (study, {name: passage})."""
    study = create_study(title)
    passages = {}
    for n, (name, kind, session, people, orgs, region, council_type, section, present, codes) in enumerate(PASSAGES):
        ref = {"response": n, "question": section}
        if kind == "note":
            ref = {"note": n, "session": session, "study": study.id}
        passage = AnalysisPassage(
            study_id=study.id,
            key=f"{title[:10]}-{name}",
            source_kind=kind,
            source_key=f"{kind}:{n}",
            position=0,
            source_ref=ref,
            text=f"Passage {name} about pupils and schools.",
            start=0,
            end=10,
            section=section,
            section_label="How should users be counted?" if section == "users_counting" else "",
            region=region,
            council_type=council_type,
            pseudonyms=people,
            organisations=orgs,
            present=present,
        )
        db.session.add(passage)
        db.session.flush()
        for theme, (status, confidence) in codes.items():
            db.session.add(
                Code(
                    study_id=study.id,
                    passage_id=passage.id,
                    theme=theme,
                    status=status,
                    origin="suggested",
                    confidence=confidence,
                    codebook_version=1,
                )
            )
        passages[name] = passage
    db.session.commit()
    return study, passages


def codebook(study):
    return codebook_of(current_version(study))


@pytest.fixture
def themed(app):
    return make_themed_study()


def findings(study, theme=PUPILS, include_suggested=False):
    return theme_findings(study, theme, include_suggested=include_suggested)


# Figures counted by hand


def test_a_themes_reach_counts_accepted_codes_on_present_passages_and_each_organisation_once(themed):
    study, _ = themed
    found = findings(study)
    # p1, p2, p3, p4, p9: p5 is only suggested, p7 rejected, p8 no longer in its source
    assert (found.counts.passages, found.counts.suggested_only) == (5, 0)
    assert found.counts.sessions == 2  # sessions 10 and 11
    assert found.counts.participants == 2  # P1 in session 10, P2 in session 11
    assert found.counts.organisations == 3  # org:1 (three passages, counted once), org:3, org:4
    assert not found.include_suggested


def test_shares_by_region_and_council_type_count_each_organisation_once_and_flag_small_groups(themed):
    study, _ = themed
    found = findings(study)
    regions = {share.label: (share.mentioning, share.organisations, share.small) for share in found.by_region}
    # Wales: org:1 and org:2 (only suggested); London: org:3 and org:4; person:P9 never had one region
    assert regions == {"Wales": (1, 2, True), "London": (2, 2, True), "Not known or several": (0, 1, True)}
    assert [s.percent for s in found.by_region] == [100.0, 50.0, 0.0]  # London before Wales, as the vocabulary
    types = {share.slug: (share.mentioning, share.organisations) for share in found.by_council_type}
    assert types == {"welsh": (1, 2), "london-borough": (2, 2), None: (0, 1)}


def test_suggestions_count_only_when_switched_on_and_say_so(themed):
    study, _ = themed
    found = findings(study, include_suggested=True)
    assert found.include_suggested
    assert (found.counts.passages, found.counts.suggested_only, found.counts.organisations) == (6, 1, 4)
    wales = next(share for share in found.by_region if share.slug == "wales")
    assert (wales.mentioning, wales.organisations) == (2, 2)
    assert any(quote.suggested for quote in found.suggested_quotes)
    assert not any(quote.suggested for quote in findings(study).suggested_quotes)


def test_every_themes_counts_and_the_co_occurrence_matrix(themed):
    study, _ = themed
    counts = {item.slug: item for item in theme_counts(study)}
    assert (counts[PUPILS].passages, counts[DEFINITIONS].passages, counts["data-availability"].passages) == (5, 3, 0)
    assert counts[DEFINITIONS].organisations == 3  # org:1, org:3, org:4
    matrix = co_occurrence(study, codebook=codebook(study))
    assert matrix.count(PUPILS, DEFINITIONS) == matrix.count(DEFINITIONS, PUPILS) == 2  # p1 and p4
    assert (matrix.count(PUPILS, PUPILS), matrix.count(DEFINITIONS, DEFINITIONS)) == (5, 3)
    assert matrix.pairs() == [("User definitions", "Pupils and schools", 2)]
    assert findings(study).co_occurring == [(DEFINITIONS, "User definitions", 2)]


def test_organisations_get_anonymous_codes_in_a_stable_order(themed):
    study, _ = themed
    organisations = study_organisations(study.id)
    # In the order the analysis first read them (by passage), as the matrices number them.
    assert organisations.codes == {
        "org:1": "Org 001",
        "org:3": "Org 002",
        "org:2": "Org 003",
        "org:4": "Org 004",
        "person:P9": "Org 005",
    }
    survey_quote = next(q for q in findings(study).suggested_quotes if q.passage_id and not q.pseudonyms)
    assert survey_quote.organisations == ["Org 004"] and survey_quote.council_type == "London borough"


def test_an_unknown_theme_is_refused(themed):
    study, _ = themed
    with pytest.raises(KeyError):
        findings(study, theme="not-a-theme")


# Quotes


def test_suggested_quotes_give_every_speaker_one_before_anyone_a_second(themed):
    study, passages = themed
    order = [q.passage_id for q in findings(study).suggested_quotes]
    # P1 in session 10 has p2 (0.95), p1 (0.9), p3 (0.85); org:4 p9 (0.7); P2 p4 (0.5)
    assert order == [passages[name].id for name in ("p2", "p9", "p4", "p1", "p3")]


def test_chosen_quotes_keep_the_analysts_order_and_leave_the_suggestions(themed):
    study, passages = themed
    for name in ("p4", "p2", "p9"):
        choose_quote(study, PUPILS, passages[name])
    found = findings(study)
    assert [q.passage_id for q in found.chosen_quotes] == [passages[n].id for n in ("p4", "p2", "p9")]
    assert [q.passage_id for q in found.suggested_quotes] == [passages[n].id for n in ("p1", "p3")]
    move_quote(study, PUPILS, passages["p9"].id, up=True)
    move_quote(study, PUPILS, passages["p4"].id, up=True)  # already first: stays
    assert [q.passage_id for q in findings(study).chosen_quotes] == [passages[n].id for n in ("p4", "p9", "p2")]
    remove_quote(study, PUPILS, passages["p9"].id)
    assert [q.passage_id for q in findings(study).chosen_quotes] == [passages[n].id for n in ("p4", "p2")]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("analysis.quote_chosen") == 3 and "analysis.quote_removed" in actions
    assert actions.count("analysis.quote_moved") == 1  # a move that changes nothing records nothing


def test_a_quote_must_carry_the_theme_and_be_chosen_once(themed):
    study, passages = themed
    with pytest.raises(QuoteError):
        choose_quote(study, PUPILS, passages["p6"])  # coded with user definitions only
    with pytest.raises(QuoteError):
        choose_quote(study, PUPILS, passages["p8"])  # no longer in its source
    with pytest.raises(QuoteError):
        choose_quote(study, PUPILS, passages["p7"])  # rejected
    choose_quote(study, PUPILS, passages["p5"])  # a suggestion awaiting review may be chosen
    with pytest.raises(QuoteError):
        choose_quote(study, PUPILS, passages["p5"])
    with pytest.raises(QuoteError):
        remove_quote(study, PUPILS, passages["p1"].id)
    assert db.session.scalar(select(func.count(ChosenQuote.id))) == 1


def test_a_chosen_quote_that_no_longer_carries_the_theme_is_flagged(themed):
    study, passages = themed
    choose_quote(study, PUPILS, passages["p5"])  # only a suggestion
    chosen = findings(study).chosen_quotes
    assert len(chosen) == 1 and not chosen[0].counts
    chosen = findings(study, include_suggested=True).chosen_quotes
    assert chosen[0].counts and chosen[0].suggested


# Written summaries


def test_summaries_are_versioned_and_audited(themed, make_user):
    study, _ = themed
    analyst = make_user("analyst")
    first = save_summary(study, PUPILS, "Pupils come up often.", base_number=0, codebook_version=1, by=analyst)
    second = save_summary(study, PUPILS, "Pupils come up in most sessions.", base_number=1, codebook_version=1)
    assert (first.number, second.number) == (1, 2)
    found = findings(study)
    assert found.summary.number == 2 and found.summary.text == "Pupils come up in most sessions."
    assert findings(study, theme=DEFINITIONS).summary is None
    with pytest.raises(StaleSummary):  # edited version 1, but 2 is saved since
        save_summary(study, PUPILS, "Late", base_number=1, codebook_version=1)
    assert db.session.scalar(select(func.count(ThemeSummary.id))) == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "analysis.theme_summary_saved"))
    assert event.actor_id == analyst.id and event.object_id == str(study.id)


# Related figures


def test_related_figures_follow_the_mapping_and_read_the_linked_surveys(themed, make_organisation):
    study, _ = themed
    survey = ensure_default_survey()
    answers = (
        {"provides_education": "yes", "users_counting": "Count pupils separately."},
        {"provides_education": "no", "users_counting": "  "},
        {"provides_education": "yes", "service_differences": "Councillors get a VIP line."},
    )
    for n, given in enumerate(answers):
        db.session.add(
            Response(
                survey_id=survey.id,
                version_id=survey.current_version.id,
                organisation_id=make_organisation(region="wales", council_type="welsh").id,
                reference=f"R-{n}",
                status="submitted",
                submitted_at=datetime.now(UTC),
                submitted_answers=given,
            )
        )
    db.session.commit()
    link_surveys(study, {survey.id})
    figures = study_figures(study)
    (one,) = figures.surveys
    assert (one.pupils.supporting, one.pupils.n, one.pupils.small) == (2, 3, True)
    assert one.pupils.low is not None and one.pupils.low < 2 / 3 < one.pupils.high
    assert (one.free_text["users_counting"].answered, one.free_text["users_counting"].responding) == (1, 3)
    assert one.free_text["service_differences"].answered == 1
    assert one.evidence and all(isinstance(sentence, str) for sentence in one.evidence)
    assert figures_for(PUPILS, figures).shows("headline") and not figures_for(PUPILS, figures).shows("users_counting")
    assert not figures_for("a-theme-of-another-codebook", figures).any
    definitions = theme_findings(study, DEFINITIONS, figures=figures)
    answers = definitions.answers["users_counting"]
    assert answers.passages == 2 and answers.label == "How should users be counted?"
    assert [q.counts for q in answers.examples] == [True, False]  # p6 is coded with the theme, p9 is not


def test_the_same_words_from_several_organisations_are_suggested_once_from_the_strongest():
    from app.analysis.summaries import Quote, suggest_quotes

    def candidate(number: int, text: str, speaker: str, confidence: float):
        quote = Quote(
            number, text, [], [speaker], "County council", "South East", "Survey answer", confidence, True, speaker
        )
        return quote, Code(origin="suggested", confidence=confidence)

    candidates = [
        candidate(1, "Schools that buy back should count.", "Org 001", 0.7),
        candidate(2, "schools that buy back should count", "Org 002", 0.9),
        candidate(3, "Pupils are users too.", "Org 003", 0.8),
        candidate(4, "Schools that buy back should count!", "Org 004", 0.6),
    ]
    assert [q.passage_id for q in suggest_quotes(candidates)] == [2, 3]
