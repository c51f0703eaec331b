"""The impact model in plain English: the sentences of evidence for the recommendation (how the definition
of a user changes ICT spend per user, users per FTE, the ranking and each council type, and how many
organisations' figures move from what they count today), from a model computed in model.py."""

from __future__ import annotations

from app.organisations.vocabulary import COUNCIL_TYPE_GROUPS
from app.surveys.results.figures import SMALL_GROUP
from app.surveys.results.impact.model import (
    DEFINITION_BY_KEY,
    DEFINITION_KEYS,
    OTHERS,
    THRESHOLD,
    ImpactModel,
    MedianChange,
    RankedOrganisation,
    council_type_groups,
    median_change,
)
from app.surveys.results.impact.movement import Movement, movers
from app.wording import plural


def _money(value: float) -> str:
    return f"£{value:,.0f}" if abs(value) >= 100 else f"£{value:,.2f}"


def _amount(value: float) -> str:
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _percent_text(percent: float) -> str:
    if percent == 0:
        return "0%"
    magnitude = f"{abs(percent):.0f}" if abs(percent) >= 10 else f"{abs(percent):.1f}"
    return ("−" if percent < 0 else "+") + magnitude + "%"


def _counting(definition: str, weight: float) -> str:
    text = DEFINITION_BY_KEY[definition].counting
    if definition == "weighted":
        text = f"school staff and pupils (each pupil as {weight:.2f} of a user)"
    elif definition == "plus_external":
        text = (
            f"school staff, pupils (as {weight:.2f} of a user each) and external users (partner staff and contractors "
            f"as one user each, volunteers and residents as {weight:.2f})"
        )
    return text


GROUP_NAMES = COUNCIL_TYPE_GROUPS


def _group_name(slug: str | None) -> str:
    """A council type in the plural, for the middle of a sentence."""
    if not slug:
        return "organisations whose council type is not known"
    return GROUP_NAMES.get(slug, f"organisations of type {slug}")


def _change_sentence(change: MedianChange, counting: str, what: str, fmt) -> str:
    """'Counting ... lowers the median ... from X to Y (−Z%) across N organisations' (no full stop)."""
    before, after = change.median_current, change.median_other
    if after == before:
        text = f"Counting {counting} leaves the median {what} unchanged at {fmt(before)}"
    else:
        verb = "lowers" if after < before else "raises"
        percent = change.percent_change
        text = f"Counting {counting} {verb} the median {what} from {fmt(before)} to {fmt(after)}" + (
            f" ({_percent_text(percent)})" if percent is not None else ""
        )
    return text + f" across {plural(change.n, 'organisation')}"


def _rho_clause(rho: float | None) -> str:
    if rho is None:
        return "; there are too few organisations, or too little variation, to correlate the rankings."
    return f"; Spearman's ρ between the rankings is {rho:.2f}."


def _place(entry: RankedOrganisation) -> str:
    return f"{entry.code}, {entry.council_type_label}, {entry.region_label}"


def _group_changes(model: ImpactModel) -> list[tuple[str | None, MedianChange]]:
    """The change in median spend per user from definition 1 to 3 within each council type, where there is one."""
    result = []
    for slug, _label, members in council_type_groups(model.organisations):
        change = median_change(members, "plus_pupils", "spend_per_user")
        if change.n and change.percent_change is not None:
            result.append((slug, change))
    return result


def _share(share: float | None) -> str:
    return "" if share is None else f" ({100 * share:.0f}%)"


def movement_sentence(m: Movement) -> str:
    """'Under definition 5 (...), ICT spend per user moves by more than 20% ... for 3 of 5 organisations (60%) ...'"""
    number = DEFINITION_KEYS.index(m.definition) + 1
    which = (
        "the current definition" if m.definition == "current" else f"definition {number} ({m.definition_label.lower()})"
    )
    what = "ICT spend per user" if m.metric == "spend_per_user" else "the number of users per ICT FTE"
    return (
        f"Under {which}, {what} moves by more than {100 * m.threshold:.0f}% from what each organisation counts "
        f"today for {m.moved:,} of {plural(m.compared, 'organisation')}{_share(m.share)}, and changes at all for "
        f"{m.changed:,}."
    )


