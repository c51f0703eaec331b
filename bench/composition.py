"""Composition benchmark: how long the optimiser takes to propose proven-best groups.

Run from the repository root with `.venv/bin/python -m bench.composition [--sizes 100,500,2000]`.

What it does, all in this process:

1. builds, for each size, a deterministic synthetic pool (seed 2027): N volunteers spread over the
   12 regions and 9 council types, about one organisation per two volunteers, 60% supporting schools,
   each answering "yes" for about 30% of 20 candidate slots and "if need be" for another 10%;
2. times the baseline in the same run: CBC through PuLP on a one-variable model, which is the fixed
   cost of starting the solver (writing the model file, starting the process, reading its answer);
3. times `compose()` for 3 groups of 6 (4 to 8) with one reserve per five places, `--runs` times per
   size (median reported), from building the model to the explained result, and records whether CBC
   proved the optimum and the objective against its upper bound;
4. prints a table and writes it, with a pass/fail line against the target, into the `composition`
   section of docs/performance.md.

Target (from the issue): a proven optimum for 500 volunteers × 20 slots in at most 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime

import pulp

from bench.harness import git_commit, load_average, log, machine
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section

SECTION = "composition"
DEFAULT_SIZES = (100, 500, 2000)
SLOTS = 20
RUNS = 3
SEED = 2027
TARGET_SIZE = 500
TARGET_SECONDS = 1.0
HEADINGS = ("Volunteers", "Slots", "Model variables", "Median time", "Fastest", "× baseline", "Proven optimum")


def pool(size: int, slots: int, seed: int = SEED):
    """A deterministic synthetic pool of volunteers and candidate slots."""
    from app.focus_groups.composition.optimiser import Person, SlotOption
    from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS

    rnd = random.Random(f"{seed}-{size}-{slots}")
    options = [SlotOption(f"slot{n + 1}", 8) for n in range(slots)]
    regions, types = list(REGIONS), list(COUNCIL_TYPES)
    people = []
    for n in range(size):
        available, if_need_be = set(), set()
        for slot in options:
            draw = rnd.random()
            if draw < 0.3:
                available.add(slot.id)
            elif draw < 0.4:
                if_need_be.add(slot.id)
        people.append(
            Person(
                id=f"v{n + 1}",
                organisation=f"org{rnd.randrange(max(size // 2, 1))}",
                region=rnd.choice(regions),
                council_type=rnd.choice(types),
                supports_schools=rnd.random() < 0.6,
                available=frozenset(available),
                if_need_be=frozenset(if_need_be),
            )
        )
    return people, options


def baseline_seconds(runs: int) -> float:
    """Median time for CBC, through the same PuLP path, to solve a one-variable model."""
    from app.focus_groups.composition.optimiser import _solver

    times = []
    for _ in range(runs):
        model = pulp.LpProblem("baseline", pulp.LpMaximize)
        x = model.add_variable("x", cat="Binary")
        model += x
        started = time.perf_counter()
        model.solve(_solver(30.0))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def upper_bound(people, rules) -> float:
    """The objective if every group were at target size with all-distinct regions and types."""
    from app.focus_groups.composition.optimiser import (
        WEIGHT_GROUP,
        WEIGHT_REGION,
        WEIGHT_SCHOOLS_MIX,
        WEIGHT_TYPE,
        WEIGHT_TYPE_COVERED,
    )

    size = rules.target_size
    regions = min(size, len({p.region for p in people}))
    types = min(size, len({p.council_type for p in people}))
    per_group = WEIGHT_GROUP + WEIGHT_REGION * regions + WEIGHT_TYPE * types + 2 * WEIGHT_SCHOOLS_MIX
    covered = min(len({p.council_type for p in people}), rules.groups * size)
    return rules.groups * per_group + WEIGHT_TYPE_COVERED * covered


def measure(size: int, runs: int) -> dict:
    """Time compose() on one pool size."""
    from app.focus_groups.composition.optimiser import Rules, compose, violations

    people, options = pool(size, SLOTS)
    rules = Rules(groups=3, min_size=4, target_size=6, max_size=8, places_per_reserve=5)
    variables = sum(1 for p in people for s in options if p.can_make(s.id))
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = compose(people, options, rules)
        times.append(time.perf_counter() - started)
    problems = violations(people, options, result.groups, rules)
    if problems:
        raise RuntimeError(f"the proposal breaks the rules: {problems[:3]}")
    return {
        "size": size,
        "variables": variables,
        "median": statistics.median(times),
        "fastest": min(times),
        "optimal": result.optimal,
        "objective": result.objective,
        "bound": upper_bound(people, rules),
        "groups": result.groups_formed,
    }


def table(results: list[dict], baseline: float) -> list[list[str]]:
    """The rows of the results table."""
    return [
        [
            f"{r['size']:,}",
            str(SLOTS),
            f"{r['variables']:,}",
            f"{r['median']:.2f} s",
            f"{r['fastest']:.2f} s",
            f"{r['median'] / baseline:.0f}×",
            ("yes" if r["optimal"] else "no") + f" ({r['objective']:.0f} of at most {r['bound']:.0f})",
        ]
        for r in results
    ]


def verdict(results: list[dict]) -> list[str]:
    """Pass or fail against the target."""
    lines = []
    for r in results:
        if r["size"] == TARGET_SIZE:
            ok = r["optimal"] and r["median"] <= TARGET_SECONDS
            lines.append(
                f"- {'PASS' if ok else 'FAIL'}: {r['size']} volunteers, "
                f"{'proven optimum' if r['optimal'] else 'optimum not proven'} in {r['median']:.2f} s "
                f"(target ≤ {TARGET_SECONDS:.0f} s)."
            )
    return lines or [f"- Not measured: run with {TARGET_SIZE} in --sizes to check the target."]


def markdown_section(results: list[dict], baseline: float, when: datetime, load: str, sizes: list[int]) -> str:
    """The composition section of docs/performance.md."""
    header = "| " + " | ".join(HEADINGS) + " |"
    rule = "| " + " | ".join(["---:", "---:", "---:", "---:", "---:", "---:", "---"]) + " |"
    body = "\n".join("| " + " | ".join(row) + " |" for row in table(results, baseline))
    return f"""## Composition: proposing focus groups

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}.
- Pools: synthetic and deterministic (seed {SEED}): N volunteers over the 12 regions and 9 council types,
  about one organisation per two volunteers, 60% supporting schools, each free for about 30% of the
  {SLOTS} candidate slots and free "if need be" for another 10%.
