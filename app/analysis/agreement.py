"""Agreement between two coders who coded the same passages blind: how far their themes can be trusted.

Per theme, each passage is reduced to "theme present or not" for each coder, and the two columns give
the percentage agreement and Cohen's kappa. Cohen's, not Scott's or Fleiss': the chance agreement comes
from each coder's own marginals (P(both yes) + P(both no) = pA(yes)·pB(yes) + pA(no)·pB(no)), which is
what QualCoder gets wrong. Over the whole label sets, Krippendorff's alpha with the MASI distance gives
partial credit when the sets overlap ({a, b} against {a} is closer than {a} against {b}).

All three figures come from `nltk.metrics.agreement.AnnotationTask`. The degenerate cases are reported
as undefined (None, with a sentence saying why), never as a flattering 1.0 and never as a crash:
kappa when the chance agreement is already 1 (both coders gave every passage the same answer, typically
"not this theme"), alpha when the passages show no variation at all, everything when there are no
passages. Thresholds follow Krippendorff: 0.80 reliable, 0.667 enough for tentative conclusions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import binary_distance, masi_distance

TENTATIVE = 0.667
RELIABLE = 0.80

Verdict = Literal["reliable", "tentative", "unreliable", "undefined"]

_FIRST, _SECOND = "first", "second"


def verdict(value: float | None) -> Verdict:
    """How far a kappa or alpha can be relied on: reliable from 0.80, tentative from 0.667, undefined if None."""
    if value is None or math.isnan(value):
        return "undefined"
    if value >= RELIABLE:
        return "reliable"
    if value >= TENTATIVE:
        return "tentative"
    return "unreliable"


@dataclass(frozen=True)
class ThemeAgreement:
    """Two coders' agreement on one theme: the 2×2 table, observed and chance agreement, Cohen's kappa."""

    slug: str
    both: int
    first_only: int
    second_only: int
    neither: int
    observed: float | None
    expected: float | None
    kappa: float | None
    note: str | None = None

    @property
    def items(self) -> int:
        """How many passages both coders coded."""
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def percent_agreement(self) -> float | None:
        """The share of passages on which the coders agree (theme present for both or for neither), in %."""
        return None if self.observed is None else 100.0 * self.observed

    @property
    def verdict(self) -> Verdict:
        """The kappa's verdict (see `verdict`)."""
        return verdict(self.kappa)


@dataclass(frozen=True)
class AgreementReport:
    """Per-theme agreement and Krippendorff's alpha (MASI) over the label sets of the same passages."""

    items: int
    themes: tuple[ThemeAgreement, ...]
    alpha: float | None
    identical: int
    alpha_note: str | None = None

    @property
    def alpha_verdict(self) -> Verdict:
        """Alpha's verdict (see `verdict`)."""
        return verdict(self.alpha)

    @property
    def percent_identical(self) -> float | None:
        """The share of passages given exactly the same set of themes by both coders, in %."""
        return None if not self.items else 100.0 * self.identical / self.items

    def theme(self, slug: str) -> ThemeAgreement:
        """The agreement on one theme; KeyError for a theme the report does not cover."""
        for theme in self.themes:
            if theme.slug == slug:
                return theme
        raise KeyError(slug)


@dataclass(frozen=True)
class Disagreement:
    """A passage the two coders coded differently, and what each said."""

    item: Hashable
    first: frozenset[str]
    second: frozenset[str]

    @property
    def only_first(self) -> frozenset[str]:
        """Themes only the first coder gave."""
        return self.first - self.second

    @property
    def only_second(self) -> frozenset[str]:
        """Themes only the second coder gave."""
        return self.second - self.first

    @property
    def shared(self) -> frozenset[str]:
        """Themes both coders gave."""
        return self.first & self.second


def _masi(first: frozenset[str], second: frozenset[str]) -> float:
    """MASI distance, with two empty sets at distance 0 (NLTK's divides by their empty union)."""
    if first == second:
        return 0.0
    return masi_distance(first, second)


