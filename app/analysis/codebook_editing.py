"""Plain data for the codebook editor: patterns written one per line, codebook changes, and previews.

A lead analyst writes a theme's indicator patterns in a text box, one a line, as `kind: what to look for`:

    word: pupils
    stem: licens
    phrase: traded service
    near: pupils devices 5          (both terms within 5 words of each other)
    exclude: school hall

Options follow a semicolon: `; weight 0.6` (how much the pattern counts; 1 unless given) and, for an
exclusion, `; within 3` (how many words around it the exclusion reaches). `format_pattern` writes a
`Pattern` back in the same form, so a theme's patterns survive being shown in the form and saved again.

`read_codebook_file` reads an uploaded codebook (REFI-QDA .qdc, or the JSON this service exports);
`codebook_changes` says what saving or importing a codebook would change (themes added, removed and
changed, field by field), and `preview_theme` what a changed theme would suggest across a study's
passages compared with the saved theme, with the words that matched marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from markupsafe import Markup

from app.analysis.codebook import (
    KINDS,
    MAX_PATTERNS,
    Codebook,
    CodebookError,
    Pattern,
    Theme,
    codebook_from_dict,
    pattern_problem,
)
from app.analysis.highlight import highlighted
from app.analysis.qdc import codebook_from_qdc
from app.analysis.tagging import Tagger
from app.uploads import MB, JsonLimits, UploadRefused, json_document

PREVIEW_EXAMPLES = 20
IMPORT_LIMIT = 2 * MB  # a codebook file; the default codebook is about 70 KB as JSON
# A theme's fields as the change summary names them.
FIELD_LABELS = {
    "name": "name",
    "parent": "parent",
    "definition": "definition",
    "include": "inclusion criteria",
    "exclude": "exclusion criteria",
    "examples": "example passages",
    "patterns": "indicator patterns",
}
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,3}$")
_NUMBER = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3})?$")


# Patterns, one a line


def format_pattern(pattern: Pattern) -> str:
    """A pattern as a line of the editor ("near: pupils devices 5", "stem: licens; weight 0.6")."""
    line = f"{pattern.kind}: {pattern.value}"
    if pattern.kind == "near":
        line += f" {pattern.window}"
    elif pattern.window:
        line += f"; within {pattern.window}"
    if pattern.weight != 1.0:
        line += f"; weight {pattern.weight:g}"
    return line


def format_patterns(patterns: Iterable[Pattern]) -> str:
    """A theme's patterns as the editor's text, one a line."""
    return "\n".join(format_pattern(pattern) for pattern in patterns)


def parse_pattern(line: str) -> Pattern:
    """One line of the editor as a pattern; ValueError with a sentence saying what is wrong."""
    kind, colon, rest = line.partition(":")
    kind = kind.strip().lower()
    if not colon:
        raise ValueError(f"'{_shown(line)}' needs a kind and a colon before what to look for, such as 'word: pupils'.")
    if kind not in KINDS:
        raise ValueError(f"'{_shown(kind)}' is not a kind of pattern: use {', '.join(KINDS[:-1])} or {KINDS[-1]}.")
    value, *options = rest.split(";")
    value = " ".join(value.split())
    window, weight = 0, 1.0
    for option in options:
        name, _, number = option.strip().partition(" ")
        number = number.strip()
        if name == "weight" and _NUMBER.match(number):
            weight = float(number)
        elif name == "within" and _WHOLE_NUMBER.match(number):
            window = int(number)
        else:
            raise ValueError(
                f"'{_shown(option.strip())}' is not an option: after a semicolon write 'weight 0.6' "
                "(how much the pattern counts) or, for an exclusion, 'within 3'."
            )
    if kind == "near" and not window:
        words = value.split()
        if len(words) < 2 or not _WHOLE_NUMBER.match(words[-1]):
            raise ValueError(
                f"'near: {_shown(value)}' needs how many words apart the two terms may be, "
                "as a number at the end, such as 'near: pupils devices 5'."
            )
        value, window = " ".join(words[:-1]), int(words[-1])
    problem = pattern_problem(kind, value, window, weight)
    if problem:
        raise ValueError(problem)
    return Pattern(kind=kind, value=value, window=window, weight=weight)


def parse_patterns(text: str) -> tuple[tuple[Pattern, ...], list[str]]:
    """The editor's text as patterns, and a sentence for each line that is not one ("Line 3: ...").

    Blank lines are skipped; a pattern written twice counts once.
    """
    patterns: list[Pattern] = []
    problems: list[str] = []
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_PATTERNS:
        return (), [f"A theme can have at most {MAX_PATTERNS:,} patterns; there are {len(lines):,} lines."]
    for number, line in lines:
        try:
            pattern = parse_pattern(line)
        except ValueError as error:
            problems.append(f"Line {number}: {error}")
            continue
        if pattern not in patterns:
            patterns.append(pattern)
    return tuple(patterns), problems


def parse_lines(text: str) -> tuple[str, ...]:
    """Text with one item a line (example passages) as the non-blank lines, trimmed."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _shown(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Codebooks changed a theme at a time


