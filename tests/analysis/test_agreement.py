"""Agreement between two coders, checked against figures worked out by hand on small fixtures."""

from __future__ import annotations

import pytest

from app.analysis.agreement import RELIABLE, TENTATIVE, agreement, disagreements, verdict

F = frozenset


def _binary(first: list[bool], second: list[bool], slug: str = "pupils-and-schools"):
    return [(F({slug}) if a else F(), F({slug}) if b else F()) for a, b in zip(first, second, strict=True)]


# Ten passages, one theme. First coder says yes on passages 0-3, the second on 0-2 and 4-5.
#   both yes: 0,1,2 = 3 · first only: 3 = 1 · second only: 4,5 = 2 · neither: 6-9 = 4
#   observed agreement Ao = (3 + 4) / 10 = 0.7
#   marginals: first yes 4/10 = 0.4, second yes 5/10 = 0.5
#   Cohen's chance agreement Ae = 0.4·0.5 + 0.6·0.5 = 0.20 + 0.30 = 0.5
#   kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
# Scott's pi (pooled marginals, the usual mistake) would give p(yes) = 9/20 = 0.45,
#   Ae = 0.45² + 0.55² = 0.505, pi = (0.7 - 0.505) / 0.495 ≈ 0.394 — not what we must report.
FIRST = [True, True, True, True, False, False, False, False, False, False]
SECOND = [True, True, True, False, True, True, False, False, False, False]


def test_cohens_kappa_and_percentage_agreement_match_the_hand_calculation():
    theme = agreement(_binary(FIRST, SECOND), ["pupils-and-schools"]).theme("pupils-and-schools")

    assert (theme.both, theme.first_only, theme.second_only, theme.neither) == (3, 1, 2, 4)
    assert theme.items == 10
    assert theme.observed == pytest.approx(0.7)
    assert theme.percent_agreement == pytest.approx(70.0)
    assert theme.expected == pytest.approx(0.5)
    assert theme.kappa == pytest.approx(0.4)
    assert theme.kappa != pytest.approx(0.394, abs=1e-3)  # Cohen's, from each coder's own marginals; not Scott's
    assert theme.verdict == "unreliable"
    assert theme.note is None


def test_kappa_uses_each_coders_own_marginals_when_they_differ_a_lot():
    # 20 passages. First coder: yes on 0-9 (10/20). Second: yes on 0-7, 18 and 19 (10/20).
    #   both = 8 (0-7) · first only = 2 (8, 9) · second only = 2 (18, 19) · neither = 8
    #   Ao = 16/20 = 0.8 · Ae = 0.5·0.5 + 0.5·0.5 = 0.5 · kappa = 0.3/0.5 = 0.6
    first = [i < 10 for i in range(20)]
    second = [i < 8 or i >= 18 for i in range(20)]
    theme = agreement(_binary(first, second), ["pupils-and-schools"]).theme("pupils-and-schools")
    assert theme.kappa == pytest.approx(0.6)

    # Skewed marginals: first yes on 0-1 (2/10), second yes on 0-7 (8/10).
    #   both = 2 · second only = 6 · neither = 2 · Ao = 4/10 = 0.4
    #   Ae = 0.2·0.8 + 0.8·0.2 = 0.32 · kappa = (0.4 - 0.32) / 0.68 = 0.08/0.68 ≈ 0.117647
    # (pooled marginals would give p = 10/20, Ae = 0.5 and a negative "kappa" of -0.2)
    report = agreement(_binary([i < 2 for i in range(10)], [i < 8 for i in range(10)]), ["pupils-and-schools"])
    assert report.theme("pupils-and-schools").kappa == pytest.approx(0.08 / 0.68)


def test_perfect_agreement_with_variation_is_kappa_one():
    # Ao = 1, Ae = 0.3·0.3 + 0.7·0.7 = 0.58, kappa = 0.42 / 0.42 = 1
    labels = [i < 3 for i in range(10)]
    theme = agreement(_binary(labels, labels), ["pupils-and-schools"]).theme("pupils-and-schools")
    assert theme.kappa == pytest.approx(1.0)
    assert theme.verdict == "reliable"


def test_a_theme_neither_coder_used_has_undefined_kappa_not_one():
    codings = _binary(FIRST, SECOND)
    report = agreement(codings, ["pupils-and-schools", "data-availability"])
    unused = report.theme("data-availability")

    assert unused.neither == 10
    assert unused.percent_agreement == pytest.approx(100.0)  # they do agree that it is absent...
    assert unused.kappa is None  # ...but chance agreement is 1, so kappa is 0/0
    assert unused.verdict == "undefined"
    assert "never used this theme" in unused.note


def test_a_theme_both_coders_used_everywhere_has_undefined_kappa():
    theme = agreement(_binary([True] * 4, [True] * 4), ["pupils-and-schools"]).theme("pupils-and-schools")
    assert theme.kappa is None
    assert "every passage" in theme.note


