"""The model learnt from analysts' decisions: it waits for enough examples, then re-ranks and adds suggestions."""

from __future__ import annotations

import pytest
from nltk.classify.naivebayes import NaiveBayesClassifier

from app.analysis.learning import ABSENT, ADD_PROBABILITY, MIN_EXAMPLES, MODEL_WEIGHT, PRESENT, features, train
from app.analysis.suggestions import Suggestion

THEME = "pupils-and-schools"

# Passages analysts accepted as being about ICT services to schools and pupils.
ACCEPTED = [
    "We run the broadband and web filtering for 140 maintained primary schools under a traded agreement.",
    "Pupils' devices are managed by our education team, not by the corporate service desk.",
    "The schools SLA covers curriculum devices, the admin MIS and an on-site technician one day a week.",
    "Most academies have left our traded service, but the special schools still buy connectivity from us.",
    "Pupil accounts outnumber staff accounts three to one once you count every school on the network.",
    "Our technicians visit the primary schools weekly to fix curriculum laptops and classroom screens.",
    "Safeguarding filtering for pupils is the part of the schools offer heads value most.",
    "The education network links sixty schools and the pupil referral unit to our data centre.",
    "Schools buy email and collaboration accounts for pupils and teachers through the traded SLA.",
    "Multi-academy trusts now procure their own broadband, so fewer schools take our service.",
    "Curriculum software licensing for the secondary schools is handled by the education ICT team.",
]

# Passages where the rules fired on "school"/"pupil" words but analysts rejected the theme.
REJECTED = [
    "The old school approach to counting users was desktops per office, which nobody trusts now.",
    "During the school holidays the service desk takes fewer calls from office staff.",
    "She trained at the business school before joining the council's finance team.",
    "That is a school of thought in benchmarking circles: normalise everything per employee.",
    "We met in the old school hall because the council chamber was booked that day.",
    "Staff with school-age children asked for flexible working and laptops to work from home.",
    "The library opening hours changed after the school run traffic survey.",
    "The night school for adult learners closed and its building became council offices.",
    "He described himself as old school about passwords and paper records in the planning office.",
    "School crossing patrol staff do not have council email accounts or ICT equipment.",
]

# Passages analysts decided for other themes and never gave this one: ordinary text the model must not claim.
OTHERS = [
    ("Everyone with a council login counts as a user, whatever their contract.", "user-definitions", True),
    ("We report cost per user to the board every quarter.", "benchmarking-and-reporting", True),
    ("Councillors get iPads and a dedicated support line.", "user-categories", True),
    ("Ticket volumes doubled after the move to hybrid working.", "demand-and-strain", True),
    ("We cannot split licence costs by user category from our finance system.", "data-availability", True),
    ("Residents now log in to online accounts for council tax and parking.", "new-technology-and-external-users", True),
    ("The coffee in the meeting room was cold again.", "demand-and-strain", False),
    ("Thanks everyone for coming, the next session is in May.", "user-categories", False),
    ("The broadband contract for the council offices was renewed last spring.", "data-availability", False),
    ("Agreed, and the finance director said the same at the last board.", "benchmarking-and-reporting", False),
]

RULE_SCORE = 0.6


def _examples(accepted=ACCEPTED, rejected=REJECTED, slug=THEME, others=OTHERS):
    return [(text, slug, True) for text in accepted] + [(text, slug, False) for text in rejected] + list(others)


def _suggest(text: str, slug: str = THEME, confidence: float = RULE_SCORE) -> Suggestion:
    start = text.lower().find("school")
    return Suggestion(slug, confidence, ((start, start + 6),))


def test_with_too_few_examples_the_model_does_not_take_part():
    models = train(_examples(accepted=ACCEPTED[: MIN_EXAMPLES - 1]))

    assert models.example_counts(THEME) == (MIN_EXAMPLES - 1, len(REJECTED))
    assert not models.active(THEME)
    assert not models.may_add(THEME)
    assert models.probability("Pupils' laptops in schools.", THEME) is None
    text = "The schools SLA covers broadband for pupils."
    suggestions = [_suggest(text)]
    assert models.rerank(text, suggestions, {THEME: RULE_SCORE}) == suggestions
    # A theme the rules missed is not added either.
    assert models.rerank("Pupil accounts for every primary school on the network.", [], {THEME: 0.0}) == []


def test_both_sides_need_enough_examples():
    assert not train(_examples(rejected=REJECTED[: MIN_EXAMPLES - 1])).active(THEME)
    models = train(_examples(accepted=ACCEPTED[:MIN_EXAMPLES], rejected=REJECTED[:MIN_EXAMPLES]))
    assert models.active(THEME)
    assert models.example_counts(THEME) == (MIN_EXAMPLES, MIN_EXAMPLES)


def test_unknown_theme_has_no_examples():
    models = train([])
    assert models.example_counts("data-availability") == (0, 0)
    assert not models.active("data-availability")
    assert models.active_slugs == ()
    assert models.rerank("Anything at all.", [], {"data-availability": 0.0}) == []


def test_a_passage_counts_once_and_its_last_decision_stands():
    repeated = [(ACCEPTED[0], THEME, True)] * 20 + _examples(accepted=[], others=[])
    models = train(repeated)
    assert models.example_counts(THEME) == (1, len(REJECTED))
    assert not models.active(THEME)

    changed_mind = _examples(others=[]) + [(f"  {ACCEPTED[0]} ", THEME, False)]
    assert train(changed_mind).example_counts(THEME) == (len(ACCEPTED) - 1, len(REJECTED) + 1)


