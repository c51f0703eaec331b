"""The codebook: themes, what each means, and the indicator patterns the tagger looks for.

Plain data (frozen dataclasses) with a JSON-able form (`codebook_to_dict` / `codebook_from_dict`) that
is checked on the way in: a codebook an analyst edits or imports is refused with sentences they can
act on (`CodebookError.messages`), never half-loaded.

Patterns (`Pattern(kind, value, window, weight)`), all compared on the words of a passage with the
domain stop list's glue words ("of", "the", "our" ...) skipped:

- "word": one word, exactly (a possessive 's ignored: "school" matches "school's"). Written in lower case
  it ignores case; written with a capital it matches only as written, so "Improve" (Socitm's
  benchmarking service) does not match "improve", and an abbreviation in capitals such as "IT", "MAT",
  "PSN" or "SLA" matches only in capitals, also with a plural s ("MATs"), so "it" and "mat" do not.
- "stem": one word and every form sharing its Snowball stem ("academy" matches "academies").
- "phrase": words in sequence, each compared by stem ("traded service" matches "traded services";
  "number of users" matches "numbers of our users"); a position may list alternatives with "|"
  ("same|equal service").
- "near": two terms within `window` words of each other, either order ("different|better|worse
  service|support" with window 4); each side may list alternatives with "|".
- In a phrase or near rule, "<number>" stands for any number: "<number> users" matches "5,200 users"
  and "9k users".
- "exclude": a word or phrase whose presence cancels the theme's hits that overlap it or lie within
  `window` words of it ("user satisfaction" keeps "user" there out of user-categories).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.analysis.text import NUMBER, STOP_WORDS, is_negation, term_words

KINDS = ("word", "stem", "phrase", "near", "exclude")
MAX_VALUE = 200
MAX_WINDOW = 20
MIN_WEIGHT = 0.01
MAX_WEIGHT = 10.0
MAX_PATTERNS = 1000
MAX_THEMES = 100
MAX_TEXT = 4000
MAX_EXAMPLES = 30
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Single words so common in this domain's writing that on their own they would tag nearly every passage.
TOO_COMMON = frozenset({"ict", "it", "council", "councils", "service", "services", "organisation", "use", "used"})


class CodebookError(ValueError):
    """A codebook that cannot be used, with every reason as a sentence a person can act on."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


@dataclass(frozen=True)
class Pattern:
    """One indicator of a theme (see the module for the kinds and what each matches)."""

    kind: str
    value: str
    window: int = 0
    weight: float = 1.0


@dataclass(frozen=True)
class Theme:
    """A code: its stable slug, name, definition, inclusion and exclusion criteria, examples and patterns."""

    slug: str
    name: str
    definition: str
    include: str
    exclude: str
    examples: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    parent: str | None = None


@dataclass(frozen=True)
class Codebook:
    """The themes, in the order they are shown and suggested."""

    themes: tuple[Theme, ...]
    _by_slug: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", {theme.slug: theme for theme in self.themes})

    @property
    def slugs(self) -> tuple[str, ...]:
        """Every theme's slug, in codebook order."""
        return tuple(theme.slug for theme in self.themes)

    def theme(self, slug: str) -> Theme:
        """The theme with this slug (KeyError if the codebook has none)."""
        try:
            return self._by_slug[slug]
        except KeyError:
            raise KeyError(f"the codebook has no theme {slug!r}") from None


def positions(value: str) -> list[list[str]]:
    """A phrase, near or exclude value as word positions, each a list of alternative words, stop words
    left out ("number of users" gives [["number"], ["users"]]; "same|equal service" gives
    [["same", "equal"], ["service"]])."""
    found: list[list[str]] = []
    for part in value.split():
        if "|" in part:
            alternatives = [word for alt in part.split("|") for word in term_words(alt)]
            alternatives = [word for word in alternatives if word not in STOP_WORDS]
            if alternatives:
                found.append(alternatives)
        else:
            found.extend([word] for word in term_words(part) if word not in STOP_WORDS)
    return found


def is_abbreviation(value: str) -> bool:
    """Whether a word pattern is an abbreviation written in capitals ("IT", "MAT", "M365"): matched only so."""
    return len(value) >= 2 and value.isupper() and value.isalnum()


def is_case_sensitive(value: str) -> bool:
    """Whether a word pattern is matched only as written: any capital letter in it ("Improve", "Teams", "PSN")."""
    return any(char.isupper() for char in value)