def test_opposite_constant_coders_get_kappa_zero_not_a_crash():
    # First always yes, second always no: Ao = 0, Ae = 1·0 + 0·1 = 0, kappa = 0.
    theme = agreement(_binary([True] * 5, [False] * 5), ["pupils-and-schools"]).theme("pupils-and-schools")
    assert theme.kappa == pytest.approx(0.0)
    assert theme.percent_agreement == pytest.approx(0.0)


def test_krippendorffs_alpha_with_masi_matches_the_hand_calculation():
    # Four passages, two coders, label sets:
    #   0: {a}   / {a}     MASI d = 0
    #   1: {a,b} / {a}     Jaccard 1/2, subset M = 2/3 -> d = 1 - 1/3 = 2/3
    #   2: {b}   / {c}     disjoint -> d = 1
    #   3: {}    / {}      identical -> d = 0 (two empty sets)
    # Observed disagreement Do = mean of item distances = (0 + 2/3 + 1 + 0) / 4 = 5/12
    # Pooled values (8): {a}×3, {a,b}×1, {b}×1, {c}×1, {}×2
    # Sum over unordered pairs of values n_j·n_l·d:
    #   {a}-{a,b} 3·1·2/3 = 2 · {a}-{b} 3 · {a}-{c} 3 · {a}-{} 3·2 = 6 · {a,b}-{b} 2/3 · {a,b}-{c} 1
    #   {a,b}-{} 2 · {b}-{c} 1 · {b}-{} 2 · {c}-{} 2                       total = 68/3
    # Expected disagreement De = 2·(68/3) / (8·7) = 17/21
    # alpha = 1 - (5/12)/(17/21) = 1 - 105/204 = 33/68 ≈ 0.4853
    codings = [(F("a"), F("a")), (F("ab"), F("a")), (F("b"), F("c")), (F(), F())]
    report = agreement(codings, ["a", "b", "c"])

    assert report.alpha == pytest.approx(33 / 68)
    assert report.alpha_verdict == "unreliable"
    assert report.items == 4
    assert report.identical == 2
    assert report.percent_identical == pytest.approx(50.0)


def test_masi_gives_partial_credit_for_overlapping_sets():
    # Same passages, but passage 1 disagrees completely ({a,b} / {c}) instead of partially ({a,b} / {a}).
    partial = agreement([(F("a"), F("a")), (F("ab"), F("a")), (F("b"), F("b")), (F(), F())], "abc").alpha
    total = agreement([(F("a"), F("a")), (F("ab"), F("c")), (F("b"), F("b")), (F(), F())], "abc").alpha
    assert partial > total


def test_alpha_is_undefined_without_variation_and_without_passages():
    same = agreement([(F(), F())] * 5, ["a", "b"])
    assert same.alpha is None
    assert same.alpha_verdict == "undefined"
    assert "no variation" in same.alpha_note

    empty = agreement([], ["a"])
    assert empty.items == 0
    assert empty.alpha is None
    assert empty.percent_identical is None
    theme = empty.theme("a")
    assert (theme.kappa, theme.observed, theme.percent_agreement, theme.verdict) == (None, None, None, "undefined")


def test_only_the_given_themes_count_and_come_in_their_order():
    codings = [(F({"a", "retired-theme"}), F({"a"})), (F({"b"}), F({"b"})), (F(), F())]
    report = agreement(codings, ["b", "a"])
    assert [t.slug for t in report.themes] == ["b", "a"]
    assert report.identical == 3  # the retired theme is outside the report
    with pytest.raises(KeyError):
        report.theme("retired-theme")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "reliable"),
        (RELIABLE, "reliable"),
        (0.7999, "tentative"),
        (TENTATIVE, "tentative"),
        (0.6669, "unreliable"),
        (0.0, "unreliable"),
        (-0.3, "unreliable"),
        (None, "undefined"),
        (float("nan"), "undefined"),
    ],
)
def test_verdict_thresholds(value, expected):
    assert verdict(value) == expected


def test_thresholds_are_krippendorffs():
    assert (TENTATIVE, RELIABLE) == (0.667, 0.80)


def test_disagreements_list_the_passages_that_differ_with_what_each_coder_said():
    codings = [
        ("p1", F({"pupils-and-schools"}), F({"pupils-and-schools"})),
        ("p2", F({"pupils-and-schools", "demand-and-strain"}), F({"pupils-and-schools"})),
        ("p3", F(), F()),
        ("p4", F(), F({"data-availability"})),
    ]
    found = disagreements(codings)

    assert [d.item for d in found] == ["p2", "p4"]
    assert found[0].only_first == {"demand-and-strain"}
    assert found[0].only_second == set()
    assert found[0].shared == {"pupils-and-schools"}
    assert found[1].first == set()
    assert found[1].second == {"data-availability"}
    assert disagreements([]) == []