def _triples(pairs: Sequence[tuple[Hashable, Hashable]]) -> list[tuple[str, int, Hashable]]:
    """(coder, item, label) rows for NLTK, the passages numbered in the order given."""
    return [
        (coder, i, label) for i, pair in enumerate(pairs) for coder, label in zip((_FIRST, _SECOND), pair, strict=True)
    ]


def _theme_agreement(slug: str, pairs: Sequence[tuple[bool, bool]]) -> ThemeAgreement:
    both = sum(1 for a, b in pairs if a and b)
    first_only = sum(1 for a, b in pairs if a and not b)
    second_only = sum(1 for a, b in pairs if b and not a)
    neither = len(pairs) - both - first_only - second_only
    counts = {"both": both, "first_only": first_only, "second_only": second_only, "neither": neither}
    if not pairs:
        return ThemeAgreement(slug, **counts, observed=None, expected=None, kappa=None, note="No passages coded.")
    task = AnnotationTask(
        [
            (coder, i, label)
            for i, pair in enumerate(pairs)
            for coder, label in zip((_FIRST, _SECOND), pair, strict=True)
        ],
        distance=binary_distance,
    )
    observed = task.Ao(_FIRST, _SECOND)
    expected = task.Ae_kappa(_FIRST, _SECOND)
    if math.isclose(expected, 1.0):
        # Both coders gave every passage the same single answer: chance alone explains the agreement,
        # so kappa is 0/0. NLTK would report 1.0 here; that would praise coders who never used the theme.
        said = "used this theme on every passage" if both else "never used this theme"
        note = f"Both coders {said}, so kappa is undefined: there is nothing to agree on beyond chance."
        return ThemeAgreement(slug, **counts, observed=observed, expected=expected, kappa=None, note=note)
    return ThemeAgreement(slug, **counts, observed=observed, expected=expected, kappa=task.kappa())


def _alpha(label_sets: Sequence[tuple[frozenset[str], frozenset[str]]]) -> tuple[float | None, str | None]:
    if not label_sets:
        return None, "No passages coded."
    if len({labels for pair in label_sets for labels in pair}) == 1:
        # Every passage got the same set from both coders: expected disagreement is 0, alpha is 0/0.
        return None, "Every passage has the same themes from both coders, so alpha is undefined: there is no variation."
    task = AnnotationTask(
        [
            (coder, i, labels)
            for i, pair in enumerate(label_sets)
            for coder, labels in zip((_FIRST, _SECOND), pair, strict=True)
        ],
        distance=_masi,
    )
    return task.alpha(), None


def agreement(codings: Sequence[tuple[frozenset[str], frozenset[str]]], slugs: Iterable[str]) -> AgreementReport:
    """Agreement between two coders over the same passages: one (first coder's, second coder's) pair of themes each.

    Only the themes in `slugs` count, for kappa and alpha alike (a code from outside them is ignored), and the
    per-theme results come in the order of `slugs`.
    """
    slugs = tuple(dict.fromkeys(slugs))
    wanted = frozenset(slugs)
    label_sets = [(frozenset(first) & wanted, frozenset(second) & wanted) for first, second in codings]
    themes = tuple(_theme_agreement(slug, [(slug in a, slug in b) for a, b in label_sets]) for slug in slugs)
    alpha, alpha_note = _alpha(label_sets)
    identical = sum(1 for a, b in label_sets if a == b)
    return AgreementReport(len(label_sets), themes, alpha, identical, alpha_note)


def disagreements(codings: Iterable[tuple[Hashable, frozenset[str], frozenset[str]]]) -> list[Disagreement]:
    """The passages (by id, in the order given) whose two sets of themes differ, with what each coder said."""
    return [
        Disagreement(item, frozenset(first), frozenset(second))
        for item, first, second in codings
        if frozenset(first) != frozenset(second)
    ]
