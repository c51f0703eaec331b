"""The recommendation's scoring rules: read, checked and applied, as plain arithmetic anyone can follow.

A rules document is TOML (read with the standard library's `tomllib`): a list of `[[rule]]` tables, each
naming an outcome, a measure, a condition ("at least" or "at most" a threshold, a percentage), a weight, a
direction ("supports" or "weighs against") and a sentence saying why. An outcome's score is the sum of the
weights of its rules that are met, those that weigh against counting negative. A rule whose measure has no
data is not met. The score only orders the evidence: people decide (see `recommendation.py`).

The shipped rules (`scoring_rules.toml`) are version 0; a lead analyst saves later versions per study.
Plain functions of plain data: nothing here reads the database.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from app.analysis.models import OUTCOMES

SHIPPED_RULES = Path(__file__).with_name("scoring_rules.toml")
MAX_DOCUMENT = 20_000  # characters of TOML
MAX_RULES = 60
MAX_WHY = 500
MAX_WEIGHT = 10
CONDITIONS = {"at least": "at least", "at most": "at most"}
DIRECTIONS = {"supports": 1, "weighs against": -1}
RULE_KEYS = ("outcome", "measure", "condition", "threshold", "weight", "direction", "why")
_RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")


class RulesError(ValueError):
    """A rules document that cannot be used, with every problem found, each naming its line or rule."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Rule:
    """One scoring rule, as written (its number counts from 1 in the document; line 0 when not known)."""

    number: int
    line: int
    outcome: str
    measure: str
    condition: str
    threshold: float
    weight: float
    direction: str
    why: str

    @property
    def sign(self) -> int:
        return DIRECTIONS[self.direction]

    def describe(self) -> str:
        """The rule in words: 'Supports when X is at least 25%, weight 3.'"""
        return f"{self.direction.capitalize()} when the measure is {self.condition} {number_text(self.threshold)}%"


