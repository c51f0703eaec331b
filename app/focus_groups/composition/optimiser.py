"""Composing focus groups: choose slots and place volunteers so every group is diverse and workable.

A plain function of plain data, solved as an integer program with PuLP and its bundled CBC:

- choose up to `groups` slots (a group forms in each chosen slot), as many as can be formed;
- each chosen group has between `min_size` and `max_size` people (and no more than the slot's capacity);
- a person is placed at most once, only in a slot they can make ("if need be" allowed at a cost);
- at most one person per organisation in a group, and across the study when `one_per_organisation`;
- organisers' locks are obeyed: a person locked into a group is placed there, one locked out is not.

Among the placements that satisfy those rules it maximises, in this order of weight: the number of
groups formed; sizes close to the target; distinct regions and council types within each group; every
council type in the pool represented somewhere; a mix of people who do and do not support schools in
each group; and few "if need be" placements. `score()` computes the same objective for any proposed
placement, so the optimum can be checked against a brute-force search.

Reserves are chosen afterwards, per group, to cover no-shows: people who can make the slot and whose
organisation the group (and, by default, the study) does not already include, best diversity first.

Longer than 500 lines because the model, its objective and `score()` must change together.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pulp

# Objective weights. A formed group outweighs everything else; one person more or less than the
# target (SIZE) outweighs the diversity one more person could add (REGION + TYPE), so groups are
# made at the target size whenever enough people are available.
WEIGHT_GROUP = 1000
WEIGHT_SIZE = 25
WEIGHT_REGION = 10
WEIGHT_TYPE = 10
WEIGHT_TYPE_COVERED = 15
WEIGHT_SCHOOLS_MIX = 4
COST_IF_NEED_BE = 3

REASON_UNAVAILABLE = "unavailable"
REASON_ORGANISATION = "organisation already represented"
REASON_RESERVE = "group full: reserve list"
REASON_NOT_NEEDED = "groups and reserve lists full"
REASONS = {
    REASON_UNAVAILABLE: "Cannot make any of the chosen slots",
    REASON_ORGANISATION: "Their organisation is already represented",
    REASON_RESERVE: "The group is full: on its reserve list",
    REASON_NOT_NEEDED: "The groups and their reserve lists are full",
}


class CompositionError(Exception):
    """The rules cannot all be met (for example, locks that contradict each other)."""


@dataclass(frozen=True)
class Person:
    """A volunteer as the optimiser sees them."""

    id: str
    organisation: str
    region: str
    council_type: str
    supports_schools: bool
    available: frozenset[str] = frozenset()
    if_need_be: frozenset[str] = frozenset()

    def can_make(self, slot_id: str) -> bool:
        return slot_id in self.available or slot_id in self.if_need_be


@dataclass(frozen=True)
class SlotOption:
    """A candidate slot and how many people it can hold."""

    id: str
    capacity: int = 8


@dataclass(frozen=True)
class Rules:
    """The study's settings."""

    groups: int = 2
    min_size: int = 4
    target_size: int = 6
    max_size: int = 8
    places_per_reserve: int = 5
    one_per_organisation: bool = True

    def __post_init__(self) -> None:
        if self.groups < 1:
            raise CompositionError("At least one group is needed.")
        if not 1 <= self.min_size <= self.target_size <= self.max_size:
            raise CompositionError("Group sizes must satisfy minimum ≤ target ≤ maximum.")
        if self.places_per_reserve < 1:
            raise CompositionError("Places per reserve must be at least 1.")


@dataclass
class GroupCoverage:
    """What one group brings together."""

    slot_id: str
    size: int
    regions: list[str]
    council_types: list[str]
    supports_schools: int
    does_not_support_schools: int
    if_need_be: int


@dataclass
class Composition:
    """The proposed groups, their reserves, and why everyone else was not placed."""

    groups: dict[str, list[str]]  # slot id -> participant ids, in the input's order
    reserves: dict[str, list[str]]  # slot id -> reserve ids, best first
    not_placed: dict[str, str]  # person id -> reason (a key of REASONS)
    objective: float
    optimal: bool
    coverage: list[GroupCoverage] = field(default_factory=list)
    council_types_missing: list[str] = field(default_factory=list)  # in the pool, in no group
    solve_seconds: float = 0.0

    @property
    def groups_formed(self) -> int:
        return len(self.groups)


