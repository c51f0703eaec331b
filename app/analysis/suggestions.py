"""One suggested theme for a passage: the shape the rule tagger and the learned re-ranker both return."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    """A theme suggested for one text, how sure the suggester is, and where the text shows it.

    `confidence` lies in (0, 1]. `evidence` holds (start, end) character offsets into the text that was
    tagged, one pair per indicator hit; it is empty when nothing in the text can be pointed at (a theme
    added by the learned model alone).
    """

    slug: str
    confidence: float
    evidence: tuple[tuple[int, int], ...] = ()