def replace_theme(codebook: Codebook, theme: Theme) -> Codebook:
    """The codebook with the theme of the same slug replaced (in its place)."""
    return Codebook(themes=tuple(theme if t.slug == theme.slug else t for t in codebook.themes))


def add_theme(codebook: Codebook, theme: Theme) -> Codebook:
    """The codebook with a theme added: after its parent's last descendant, or at the end."""
    themes = list(codebook.themes)
    position = len(themes)
    if theme.parent is not None:
        family = {theme.parent} | descendants(codebook, theme.parent)
        position = max(i for i, t in enumerate(themes) if t.slug in family) + 1
    themes.insert(position, theme)
    return Codebook(themes=tuple(themes))


def remove_theme(codebook: Codebook, slug: str) -> Codebook:
    """The codebook without a theme; its sub-themes move up to its parent (or to the top level)."""
    removed = codebook.theme(slug)
    return Codebook(
        themes=tuple(
            replace(t, parent=removed.parent) if t.parent == slug else t for t in codebook.themes if t.slug != slug
        )
    )


def descendants(codebook: Codebook, slug: str) -> set[str]:
    """The slugs of a theme's sub-themes, their sub-themes, and so on."""
    found: set[str] = set()
    frontier = {slug}
    while frontier:
        frontier = {t.slug for t in codebook.themes if t.parent in frontier and t.slug not in found}
        found |= frontier
    return found


def theme_tree(codebook: Codebook) -> list[tuple[Theme, int]]:
    """Every theme with its depth (0 at the top level), each followed by its sub-themes, codebook order kept."""
    children: dict[str | None, list[Theme]] = {}
    slugs = set(codebook.slugs)
    for theme in codebook.themes:
        parent = theme.parent if theme.parent in slugs else None
        children.setdefault(parent, []).append(theme)
    tree: list[tuple[Theme, int]] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for theme in children.get(parent, []):
            if theme.slug not in seen:
                seen.add(theme.slug)
                tree.append((theme, depth))
                walk(theme.slug, depth + 1)

    walk(None, 0)
    tree.extend((theme, 0) for theme in codebook.themes if theme.slug not in seen)  # a cycle: shown flat
    return tree


# Reading a codebook file


def read_codebook_file(data: bytes) -> Codebook:
    """An uploaded codebook: REFI-QDA XML (.qdc) or our JSON export, told apart by their first character.

    Raises CodebookError with sentences for the person who uploaded it (too large, neither XML nor
    JSON, not a REFI-QDA codebook, no codes, or codes this service cannot use).
    """
    if len(data) > IMPORT_LIMIT:
        raise CodebookError([f"The file is larger than {IMPORT_LIMIT // MB} MB: a codebook file is far smaller."])
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        try:
            document = json_document(data, JsonLimits(max_bytes=IMPORT_LIMIT))
        except UploadRefused as refusal:
            raise CodebookError([f"{refusal}."]) from None
        return codebook_from_dict(document)
    if start != b"<":
        raise CodebookError(
            [
                "The file is not a codebook: upload a REFI-QDA codebook (.qdc, an XML file exported by NVivo, "
                "ATLAS.ti, MAXQDA or QualCoder) or a codebook exported from this service as JSON."
            ]
        )
    return codebook_from_qdc(data)


# What a new version changes