def fallback_sentence(model: ImpactModel) -> str | None:
    """Which organisations' baseline is the current definition, and why; None when every one said what it counts."""
    sources = model.baseline_sources
    if not model.fallbacks:
        return None
    reasons = []
    if sources.get("no_return"):
        reasons.append(f"{sources['no_return']:,} {'does' if sources['no_return'] == 1 else 'do'} not submit one")
    if sources.get("dont_know"):
        reasons.append(f"{sources['dont_know']:,} did not know")
    if sources.get("not_answered"):
        reasons.append(f"{sources['not_answered']:,} did not say")
    one = model.fallbacks == 1
    counts, their, are = ("it counts", "its", "it is") if one else ("they count", "their", "they are")
    return (
        f"{plural(model.fallbacks, 'organisation')} gave no usable answer on which groups {counts} in {their} "
        f"benchmarking return ({', '.join(reasons)}), so the current definition stands in for what {counts} "
        f"today; {are} not left out for this."
    )


def evidence(model: ImpactModel) -> list[str]:
    """Plain-English sentences on how the definition of a user changes the benchmarks (for the recommendation).

    Spend per user under each definition against the current one (with Spearman's rho), users per FTE likewise,
    how many organisations move in the ranking when pupils count, the council types most and least affected,
    how many organisations' ICT spend per user moves by more than 20% (THRESHOLD) from what each counts today
    under each definition (``movers``), how many of those baselines fall back to the current definition, and how
    many organisations are left out. With no organisation that has both ICT spend and users, the first
    sentence says the effect cannot be measured.
    """
    sentences: list[str] = []
    for d in OTHERS:
        change = model.change(d, "spend_per_user")
        if change.n:
            sentences.append(
                _change_sentence(change, _counting(d, model.weight), "ICT spend per user", _money)
                + _rho_clause(model.rank_shift(d).overall.spearman)
            )
    if not sentences:
        sentences.append(
            "No organisation gave both its ICT revenue spend and its users, so the effect of the "
            "definition of a user on ICT spend per user cannot be measured."
        )
    for d in OTHERS:
        change = model.change(d, "users_per_fte")
        if change.n:
            sentences.append(
                _change_sentence(change, _counting(d, model.weight), "number of users per ICT FTE", _amount) + "."
            )
    full = model.rank_shift("plus_pupils").overall
    if full.n and full.moved:
        top = full.movers[0]
        places = abs(top.shift)
        sentences.append(
            f"Counting school staff and pupils moves {full.moved:,} of {plural(full.n, 'organisation')} in the "
            f"ICT spend per user ranking; the largest move is {plural(places, 'place')} "
            f"({_place(top)})."
        )
    elif full.n:
        sentences.append(
            f"Counting school staff and pupils moves none of the {plural(full.n, 'organisation')} in "
            "the ICT spend per user ranking."
        )
    by_type = sorted(_group_changes(model), key=lambda pair: (pair[1].percent_change, _group_name(pair[0])))
    if len(by_type) >= 2:
        ends = []
        for slug, change in (by_type[0], by_type[-1]):
            small = ", a small group" if change.n < SMALL_GROUP else ""
            ends.append(
                f"{_percent_text(change.percent_change)} for {_group_name(slug)} "
                f"({plural(change.n, 'organisation')}{small})"
            )
        sentences.append(
            "By council type, the change in the median ICT spend per user when school staff and "
            f"pupils count ranges from {ends[0]} to {ends[1]}."
        )
    moving = [m for m in movers(model, THRESHOLD).values() if m.compared]
    sentences.extend(movement_sentence(m) for m in moving)
    if moving and (fallback := fallback_sentence(model)):
        sentences.append(fallback)
    missing = []
    if model.excluded_missing_spend:
        missing.append(f"{plural(model.excluded_missing_spend, 'organisation')} gave no ICT revenue spend")
    if model.excluded_missing_fte:
        missing.append(f"{plural(model.excluded_missing_fte, 'organisation')} gave no ICT staff FTE")
    if missing:
        sentences.append(" and ".join(missing) + ", so they are left out of those figures.")
    return sentences
