"""The 'service user' impact model's statistics: how council ICT benchmarks change with the definition of a user.

Socitm Improve benchmarks ICT per service user (ICT spend per user, users per ICT staff FTE). This module
recomputes those metrics from the survey's user counts under five definitions of a user:

1. ``current``: office staff + frontline staff + councillors;
2. ``plus_school_staff``: current + school staff;
3. ``plus_pupils``: current + school staff + pupils;
4. ``weighted``: current + school staff + w x pupils, with w from 0 to 1 chosen by the analyst (by default
   derived from the share of incidents that come from pupils: see ``default_weight``);
5. ``plus_external``: definition 4 + the users from outside the organisation, each weighted
   (``external_weights``): partner-organisation staff and contractors/temporary staff as one user each
   (assumed: they hold accounts and devices on the same terms as staff, and the survey asks nothing about
   their strain), volunteers and residents using council ICT as w, the pupil weight (occasional users of
   shared or public devices, like pupils, the one such group whose strain the survey measures).

The baseline "as counted today" is, per organisation, the sum of the user groups it ticks in
``counted_in_benchmark`` (unweighted: what it reports). An organisation that did not answer, answered "I do not
know", ticked nothing we recognise or does not submit a benchmarking return ("no-return") falls back to the current
definition; it stays in every figure and ``baseline_source`` says why (``BASELINE_SOURCES``).

``movers(model, threshold=0.20, metric="spend_per_user") -> dict[str, Movement]`` (in movement.py) is the stable
public summary
of how far the definitions move each organisation's benchmark figure from its baseline: for every definition key,
``Movement.compared`` (organisations with the metric under both), ``Movement.moved`` (those whose figure moves by
more than ``threshold``, a fraction, in either direction), ``Movement.changed`` (those whose figure moves at all),
``Movement.share`` (moved / compared, None when nothing is compared) and ``Movement.fallback`` (compared
organisations whose baseline is the current definition). ``movers_by_council_type`` gives the same per council
type (small groups flagged). The recommendation's scoring reads the share of organisations whose per-user cost
moves by more than 20% under an alternative definition from it.

Plain functions of plain data: rows are ``app.surveys.results.dataset.Row`` or any objects with ``organisation_id``,
``region``, ``council_type`` and ``answers``. Nothing here raises on missing or odd answers; an organisation
without the figures a metric needs is left out of that metric and counted.

Medians and quartiles use pandas' ``quantile`` with its default linear interpolation between data points
(Excel's QUARTILE.INC), so every figure can be checked in a spreadsheet.

Organisations appear only by an anonymous code ("Org 007", numbered by ascending organisation id within the
rows given), their region and their council type, never by name: analysts must not see who answered what.

The default pupil weight is derived in weight.py; the sentences that report the model are written in wording.py;
the movement from what each organisation counts today is counted in movement.py.

Longer than 500 lines because the five definitions, the baseline, the per-organisation record, the summaries, the
rank shifts and the export rows share one set of dataclasses and helpers; the weights, the movement and the
sentences are already split out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.numbers import finite_float
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.results.figures import SMALL_GROUP  # groups with fewer organisations are flagged small

ASSUMED_WEIGHT = 0.25  # a pupil's weight when the survey gives nothing to derive it from
TOP_MOVERS = 10
DONT_KNOW = "dont_know"

CURRENT_CATEGORIES = ("office_staff", "frontline_staff", "councillors")
SCHOOL_CATEGORIES = ("school_staff", "pupils")
EXTERNAL_CATEGORIES = ("partners", "contractors", "volunteers", "residents")
ALL_CATEGORIES = CURRENT_CATEGORIES + SCHOOL_CATEGORIES + EXTERNAL_CATEGORIES
CATEGORY_LABELS: dict[str, str] = {
    "office_staff": "office-based staff",
    "frontline_staff": "frontline and mobile staff",
    "councillors": "councillors",
    "school_staff": "school staff",
    "pupils": "pupils",
    "partners": "partner-organisation staff",
    "contractors": "contractors and temporary staff",
    "volunteers": "volunteers",
    "residents": "residents using council ICT",
}
STAFF_LIKE = ("partners", "contractors")  # assumed to count as one user each (EXTERNAL_STAFF_WEIGHT)
LIGHT_USERS = ("volunteers", "residents")  # take the pupil weight
EXTERNAL_STAFF_WEIGHT = 1.0

BASELINE = "as_counted"
BASELINE_LABEL = "As counted today"
NO_RETURN = "no-return"
THRESHOLD = 0.20  # a benchmark figure "moves" when it changes by more than this fraction of its baseline
BASELINE_SOURCES: dict[str, str] = {
    "answer": "the groups it ticked",
    "not_answered": "did not say which groups it counts",
    "dont_know": "did not know which groups it counts",
    "no_return": "does not submit a benchmarking return",
}
UNKNOWN_COUNCIL_TYPE = "Council type not known"
UNKNOWN_REGION = "Region not known"


@dataclass(frozen=True)
class UserDefinition:
    """One definition of a 'user'."""

    key: str
    label: str
    description: str
    counting: str  # completes "Counting ... lowers the median"; empty for the current definition


DEFINITIONS: tuple[UserDefinition, ...] = (
    UserDefinition("current", "Current definition", "Office-based staff, frontline staff and councillors", ""),
    UserDefinition(
        "plus_school_staff", "Plus school staff", "The current definition plus school staff", "school staff"
    ),
    UserDefinition(
        "plus_pupils",
        "Plus school staff and pupils",
        "The current definition plus school staff and pupils",
        "school staff and pupils",
    ),
    UserDefinition(
        "weighted",
        "Plus school staff and weighted pupils",
        "The current definition plus school staff, with each pupil counted as a fraction of a user",
        "school staff and weighted pupils",
    ),
    UserDefinition(
        "plus_external",
        "Plus external users, weighted",
        "Definition 4 plus the users from outside the organisation: partner-organisation staff and contractors "
        "as one user each, volunteers and residents using council ICT weighted like pupils",
        "school staff, weighted pupils and weighted external users",
    ),
)
DEFINITION_KEYS: tuple[str, ...] = tuple(d.key for d in DEFINITIONS)
DEFINITION_BY_KEY: dict[str, UserDefinition] = {d.key: d for d in DEFINITIONS}
BASE = "current"
OTHERS: tuple[str, ...] = DEFINITION_KEYS[1:]

METRICS: dict[str, str] = {
    "spend_per_user": "ICT spend per user",
    "users_per_fte": "Users per ICT staff FTE",
}


# --- reading answers -------------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A finite number from an answer, or None (for None, "dont_know", text, booleans, NaN...)."""
    return finite_float(value) if isinstance(value, int | float) else None


