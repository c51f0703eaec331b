"""How far each definition of a user moves organisations' benchmark figures from what each counts today.

``movers(model, threshold=0.20, metric="spend_per_user") -> dict[str, Movement]`` is the stable public API: per
definition key (``DEFINITION_KEYS`` order), ``Movement.compared`` (organisations with the metric both as counted
today and under the definition), ``Movement.moved`` (those whose figure moves by more than ``threshold``, a fraction,
up or down; exactly the threshold does not count), ``Movement.changed`` (those whose figure moves at all),
``Movement.share`` (moved / compared; None when nothing is compared) and ``Movement.fallback`` (compared
organisations whose baseline is the current definition because they gave no usable answer).
``movers_by_council_type`` gives the same per council type, with ``Movement.small`` flagging groups of fewer than
SMALL_GROUP organisations compared. The baseline itself is computed in model.py (``counted_today``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.surveys.results.figures import SMALL_GROUP
from app.surveys.results.impact.model import (
    DEFINITION_BY_KEY,
    DEFINITION_KEYS,
    THRESHOLD,
    ImpactModel,
    OrganisationImpact,
    council_type_groups,
    number,
)


@dataclass(frozen=True)
class Movement:
    """How many organisations' benchmark figure (one metric) moves from their baseline under one definition."""

    definition: str
    metric: str
    threshold: float  # a fraction: 0.2 = "by more than 20%"
    label: str  # "All organisations" or a council type
    council_type: str | None  # None for all organisations; "" for organisations whose council type is not known
    compared: int  # organisations with the metric under both the baseline and the definition
    moved: int  # compared organisations whose figure moves by more than the threshold, either way
    changed: int  # compared organisations whose figure moves at all
    fallback: int  # compared organisations whose baseline is the current definition (no usable answer)
    left_out: int  # organisations in the group that could not be compared (no spend or FTE, or no users)
    raised: int = 0  # of `moved`, those whose figure goes up
    lowered: int = 0  # of `moved`, those whose figure goes down

    @property
    def share(self) -> float | None:
        """moved / compared (0 to 1), or None when no organisation is compared."""
        return self.moved / self.compared if self.compared else None

    @property
    def changed_share(self) -> float | None:
        return self.changed / self.compared if self.compared else None

    @property
    def small(self) -> bool:
        return self.compared < SMALL_GROUP

    @property
    def definition_label(self) -> str:
        return DEFINITION_BY_KEY[self.definition].label


def _beyond(change: float, threshold: float) -> bool:
    """|change| > threshold, with float noise rounded away (a change of exactly 20% does not move by more)."""
    return round(abs(change), 9) > round(threshold, 9)


def movement(
    organisations: list[OrganisationImpact],
    definition: str,
    metric: str = "spend_per_user",
    threshold: float = THRESHOLD,
    label: str = "All organisations",
    council_type: str | None = None,
) -> Movement:
    """How far one definition moves these organisations' figure for `metric` from what they count today."""
    changes = [(o, c) for o in organisations if (c := o.change(definition, metric)) is not None]
    moved = [c for _, c in changes if _beyond(c, threshold)]
    return Movement(
        definition=definition,
        metric=metric,
        threshold=threshold,
        label=label,
        council_type=council_type,
        compared=len(changes),
        moved=len(moved),
        changed=sum(1 for _, c in changes if _beyond(c, 0)),
        fallback=sum(1 for o, _ in changes if o.fallback),
        left_out=len(organisations) - len(changes),
        raised=sum(1 for c in moved if c > 0),
        lowered=sum(1 for c in moved if c < 0),
    )


def movers(model: ImpactModel, threshold: float = THRESHOLD, metric: str = "spend_per_user") -> dict[str, Movement]:
    """Per definition key (DEFINITION_KEYS order): how many organisations' `metric` moves by more than `threshold`
    (a fraction) from what each counts today, how many move at all and how many are compared (stable API)."""
    threshold = abs(number(threshold) or 0.0)
    return {d: movement(model.organisations, d, metric, threshold) for d in DEFINITION_KEYS}


def movers_by_council_type(
    model: ImpactModel, threshold: float = THRESHOLD, metric: str = "spend_per_user"
) -> list[tuple[str, str, dict[str, Movement]]]:
    """(slug, label, movers) per council type present, as ``movers`` within the group (``Movement.small`` flags
    groups of fewer than SMALL_GROUP organisations compared)."""
    threshold = abs(number(threshold) or 0.0)
    return [
        (slug, label, {d: movement(members, d, metric, threshold, label, slug) for d in DEFINITION_KEYS})
        for slug, label, members in council_type_groups(model.organisations)
    ]