def _org_key(person: Person) -> str:
    return person.organisation or f"(person {person.id})"


def score(
    people: Iterable[Person],
    groups: Mapping[str, Iterable[str]],
    rules: Rules,
) -> float:
    """The objective the optimiser maximises, for any placement (slot id -> person ids)."""
    by_id = {p.id: p for p in people}
    pool_types = {p.council_type for p in by_id.values()}
    total = 0.0
    covered: set[str] = set()
    for slot_id, member_ids in groups.items():
        members = [by_id[i] for i in member_ids]
        if not members:
            continue
        total += WEIGHT_GROUP
        total -= WEIGHT_SIZE * abs(len(members) - rules.target_size)
        total += WEIGHT_REGION * len({m.region for m in members})
        types = {m.council_type for m in members}
        covered |= types
        total += WEIGHT_TYPE * len(types)
        total += WEIGHT_SCHOOLS_MIX * (any(m.supports_schools for m in members))
        total += WEIGHT_SCHOOLS_MIX * (any(not m.supports_schools for m in members))
        total -= COST_IF_NEED_BE * sum(1 for m in members if slot_id not in m.available)
    total += WEIGHT_TYPE_COVERED * len(covered & pool_types)
    return total


def violations(
    people: Iterable[Person],
    slots: Iterable[SlotOption],
    groups: Mapping[str, Iterable[str]],
    rules: Rules,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Every rule a placement breaks, in words (an empty list: it is valid). Used for manual moves.

    `names` gives how to write a person's, a slot's or an organisation's id (default: the id itself).
    """
    by_id = {p.id: p for p in people}
    capacity = {s.id: s.capacity for s in slots}
    names = names or {}

    def name(key: str) -> str:
        return names.get(key, key)

    problems: list[str] = []
    seen: dict[str, str] = {}
    org_groups: dict[str, set[str]] = {}
    formed = [slot_id for slot_id, members in groups.items() if list(members)]
    if len(formed) > rules.groups:
        problems.append(f"{len(formed)} groups are planned but the study asks for {rules.groups}.")
    for slot_id, member_ids in groups.items():
        member_ids = list(member_ids)
        if not member_ids:
            continue
        upper = min(rules.max_size, capacity.get(slot_id, rules.max_size))
        size = len(member_ids)
        if size < rules.min_size:
            problems.append(f"{name(slot_id)} has {size} people, fewer than the minimum of {rules.min_size}.")
        if size > upper:
            problems.append(f"{name(slot_id)} has {size} people, more than its limit of {upper}.")
        orgs: dict[str, str] = {}
        for person_id in member_ids:
            person = by_id[person_id]
            if person_id in seen:
                problems.append(f"{name(person_id)} is in two groups ({name(seen[person_id])} and {name(slot_id)}).")
            seen[person_id] = slot_id
            if not person.can_make(slot_id):
                problems.append(f"{name(person_id)} is not available for {name(slot_id)}.")
            key = _org_key(person)
            if key in orgs:
                problems.append(
                    f"{name(person_id)} and {name(orgs[key])} in {name(slot_id)} are from the same organisation."
                )
            orgs[key] = person_id
            org_groups.setdefault(key, set()).add(slot_id)
    if rules.one_per_organisation:
        for key, slot_ids in sorted(org_groups.items()):
            if len(slot_ids) > 1:
                where = " and ".join(name(s) for s in sorted(slot_ids))
                problems.append(f"{name(key)} is represented in more than one group ({where}).")
    return problems


def compose(
    people: list[Person],
    slots: list[SlotOption],
    rules: Rules,
    *,
    locked_in: Mapping[str, str] | None = None,
    locked_out: Iterable[tuple[str, str]] = (),
    time_limit: float = 30.0,
) -> Composition:
    """Propose groups for `people` in `slots` under `rules` (deterministic for the same input).

    `locked_in` maps a person id to the slot they must be in; `locked_out` lists (person id, slot id)
    pairs that must not happen. Raises CompositionError when the locks cannot all be honoured.
    """
    import time

    locked_in = dict(locked_in or {})
    locked_out = set(locked_out)
    slot_ids = [s.id for s in slots]
    if len(set(slot_ids)) != len(slot_ids):
        raise CompositionError("Slot ids must be unique.")
    person_ids = [p.id for p in people]
    if len(set(person_ids)) != len(person_ids):
        raise CompositionError("Volunteer ids must be unique.")
    known_slots = set(slot_ids)
    for person_id, slot_id in locked_in.items():
        if slot_id not in known_slots:
            raise CompositionError(f"{person_id} is locked into a slot that does not exist ({slot_id}).")
        if (person_id, slot_id) in locked_out:
            raise CompositionError(f"{person_id} is locked both into and out of {slot_id}.")

    upper = {s.id: min(rules.max_size, s.capacity) for s in slots}
    usable = [s for s in slots if upper[s.id] >= rules.min_size or s.id in locked_in.values()]
    model = pulp.LpProblem("focus_groups", pulp.LpMaximize)

    def allowed(person: Person, slot_id: str) -> bool:
        if (person.id, slot_id) in locked_out:
            return False
        if person.id in locked_in:
            return locked_in[person.id] == slot_id
        return person.can_make(slot_id)

    y = {s.id: model.add_variable(f"open_{n}", cat="Binary") for n, s in enumerate(usable)}
    x: dict[tuple[str, str], pulp.LpVariable] = {}
    for i, person in enumerate(people):
        for n, slot in enumerate(usable):
            if allowed(person, slot.id):
                x[person.id, slot.id] = model.add_variable(f"x_{i}_{n}", cat="Binary")

    by_slot: dict[str, list[tuple[Person, pulp.LpVariable]]] = {s.id: [] for s in usable}
    by_person: dict[str, list[pulp.LpVariable]] = {}
    for person in people:
        for slot in usable:
            var = x.get((person.id, slot.id))
            if var is not None:
                by_slot[slot.id].append((person, var))
                by_person.setdefault(person.id, []).append(var)

    for person_id in locked_in:
        if person_id not in by_person:
            raise CompositionError(f"{person_id} is locked into a slot that cannot hold a group.")

    model += pulp.lpSum(y.values()) <= rules.groups, "group_count"
    objective = []
    deviation = {}
    for n, slot in enumerate(usable):
        members = by_slot[slot.id]
        size = pulp.lpSum(var for _, var in members)
        model += size >= rules.min_size * y[slot.id], f"min_{n}"
        model += size <= upper[slot.id] * y[slot.id], f"max_{n}"
        dev = model.add_variable(f"dev_{n}", lowBound=0)
        model += dev >= size - rules.target_size * y[slot.id], f"dev_over_{n}"
        model += dev >= rules.target_size * y[slot.id] - size, f"dev_under_{n}"
        deviation[slot.id] = dev
        objective += [WEIGHT_GROUP * y[slot.id], -WEIGHT_SIZE * dev]
        objective += [-COST_IF_NEED_BE * var for person, var in members if slot.id not in person.available]

    for person_id, variables in by_person.items():
        if person_id in locked_in:
            model += pulp.lpSum(variables) == 1, f"locked_{person_id}"
        else:
            model += pulp.lpSum(variables) <= 1, f"once_{person_id}"

    # At most one person per organisation in each group (and in the whole study, by default).
    org_members: dict[str, list[Person]] = {}
    for person in people:
        org_members.setdefault(_org_key(person), []).append(person)
    for k, (_org, members) in enumerate(sorted(org_members.items())):
        if len(members) < 2:
            continue
        if rules.one_per_organisation:
            variables = [v for m in members for v in by_person.get(m.id, [])]
            if variables:
                model += pulp.lpSum(variables) <= 1, f"org_study_{k}"
        else:
            for n, slot in enumerate(usable):
                variables = [x[m.id, slot.id] for m in members if (m.id, slot.id) in x]
                if len(variables) > 1:
                    model += pulp.lpSum(variables) <= 1, f"org_{k}_{n}"

    # Diversity within each group: a region or council type counts once it has somebody in the group.
    def distinct(attribute, weight: int, label: str) -> dict[tuple[str, object], pulp.LpVariable]:
        flags = {}
        order = {value: m for m, value in enumerate(sorted({getattr(p, attribute) for p in people}))}
        for n, slot in enumerate(usable):
            by_value: dict[object, list[pulp.LpVariable]] = {}
            for person, var in by_slot[slot.id]:
                by_value.setdefault(getattr(person, attribute), []).append(var)
            for value in sorted(by_value, key=order.__getitem__):
                m = order[value]
                flag = model.add_variable(f"{label}_{n}_{m}", cat="Binary")
                model.addConstraint(flag <= pulp.lpSum(by_value[value]), f"{label}_has_{n}_{m}")
                model.addConstraint(flag <= y[slot.id], f"{label}_open_{n}_{m}")
                flags[slot.id, value] = flag
                objective.append(weight * flag)
            # A group has no more distinct values than members: redundant for integers, but it
            # tightens the relaxation so that CBC proves the optimum at (or near) the root.
            if by_value:
                slot_flags = [flags[slot.id, value] for value in by_value]
                model.addConstraint(
                    pulp.lpSum(slot_flags) <= pulp.lpSum(var for _, var in by_slot[slot.id]), f"{label}_cap_{n}"
                )
        return flags

    distinct("region", WEIGHT_REGION, "region")
    type_flags = distinct("council_type", WEIGHT_TYPE, "type")
    distinct("supports_schools", WEIGHT_SCHOOLS_MIX, "schools")
    for m, council_type in enumerate(sorted({p.council_type for p in people})):
        flags = [flag for (slot_id, value), flag in type_flags.items() if value == council_type]
        if flags:
            covered = model.add_variable(f"covered_{m}", cat="Binary")
            model += covered <= pulp.lpSum(flags), f"covered_has_{m}"
            objective.append(WEIGHT_TYPE_COVERED * covered)

    model += pulp.lpSum(objective)
    started = time.perf_counter()
    status = model.solve(_solver(time_limit))
    elapsed = time.perf_counter() - started
    proven = model.sol_status == pulp.LpSolutionOptimal
    if status != pulp.LpStatusOptimal or model.sol_status not in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    ):
        if locked_in:
            raise CompositionError(
                "The locked placements cannot all be kept: check that locked people can make their slot, "
                "are not from the same organisation, and fit within the group sizes."
            )
        raise CompositionError("No groups can be formed under these rules.")

    groups: dict[str, list[str]] = {}
    for slot in usable:
        if y[slot.id].value() > 0.5:
            members = [person.id for person, var in by_slot[slot.id] if var.value() > 0.5]
            if members:
                groups[slot.id] = members
    # Keep slots in the caller's order.
    groups = {slot_id: groups[slot_id] for slot_id in slot_ids if slot_id in groups}
    result = _explain(people, slots, rules, groups, locked_out, score(people, groups, rules), elapsed)
    result.optimal = proven
    return result


def _solver(time_limit: float) -> pulp.LpSolver:
    """CBC as PuLP 3.3 bundles it, run through COIN_CMD (PULP_CBC_CMD, the same binary, is deprecated).

    One thread keeps the result deterministic; CBC's preprocessing is switched off because the
    formulation's relaxation is already tight, so it costs more time than it saves.
    """
    from pulp.apis.coin_api import PULP_CBC_CMD

    return pulp.COIN_CMD(
        path=PULP_CBC_CMD.pulp_cbc_path,
        msg=bool(os.environ.get("COMPOSITION_SOLVER_LOG")),
        threads=1,
        timeLimit=time_limit,
        options=["preprocess off"],
    )


def reserve_preference(
    group: Sequence, region: str, council_type: str, supports_schools: bool, if_need_be: bool
) -> tuple[int, int, bool]:
    """How well someone would keep `group` diverse if they joined it (smaller is better): the most
    regions and council types new to the group first; then the answer to "supports schools" that is
    rarer in the group; then someone the time suits ("yes" before "if need be").

    The one ranking of reserves: choosing them here, and promoting one when someone drops out
    (`scheduling.choose_reserve`). `group` holds anything with region, council_type and supports_schools.
    """
    new_kinds = (region not in {m.region for m in group}) + (council_type not in {m.council_type for m in group})
    same_schools_answer = sum(1 for m in group if m.supports_schools == supports_schools)
    return (-new_kinds, same_schools_answer, if_need_be)


def _explain(
    people: list[Person],
    slots: list[SlotOption],
    rules: Rules,
    groups: dict[str, list[str]],
    locked_out: set[tuple[str, str]],
    objective: float,
    elapsed: float,
) -> Composition:
    """Choose reserves and say why each person not placed was not."""
    by_id = {p.id: p for p in people}
    placed = {person_id for members in groups.values() for person_id in members}
    represented = {_org_key(by_id[i]) for i in placed}
    reserves: dict[str, list[str]] = {slot_id: [] for slot_id in groups}
    wanted = {slot_id: math.ceil(len(members) / rules.places_per_reserve) for slot_id, members in groups.items()}

    def candidates(slot_id: str) -> list[Person]:
        # A reserve may be promoted, so its organisation must be free where it would join: in the
        # study (and among every group's reserves), or in its group (and among that group's reserves).
        if rules.one_per_organisation:
            blocked = represented | {_org_key(by_id[i]) for ids in reserves.values() for i in ids}
        else:
            blocked = {_org_key(by_id[i]) for i in groups[slot_id] + reserves[slot_id]}
        taken = placed | {i for ids in reserves.values() for i in ids}
        return [
            p
            for p in people
            if p.id not in taken
            and p.can_make(slot_id)
            and (p.id, slot_id) not in locked_out
            and _org_key(p) not in blocked
        ]

    position = {p.id: n for n, p in enumerate(people)}

    def fit(person: Person, slot_id: str) -> tuple:
        members = [by_id[i] for i in groups[slot_id]]
        preference = reserve_preference(
            members, person.region, person.council_type, person.supports_schools, slot_id not in person.available
        )
        return (*preference, position[person.id])

    # Round robin, so that groups share the best reserves fairly.
    while True:
        added = False
        for slot_id in groups:
            if len(reserves[slot_id]) >= wanted[slot_id]:
                continue
            options = candidates(slot_id)
            if options:
                reserves[slot_id].append(min(options, key=lambda p, s=slot_id: fit(p, s)).id)
                added = True
        if not added:
            break

    reserve_ids = {i for ids in reserves.values() for i in ids}
    reserve_orgs = {_org_key(by_id[i]) for i in reserve_ids}
    not_placed: dict[str, str] = {}
    for person in people:
        if person.id in placed:
            continue
        if person.id in reserve_ids:
            not_placed[person.id] = REASON_RESERVE
        elif not any(person.can_make(s) and (person.id, s) not in locked_out for s in groups):
            not_placed[person.id] = REASON_UNAVAILABLE
        elif (rules.one_per_organisation and _org_key(person) in represented | reserve_orgs) or (
            not rules.one_per_organisation
            and all(
                _org_key(person) in {_org_key(by_id[i]) for i in groups[s] + reserves[s]}
                for s in groups
                if person.can_make(s) and (person.id, s) not in locked_out
            )
        ):
            not_placed[person.id] = REASON_ORGANISATION
        else:
            not_placed[person.id] = REASON_NOT_NEEDED

    coverage = []
    for slot_id, member_ids in groups.items():
        members = [by_id[i] for i in member_ids]
        coverage.append(
            GroupCoverage(
                slot_id=slot_id,
                size=len(members),
                regions=sorted({m.region for m in members}),
                council_types=sorted({m.council_type for m in members}),
                supports_schools=sum(1 for m in members if m.supports_schools),
                does_not_support_schools=sum(1 for m in members if not m.supports_schools),
                if_need_be=sum(1 for m in members if slot_id not in m.available),
            )
        )
    covered = {t for c in coverage for t in c.council_types}
    missing = sorted({p.council_type for p in people} - covered)
    return Composition(
        groups=groups,
        reserves={slot_id: ids for slot_id, ids in reserves.items()},
        not_placed=not_placed,
        objective=objective,
        optimal=True,
        coverage=coverage,
        council_types_missing=missing,
        solve_seconds=elapsed,
    )