def test_a_theme_the_rules_missed_is_added_for_a_clearly_similar_text():
    models = train(_examples())
    text = "The traded SLA gives every primary school web filtering and curriculum devices for its pupils."

    assert models.may_add(THEME)
    assert models.probability(text, THEME) >= ADD_PROBABILITY
    reranked = models.rerank(text, [], {THEME: 0.0, "user-categories": 0.0})

    assert [s.slug for s in reranked] == [THEME]
    added = reranked[0]
    assert added.evidence == ()  # nothing in the text was matched by a rule
    assert 0 < added.confidence <= 1
    assert added.confidence == pytest.approx(MODEL_WEIGHT * models.probability(text, THEME))


def test_the_model_adds_nothing_before_it_has_seen_passages_without_the_theme():
    # Accepted and rejected passages of the theme only: every negative it knows is a near miss.
    models = train(_examples(others=OTHERS[: MIN_EXAMPLES - 1]))
    text = "The traded SLA gives every primary school web filtering and curriculum devices for its pupils."

    assert models.active(THEME)  # it re-ranks...
    assert not models.may_add(THEME)  # ...but may not add
    assert models.rerank(text, [], {THEME: 0.0}) == []
    assert models.rerank(text, [_suggest(text)], {THEME: RULE_SCORE})[0].confidence > RULE_SCORE


def test_chatter_and_other_themes_are_not_given_the_theme_by_the_model():
    models = train(_examples())
    for text in [
        "The coffee was cold and the meeting started ten minutes late.",
        "Thanks everyone.",
        "",
        "Councillors and office staff all count as users for the benchmark.",
        "Agreed, we need better data on licences.",
    ]:
        assert models.rerank(text, [], {THEME: 0.0}) == []


def test_a_rejected_like_passage_is_demoted_and_an_accepted_like_one_promoted_keeping_the_evidence():
    models = train(_examples())
    rejected_like = "Back in the old school days the planning office counted users by desks."
    accepted_like = "Our education team supports the schools' curriculum laptops and pupil accounts."

    demoted = models.rerank(rejected_like, [_suggest(rejected_like)], {THEME: RULE_SCORE})
    promoted = models.rerank(accepted_like, [_suggest(accepted_like)], {THEME: RULE_SCORE})

    assert demoted[0].confidence < RULE_SCORE < promoted[0].confidence
    assert demoted[0].evidence == _suggest(rejected_like).evidence
    assert promoted[0].evidence == _suggest(accepted_like).evidence
    # The blend: half the rule score, half the model's probability.
    expected = (1 - MODEL_WEIGHT) * RULE_SCORE + MODEL_WEIGHT * models.probability(rejected_like, THEME)
    assert demoted[0].confidence == pytest.approx(expected)
    assert demoted[0].confidence > 0  # demoted, not dropped: the analyst still decides


def test_themes_without_a_model_pass_through_and_the_result_is_ordered_by_confidence():
    models = train(_examples() + [("Counting users is hard.", "user-definitions", True)])
    text = "Back in the old school days the planning office counted users by desks."
    other = Suggestion("user-definitions", 0.5, ((40, 54),))
    reranked = models.rerank(text, [_suggest(text), other], {THEME: RULE_SCORE, "user-definitions": 0.5})

    assert other in reranked  # untouched: its theme has one example, no model
    assert [s.slug for s in reranked] == ["user-definitions", THEME]
    assert [s.confidence for s in reranked] == sorted((s.confidence for s in reranked), reverse=True)


def test_training_and_reranking_are_deterministic():
    text = "Pupils at the special schools get their devices from our traded service."
    first = train(_examples()).rerank(text, [_suggest(text)], {THEME: RULE_SCORE})
    second = train(_examples()).rerank(text, [_suggest(text)], {THEME: RULE_SCORE})
    assert first == second
    shuffled = train(list(reversed(_examples())))
    assert shuffled.probability(text, THEME) == pytest.approx(train(_examples()).probability(text, THEME))


def test_the_fast_score_equals_nltks_own_naive_bayes():
    models = train(_examples())
    classifier = models.classifier(THEME)
    for text in [*ACCEPTED[:3], *REJECTED[:3], "Nothing relevant at all.", "No pupils, no schools."]:
        featureset = models.featureset(text, THEME)
        assert set(featureset.values()) <= {PRESENT, ABSENT}
        assert ABSENT in featureset.values()  # every vocabulary word is there, the missing ones as ABSENT
        assert models.probability(text, THEME) == pytest.approx(classifier.prob_classify(featureset).prob(True))


def test_absent_words_count_exactly_as_explicit_false_features_would():
    models = train(_examples())

    def explicit(text):
        return {word: value is PRESENT for word, value in models.featureset(text, THEME).items()}

    negatives = REJECTED + [text for text, _, _ in OTHERS]  # rejected, and decided for other themes only
    labelled = [(explicit(text), True) for text in ACCEPTED] + [(explicit(text), False) for text in negatives]
    explicit_classifier = NaiveBayesClassifier.train(labelled)
    for text in ["Pupil accounts for every primary school.", "The old school hall was booked.", "Thanks."]:
        assert models.probability(text, THEME) == pytest.approx(
            explicit_classifier.prob_classify(explicit(text)).prob(True)
        )


def test_features_need_no_downloaded_data_and_keep_domain_words_and_negation():
    found = features("No different groups of members; cost per user isn't the same.")
    assert {"no", "differ", "group", "member", "cost", "per", "user", "same"} <= found
    assert "of" not in found
    assert "cost_per" in found and "per_user" in found