def count(users: dict, category: str) -> float:
    """One category of the user grid; a blank or unreadable cell counts as 0."""
    value = number(users.get(category))
    return value if value is not None else 0.0


def clamp_weight(weight: Any) -> float:
    """A pupil weight forced into [0, 1]; anything that is not a number becomes the assumed default."""
    value = number(weight)
    if value is None:
        return ASSUMED_WEIGHT
    return min(1.0, max(0.0, value))


def external_weights(weight: Any) -> dict[str, float]:
    """Each external group's weight under definition 5: partner staff and contractors 1, volunteers and residents
    the pupil weight (clamped to [0, 1]). weight.py explains the choice in words (``external_derivation``)."""
    w = clamp_weight(weight)
    return {c: (EXTERNAL_STAFF_WEIGHT if c in STAFF_LIKE else w) for c in EXTERNAL_CATEGORIES}


def _grid(answers: dict[str, Any] | None) -> dict:
    users = answers.get("users") if isinstance(answers, dict) else None
    return users if isinstance(users, dict) else {}


def user_counts(answers: dict[str, Any] | None, weight: float) -> dict[str, float]:
    """The number of users under each definition, from an organisation's answers (0 where nothing is given)."""
    users = _grid(answers)
    current = sum(count(users, c) for c in CURRENT_CATEGORIES)
    school_staff = count(users, "school_staff")
    pupils = count(users, "pupils")
    w = clamp_weight(weight)
    weighted = current + school_staff + w * pupils
    external = sum(x * count(users, c) for c, x in external_weights(w).items())
    return {
        "current": current,
        "plus_school_staff": current + school_staff,
        "plus_pupils": current + school_staff + pupils,
        "weighted": weighted,
        "plus_external": weighted + external,
    }