- The task: 3 groups of 6 (4 to 8), one reserve per five places, at most one person per organisation
  in the study; `compose()` from building the model to the explained result (reserves and reasons
  included), median of {RUNS} runs. "Model variables" counts the person-slot pairs the model can use.
- Baseline, in the same run: CBC through the same PuLP path on a one-variable model,
  {baseline * 1000:.0f} ms (the fixed cost of writing the model file and starting the solver).
- "Proven optimum": CBC reports the optimum proven; the objective is shown against a simple upper
  bound (every group at target size with all-distinct regions and council types).

{header}
{rule}
{body}

Target (from the issue): a proven optimum for {TARGET_SIZE} volunteers × {SLOTS} slots in at most
{TARGET_SECONDS:.0f} s.

{chr(10).join(verdict(results))}

Reproduce with `.venv/bin/python -m bench.composition --sizes {",".join(str(s) for s in sizes)}`.
"""


def sizes_from(text: str) -> list[int]:
    """ "100,500,2000" as a list of sizes."""
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    """Measure and write docs/performance.md; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.composition", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes_from, default=list(DEFAULT_SIZES), help="default 100,500,2000")
    parser.add_argument("--runs", type=int, default=RUNS, choices=range(1, 11), metavar="1-10", help="default 3")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    when, load = datetime.now(UTC), load_average()
    log("timing the baseline: CBC on a one-variable model")
    baseline = baseline_seconds(args.runs)
    results = []
    for size in args.sizes:
        log(f"composing from {size:,} volunteers × {SLOTS} slots ({args.runs} runs)")
        results.append(measure(size, args.runs))
    rows = table(results, baseline)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADINGS)]
    print(f"baseline (CBC on a one-variable model): {baseline * 1000:.0f} ms")
    print("  ".join(h.rjust(w) for h, w in zip(HEADINGS, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    lines = verdict(results)
    print("\n".join(lines))
    path = write_section(SECTION, markdown_section(results, baseline, when, load, args.sizes), PERFORMANCE_DOC)
    log(f"wrote {path.relative_to(REPO_ROOT)}")
    return 1 if any(line.startswith("- FAIL") for line in lines) else 0


if __name__ == "__main__":
    raise SystemExit(main())