@dataclass(frozen=True)
class ThemeChange:
    """A theme in both codebooks whose fields differ (the labels of `FIELD_LABELS`)."""

    theme: Theme
    fields: tuple[str, ...]
    patterns_added: int = 0
    patterns_removed: int = 0


@dataclass(frozen=True)
class CodebookChanges:
    """What replacing one codebook with another changes, theme by theme."""

    added: tuple[Theme, ...]
    removed: tuple[Theme, ...]
    changed: tuple[ThemeChange, ...]
    reordered: bool

    @property
    def any(self) -> bool:
        """Whether the two codebooks differ at all."""
        return bool(self.added or self.removed or self.changed or self.reordered)


def codebook_changes(old: Codebook, new: Codebook) -> CodebookChanges:
    """The themes `new` adds, removes and changes compared with `old` (themes are matched by slug)."""
    old_slugs, new_slugs = set(old.slugs), set(new.slugs)
    changed = []
    for theme in new.themes:
        if theme.slug not in old_slugs:
            continue
        before = old.theme(theme.slug)
        fields = tuple(label for name, label in FIELD_LABELS.items() if getattr(before, name) != getattr(theme, name))
        if fields:
            changed.append(
                ThemeChange(
                    theme=theme,
                    fields=fields,
                    patterns_added=len(set(theme.patterns) - set(before.patterns)),
                    patterns_removed=len(set(before.patterns) - set(theme.patterns)),
                )
            )
    kept_old = [slug for slug in old.slugs if slug in new_slugs]
    kept_new = [slug for slug in new.slugs if slug in old_slugs]
    return CodebookChanges(
        added=tuple(t for t in new.themes if t.slug not in old_slugs),
        removed=tuple(t for t in old.themes if t.slug not in new_slugs),
        changed=tuple(changed),
        reordered=kept_old != kept_new,
    )


# Preview: what a changed theme would suggest


@dataclass(frozen=True)
class PreviewItem:
    """One passage whose suggestion would change, with the words that matched (character offsets)."""

    passage_id: int
    text: str
    spans: tuple[tuple[int, int], ...]

    @property
    def marked(self) -> Markup:
        """The passage as HTML, the matched words in <mark>."""
        return highlighted(self.text, self.spans)


@dataclass(frozen=True)
class Preview:
    """What a changed theme would suggest across a study's passages, compared with the saved theme."""

    passages: int  # how many passages were read
    before: int  # passages the saved theme is suggested for
    after: int  # passages the changed theme would be suggested for
    newly: int
    no_longer: int
    newly_examples: tuple[PreviewItem, ...]
    no_longer_examples: tuple[PreviewItem, ...]


def _alone(theme: Theme) -> Tagger:
    """A tagger for one theme by itself (themes score independently, so this is the theme's own verdict)."""
    return Tagger(Codebook(themes=(replace(theme, parent=None),)))


def preview_theme(
    passages: Iterable[tuple[int, str]], saved: Theme | None, changed: Theme, examples: int = PREVIEW_EXAMPLES
) -> Preview:
    """Which passages (id, text) the changed theme would newly be suggested for, and which no longer,
    compared with the saved theme (None for a theme not saved yet); up to `examples` of each, marked."""
    before_tagger = _alone(saved) if saved is not None and saved.patterns else None
    after_tagger = _alone(changed) if changed.patterns else None
    count = before = after = 0
    newly: list[PreviewItem] = []
    no_longer: list[PreviewItem] = []
    newly_count = no_longer_count = 0
    for passage_id, text in passages:
        count += 1
        was = before_tagger.tag(text) if before_tagger else []
        now = after_tagger.tag(text) if after_tagger else []
        before += bool(was)
        after += bool(now)
        if now and not was:
            newly_count += 1
            if len(newly) < examples:
                newly.append(PreviewItem(passage_id, text, now[0].evidence))
        elif was and not now:
            no_longer_count += 1
            if len(no_longer) < examples:
                no_longer.append(PreviewItem(passage_id, text, was[0].evidence))
    return Preview(
        passages=count,
        before=before,
        after=after,
        newly=newly_count,
        no_longer=no_longer_count,
        newly_examples=tuple(newly),
        no_longer_examples=tuple(no_longer),
    )
