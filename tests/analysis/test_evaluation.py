"""Evaluation: figures checked against ones worked out by hand."""

from __future__ import annotations

import pytest

from app.analysis.evaluation import evaluate, format_evaluation

SLUGS = ("a", "b", "c")


def test_per_theme_micro_and_macro_figures_match_a_hand_count():
    gold = [{"a"}, {"a", "b"}, set(), {"b"}, set()]
    predicted = [{"a"}, {"a"}, {"a"}, {"b", "c"}, set()]
    result = evaluate(gold, predicted, SLUGS)
    a, b, c = (result.theme(s) for s in SLUGS)
    # a: tp 2 (passages 1, 2), fp 1 (passage 3), fn 0 -> P 2/3, R 1, F1 0.8
    assert (a.true_positives, a.false_positives, a.false_negatives) == (2, 1, 0)
    assert a.precision == pytest.approx(2 / 3) and a.recall == 1 and a.f1 == pytest.approx(0.8)
    # b: tp 1, fp 0, fn 1 -> P 1, R 0.5, F1 2/3
    assert b.f1 == pytest.approx(2 / 3) and b.support == 2 and b.predicted == 1
    # c: never in gold, suggested once -> 0 on every count, but it counts in the macro mean
    assert (c.precision, c.recall, c.f1) == (0, 0, 0)
    assert result.macro_f1 == pytest.approx((0.8 + 2 / 3 + 0) / 3)
    # micro: tp 3, fp 2, fn 1 -> 6 / (6 + 3)
    assert result.micro_f1 == pytest.approx(6 / 9)
    # theme-less passages 3 and 5: only 5 left untagged
    assert (result.themeless, result.themeless_untagged, result.untagged_share) == (2, 1, 0.5)


def test_a_theme_absent_from_gold_and_predictions_does_not_count_in_the_macro_mean():
    result = evaluate([{"a"}], [{"a"}], SLUGS)
    assert result.macro_f1 == 1.0
    assert result.untagged_share is None


def test_lists_must_run_in_step():
    with pytest.raises(ValueError, match="in step"):
        evaluate([{"a"}], [], SLUGS)


def test_the_table_names_every_theme_and_the_summary_figures():
    text = format_evaluation(evaluate([{"a"}, set()], [{"a"}, {"b"}], SLUGS))
    for fragment in ("Precision", "Recall", "F1", "Macro-F1: ", "Micro-F1: ", "left untagged: 0% (0 of 1)"):
        assert fragment in text
    assert text.splitlines()[1].startswith("a ")
