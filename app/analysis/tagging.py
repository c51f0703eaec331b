"""Theme tagging, offline: which of the codebook's themes a passage is about, how sure, and why.

The pipeline, all plain Python and NLTK parts that need no downloaded data (`app.analysis.text`):

1. tokens with their character offsets (a regular expression, so evidence points into the text as given);
2. lower case, a possessive 's dropped, the Snowball stem (cached); glue words of the domain stop list
   are skipped, so "number of our users" and "number of users" read alike and windows count real words;
3. negation: "not", "no", "never", "without", "n't" ... mark the next three words of the same clause
   (a comma, a full stop or "but" ends it) as negated;
4. every pattern of every theme is looked up in hash tables built once per codebook (word, stem,
   the first word of a phrase or exclusion, either side of a near rule), so a passage costs a few
   dictionary look-ups per word whatever the size of the codebook;
5. exclusion patterns cancel the hits of their theme that overlap them or lie within their window;
6. each theme's score is the sum of the weights of its distinct patterns that hit (a pattern counts once
   however often it repeats); a negated hit counts at the theme's negation weight
   (`NEGATED_WEIGHTS`: 1.0 where saying "no" is still an answer on the theme, as in "no difference in
   service" or "we support no schools"; less where a negated mention is weaker evidence);
7. confidence = score / (score + 1), in (0, 1); a theme is suggested when it reaches `THRESHOLD` (0.5,
   that is one strong indicator or two weaker ones).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from app.analysis.codebook import Codebook, Pattern, check_codebook, is_abbreviation, is_case_sensitive, positions
from app.analysis.suggestions import Suggestion
from app.analysis.text import (
    CLAUSE_BREAK,
    CLAUSE_WORDS,
    NUMBER,
    STOP_WORDS,
    TOKEN,
    is_negation,
    is_number,
    normal,
    stem,
)

THRESHOLD = 0.5
NEGATION_REACH = 3  # words after a negation cue that it negates
DEFAULT_NEGATED_WEIGHT = 0.5
NOT_NEGATING = frozenset({"only", "just", "simply", "merely", "solely", "necessarily"})


# A hit is a plain tuple, for speed: (theme, pattern, first word, last word, spans, negated), the words
# counted among the passage's content words (glue words skipped).
_Hit = tuple


def _stems_of(alternatives: list[str]) -> frozenset[str]:
    return frozenset(stem(word) for word in alternatives)


class Tagger:
    """Suggests themes for passages from a codebook's patterns (compiled once; `tag` is then fast)."""

    def __init__(
        self, codebook: Codebook, negated_weights: Mapping[str, float] | None = None, threshold: float = THRESHOLD
    ):
        check_codebook(codebook)
        from app.analysis.default_codebook import NEGATED_WEIGHTS

        weights = NEGATED_WEIGHTS if negated_weights is None else negated_weights
        self.codebook = codebook
        self.threshold = threshold
        self._slugs = codebook.slugs
        self._negated = [weights.get(slug, DEFAULT_NEGATED_WEIGHT) for slug in self._slugs]
        self._weights: list[list[float]] = []
        self._capitals: dict[str, list] = defaultdict(list)  # abbreviation or name as written -> [(theme, pattern)]
        # stem -> [(theme, pattern, the exact word a word pattern needs or None for a stem pattern)]
        self._singles: dict[str, list] = defaultdict(list)
        self._sequences: dict[str, list] = defaultdict(list)  # first stem -> [(theme, pattern, rest, exclusion)]
        self._near: dict[str, list] = defaultdict(list)  # stem -> [(near rule, side)]
        self._near_rules: list[tuple[int, int, int]] = []  # (theme, pattern, window)
        self._exclusion_windows: dict[tuple[int, int], int] = {}
        self._cache: dict = {}
        for t, theme in enumerate(codebook.themes):
            self._weights.append([p.weight for p in theme.patterns])
            for p_index, pattern in enumerate(theme.patterns):
                self._compile(t, p_index, pattern)
        self._capitals.default_factory = None
        # One look-up per word: everything that can start at a stem, as (singles, sequences, near sides).
        self._index: dict[str, tuple] = {
            key: (
                tuple(self._singles.get(key, ())),
                tuple(self._sequences.get(key, ())),
                tuple(self._near.get(key, ())),
            )
            for key in {*self._singles, *self._sequences, *self._near}
        }

    def _compile(self, t: int, p_index: int, pattern: Pattern) -> None:
        value = pattern.value.strip()
        if pattern.kind == "word":
            if is_case_sensitive(value):
                self._capitals[value].append((t, p_index))
                if is_abbreviation(value):
                    self._capitals[value + "s"].append((t, p_index))
            else:
                word = normal(value)
                self._singles[stem(word)].append((t, p_index, word))
        elif pattern.kind == "stem":
            self._singles[stem(normal(value))].append((t, p_index, None))
        elif pattern.kind in ("phrase", "exclude"):
            found = [_stems_of(alternatives) for alternatives in positions(value)]
            rest = tuple(found[1:])
            exclusion = pattern.kind == "exclude"
            if exclusion:
                self._exclusion_windows[(t, p_index)] = pattern.window
            for first in found[0]:
                self._sequences[first].append((t, p_index, rest, exclusion))
        elif pattern.kind == "near":
            rule = len(self._near_rules)
            self._near_rules.append((t, p_index, pattern.window))
            for side, alternatives in enumerate(positions(value)):
                for stemmed in _stems_of(alternatives):
                    self._near[stemmed].append((rule, side))

    def _index_entry(self, stemmed: str) -> tuple | None:
        """What can start at a word with this stem; a number also starts what starts at NUMBER."""
        entry = self._index.get(stemmed)
        if not is_number(stemmed) or NUMBER not in self._index:
            return entry
        number = self._index[NUMBER]
        if entry is None:
            return number
        return tuple(own + any_number for own, any_number in zip(entry, number, strict=True))

    def _word(self, raw: str) -> tuple:
        """What the tagger needs to know about one spelling, worked out once and cached."""
        norm = normal(raw)
        bare = raw[:-2] if raw[-2:] in ("'s", "’s") else raw
        stemmed = stem(norm)
        entry = (
            norm,
            norm in STOP_WORDS,
            is_negation(norm),
            norm in CLAUSE_WORDS or norm in NOT_NEGATING,
            stemmed,
            tuple(self._capitals.get(bare, ())),
            self._index_entry(stemmed),
        )
        if len(self._cache) < 200_000:
            self._cache[raw] = entry
        return entry

    def _hits(self, text: str) -> tuple[list[_Hit], list[_Hit]]:
        """(hits, exclusions) before exclusions are applied, in one pass over the words of the text."""
        cache, near_rules = self._cache, self._near_rules
        starts: list[int] = []
        ends: list[int] = []
        stems: list[str] = []
        negs: list[bool] = []
        hits: list[_Hit] = []
        exclusions: list[_Hit] = []
        pending: list[tuple[int, tuple]] = []  # (word, phrases starting there): checked once every stem is known
        near_seen: dict[int, tuple[list[int], list[int]]] = {}
        reach, previous_end, i = 0, 0, 0
        for match in TOKEN.finditer(text):
            raw = match.group()
            entry = cache.get(raw) or self._word(raw)
            norm, stop, negation, resets, stemmed, capitals, indexed = entry
            start, end = match.span()
            if reach and (start - previous_end != 1 or text[previous_end] != " "):
                if CLAUSE_BREAK.search(text, previous_end, start):
                    reach = 0
            previous_end = end
            if resets and (norm in CLAUSE_WORDS or reach == NEGATION_REACH):
                reach = 0  # "but" ends a negation's reach; "not only", "not just" negate nothing
            if stop and not capitals:  # "IT" is kept when a pattern asks for it; "it" never is
                continue
            negated = reach > 0
            starts.append(start)
            ends.append(end)
            stems.append(stemmed)
            negs.append(negated)
            if negation:
                reach = NEGATION_REACH
            elif reach:
                reach -= 1
            for t, p in capitals:
                hits.append((t, p, i, i, ((start, end),), negated))
            if indexed is not None:
                singles, sequences, sides = indexed
                for t, p, word in singles:
                    if word is None or word == norm:
                        hits.append((t, p, i, i, ((start, end),), negated))
                if sequences:
                    pending.append((i, sequences))
                for rule, side in sides:
                    seen = near_seen.get(rule)
                    if seen is None:
                        seen = near_seen[rule] = ([], [])
                    seen[side].append(i)
            i += 1
        count = i
        for i, sequences in pending:
            for t, p, rest, exclusion in sequences:
                last = i + len(rest)
                if last >= count:
                    continue
                if len(rest) == 1:
                    following = stems[last]
                    if following not in rest[0] and not (NUMBER in rest[0] and is_number(following)):
                        continue
                elif not all(_fits(stems[i + 1 + k], alternatives) for k, alternatives in enumerate(rest)):
                    continue
                hit = (t, p, i, last, ((starts[i], ends[last]),), any(negs[i : last + 1]))
                (exclusions if exclusion else hits).append(hit)
        for rule, (lefts, rights) in near_seen.items():
            if not lefts or not rights:
                continue
            t, p, window = near_rules[rule]
            for left in lefts:
                for right in rights:
                    if left != right and -window <= left - right <= window:
                        a, b = (left, right) if left < right else (right, left)
                        spans = ((starts[a], ends[a]), (starts[b], ends[b]))
                        hits.append((t, p, a, b, spans, negs[left] or negs[right]))
        return hits, exclusions

    def _counted(self, text: str) -> list[_Hit]:
        """The hits that count: those no exclusion of their theme cancels."""
        hits, exclusions = self._hits(text)
        if not exclusions:
            return hits
        reaches = [
            (ex[0], ex[2] - self._exclusion_windows[(ex[0], ex[1])], ex[3] + self._exclusion_windows[(ex[0], ex[1])])
            for ex in exclusions
        ]
        return [
            hit
            for hit in hits
            if not any(theme == hit[0] and hit[2] <= last and hit[3] >= first for theme, first, last in reaches)
        ]

    def _scores(self, hits: list[_Hit]) -> dict[int, float]:
        best: dict[tuple[int, int], float] = {}
        for t, p, _first, _last, _spans, negated in hits:
            weight = self._weights[t][p]
            if negated:
                weight *= self._negated[t]
            if weight > best.get((t, p), 0.0):
                best[(t, p)] = weight
        scores: dict[int, float] = defaultdict(float)
        for (t, _p), weight in best.items():
            scores[t] += weight
        return scores

    def scores(self, text: str) -> dict[str, float]:
        """Every theme's confidence for the text, 0 for a theme with no indicator in it."""
        raw = self._scores(self._counted(text))
        return {slug: _confidence(raw.get(t, 0.0)) for t, slug in enumerate(self._slugs)}

    def tag(self, text: str) -> list[Suggestion]:
        """The themes the text reaches the threshold for, in codebook order, with evidence."""
        hits = self._counted(text)
        if not hits:
            return []
        raw = self._scores(hits)
        suggestions = []
        for t, slug in enumerate(self._slugs):
            confidence = _confidence(raw.get(t, 0.0))
            if confidence >= self.threshold and confidence > 0:
                spans = [span for hit in hits if hit[0] == t for span in hit[4]]
                suggestions.append(Suggestion(slug, round(confidence, 4), _merged(spans)))
        return suggestions

    def matches(self, text: str, slug: str) -> tuple[tuple[int, int], ...]:
        """Every indicator hit of one theme in the text (character offsets), for previewing patterns."""
        t = self._slugs.index(slug) if slug in self._slugs else None
        if t is None:
            raise KeyError(f"the codebook has no theme {slug!r}")
        return tuple(sorted({span for hit in self._counted(text) if hit[0] == t for span in hit[4]}))


def _fits(stemmed: str, alternatives: frozenset[str]) -> bool:
    """Whether a word's stem is one of a pattern position's alternatives (a number fits NUMBER)."""
    return stemmed in alternatives or (NUMBER in alternatives and is_number(stemmed))


def _confidence(score: float) -> float:
    return score / (score + 1.0) if score > 0 else 0.0


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Spans sorted, with overlapping ones joined (so a highlight never nests)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)