def _single_word_problem(value: str, case_sensitive: bool) -> str | None:
    words = term_words(value)
    if len(words) != 1 or "|" in value:
        return f"'{value}' must be one word; use a phrase for several words."
    word = words[0]
    if word == NUMBER:
        return f"'{value}' would match almost anything: {NUMBER} needs a word beside it in a phrase."
    if case_sensitive:
        return None
    if len(word) < 2 or word.isdigit():
        return f"'{value}' would match almost anything: use a longer word."
    if word in STOP_WORDS or word in TOO_COMMON or is_negation(word):
        return f"'{value}' would match almost anything: it is too common a word to be an indicator on its own."
    return None


def pattern_problem(kind: str, value: str, window: int = 0, weight: float = 1.0) -> str | None:
    """Why a pattern cannot be used, as a sentence; None when it is fine."""
    if kind not in KINDS:
        return f"'{kind}' is not a kind of pattern: use one of {', '.join(KINDS)}."
    if not isinstance(value, str) or not value.strip():
        return f"A {kind} pattern needs some text to look for."
    if len(value) > MAX_VALUE:
        return f"A pattern can be at most {MAX_VALUE} characters; this one has {len(value)}."
    if "\n" in value or "\r" in value:
        return "A pattern must fit on one line."
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        return f"The weight of '{value}' must be a number from {MIN_WEIGHT:g} to {MAX_WEIGHT:g}."
    if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= MAX_WINDOW:
        return f"The window of '{value}' must be a whole number from 0 to {MAX_WINDOW}."
    value = value.strip()
    if kind in ("word", "stem"):
        if window:
            return f"A {kind} pattern has no window; remove it from '{value}'."
        return _single_word_problem(value, kind == "word" and is_abbreviation(value))
    found = positions(value)
    if not found:
        return f"'{value}' has only words too common to look for (such as 'the', 'of', 'our')."
    if all(NUMBER in alternatives for alternatives in found):
        return f"'{value}' would match almost anything: {NUMBER} needs a word beside it."
    if all(word in TOO_COMMON for alternatives in found for word in alternatives):
        return f"'{value}' would match almost anything: its words are in nearly every passage."
    if kind == "phrase" and window:
        return f"A phrase has no window; use a near pattern for words apart ('{value}')."
    if kind == "near":
        if len(found) != 2:
            return f"A near pattern needs exactly two terms (alternatives joined with |); '{value}' has {len(found)}."
        if window < 1:
            return f"A near pattern needs a window of 1 to {MAX_WINDOW} words; '{value}' has none."
    for alternatives in found:
        for word in alternatives:
            if len(word) < 2 and not word.isdigit() or (word in STOP_WORDS and word != NUMBER):
                return f"'{word}' in '{value}' would match almost anything: use longer words."
    return None


def _text_problem(label: str, value, limit: int, required: bool) -> str | None:
    if not isinstance(value, str):
        return f"{label} must be text."
    if required and not value.strip():
        return f"{label} is missing."
    if len(value) > limit:
        return f"{label} can be at most {limit} characters; it has {len(value)}."
    return None


def codebook_problems(codebook: Codebook) -> list[str]:
    """Every reason the codebook cannot be used (empty when it is fine)."""
    problems: list[str] = []
    if not codebook.themes:
        return ["The codebook has no themes."]
    if len(codebook.themes) > MAX_THEMES:
        problems.append(f"A codebook can have at most {MAX_THEMES} themes; this one has {len(codebook.themes)}.")
    seen_slugs: set[str] = set()
    for number, theme in enumerate(codebook.themes, start=1):
        label = f"Theme {number} ({theme.name!r})" if isinstance(theme.name, str) and theme.name else f"Theme {number}"
        if not isinstance(theme.slug, str) or not SLUG.match(theme.slug) or len(theme.slug) > 60:
            problems.append(
                f"{label}: its slug {theme.slug!r} must be lower-case letters and digits joined by single hyphens "
                "(at most 60 characters)."
            )
        elif theme.slug in seen_slugs:
            problems.append(f"{label}: the slug '{theme.slug}' is used by another theme.")
        seen_slugs.add(theme.slug)
        for what, value, limit, required in (
            ("its name", theme.name, 120, True),
            ("its definition", theme.definition, MAX_TEXT, False),
            ("its inclusion criteria", theme.include, MAX_TEXT, False),
            ("its exclusion criteria", theme.exclude, MAX_TEXT, False),
        ):
            problem = _text_problem(f"{label}: {what}", value, limit, required)
            if problem:
                problems.append(problem)
        if len(theme.examples) > MAX_EXAMPLES:
            problems.append(f"{label}: at most {MAX_EXAMPLES} example passages.")
        for example in theme.examples:
            problem = _text_problem(f"{label}: an example passage", example, 1000, True)
            if problem:
                problems.append(problem)
        if len(theme.patterns) > MAX_PATTERNS:
            problems.append(f"{label}: at most {MAX_PATTERNS} patterns; it has {len(theme.patterns)}.")
        for pattern in theme.patterns:
            problem = pattern_problem(pattern.kind, pattern.value, pattern.window, pattern.weight)
            if problem:
                problems.append(f"{label}: {problem}")
    problems.extend(_hierarchy_problems(codebook, seen_slugs))
    return problems


