"""Double-coding rounds, called directly: sampling, blind coding, progress, agreement and resolution."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.analysis import rounds, services
from app.analysis.agreement import agreement
from app.analysis.models import AnalysisPassage, Code, CodingRound, RoundItem
from app.analysis.sources import sync_study
from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.notes.debrief import save_debrief
from app.focus_groups.notes.taking import NoteInput, add_note
from app.focus_groups.studies.services import add_slot, create_study

NOTES = (
    "Pupils are counted as users in our figures.",
    "Schools buy a traded service from us for broadband and filtering.",
    "Councillors get a priority service desk line.",
    "The service desk spends a third of its time on school tickets.",
    "We cannot split our licence costs by user category.",
    "Improve compares us with councils that support no schools.",
    "Residents use our public Wi-Fi in every library.",
    "The coffee was good.",
    "Frontline staff share devices in the depots.",
    "Our definition of a user has not changed since 2010.",
    "Academies left our network last year.",
    "We report cost per user to the cabinet every quarter.",
)
DEBRIEF = "The group agreed pupils strain the service desk.\nNobody knew their exact user counts.\nA lively session."


def study_with_passages(title: str = "Who are our users?", notes=NOTES, debrief: str = DEBRIEF):
    """A study whose one session has these notes (one sentence each) and debrief, read into passages."""
    study = create_study(title)
    slot = add_slot(study, datetime(2055, 3, 1, 10, 0, tzinfo=UTC), location="https://meet.example.org/1")
    for text in notes:
        add_note(slot, NoteInput(text))
    if debrief:
        save_debrief(slot, debrief, expected_version=0)
    db.session.commit()
    sync_study(study)
    return study


def passages_of(study) -> list[AnalysisPassage]:
    """The study's present passages, by id."""
    return list(
        db.session.scalars(
            select(AnalysisPassage)
            .where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
            .order_by(AnalysisPassage.id)
        )
    )


def two_coders(make_user):
    """Two analysts who may code a round."""
    return make_user("analyst", name="Ada Analyst"), make_user("lead_analyst", name="Bo Lead")


def set_up(make_user, size: int = 4, study=None):
    """A study with passages, a round of `size` passages and its coders A and B."""
    study = study or study_with_passages()
    coder_a, coder_b = two_coders(make_user)
    coding_round = rounds.create_round(study, "First check", size, coder_a.id, coder_b.id, by=coder_b)
    return study, coding_round, coder_a, coder_b


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# Sampling


def test_allocation_is_proportional_and_adds_up():
    assert rounds.allocate({"survey": 60, "note": 30, "debrief": 10}, 10) == {"survey": 6, "note": 3, "debrief": 1}
    # 7 of 3 + 3 + 1: largest remainders first, then the larger group.
    assert rounds.allocate({"survey": 3, "note": 3, "debrief": 1}, 5) == {"survey": 2, "note": 2, "debrief": 1}
    assert rounds.allocate({"survey": 2, "note": 1}, 50) == {"survey": 2, "note": 1}
    assert sum(rounds.allocate({"survey": 17, "note": 29, "debrief": 5}, 23).values()) == 23


def test_a_sample_is_deterministic_spread_in_proportion_and_without_repeats():
    candidates = [(n, "survey") for n in range(1, 61)] + [(n, "note") for n in range(61, 91)]
    candidates += [(n, "debrief") for n in range(91, 101)]
    first = rounds.draw_sample(candidates, 20, seed=7)
    assert first == rounds.draw_sample(list(reversed(candidates)), 20, seed=7)
    assert first != rounds.draw_sample(candidates, 20, seed=8)
    assert len(set(first)) == 20
    kinds = Counter(dict(candidates)[passage_id] for passage_id in first)
    assert kinds == {"survey": 12, "note": 6, "debrief": 2}
    # Shuffled, not grouped by source: the coders do not meet every survey answer first.
    assert [dict(candidates)[p] for p in first] != sorted((dict(candidates)[p] for p in first), key=str)
    assert sorted(rounds.draw_sample(candidates, 500, seed=7)) == list(range(1, 101))