def counted_today(answers: dict[str, Any] | None) -> tuple[tuple[str, ...], str]:
    """The groups an organisation counts in its benchmarking return and where that comes from (BASELINE_SOURCES).

    ``counted_in_benchmark`` as ticked, in survey order; "no-return", "I do not know", no answer, or no group we
    recognise fall back to the current definition's groups (the source says which).
    """
    value = answers.get("counted_in_benchmark") if isinstance(answers, dict) else None
    if isinstance(value, str):
        value = [value]
    ticked = set(value) if isinstance(value, list | tuple) else set()
    ticked = {v for v in ticked if isinstance(v, str)}
    if NO_RETURN in ticked:
        return CURRENT_CATEGORIES, "no_return"
    if DONT_KNOW in ticked or "dont-know" in ticked:
        return CURRENT_CATEGORIES, "dont_know"
    categories = tuple(c for c in ALL_CATEGORIES if c in ticked)
    if not categories:
        return CURRENT_CATEGORIES, "not_answered"
    return categories, "answer"


def quartiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """(Q1, median, Q3) by linear interpolation (pandas' default); Nones for no values (so pandas never warns)."""
    if not values:
        return None, None, None
    q = pd.Series(values, dtype="float64").quantile([0.25, 0.5, 0.75])
    return float(q.iloc[0]), float(q.iloc[1]), float(q.iloc[2])


# --- the model -------------------------------------------------------------------------------------


@dataclass
class OrganisationImpact:
    """One organisation's users, metrics and spend ranks under each definition (keys: DEFINITION_KEYS)."""

    code: str  # "Org 007": anonymous, by ascending organisation id within the rows
    region: str  # slug ("" when not known)
    region_label: str
    council_type: str  # slug ("" when not known)
    council_type_label: str
    ict_revenue_spend: float | None
    ict_staff_fte: float | None  # None when missing or 0 (nothing can be divided by it)
    users: dict[str, float]
    spend_per_user: dict[str, float | None]  # None: no spend, or no users under that definition
    users_per_fte: dict[str, float | None]  # None: no FTE, or no users under that definition
    rank_spend: dict[str, float | None] = field(default_factory=dict)  # 1 = highest spend per user; ties averaged
    rank_shift_spend: dict[str, float | None] = field(default_factory=dict)  # rank under key - rank under current
    counted: tuple[str, ...] = CURRENT_CATEGORIES  # the groups in its baseline (the current ones on a fallback)
    baseline_source: str = "not_answered"  # a BASELINE_SOURCES key: "answer" or why it fell back
    baseline_users: float = 0.0  # the users it counts today (unweighted sum of `counted`)
    spend_per_user_baseline: float | None = None
    users_per_fte_baseline: float | None = None

    def metric(self, metric: str) -> dict[str, float | None]:
        return self.spend_per_user if metric == "spend_per_user" else self.users_per_fte

    def baseline(self, metric: str) -> float | None:
        return self.spend_per_user_baseline if metric == "spend_per_user" else self.users_per_fte_baseline

    @property
    def fallback(self) -> bool:
        """True when the baseline is the current definition because the organisation gave no usable answer."""
        return self.baseline_source != "answer"

    def change(self, definition: str, metric: str = "spend_per_user") -> float | None:
        """The relative change of a metric from the baseline to a definition (-0.25 = a quarter lower), or None."""
        before, after = self.baseline(metric), self.metric(metric)[definition]
        if before is None or after is None or before == 0:
            return None
        return (after - before) / before


@dataclass
class Summary:
    """Median and quartiles of one metric under one definition, for all organisations or one council type."""

    label: str
    council_type: str | None  # None for all organisations; "" for organisations whose council type is not known
    n: int  # organisations with the metric
    excluded: int  # organisations in the group without it (no spend/FTE, or no users)
    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    @property
    def small(self) -> bool:
        return self.n < SMALL_GROUP


@dataclass
class MetricResult:
    """One metric under one definition: overall and by council type (small groups flagged, not hidden)."""

    definition: str
    metric: str
    overall: Summary
    by_council_type: list[Summary]

    @property
    def definition_label(self) -> str:
        return DEFINITION_BY_KEY[self.definition].label

    @property
    def metric_label(self) -> str:
        return METRICS[self.metric]


@dataclass
class MedianChange:
    """A metric's median under the current definition and another, over the same organisations."""

    definition: str
    metric: str
    n: int  # organisations with the metric under both definitions
    median_current: float | None
    median_other: float | None

    @property
    def percent_change(self) -> float | None:
        if self.median_current is None or self.median_other is None or self.median_current == 0:
            return None
        return 100.0 * (self.median_other - self.median_current) / self.median_current