def _hierarchy_problems(codebook: Codebook, slugs: set[str]) -> list[str]:
    problems = []
    parents = {theme.slug: theme.parent for theme in codebook.themes}
    for theme in codebook.themes:
        if theme.parent is None:
            continue
        if theme.parent not in slugs:
            problems.append(f"Theme '{theme.slug}': its parent '{theme.parent}' is not in the codebook.")
            continue
        seen, current = {theme.slug}, theme.parent
        while current is not None:
            if current in seen:
                problems.append(f"Theme '{theme.slug}': its parents lead back to itself.")
                break
            seen.add(current)
            current = parents.get(current)
    return problems


def check_codebook(codebook: Codebook) -> Codebook:
    """The codebook itself when it can be used; CodebookError listing every problem otherwise."""
    problems = codebook_problems(codebook)
    if problems:
        raise CodebookError(problems)
    return codebook


def default_codebook() -> Codebook:
    """The eight themes of the study (DOMAIN.md), with their indicator patterns."""
    from app.analysis.default_codebook import DEFAULT_THEMES

    return Codebook(themes=DEFAULT_THEMES)


def codebook_to_dict(codebook: Codebook) -> dict:
    """The codebook as JSON-able data (the form `codebook_from_dict` reads back)."""
    return {
        "themes": [
            {
                "slug": theme.slug,
                "name": theme.name,
                "parent": theme.parent,
                "definition": theme.definition,
                "include": theme.include,
                "exclude": theme.exclude,
                "examples": list(theme.examples),
                "patterns": [
                    {"kind": p.kind, "value": p.value, "window": p.window, "weight": p.weight} for p in theme.patterns
                ],
            }
            for theme in codebook.themes
        ]
    }


def _pattern_from(raw, label: str, problems: list[str]) -> Pattern | None:
    if not isinstance(raw, dict):
        problems.append(f"{label}: each pattern must be an object with kind and value.")
        return None
    window, weight = raw.get("window", 0), raw.get("weight", 1.0)
    kind, value = raw.get("kind"), raw.get("value")
    problem = pattern_problem(kind if isinstance(kind, str) else repr(kind), value, window, weight)
    if problem:
        problems.append(f"{label}: {problem}")
        return None
    return Pattern(kind=kind, value=value.strip(), window=window, weight=float(weight))


def codebook_from_dict(data: dict) -> Codebook:
    """A codebook from its JSON-able form; CodebookError (every problem as a sentence) if it is not usable."""
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise CodebookError(["A codebook must be an object with a list of themes."])
    problems: list[str] = []
    themes = []
    for number, raw in enumerate(data["themes"], start=1):
        label = f"Theme {number}"
        if not isinstance(raw, dict):
            problems.append(f"{label} must be an object with a slug, a name and patterns.")
            continue
        examples = raw.get("examples", [])
        patterns = raw.get("patterns", [])
        if not isinstance(examples, list) or not isinstance(patterns, list):
            problems.append(f"{label}: examples and patterns must be lists.")
            continue
        parent = raw.get("parent")
        if parent is not None and not isinstance(parent, str):
            problems.append(f"{label}: its parent must be a theme's slug.")
            continue
        built = [_pattern_from(p, label, problems) for p in patterns]
        themes.append(
            Theme(
                slug=raw.get("slug"),
                name=raw.get("name"),
                definition=raw.get("definition", ""),
                include=raw.get("include", ""),
                exclude=raw.get("exclude", ""),
                examples=tuple(examples),
                patterns=tuple(p for p in built if p is not None),
                parent=parent or None,
            )
        )
    if not problems:
        problems = codebook_problems(Codebook(themes=tuple(themes)))
    if problems:
        raise CodebookError(problems)
    return Codebook(themes=tuple(themes))