def test_setting_up_a_round_samples_present_passages_in_proportion_against_the_current_codebook(app, make_user):
    study = study_with_passages()
    lead = make_user("lead_analyst")
    coder_a, coder_b = two_coders(make_user)
    passages = passages_of(study)
    assert Counter(p.source_kind for p in passages) == {"note": 12, "debrief": 3}
    coding_round = rounds.create_round(study, "  First check ", 5, coder_a.id, coder_b.id, by=lead)

    assert coding_round.title == "First check"
    assert coding_round.codebook_version == services.current_version(study).number == 1
    items = coding_round.items
    assert [item.position for item in items] == [1, 2, 3, 4, 5]
    assert Counter(item.passage.source_kind for item in items) == {"note": 4, "debrief": 1}
    assert all(item.passage.study_id == study.id and item.themes_a is None for item in items)
    # The seed comes from the round's id: drawing again gives the same sample in the same order.
    candidates = [(p.id, p.source_kind) for p in passages]
    redrawn = rounds.draw_sample(candidates, 5, rounds.round_seed(coding_round.id))
    assert [item.passage_id for item in items] == redrawn
    [event] = events("analysis.round_created")
    assert event.actor_id == lead.id and event.object_id == str(coding_round.id)
    assert event.detail["sample_size"] == 5 and event.detail["codebook_version"] == 1


def test_a_round_uses_the_latest_codebook_version(app, make_user):
    study = study_with_passages()
    codebook = services.codebook_of(services.current_version(study))
    services.save_codebook(study, codebook, "Second version")
    _, coding_round, _, _ = set_up(make_user, study=study)
    assert coding_round.codebook_version == 2


@pytest.mark.parametrize(
    ("title", "size", "same_coder", "field", "words"),
    [
        ("Check", 0, False, "sample_size", "between 1 and 15"),
        ("Check", 16, False, "sample_size", "between 1 and 15"),
        ("Check", None, False, "sample_size", "between 1 and 15"),
        ("Check", 10**20, False, "sample_size", "between 1 and 15"),
        ("Check", 3, True, "coder_b", "two different people"),
        ("   ", 3, False, "title", "Enter a title"),
        ("x" * 201, 3, False, "title", "200 characters"),
    ],
)
def test_a_round_that_cannot_be_set_up_says_why_and_saves_nothing(
    app, make_user, title, size, same_coder, field, words
):
    study = study_with_passages()
    coder_a, coder_b = two_coders(make_user)
    with pytest.raises(rounds.RoundError) as raised:
        rounds.create_round(study, title, size, coder_a.id, coder_a.id if same_coder else coder_b.id)
    assert words in raised.value.problems[field]
    assert db.session.scalar(select(func.count(CodingRound.id))) == 0
    assert db.session.scalar(select(func.count(RoundItem.id))) == 0


def test_only_active_analysts_leads_and_administrators_may_code(app, make_user):
    study = study_with_passages()
    analyst, lead = two_coders(make_user)
    admin = make_user("admin")
    member = make_user("member")
    organiser = make_user("organiser")
    disabled = make_user("analyst", disabled=True)
    assert {person.id for person in rounds.eligible_coders()} == {analyst.id, lead.id, admin.id}
    for outsider in (member, organiser, disabled):
        with pytest.raises(rounds.RoundError) as raised:
            rounds.create_round(study, "Check", 3, analyst.id, outsider.id)
        assert raised.value.problems == {"coder_b": "Choose coder B from the list of analysts"}
    with pytest.raises(rounds.RoundError) as raised:
        rounds.create_round(study, "Check", 3, None, 2**40)
    assert set(raised.value.problems) == {"coder_a", "coder_b"}


def test_a_study_without_passages_cannot_have_a_round(app, make_user):
    study = create_study("Nothing read yet")
    db.session.commit()
    coder_a, coder_b = two_coders(make_user)
    assert rounds.default_sample_size(study) == 0
    with pytest.raises(rounds.RoundError) as raised:
        rounds.create_round(study, "Check", 1, coder_a.id, coder_b.id)
    assert "no passages" in raised.value.problems["sample_size"]


def test_the_default_sample_is_thirty_or_every_passage(app):
    assert rounds.default_sample_size(study_with_passages()) == 15
    many = study_with_passages("Many", notes=[f"Note number {n} about pupils." for n in range(40)], debrief="")
    assert rounds.default_sample_size(many) == 30


# Blind coding


