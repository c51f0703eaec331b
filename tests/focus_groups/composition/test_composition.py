"""The optimiser on plain data: its rules never break, and on small instances it finds the true optimum."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.focus_groups.composition.optimiser import (
    REASON_NOT_NEEDED,
    REASON_ORGANISATION,
    REASON_RESERVE,
    REASON_UNAVAILABLE,
    CompositionError,
    Person,
    Rules,
    SlotOption,
    compose,
    reserve_preference,
    score,
    violations,
)

REGIONS = ["london", "wales", "scotland", "north-east"]
TYPES = ["county", "district", "unitary", "london-borough"]


def person(pid, org=None, region="london", council_type="county", schools=True, available=(), if_need_be=()):
    return Person(
        id=pid,
        organisation=org or f"org-{pid}",
        region=region,
        council_type=council_type,
        supports_schools=schools,
        available=frozenset(available),
        if_need_be=frozenset(if_need_be),
    )


@st.composite
def instances(draw, max_people=24, max_slots=4):
    slot_count = draw(st.integers(1, max_slots))
    slots = [SlotOption(f"s{n}", draw(st.integers(2, 8))) for n in range(slot_count)]
    people = []
    for n in range(draw(st.integers(0, max_people))):
        answers = draw(st.lists(st.sampled_from(["yes", "maybe", "no"]), min_size=slot_count, max_size=slot_count))
        people.append(
            person(
                f"v{n}",
                org=f"org{draw(st.integers(0, max(1, max_people // 2)))}",
                region=draw(st.sampled_from(REGIONS)),
                council_type=draw(st.sampled_from(TYPES)),
                schools=draw(st.booleans()),
                available=[s.id for s, a in zip(slots, answers, strict=True) if a == "yes"],
                if_need_be=[s.id for s, a in zip(slots, answers, strict=True) if a == "maybe"],
            )
        )
    min_size = draw(st.integers(2, 4))
    target = draw(st.integers(min_size, min_size + 2))
    rules = Rules(
        groups=draw(st.integers(1, 3)),
        min_size=min_size,
        target_size=target,
        max_size=draw(st.integers(target, target + 2)),
        places_per_reserve=draw(st.integers(1, 5)),
        one_per_organisation=draw(st.booleans()),
    )
    return people, slots, rules


@settings(max_examples=40, deadline=None)
@given(instances())
def test_the_rules_never_break(instance):
    people, slots, rules = instance
    result = compose(people, slots, rules)
    assert violations(people, slots, result.groups, rules) == []
    assert result.optimal
    assert result.objective == score(people, result.groups, rules)
    placed = {i for members in result.groups.values() for i in members}
    by_id = {p.id: p for p in people}
    for slot_id, reserve_ids in result.reserves.items():
        for reserve_id in reserve_ids:
            assert reserve_id not in placed
            assert by_id[reserve_id].can_make(slot_id)
        # Any reserve may be promoted, so organisations stay unique with every reserve counted in:
        # across the study, or within each group.
        group = [by_id[i].organisation for i in result.groups[slot_id] + reserve_ids]
        assert len(group) == len(set(group))
    if rules.one_per_organisation:
        everyone = [by_id[i].organisation for i in placed] + [
            by_id[i].organisation for ids in result.reserves.values() for i in ids
        ]
        assert len(everyone) == len(set(everyone))
    # Everybody is either placed or has a reason, never both.
    assert placed.isdisjoint(result.not_placed)
    assert placed | set(result.not_placed) == set(by_id)
    for person_id, reason in result.not_placed.items():
        if reason == REASON_UNAVAILABLE:
            assert not any(by_id[person_id].can_make(s) for s in result.groups)


def brute_force(people, slots, rules):
    """The best score over every possible placement (each person in no group or one they can make)."""
    choices = [[None] + [s.id for s in slots if p.can_make(s.id)] for p in people]
    best = 0.0
    for assignment in itertools.product(*choices):
        groups: dict[str, list[str]] = {}
        for p, slot_id in zip(people, assignment, strict=True):
            if slot_id:
                groups.setdefault(slot_id, []).append(p.id)
        if violations(people, slots, groups, rules):
            continue
        best = max(best, score(people, groups, rules))
    return best


@settings(max_examples=25, deadline=None)
@given(instances(max_people=7, max_slots=3))
def test_finds_the_true_optimum_on_small_instances(instance):
    people, slots, rules = instance
    assert compose(people, slots, rules).objective == brute_force(people, slots, rules)


def test_a_diverse_group_beats_a_uniform_one():
    slots = [SlotOption("mon", 8)]
    londoners = [person(f"l{n}", region="london", council_type="london-borough", available=["mon"]) for n in range(6)]
    mixed = [
        person("m1", region="wales", council_type="welsh", available=["mon"]),
        person("m2", region="scotland", council_type="scottish", available=["mon"]),
        person("m3", region="north-east", council_type="unitary", available=["mon"], schools=False),
    ]
    result = compose(londoners + mixed, slots, Rules(groups=1, min_size=4, target_size=6, max_size=8))
    group = result.groups["mon"]
    assert len(group) == 6
    assert {"m1", "m2", "m3"} <= set(group)
    assert result.coverage[0].regions == ["london", "north-east", "scotland", "wales"]
    assert result.coverage[0].does_not_support_schools == 1


def test_one_person_per_organisation_and_the_reasons_for_everyone_else():
    slots = [SlotOption("a", 8), SlotOption("b", 8)]
    people = [person(f"p{n}", region=REGIONS[n % 4], council_type=TYPES[n % 4], available=["a"]) for n in range(4)]
    people += [person("same-org", org="org-p0", available=["a", "b"])]
    people += [person("nowhere", available=[])]
    people += [person(f"spare{n}", region="wales", available=["a"]) for n in range(3)]
    result = compose(people, slots, Rules(groups=2, min_size=4, target_size=6, max_size=6, places_per_reserve=5))
    assert list(result.groups) == ["a"]  # nobody else can make "b"
    assert len(result.groups["a"]) == 6
    twins = {"p0", "same-org"}  # the same organisation, and otherwise alike: either may go
    assert len(twins & set(result.groups["a"])) == 1
    (left_out,) = twins - set(result.groups["a"])
    assert result.not_placed[left_out] == REASON_ORGANISATION
    assert result.not_placed["nowhere"] == REASON_UNAVAILABLE
    # Seven eligible people for six places: the seventh is the reserve (one wanted per five places,
    # rounded up, so two wanted), and nobody else can be one.
    (reserve,) = result.reserves["a"]
    assert reserve.startswith("spare")
    assert result.not_placed[reserve] == REASON_RESERVE


def test_everyone_not_needed_is_told_so():
    slots = [SlotOption("a", 8)]
    people = [person(f"p{n}", region=REGIONS[n % 4], available=["a"]) for n in range(12)]
    result = compose(people, slots, Rules(groups=1, min_size=4, target_size=6, max_size=8, places_per_reserve=5))
    reasons = sorted(result.not_placed.values())
    assert reasons.count(REASON_RESERVE) == 2
    assert reasons.count(REASON_NOT_NEEDED) == 4


def test_if_need_be_is_used_only_when_it_helps():
    slots = [SlotOption("a", 8)]
    sure = [person(f"y{n}", available=["a"]) for n in range(6)]
    maybe = [person(f"m{n}", if_need_be=["a"]) for n in range(3)]
    result = compose(sure + maybe, slots, Rules(groups=1, min_size=4, target_size=6, max_size=8))
    assert sorted(result.groups["a"]) == sorted(p.id for p in sure)
    assert result.coverage[0].if_need_be == 0
    fewer = compose(sure[:3] + maybe, slots, Rules(groups=1, min_size=4, target_size=6, max_size=8))
    assert len(fewer.groups["a"]) == 6
    assert fewer.coverage[0].if_need_be == 3


def test_locks_are_obeyed():
    slots = [SlotOption("a", 8), SlotOption("b", 8)]
    people = [person(f"p{n}", region=REGIONS[n % 4], available=["a", "b"]) for n in range(12)]
    result = compose(
        people,
        slots,
        Rules(groups=2, min_size=4, target_size=6, max_size=8),
        locked_in={"p0": "b", "p1": "b"},
        locked_out=[("p2", "a"), ("p2", "b")],
    )
    assert {"p0", "p1"} <= set(result.groups["b"])
    assert all("p2" not in members for members in result.groups.values())


def test_contradictory_locks_are_reported():
    slots = [SlotOption("a", 8)]
    people = [person("p0", org="same", available=["a"]), person("p1", org="same", available=["a"])]
    people += [person(f"q{n}", available=["a"]) for n in range(4)]
    with pytest.raises(CompositionError, match="locked placements cannot all be kept"):
        compose(people, slots, Rules(groups=1), locked_in={"p0": "a", "p1": "a"})
    with pytest.raises(CompositionError, match="both into and out of"):
        compose(people, slots, Rules(groups=1), locked_in={"p0": "a"}, locked_out=[("p0", "a")])


def test_the_same_input_gives_the_same_groups():
    slots = [SlotOption(f"s{n}", 8) for n in range(4)]
    people = [
        person(f"p{n}", org=f"o{n % 9}", region=REGIONS[n % 4], council_type=TYPES[n % 3], available=["s0", "s1", "s2"])
        for n in range(30)
    ]
    first = compose(people, slots, Rules(groups=2))
    second = compose(people, slots, Rules(groups=2))
    assert (first.groups, first.reserves, first.not_placed) == (second.groups, second.reserves, second.not_placed)


def test_too_few_people_form_fewer_groups():
    slots = [SlotOption("a", 8), SlotOption("b", 8)]
    people = [person(f"p{n}", available=["a", "b"]) for n in range(5)]
    result = compose(people, slots, Rules(groups=2, min_size=4))
    assert result.groups_formed == 1
    empty = compose([], slots, Rules(groups=2))
    assert empty.groups == {} and empty.not_placed == {}


def test_rules_are_checked():
    with pytest.raises(CompositionError):
        Rules(groups=2, min_size=6, target_size=4, max_size=8)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_reserves_are_ranked_as_promotion_ranks_them(instance):
    """One ranking: for an unchanged group, promotion asks the reserves in the order composition chose them."""
    from app.focus_groups.scheduling import reserves as scheduling

    people, slots, rules = instance
    result = compose(people, slots, rules)
    by_id = {p.id: p for p in people}

    def for_promotion(person_id, rank=None, slot_id=None):
        who = by_id[person_id]
        return scheduling.GroupMember(
            id=person_id,
            region=who.region,
            council_type=who.council_type,
            supports_schools=who.supports_schools,
            organisation=who.organisation,
            if_need_be=slot_id is not None and slot_id not in who.available,
            reserve_rank=rank,
        )

    for slot_id, reserve_ids in result.reserves.items():
        group = [for_promotion(i) for i in result.groups[slot_id]]
        waiting = [for_promotion(i, rank, slot_id) for rank, i in enumerate(reserve_ids, start=1)]
        asked = []
        while waiting:
            chosen = scheduling.choose_reserve(group, waiting)
            asked.append(chosen)
            waiting = [r for r in waiting if r.id != chosen]
        assert asked == reserve_ids


def test_a_reserve_who_balances_the_schools_mix_comes_first():
    group = [person(f"p{n}", region=REGIONS[n], council_type=TYPES[n], schools=True) for n in range(4)]
    same = person("same", region="london", council_type="county", schools=True)
    other = person("other", region="london", council_type="county", schools=False)
    assert reserve_preference(group, same.region, same.council_type, True, False) > reserve_preference(
        group, other.region, other.council_type, False, False
    )
