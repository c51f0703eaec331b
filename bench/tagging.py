"""Tagging benchmark: how many passages per second the default codebook's tagger suggests themes for.

Run from the repository root with `.venv/bin/python -m bench.tagging [--passages 100000]`.

What it does, all in this process on one core:

1. builds N deterministic passages of about 40 words (seed 2027) from a fixed vocabulary: the words of
   the default codebook's patterns, everyday council and ICT words, glue words, numbers and
   punctuation, so that a passage carries indicators at about the density of real notes (none of the
   labelled development set is used);
2. times a baseline over the same passages in the same run: lower-casing, splitting on white space and
   looking each word up in a set of the codebook's words — the least any keyword tagger must do;
3. times `Tagger.tag()` over every passage (building the tagger is timed separately), twice, reporting
   the faster run (the first fills the stem cache, as a long-running process would have);
4. prints a table and writes it, with a pass/fail line against the target, into the `tagging` section
   of docs/performance.md.

Times are CPU time of this process (`time.process_time`), which is what "on one core" means and which
other work on a shared machine does not inflate; the wall-clock time is reported beside it.

Target (from the issue): at least 3,000 passages of about 40 words per second on one core.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime

from bench.harness import git_commit, load_average, log, machine
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section

SECTION = "tagging"
SEED = 2027
DEFAULT_PASSAGES = 100_000
WORDS_PER_PASSAGE = (32, 48)
TARGET = 3000
RUNS = 2

EVERYDAY = """
we the our a to of and in for with on is are was have has it they this that from at by as be not but
council team service desk staff people week year month last next new more less about around some all
each every their there which when also just would could should can will may need needs said thought
asked meeting report group agreed discussion point noted action update plan budget project system systems
network laptop laptops phone email account accounts login support supported supports office site sites
building officer officers manager managers director colleagues partners residents schools pupils users
""".split()
PUNCTUATION = (",", ".", ";", " -", ":")


def vocabulary() -> list[str]:
    """Every word of the default codebook's patterns, plus everyday words weighted to appear more often."""
    from app.analysis.codebook import default_codebook

    pattern_words = set()
    for theme in default_codebook().themes:
        for pattern in theme.patterns:
            for part in pattern.value.replace("|", " ").split():
                if part != "<number>":
                    pattern_words.add(part)
    return sorted(pattern_words) + EVERYDAY * 8


def passages(count: int, seed: int = SEED) -> list[str]:
    """`count` deterministic passages of about 40 words."""
    rnd = random.Random(f"{seed}-{count}")
    words = vocabulary()
    built = []
    for _ in range(count):
        parts = []
        for _ in range(rnd.randint(*WORDS_PER_PASSAGE)):
            draw = rnd.random()
            if draw < 0.04:
                parts.append(str(rnd.randint(2, 9000)))
            else:
                parts.append(rnd.choice(words))
            if rnd.random() < 0.08:
                parts[-1] += rnd.choice(PUNCTUATION)
        text = " ".join(parts)
        built.append(text[0].upper() + text[1:] + ".")
    return built


def baseline_seconds(texts: list[str]) -> float:
    """Lower-case, split and look every word up in a set of the codebook's words."""
    known = {word.lower() for word in vocabulary()}
    started = time.process_time()
    found = 0
    for text in texts:
        for word in text.lower().split():
            if word in known:
                found += 1
    elapsed = time.process_time() - started
    if not found:
        raise RuntimeError("the baseline found no words: the passages are not built from the vocabulary")
    return elapsed


def measure(texts: list[str]) -> dict:
    """Time building the tagger and tagging every passage (fastest of RUNS)."""
    from app.analysis.codebook import default_codebook
    from app.analysis.tagging import Tagger

    started = time.perf_counter()
    tagger = Tagger(default_codebook())
    build = time.perf_counter() - started
    times, walls, tagged, suggestions = [], [], 0, 0
    for _ in range(RUNS):
        tagged = suggestions = 0
        started, wall = time.process_time(), time.perf_counter()
        for text in texts:
            found = tagger.tag(text)
            tagged += bool(found)
            suggestions += len(found)
        times.append(time.process_time() - started)
        walls.append(time.perf_counter() - wall)
    best = times.index(min(times))
    return {"build": build, "seconds": times[best], "wall": walls[best], "tagged": tagged, "suggestions": suggestions}


def markdown_section(result: dict, baseline: float, count: int, words: float, when: datetime, load: str) -> str:
    """The tagging section of docs/performance.md."""
    rate = count / result["seconds"]
    base_rate = count / baseline
    verdict = "PASS" if rate >= TARGET else "FAIL"
    return f"""## Tagging: suggesting themes offline

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}. One process, one core.
- Passages: {count:,} synthetic and deterministic (seed {SEED}), {words:.1f} words on average, drawn from
  the default codebook's pattern words, everyday council and ICT words, numbers and punctuation.
- Tagger: the default codebook (eight themes, {result["patterns"]} patterns), built in
  {result["build"] * 1000:.0f} ms; the faster of {RUNS} passes over every passage.
- Baseline, in the same run: `str.lower()`, `split()` and a set look-up per word over the same passages.

| Method | CPU time | Passages per second | × baseline |
| --- | ---: | ---: | ---: |
| Baseline (lower, split, set look-up) | {baseline:.2f} s | {base_rate:,.0f} | 1× |
| `Tagger.tag()` | {result["seconds"]:.2f} s | {rate:,.0f} | {result["seconds"] / baseline:.1f}× slower |

Times are CPU time of the benchmark process (other work on the machine does not inflate them); the
tagger's pass took {result["wall"]:.2f} s of wall-clock time ({count / result["wall"]:,.0f} passages per second).

{result["tagged"]:,} passages got at least one theme ({result["suggestions"]:,} suggestions in all).

Target (from the issue): at least {TARGET:,} passages of about 40 words per second on one core.

- {verdict}: {rate:,.0f} passages per second.

Reproduce with `.venv/bin/python -m bench.tagging --passages {count}`.
"""


def main(argv: list[str] | None = None) -> int:
    """Measure and write docs/performance.md; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.tagging", description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=DEFAULT_PASSAGES, help=f"default {DEFAULT_PASSAGES:,}")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    from app.analysis.codebook import default_codebook

    when, load = datetime.now(UTC), load_average()
    log(f"building {args.passages:,} passages")
    texts = passages(args.passages)
    words = sum(len(text.split()) for text in texts) / len(texts)
    log("timing the baseline: lower, split and a set look-up")
    baseline = baseline_seconds(texts)
    log(f"tagging {args.passages:,} passages ({RUNS} passes)")
    result = measure(texts)
    result["patterns"] = sum(len(theme.patterns) for theme in default_codebook().themes)
    rate = args.passages / result["seconds"]
    print(f"passages: {args.passages:,}, {words:.1f} words on average")
    print(f"baseline (lower, split, set look-up): {args.passages / baseline:,.0f} passages/s ({baseline:.2f} s)")
    print(f"Tagger.tag(): {rate:,.0f} passages/s ({result['seconds']:.2f} s; tagger built in {result['build']:.2f} s)")
    print(f"{'PASS' if rate >= TARGET else 'FAIL'}: target {TARGET:,} passages/s")
    section = markdown_section(result, baseline, args.passages, words, when, load)
    path = write_section(SECTION, section, PERFORMANCE_DOC)
    log(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