def test_each_coder_saves_only_their_own_side_and_moves_to_their_next_passage(app, make_user):
    _, coding_round, coder_a, coder_b = set_up(make_user, size=3)
    first, second, _ = coding_round.items
    assert rounds.coder_side(coding_round, coder_a) == "a" and rounds.coder_side(coding_round, coder_b) == "b"

    rounds.save_coding(first, "a", ["user-categories", "pupils-and-schools"], by=coder_a)
    assert first.themes_a == ["user-categories", "pupils-and-schools"]  # in codebook order
    assert first.themes_b is None and first.coded_b_at is None
    assert rounds.themes_of(first, "b") is None
    assert rounds.next_item(coding_round, "a") == second
    assert rounds.next_item(coding_round, "b") == first

    rounds.save_coding(second, "a", [], by=coder_a)  # none of the themes applies
    assert rounds.themes_of(second, "a") == []
    # A coder goes back and changes an earlier item.
    rounds.save_coding(first, "a", ["demand-and-strain"], by=coder_a)
    assert rounds.themes_of(first, "a") == ["demand-and-strain"]
    assert rounds.progress(coding_round) == rounds.RoundProgress(items=3, coded_a=2, coded_b=0, both=0, resolved=0)
    # The audit log says who coded which position, never what they chose.
    coded = events("analysis.round_item_coded")
    assert [(e.actor_id, e.detail) for e in coded][0] == (coder_a.id, {"position": 1, "coder": "a"})
    assert all("demand-and-strain" not in str(e.detail) for e in coded)


def test_a_theme_outside_the_codebook_is_refused(app, make_user):
    _, coding_round, coder_a, _ = set_up(make_user, size=2)
    item = coding_round.items[0]
    with pytest.raises(rounds.RoundError) as raised:
        rounds.save_coding(item, "a", ["user-definitions", "made-up"], by=coder_a)
    assert raised.value.problems == {"themes": "Choose themes from the round's codebook"}
    assert item.coded_a_at is None


def test_once_the_round_is_complete_nobody_changes_their_codes(app, make_user):
    _, coding_round, coder_a, coder_b = set_up(make_user, size=2)
    for item in coding_round.items:
        rounds.save_coding(item, "a", ["user-definitions"], by=coder_a)
        rounds.save_coding(item, "b", [], by=coder_b)
    assert rounds.progress(coding_round).complete
    with pytest.raises(rounds.RoundError) as raised:
        rounds.save_coding(coding_round.items[0], "a", [], by=coder_a)
    assert "complete" in raised.value.problems["themes"]
    assert coding_round.items[0].themes_a == ["user-definitions"]


def test_the_rounds_someone_codes_in_come_first(app, make_user):
    study, first, coder_a, coder_b = set_up(make_user, size=2)
    other_a, other_b = make_user("analyst"), make_user("analyst")
    later = rounds.create_round(study, "Later", 2, other_a.id, other_b.id)
    listed = lambda user: list(db.session.scalars(rounds.rounds_query(study, user)))  # noqa: E731
    assert listed(coder_a)[0] == first
    assert listed(other_b)[0] == later
    assert set(listed(make_user("admin"))) == {first, later}
    progress = rounds.progress_of([first.id, later.id])
    assert progress[later.id] == rounds.RoundProgress(2, 0, 0, 0, 0)


# Agreement and resolution


def code_all(coding_round, coder_a, coder_b, pairs):
    """Code the round's items in order with (coder A's themes, coder B's themes) pairs (None: not coded)."""
    for item, (themes_a, themes_b) in zip(coding_round.items, pairs, strict=False):
        if themes_a is not None:
            rounds.save_coding(item, "a", themes_a, by=coder_a)
        if themes_b is not None:
            rounds.save_coding(item, "b", themes_b, by=coder_b)


def test_agreement_counts_only_passages_both_have_coded(app, make_user):
    _, coding_round, coder_a, coder_b = set_up(make_user, size=5)
    pairs = [
        (["pupils-and-schools"], ["pupils-and-schools"]),
        (["pupils-and-schools", "demand-and-strain"], ["pupils-and-schools"]),
        ([], []),
        (["user-definitions"], ["data-availability"]),
        (["user-definitions"], None),  # only coder A so far: counts nowhere
    ]
    code_all(coding_round, coder_a, coder_b, pairs)
    codebook = rounds.round_codebook(coding_round)
    report = rounds.round_agreement(coding_round, codebook)
    expected = agreement([(frozenset(a), frozenset(b)) for a, b in pairs[:4]], codebook.slugs)
    assert report == expected and report.items == 4
    schools = report.theme("pupils-and-schools")
    assert (schools.both, schools.first_only, schools.second_only, schools.neither) == (2, 0, 0, 2)
    assert schools.kappa == pytest.approx(1.0)
    assert report.theme("user-categories").kappa is None  # never used: undefined, not 1.0
    assert [item.position for item in rounds.disagreements(coding_round)] == [2, 4]


