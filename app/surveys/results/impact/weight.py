"""The default pupil weight: how much support a pupil draws relative to an average user, derived from the
survey's strain estimates (the median ratio, clamped to [0, 1]), and how it was reached, in words; and the
weights of the external groups under definition 5 (``external_derivation``), with the reason for each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.surveys.results.impact.model import (
    ASSUMED_WEIGHT,
    CATEGORY_LABELS,
    DONT_KNOW,
    EXTERNAL_CATEGORIES,
    STAFF_LIKE,
    count,
    external_weights,
    number,
    quartiles,
    user_counts,
)
from app.wording import plural


@dataclass
class WeightDerivation:
    """How the default pupil weight was reached, for the page to explain."""

    weight: float  # 0-1, rounded to 2 places
    assumed: bool  # True when no organisation gave the figures, so weight is ASSUMED_WEIGHT
    n: int  # organisations used
    median_ratio: float | None  # before clamping and rounding
    q1_ratio: float | None
    q3_ratio: float | None
    clamped: bool  # the median ratio was above 1 (or below 0), so the weight was capped
    dont_know: int  # organisations with pupils that did not know the share of incidents from pupils
    explanation: str
    ratios: list[float] = field(default_factory=list)  # one per organisation used, in ascending order


def default_weight(rows: Iterable[Any]) -> WeightDerivation:
    """The pupil weight derived from the strain estimates.

    For each organisation with pupils, a numeric share of incidents from pupils, and users under definition 3:
    pupils' share of users p = 100 x pupils / users (definition 3), and ratio = share of incidents from pupils / p,
    how much support a pupil draws relative to an average user. The weight is the median ratio, clamped to
    [0, 1] and rounded to 2 places. With no such organisation, the weight is ASSUMED_WEIGHT, flagged assumed.
    """
    ratios: list[float] = []
    dont_know = 0
    for row in rows:
        answers = getattr(row, "answers", None) or {}
        counts = user_counts(answers, ASSUMED_WEIGHT)
        users = answers.get("users") if isinstance(answers.get("users"), dict) else {}
        pupils = count(users, "pupils")
        if pupils <= 0:
            continue
        incidents = answers.get("incidents_pupils")
        if incidents == DONT_KNOW:
            dont_know += 1
        share = number(incidents)
        if share is None or counts["plus_pupils"] <= 0:
            continue
        ratios.append(share / (100.0 * pupils / counts["plus_pupils"]))
    ratios.sort()
    if not ratios:
        unknown = (
            f" {plural(dont_know, 'organisation')} with pupils did not know the share of incidents from pupils."
            if dont_know
            else ""
        )
        return WeightDerivation(
            weight=ASSUMED_WEIGHT,
            assumed=True,
            n=0,
            median_ratio=None,
            q1_ratio=None,
            q3_ratio=None,
            clamped=False,
            dont_know=dont_know,
            explanation=(
                f"No organisation that supports pupils gave both its number of pupils and the share of "
                f"incidents from pupils, so a pupil is assumed to count as {ASSUMED_WEIGHT:.2f} of a user. "
                f"This is an assumed default, not a figure from the survey.{unknown}"
            ),
        )
    q1, median, q3 = quartiles(ratios)
    clamped = not 0 <= median <= 1
    weight = round(min(1.0, max(0.0, median)), 2)
    who = "organisation that supports" if len(ratios) == 1 else "organisations that support"
    explanation = (
        f"Based on {len(ratios):,} {who} pupils and estimated the share of incidents from pupils: "
        f"a pupil generates a median of {median:.2f} times the incidents of an average user, "
    )
    if clamped:
        explanation += f"but a pupil can count as at most one user, so a pupil counts as {weight:.2f} of a user."
    else:
        explanation += f"so a pupil counts as {weight:.2f} of a user."
    return WeightDerivation(
        weight=weight,
        assumed=False,
        n=len(ratios),
        median_ratio=median,
        q1_ratio=q1,
        q3_ratio=q3,
        clamped=clamped,
        dont_know=dont_know,
        explanation=explanation,
        ratios=ratios,
    )


@dataclass
class ExternalWeight:
    """One external group's weight under definition 5 and why."""

    category: str
    label: str  # "partner-organisation staff"
    weight: float
    basis: str  # a sentence: how the weight was chosen


@dataclass
class ExternalDerivation:
    """The external groups' weights under definition 5 and the explanation the page shows."""

    weights: list[ExternalWeight]
    explanation: str

    @property
    def by_category(self) -> dict[str, float]:
        return {w.category: w.weight for w in self.weights}


def _pupil_basis(weight: float, derivation: WeightDerivation | None) -> str:
    if derivation is not None and round(weight, 2) == derivation.weight:
        if derivation.assumed:
            return "itself an assumed default, as no organisation gave the figures to derive it"
        return f"derived from the share of incidents from pupils that {plural(derivation.n, 'organisation')} gave"
    return "the weight entered for a pupil"


def external_derivation(weight: float, derivation: WeightDerivation | None = None) -> ExternalDerivation:
    """The weights of partner staff, contractors, volunteers and residents (``model.external_weights``) and why.

    The survey asks about the strain from school staff and pupils only, so no external group's weight can be
    derived from an organisation's answers: partner-organisation staff and contractors are assumed to count as one
    user each (they hold accounts and devices on the same terms as staff, the "equivalent strain" the study asks
    about), volunteers and residents as a pupil does (occasional users of shared or public devices, the one such
    group whose strain the survey measures). `derivation` is the default pupil weight's, to say where w came from.
    """
    weights = external_weights(weight)
    w = weights["volunteers"]
    basis_staff = (
        "Assumed: they hold accounts and devices on the same terms as staff, so each counts as one user "
        "(the equivalent strain the study asks about)."
    )
    basis_light = (
        f"The pupil weight ({w:.2f}, {_pupil_basis(w, derivation)}): like pupils they are occasional users "
        "of shared or public devices, and pupils are the one such group whose strain the survey measures."
    )
    rows = [
        ExternalWeight(c, CATEGORY_LABELS[c], weights[c], basis_staff if c in STAFF_LIKE else basis_light)
        for c in EXTERNAL_CATEGORIES
    ]
    explanation = (
        "The survey asks about the strain from school staff and pupils only, so the weights of users from outside "
        "the organisation are assumed, not derived: partner-organisation staff and contractors count as one user "
        f"each, as staff do; volunteers and residents using council ICT count as {w:.2f} of a user each, the "
        f"pupil weight ({_pupil_basis(w, derivation)})."
    )
    return ExternalDerivation(weights=rows, explanation=explanation)