@dataclass
class RankedOrganisation:
    """An organisation's place in the spend-per-user ranking under the current definition and another."""

    code: str
    region: str
    region_label: str
    council_type: str
    council_type_label: str
    spend_per_user_current: float
    spend_per_user_other: float
    rank_current: float  # 1 = highest spend per user; ties share the average rank
    rank_other: float
    shift: float  # rank_other - rank_current: positive = moves down the ranking (towards lower spend per user)


@dataclass
class RankShift:
    """How the spend-per-user ranking changes from the current definition to another, in one group."""

    definition: str
    label: str
    council_type: str | None  # None for all organisations; "" for organisations whose council type is not known
    n: int  # organisations ranked (those with spend per user under both definitions)
    spearman: float | None  # rank correlation; None with fewer than 3 organisations or a constant ranking
    entries: list[RankedOrganisation]  # every organisation ranked, by code
    movers: list[RankedOrganisation]  # up to TOP_MOVERS largest non-zero shifts, largest first (ties by code)

    @property
    def small(self) -> bool:
        return self.n < SMALL_GROUP

    @property
    def moved(self) -> int:
        """Organisations whose rank changes."""
        return sum(1 for e in self.entries if e.shift != 0)

    @property
    def largest_shift(self) -> float:
        return max((abs(e.shift) for e in self.entries), default=0.0)


@dataclass
class RankComparison:
    """The ranking under the current definition against one other definition: overall and by council type."""

    definition: str
    overall: RankShift
    by_council_type: list[RankShift]

    @property
    def definition_label(self) -> str:
        return DEFINITION_BY_KEY[self.definition].label


@dataclass
class ImpactModel:
    """Everything the impact page shows."""

    weight: float  # the pupil weight used for the 'weighted' definition
    organisations: list[OrganisationImpact]  # by code
    excluded_missing_spend: int  # organisations that gave no ICT revenue spend (left out of spend per user)
    excluded_missing_fte: int  # organisations that gave no ICT staff FTE, or 0 (left out of users per FTE)
    excluded_zero_users: dict[str, int]  # per definition: organisations with no users under it (left out of both)
    metrics: list[MetricResult]  # every definition x metric, in DEFINITIONS then METRICS order
    changes: list[MedianChange]  # every metric x other definition, against the current definition
    rank_shifts: list[RankComparison]  # one per other definition
    external_weights: dict[str, float] = field(default_factory=dict)  # per external group, under plus_external

    @property
    def n(self) -> int:
        return len(self.organisations)

    @property
    def baseline_sources(self) -> dict[str, int]:
        """How many organisations' baselines come from each source (every BASELINE_SOURCES key, 0 included)."""
        found = {key: 0 for key in BASELINE_SOURCES}
        for o in self.organisations:
            found[o.baseline_source] = found.get(o.baseline_source, 0) + 1
        return found

    @property
    def fallbacks(self) -> int:
        """Organisations whose baseline is the current definition because they gave no usable answer."""
        return sum(1 for o in self.organisations if o.fallback)

    def result(self, definition: str, metric: str) -> MetricResult:
        return next(m for m in self.metrics if m.definition == definition and m.metric == metric)

    def change(self, definition: str, metric: str) -> MedianChange:
        return next(c for c in self.changes if c.definition == definition and c.metric == metric)

    def rank_shift(self, definition: str) -> RankComparison:
        return next(r for r in self.rank_shifts if r.definition == definition)


def _code(index: int, total: int) -> str:
    return f"Org {index:0{max(3, len(str(total)))}d}"


def _label(table: dict[str, str], slug: Any, unknown: str) -> str:
    if not slug:
        return unknown
    return table.get(slug, str(slug))


def _sort_key(row: Any) -> tuple:
    ident = getattr(row, "organisation_id", None)
    return (ident is None, ident if isinstance(ident, int | float) else 0, str(ident))


def _organisation(code: str, row: Any, weight: float) -> OrganisationImpact:
    answers = getattr(row, "answers", None)
    answers = answers if isinstance(answers, dict) else {}
    region = getattr(row, "region", None) or ""
    council_type = getattr(row, "council_type", None) or ""
    spend = number(answers.get("ict_revenue_spend"))
    fte = number(answers.get("ict_staff_fte"))
    fte = fte if fte is not None and fte > 0 else None
    users = user_counts(answers, weight)
    counted, source = counted_today(answers)
    grid = _grid(answers)
    baseline = sum(count(grid, c) for c in counted)
    return OrganisationImpact(
        code=code,
        region=region,
        region_label=_label(REGIONS, region, UNKNOWN_REGION),
        council_type=council_type,
        council_type_label=_label(COUNCIL_TYPES, council_type, UNKNOWN_COUNCIL_TYPE),
        ict_revenue_spend=spend,
        ict_staff_fte=fte,
        users=users,
        spend_per_user={k: spend / u if spend is not None and u > 0 else None for k, u in users.items()},
        users_per_fte={k: u / fte if fte is not None and u > 0 else None for k, u in users.items()},
        counted=counted,
        baseline_source=source,
        baseline_users=baseline,
        spend_per_user_baseline=spend / baseline if spend is not None and baseline > 0 else None,
        users_per_fte_baseline=baseline / fte if fte is not None and baseline > 0 else None,
    )