@dataclass(frozen=True)
class Measure:
    """A figure a rule can test: a percentage with the numbers behind it and where it comes from.

    `value` is None when there is no data (nobody to count): a rule on it is not met."""

    key: str
    label: str
    value: float | None
    numerator: int = 0
    denominator: int = 0
    detail: str = ""  # what n of N counts, in words
    sources: tuple[tuple[str, str, dict], ...] = ()  # (link text, endpoint, its arguments): pages build the url
    extra: str = ""  # further numbers behind the figure (e.g. passages)

    @property
    def has_data(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class RuleResult:
    """A rule applied: the measure's value, whether the rule is met, and what it adds to the score."""

    rule: Rule
    measure: Measure | None
    met: bool
    contribution: float

    @property
    def status(self) -> str:
        if self.measure is None:
            return "No data: the measure is not known"
        if not self.measure.has_data:
            return "No data"
        return "Met" if self.met else "Not met"


@dataclass
class OutcomeScore:
    """One outcome's rules applied and summed."""

    outcome: str
    label: str
    results: list[RuleResult] = field(default_factory=list)

    @property
    def supporting(self) -> float:
        return sum(r.contribution for r in self.results if r.contribution > 0)

    @property
    def against(self) -> float:
        return -sum(r.contribution for r in self.results if r.contribution < 0)

    @property
    def score(self) -> float:
        return sum(r.contribution for r in self.results)

    @property
    def possible(self) -> float:
        """The highest score the rules allow: every rule in support met, none against."""
        return sum(r.rule.weight for r in self.results if r.rule.direction == "supports")

    @property
    def lowest(self) -> float:
        """The lowest score the rules allow: every rule against met, none in support (0 or below)."""
        return -sum(r.rule.weight for r in self.results if r.rule.direction != "supports")

    @property
    def arithmetic(self) -> str:
        """The sum written out: '3 (rule 1) + 1 (rule 4) − 2 (rule 2) = 2'."""
        terms = [r for r in self.results if r.met]
        if not self.results:
            return "No rule scores this outcome: 0"
        if not terms:
            return "No rule is met: 0"
        text = ""
        for index, result in enumerate(terms):
            weight = number_text(result.rule.weight)
            sign = "−" if result.contribution < 0 else "+"
            part = f"{weight} (rule {result.rule.number})"
            text += (f"−{part}" if sign == "−" else part) if index == 0 else f" {sign} {part}"
        return f"{text} = {number_text(self.score)}"


def number_text(value: float) -> str:
    """A number as people write it: 3 rather than 3.0, 2.5 as 2.5, a minus sign for negatives."""
    text = f"{value:.10g}" if not float(value).is_integer() else str(int(value))
    return text.replace("-", "−")


def shipped_document() -> str:
    """The rules shipped with the platform (version 0)."""
    return SHIPPED_RULES.read_text(encoding="utf-8")


def _rule_lines(text: str) -> list[int]:
    """The line number of each `[[rule]]` header, in order."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if _RULE_HEADER.match(line)]


def _finite_number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _check_rule(raw: dict, name: str, known: Collection[str] | None) -> list[str]:
    problems = []
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        problems.append(f"{name} has a key the rules do not use: {', '.join(unknown)} (keys: {', '.join(RULE_KEYS)})")
    missing = [key for key in RULE_KEYS if key not in raw]
    if missing:
        problems.append(f"{name} is missing {', '.join(missing)}")
    outcome, measure = raw.get("outcome"), raw.get("measure")
    if "outcome" in raw and outcome not in OUTCOMES:
        problems.append(f"{name}: the outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if "measure" in raw and (not isinstance(measure, str) or (known is not None and measure not in known)):
        problems.append(f"{name}: the measure {measure!r} is not known; the rules page lists the measures")
    if "condition" in raw and raw["condition"] not in CONDITIONS:
        problems.append(f'{name}: the condition must be "at least" or "at most", not {raw["condition"]!r}')
    threshold = _finite_number(raw.get("threshold"))
    if "threshold" in raw and (threshold is None or not 0 <= threshold <= 100):
        problems.append(f"{name}: the threshold must be a percentage from 0 to 100, not {raw['threshold']!r}")
    weight = _finite_number(raw.get("weight"))
    if "weight" in raw and (weight is None or not 0 < weight <= MAX_WEIGHT):
        problems.append(f"{name}: the weight must be a number above 0 and at most {MAX_WEIGHT}, not {raw['weight']!r}")
    if "direction" in raw and raw["direction"] not in DIRECTIONS:
        problems.append(f'{name}: the direction must be "supports" or "weighs against", not {raw["direction"]!r}')
    why = raw.get("why")
    if "why" in raw and (not isinstance(why, str) or not why.strip() or len(why) > MAX_WHY):
        problems.append(f"{name}: say why the rule counts in 1 to {MAX_WHY} characters of text")
    return problems


def parse_rules(text: str, known: Collection[str] | None = None) -> list[Rule]:
    """The rules a TOML document holds, checked; RulesError lists every problem (never anything else).

    `known` is the measures a rule may use; None checks only the form (for saved versions, whose measures
    may have gone since: their rules then show "no data")."""
    if not isinstance(text, str) or not text.strip():
        raise RulesError(["Enter the rules"])
    if len(text) > MAX_DOCUMENT:
        raise RulesError([f"The rules must be {MAX_DOCUMENT:,} characters or fewer; they are {len(text):,}"])
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError([f"The rules are not valid TOML: {error}"]) from None
    problems = [f"The rules have a top-level key they do not use: {key}" for key in sorted(set(document) - {"rule"})]
    raw_rules = document.get("rule", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        raise RulesError([*problems, "Write each rule as a [[rule]] table"])
    if not raw_rules:
        raise RulesError([*problems, "Write at least one [[rule]]"])
    if len(raw_rules) > MAX_RULES:
        raise RulesError([*problems, f"Write at most {MAX_RULES} rules; there are {len(raw_rules)}"])
    lines = _rule_lines(text)
    lines = lines if len(lines) == len(raw_rules) else [0] * len(raw_rules)
    rules = []
    for number, (raw, line) in enumerate(zip(raw_rules, lines, strict=True), start=1):
        name = f"Rule {number} (line {line})" if line else f"Rule {number}"
        found = _check_rule(raw, name, known)
        problems += found
        if not found:
            rules.append(
                Rule(
                    number=number,
                    line=line,
                    outcome=raw["outcome"],
                    measure=raw["measure"],
                    condition=raw["condition"],
                    threshold=float(raw["threshold"]),
                    weight=float(raw["weight"]),
                    direction=raw["direction"],
                    why=raw["why"].strip(),
                )
            )
    if problems:
        raise RulesError(problems)
    return rules


def is_met(rule: Rule, measure: Measure | None) -> bool:
    """Whether the measure meets the rule's condition (a threshold exactly reached is met; no data never is)."""
    if measure is None or measure.value is None:
        return False
    value = round(measure.value, 9)  # 1 of 3 is 33.333...%: equal to a threshold written 33.333333333
    return value >= rule.threshold if rule.condition == "at least" else value <= rule.threshold


def score(rules: list[Rule], measures: dict[str, Measure]) -> dict[str, OutcomeScore]:
    """Every outcome's score (in OUTCOMES order): each rule applied to its measure, the weights summed."""
    scores = {slug: OutcomeScore(slug, label) for slug, label in OUTCOMES.items()}
    for rule in rules:
        measure = measures.get(rule.measure)
        met = is_met(rule, measure)
        scores[rule.outcome].results.append(RuleResult(rule, measure, met, rule.sign * rule.weight if met else 0.0))
    return scores
