"""How well suggested themes match a gold standard: per-theme precision, recall and F1, micro and macro F1,
and how many of the passages that carry no theme were rightly left untagged.

Conventions, stated because the literature varies: precision is 0 when a theme was never suggested,
recall is 0 when it never occurs in the gold standard, F1 is 0 when both are 0; macro-F1 averages over
the themes that occur in the gold standard or were suggested at least once (a theme absent from both
tells nothing and would otherwise count as a perfect or a zero score arbitrarily).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeScore:
    """Precision, recall and F1 of one theme, with the counts behind them."""

    slug: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        """Passages the gold standard codes with this theme."""
        return self.true_positives + self.false_negatives

    @property
    def predicted(self) -> int:
        """Passages the tagger suggested this theme for."""
        return self.true_positives + self.false_positives

    @property
    def precision(self) -> float:
        """Share of suggestions that were right (0 when there were none)."""
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Share of gold codes that were suggested (0 when there were none)."""
        return self.true_positives / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return _f1(self.true_positives, self.false_positives, self.false_negatives)


@dataclass(frozen=True)
class Evaluation:
    """Every theme's score, micro and macro F1, and the share of theme-less passages left untagged."""

    themes: tuple[ThemeScore, ...]
    passages: int
    themeless: int
    themeless_untagged: int

    @property
    def micro_f1(self) -> float:
        """F1 over every (passage, theme) decision pooled."""
        return _f1(
            sum(t.true_positives for t in self.themes),
            sum(t.false_positives for t in self.themes),
            sum(t.false_negatives for t in self.themes),
        )

    @property
    def macro_f1(self) -> float:
        """The mean of the themes' F1, over themes present in the gold standard or suggested."""
        counted = [t.f1 for t in self.themes if t.support or t.predicted]
        return sum(counted) / len(counted) if counted else 0.0

    @property
    def untagged_share(self) -> float | None:
        """Share of passages without a gold theme that got no suggestion (None when there are none)."""
        return self.themeless_untagged / self.themeless if self.themeless else None

    def theme(self, slug: str) -> ThemeScore:
        """The score of one theme."""
        for score in self.themes:
            if score.slug == slug:
                return score
        raise KeyError(slug)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]], slugs: Iterable[str]) -> Evaluation:
    """Score predicted theme sets against gold ones, passage by passage (the lists run in step)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold passages but {len(predicted)} predictions: they must run in step.")
    slugs = tuple(slugs)
    counts = {slug: [0, 0, 0] for slug in slugs}
    themeless = themeless_untagged = 0
    for gold_set, predicted_set in zip(gold, predicted, strict=True):
        gold_set, predicted_set = set(gold_set), set(predicted_set)
        if not gold_set:
            themeless += 1
            themeless_untagged += not (predicted_set & set(slugs))
        for slug in slugs:
            in_gold, in_predicted = slug in gold_set, slug in predicted_set
            if in_gold and in_predicted:
                counts[slug][0] += 1
            elif in_predicted:
                counts[slug][1] += 1
            elif in_gold:
                counts[slug][2] += 1
    return Evaluation(
        themes=tuple(ThemeScore(slug, *counts[slug]) for slug in slugs),
        passages=len(gold),
        themeless=themeless,
        themeless_untagged=themeless_untagged,
    )


def format_evaluation(evaluation: Evaluation) -> str:
    """The evaluation as a plain-text table (what `flask analysis evaluate` prints)."""
    width = max([len("Theme"), *(len(t.slug) for t in evaluation.themes)])
    lines = [f"{'Theme':<{width}}  Precision  Recall     F1  Support  Suggested"]
    for t in evaluation.themes:
        lines.append(
            f"{t.slug:<{width}}  {t.precision:>9.2f}  {t.recall:>6.2f}  {t.f1:>5.2f}  {t.support:>7}  {t.predicted:>9}"
        )
    lines.append("")
    lines.append(f"Passages: {evaluation.passages}")
    lines.append(f"Micro-F1: {evaluation.micro_f1:.2f}")
    lines.append(f"Macro-F1: {evaluation.macro_f1:.2f}")
    share = evaluation.untagged_share
    if share is None:
        lines.append("Theme-less passages left untagged: none in the gold standard")
    else:
        lines.append(
            f"Theme-less passages left untagged: {share:.0%} "
            f"({evaluation.themeless_untagged} of {evaluation.themeless})"
        )
    return "\n".join(lines)