def council_type_groups(organisations: list[OrganisationImpact]) -> list[tuple[str, str, list[OrganisationImpact]]]:
    """(slug, label, members) per council type present, in vocabulary order, unknown types last."""
    present = {o.council_type for o in organisations}
    order = [slug for slug in COUNCIL_TYPES if slug in present]
    order += sorted(slug for slug in present if slug not in COUNCIL_TYPES and slug)
    order += [""] if "" in present else []
    return [
        (slug, _label(COUNCIL_TYPES, slug, UNKNOWN_COUNCIL_TYPE), [o for o in organisations if o.council_type == slug])
        for slug in order
    ]


def _summary(
    label: str, council_type: str | None, members: list[OrganisationImpact], definition: str, metric: str
) -> Summary:
    values = [v for o in members if (v := o.metric(metric)[definition]) is not None]
    q1, median, q3 = quartiles(values)
    return Summary(
        label=label,
        council_type=council_type,
        n=len(values),
        excluded=len(members) - len(values),
        median=median,
        q1=q1,
        q3=q3,
    )


def _spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rank correlation (pandas; ties get average ranks); None below 3 pairs or when undefined.

    DataFrame.corr is used because Series.corr(method="spearman") needs SciPy; both give Pearson's r of the
    average ranks.
    """
    if len(x) < 3:
        return None
    value = pd.DataFrame({"x": x, "y": y}, dtype="float64").corr(method="spearman").iloc[0, 1]
    return float(value) if math.isfinite(value) else None


def _rank_shift(definition: str, label: str, council_type: str | None, members: list[OrganisationImpact]) -> RankShift:
    """Rank spend per user under the current definition and another, among organisations with both."""
    ranked = [o for o in members if o.spend_per_user[BASE] is not None and o.spend_per_user[definition] is not None]
    if not ranked:
        return RankShift(definition, label, council_type, 0, None, [], [])
    current = [o.spend_per_user[BASE] for o in ranked]
    other = [o.spend_per_user[definition] for o in ranked]
    rank_current = pd.Series(current, dtype="float64").rank(ascending=False, method="average")
    rank_other = pd.Series(other, dtype="float64").rank(ascending=False, method="average")
    entries = [
        RankedOrganisation(
            code=o.code,
            region=o.region,
            region_label=o.region_label,
            council_type=o.council_type,
            council_type_label=o.council_type_label,
            spend_per_user_current=c,
            spend_per_user_other=v,
            rank_current=float(rc),
            rank_other=float(ro),
            shift=float(ro) - float(rc),
        )
        for o, c, v, rc, ro in zip(ranked, current, other, rank_current, rank_other, strict=True)
    ]
    movers = sorted((e for e in entries if e.shift != 0), key=lambda e: (-abs(e.shift), e.code))[:TOP_MOVERS]
    return RankShift(definition, label, council_type, len(entries), _spearman(current, other), entries, movers)


def median_change(organisations: list[OrganisationImpact], definition: str, metric: str) -> MedianChange:
    """The median of a metric under the current definition and under `definition`, over organisations with both."""
    pairs = [(o.metric(metric)[BASE], o.metric(metric)[definition]) for o in organisations]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    return MedianChange(
        definition, metric, len(pairs), quartiles([a for a, _ in pairs])[1], quartiles([b for _, b in pairs])[1]
    )


def impact(rows: Iterable[Any], weight: float) -> ImpactModel:
    """Users, ICT spend per user and users per ICT FTE under each definition of a user, and how they move.

    Per definition and metric: n, median, Q1 and Q3 (pandas quantile, default linear interpolation), overall and
    by council type. Organisations without spend (or FTE, or with 0 FTE) are left out of that metric and counted;
    so are organisations with no users under a definition (nothing is divided by zero). Rank shifts compare the
    spend-per-user ranking under the current definition with each other one, among organisations with spend per
    user under both (every definition counts at least the current users, so these are the organisations with
    spend per user under the current definition).
    """
    weight = clamp_weight(weight)
    ordered = sorted(rows, key=_sort_key)
    organisations = [_organisation(_code(i, len(ordered)), row, weight) for i, row in enumerate(ordered, start=1)]
    groups = council_type_groups(organisations)
    metrics = [
        MetricResult(
            definition=d,
            metric=m,
            overall=_summary("All organisations", None, organisations, d, m),
            by_council_type=[_summary(label, slug, members, d, m) for slug, label, members in groups],
        )
        for d in DEFINITION_KEYS
        for m in METRICS
    ]
    comparisons = [
        RankComparison(
            definition=d,
            overall=_rank_shift(d, "All organisations", None, organisations),
            by_council_type=[_rank_shift(d, label, slug, members) for slug, label, members in groups],
        )
        for d in OTHERS
    ]
    by_code = {o.code: o for o in organisations}
    for comparison in comparisons:
        for entry in comparison.overall.entries:
            organisation = by_code[entry.code]
            organisation.rank_spend[BASE] = entry.rank_current
            organisation.rank_spend[comparison.definition] = entry.rank_other
            organisation.rank_shift_spend[comparison.definition] = entry.shift
    for organisation in organisations:
        for d in DEFINITION_KEYS:
            organisation.rank_spend.setdefault(d, None)
        for d in OTHERS:
            organisation.rank_shift_spend.setdefault(d, None)
    return ImpactModel(
        weight=weight,
        organisations=organisations,
        excluded_missing_spend=sum(1 for o in organisations if o.ict_revenue_spend is None),
        excluded_missing_fte=sum(1 for o in organisations if o.ict_staff_fte is None),
        excluded_zero_users={d: sum(1 for o in organisations if o.users[d] <= 0) for d in DEFINITION_KEYS},
        metrics=metrics,
        changes=[median_change(organisations, d, m) for m in METRICS for d in OTHERS],
        rank_shifts=comparisons,
        external_weights=external_weights(weight),
    )


# --- export ----------------------------------------------------------------------------------------


def _tidy(value: float | None) -> float | int | None:
    """Whole numbers as ints (user counts, ranks), so a CSV reads 1500 rather than 1500.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def impact_rows_for_export(model: ImpactModel) -> list[dict[str, Any]]:
    """One dict per organisation (by code; no names) with its users, metrics and ranks under each definition, the
    external groups' weights, what it counts today (its baseline and where that comes from) and each metric's
    relative change from that baseline under each definition (-0.25 = a quarter lower)."""
    result = []
    for o in model.organisations:
        row: dict[str, Any] = {
            "code": o.code,
            "region": o.region_label,
            "council_type": o.council_type_label,
            "ict_revenue_spend": o.ict_revenue_spend,
            "ict_staff_fte": o.ict_staff_fte,
            "pupil_weight": model.weight,
        }
        for c in EXTERNAL_CATEGORIES:
            row[f"weight_{c}"] = model.external_weights.get(c)
        row["counted_in_benchmark"] = "; ".join(o.counted)
        row["baseline_source"] = "as ticked" if not o.fallback else f"current definition: {o.baseline_source}"
        row[f"users_{BASELINE}"] = _tidy(o.baseline_users)
        row[f"spend_per_user_{BASELINE}"] = o.spend_per_user_baseline
        row[f"users_per_fte_{BASELINE}"] = o.users_per_fte_baseline
        for d in DEFINITION_KEYS:
            row[f"users_{d}"] = _tidy(o.users[d])
        for d in DEFINITION_KEYS:
            row[f"spend_per_user_{d}"] = o.spend_per_user[d]
        for d in DEFINITION_KEYS:
            row[f"users_per_fte_{d}"] = o.users_per_fte[d]
        for d in DEFINITION_KEYS:
            row[f"rank_spend_{d}"] = _tidy(o.rank_spend.get(d))
        for d in OTHERS:
            row[f"rank_shift_spend_{d}"] = _tidy(o.rank_shift_spend.get(d))
        for d in DEFINITION_KEYS:
            row[f"spend_per_user_change_{d}"] = o.change(d, "spend_per_user")
        for d in DEFINITION_KEYS:
            row[f"users_per_fte_change_{d}"] = o.change(d, "users_per_fte")
        result.append(row)
    return result
