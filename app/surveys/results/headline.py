"""The headline answer to the brief: are organisations that provide ICT services to pupils the exception
or the majority? The share overall and by council type and region, each with a 95% Wilson interval,
and the level of service pupils get."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.authoring.definition import Definition
from app.surveys.results.dataset import Row
from app.surveys.results.figures import SMALL_GROUP, Share, percent_of


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion (95% by default), as fractions; None when n is 0."""
    if n == 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Proportion:
    """Organisations that support pupils, in one group, with a 95% Wilson interval."""

    label: str
    supporting: int
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def percent(self) -> float | None:
        return percent_of(self.supporting, self.n)

    @property
    def small(self) -> bool:
        return self.n < SMALL_GROUP


def _proportion(label: str, rows: list[Row]) -> Proportion:
    answered = [r for r in rows if r.answers.get("provides_education") in ("yes", "no")]
    supporting = sum(1 for r in answered if r.provides_education)
    interval = wilson_interval(supporting, len(answered))
    return Proportion(label, supporting, len(answered), *(interval or (None, None)))


@dataclass
class Headline:
    """The brief's question answered: how many support pupils, and the service pupils get."""

    overall: Proportion
    by_council_type: list[Proportion]
    by_region: list[Proportion]
    pupil_service: list[Share]
    pupil_service_n: int

    @property
    def verdict(self) -> str:
        """'the majority', 'the exception' or 'not clear' from the interval."""
        o = self.overall
        if o.n == 0 or o.low is None:
            return "not known yet"
        if o.low > 0.5:
            return "the majority"
        if o.high < 0.5:
            return "the exception"
        return "not clearly either: the interval includes half"


def headline(definition: Definition, rows: list[Row]) -> Headline:
    """The share of responding organisations that provide ICT services to pupils, overall and by group."""
    by_type = [_proportion(label, [r for r in rows if r.council_type == slug]) for slug, label in COUNCIL_TYPES.items()]
    by_region = [_proportion(label, [r for r in rows if r.region == slug]) for slug, label in REGIONS.items()]
    service = definition.question("service_level")
    shares: list[Share] = []
    n = 0
    if service is not None:
        levels = [
            r.answers["service_level"].get("pupils")
            for r in rows
            if r.provides_education
            and isinstance(r.answers.get("service_level"), dict)
            and r.answers["service_level"].get("pupils")
        ]
        n = len(levels)
        counts = Counter(levels)
        shares = [Share(o.label, counts[o.value], percent_of(counts[o.value], n), o.value) for o in service.scale]
    return Headline(
        overall=_proportion("All responding organisations", rows),
        by_council_type=[p for p in by_type if p.n],
        by_region=[p for p in by_region if p.n],
        pupil_service=shares,
        pupil_service_n=n,
    )


def interval_items(groups: list[Proportion]) -> list[tuple[str, float | None, float | None, float | None]]:
    """(label, percent, low %, high %) rows for an interval chart."""
    return [
        (g.label, g.percent, None if g.low is None else 100 * g.low, None if g.high is None else 100 * g.high)
        for g in groups
    ]