def test_a_resolution_applies_the_agreed_themes_as_accepted_codes(app, make_user):
    study, coding_round, coder_a, coder_b = set_up(make_user, size=2)
    lead = make_user("lead_analyst")
    item = coding_round.items[0]
    passage = item.passage
    db.session.add_all(
        [
            Code(study_id=study.id, passage_id=passage.id, theme="demand-and-strain", status="suggested",
                 origin="suggested", confidence=0.7, evidence=[], codebook_version=1),
            Code(study_id=study.id, passage_id=passage.id, theme="user-definitions", status="accepted",
                 origin="hand", evidence=[], codebook_version=1),
            Code(study_id=study.id, passage_id=passage.id, theme="data-availability", status="suggested",
                 origin="suggested", confidence=0.6, evidence=[], codebook_version=1),
        ]
    )  # fmt: skip
    db.session.commit()
    code_all(coding_round, coder_a, coder_b, [(["pupils-and-schools", "demand-and-strain"], ["pupils-and-schools"])])

    rounds.resolve(item, ["pupils-and-schools", "data-availability"], "  Strain is not discussed. ", by=lead)

    codes = {code.theme: code for code in db.session.scalars(select(Code).where(Code.passage_id == passage.id))}
    assert codes["pupils-and-schools"].status == "accepted" and codes["pupils-and-schools"].origin == "hand"
    assert codes["pupils-and-schools"].coder_id == lead.id
    assert codes["data-availability"].status == "accepted"  # a suggestion the resolution agrees with
    assert codes["demand-and-strain"].status == "rejected"  # a suggestion the resolution drops
    assert codes["user-definitions"].status == "rejected"  # an accepted code the resolution drops
    assert item.resolved_themes == ["pupils-and-schools", "data-availability"]
    assert item.resolution_note == "Strain is not discussed."
    assert item.resolved_by_id == lead.id and item.resolved_at is not None
    [event] = events("analysis.round_item_resolved")
    assert event.actor_id == lead.id and event.detail["themes"] == ["pupils-and-schools", "data-availability"]
    assert rounds.progress(coding_round).resolved == 1
    # A resolved passage is settled: its coders cannot change it any more.
    with pytest.raises(rounds.RoundError):
        rounds.save_coding(item, "a", [], by=coder_a)


def test_resolving_again_replaces_the_resolution_and_changes_nothing_else(app, make_user):
    _, coding_round, coder_a, coder_b = set_up(make_user, size=1)
    lead = make_user("lead_analyst")
    item = coding_round.items[0]
    code_all(coding_round, coder_a, coder_b, [(["user-definitions"], ["user-categories"])])
    rounds.resolve(item, ["user-definitions", "user-categories"], "", by=lead)
    rounds.resolve(item, ["user-definitions", "user-categories"], "", by=lead)
    statuses = dict(db.session.execute(select(Code.theme, Code.status).where(Code.passage_id == item.passage_id)).all())
    assert statuses == {"user-definitions": "accepted", "user-categories": "accepted"}
    rounds.resolve(item, [], "Neither applies on reflection.", by=lead)
    statuses = dict(db.session.execute(select(Code.theme, Code.status).where(Code.passage_id == item.passage_id)).all())
    assert statuses == {"user-definitions": "rejected", "user-categories": "rejected"}
    assert item.resolved_themes == []


def test_nothing_is_resolved_before_both_have_coded_or_with_bad_input(app, make_user):
    _, coding_round, coder_a, coder_b = set_up(make_user, size=1)
    item = coding_round.items[0]
    code_all(coding_round, coder_a, coder_b, [(["user-definitions"], None)])
    with pytest.raises(rounds.RoundError) as raised:
        rounds.resolve(item, ["user-definitions"], "")
    assert "Both coders" in raised.value.problems["themes"]
    rounds.save_coding(item, "b", [], by=coder_b)
    with pytest.raises(rounds.RoundError) as raised:
        rounds.resolve(item, ["unknown-theme"], "")
    assert raised.value.problems == {"themes": "Choose themes from the round's codebook"}
    with pytest.raises(rounds.RoundError) as raised:
        rounds.resolve(item, [], "x" * 2001)
    assert "2,000 characters" in raised.value.problems["note"]
    assert item.resolved_at is None
    assert db.session.scalar(select(func.count(Code.id))) == 0


def test_deleting_a_round_keeps_the_codes_its_resolutions_applied(app, make_user):
    _, coding_round, coder_a, coder_b = set_up(make_user, size=1)
    item = coding_round.items[0]
    code_all(coding_round, coder_a, coder_b, [(["user-definitions"], [])])
    rounds.resolve(item, ["user-definitions"], "", by=coder_b)
    passage_id = item.passage_id
    assert rounds.delete_round(coding_round, by=coder_b) == "First check"
    assert db.session.scalar(select(func.count(RoundItem.id))) == 0
    assert db.session.scalar(select(Code.status).where(Code.passage_id == passage_id)) == "accepted"
    assert len(events("analysis.round_deleted")) == 1
