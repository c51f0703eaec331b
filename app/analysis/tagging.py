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
from dataclasses import dataclass

from app.analysis.codebook import Codebook, Pattern, check_codebook, is_abbreviation, is_case_sensitive, positions
from app.analysis.text import CLAUSE_BREAK, CLAUSE_WORDS, STOP_WORDS, TOKEN, is_negation, normal, stem

THRESHOLD = 0.5
NEGATION_REACH = 3  # words after a negation cue that it negates
DEFAULT_NEGATED_WEIGHT = 0.5
NOT_NEGATING = frozenset({"only", "just", "simply", "merely", "solely", "necessarily"})


@dataclass(frozen=True)
class Suggestion:
    """A theme suggested for a passage: how sure (0 to 1] and the evidence, as character offsets."""

    slug: str
    confidence: float
    evidence: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class _Hit:
    theme: int
    pattern: int
    first: int  # index of the first and last content word it covers
    last: int
    spans: tuple[tuple[int, int], ...]
    negated: bool


class _Passage:
    """The content words of one text: offsets, spellings, stems and negation."""

    __slots__ = ("starts", "ends", "raws", "norms", "stems", "negated")

    def __init__(self, text: str, cache: dict, capitals: Mapping[str, list]):
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.raws: list[str] = []
        self.norms: list[str] = []
        self.stems: list[str] = []
        self.negated: list[bool] = []
        reach, previous_end = 0, 0
        for match in TOKEN.finditer(text):
            raw = match.group()
            start, end = match.span()
            entry = cache.get(raw)
            if entry is None:
                norm = normal(raw)
                bare = raw[:-2] if raw[-2:] in ("'s", "’s") else raw
                entry = (norm, stem(norm), norm in STOP_WORDS, is_negation(norm), norm in CLAUSE_WORDS, bare)
                if len(cache) < 200_000:
                    cache[raw] = entry
            norm, stemmed, stop, negation, clause_word, bare = entry
            if reach and text[previous_end:start] != " " and CLAUSE_BREAK.search(text, previous_end, start):
                reach = 0
            previous_end = end
            if clause_word or (reach == NEGATION_REACH and norm in NOT_NEGATING):
                reach = 0  # "but" ends a negation's reach; "not only", "not just" negate nothing
            if stop and bare not in capitals:  # "IT" is kept when a pattern asks for it; "it" never is
                continue
            self.starts.append(start)
            self.ends.append(end)
            self.raws.append(bare)
            self.norms.append(norm)
            self.stems.append(stemmed)
            self.negated.append(reach > 0)
            if negation:
                reach = NEGATION_REACH
            elif reach:
                reach -= 1


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
        self._words: dict[str, list] = defaultdict(list)  # normalised word -> [(theme, pattern)]
        self._capitals: dict[str, list] = defaultdict(list)  # abbreviation as written -> [(theme, pattern)]
        self._stems: dict[str, list] = defaultdict(list)  # stem -> [(theme, pattern)]
        self._sequences: dict[str, list] = defaultdict(list)  # first stem -> [(theme, pattern, rest, exclusion)]
        self._near: dict[str, list] = defaultdict(list)  # stem -> [(theme, pattern, side)]
        self._near_windows: dict[tuple[int, int], int] = {}
        self._exclusion_windows: dict[tuple[int, int], int] = {}
        self._cache: dict = {}
        for t, theme in enumerate(codebook.themes):
            self._weights.append([p.weight for p in theme.patterns])
            for p_index, pattern in enumerate(theme.patterns):
                self._compile(t, p_index, pattern)
        for table in (self._words, self._capitals, self._stems, self._sequences, self._near):
            table.default_factory = None

    def _compile(self, t: int, p_index: int, pattern: Pattern) -> None:
        value = pattern.value.strip()
        if pattern.kind == "word":
            if is_case_sensitive(value):
                self._capitals[value].append((t, p_index))
                if is_abbreviation(value):
                    self._capitals[value + "s"].append((t, p_index))
            else:
                self._words[normal(value)].append((t, p_index))
        elif pattern.kind == "stem":
            self._stems[stem(normal(value))].append((t, p_index))
        elif pattern.kind in ("phrase", "exclude"):
            found = [_stems_of(alternatives) for alternatives in positions(value)]
            rest = tuple(found[1:])
            exclusion = pattern.kind == "exclude"
            if exclusion:
                self._exclusion_windows[(t, p_index)] = pattern.window
            for first in found[0]:
                self._sequences[first].append((t, p_index, rest, exclusion))
        elif pattern.kind == "near":
            for side, alternatives in enumerate(positions(value)):
                for stemmed in _stems_of(alternatives):
                    self._near[stemmed].append((t, p_index, side))
            self._near_windows[(t, p_index)] = pattern.window

    def _hits(self, text: str) -> tuple[list[_Hit], list[_Hit]]:
        """(hits, exclusions) before exclusions are applied."""
        words = _Passage(text, self._cache, self._capitals)
        hits: list[_Hit] = []
        exclusions: list[_Hit] = []
        near_seen: dict[tuple[int, int], list[list[int]]] = {}
        starts, ends, negated, stems = words.starts, words.ends, words.negated, words.stems
        count = len(stems)
        words_table, capitals, stem_table = self._words, self._capitals, self._stems
        sequences, near = self._sequences, self._near
        for i in range(count):
            span = ((starts[i], ends[i]),)
            for t, p in words_table.get(words.norms[i], ()):
                hits.append(_Hit(t, p, i, i, span, negated[i]))
            for t, p in capitals.get(words.raws[i], ()):
                hits.append(_Hit(t, p, i, i, span, negated[i]))
            stemmed = stems[i]
            for t, p in stem_table.get(stemmed, ()):
                hits.append(_Hit(t, p, i, i, span, negated[i]))
            for t, p, rest, exclusion in sequences.get(stemmed, ()):
                last = i + len(rest)
                if last >= count or any(stems[i + 1 + k] not in alternatives for k, alternatives in enumerate(rest)):
                    continue
                hit = _Hit(t, p, i, last, ((starts[i], ends[last]),), any(negated[i : last + 1]))
                (exclusions if exclusion else hits).append(hit)
            for t, p, side in near.get(stemmed, ()):
                near_seen.setdefault((t, p), [[], []])[side].append(i)
        for (t, p), (lefts, rights) in near_seen.items():
            if not lefts or not rights:
                continue
            window = self._near_windows[(t, p)]
            for left in lefts:
                for right in rights:
                    if left != right and abs(left - right) <= window:
                        a, b = min(left, right), max(left, right)
                        spans = ((starts[a], ends[a]), (starts[b], ends[b]))
                        hits.append(_Hit(t, p, a, b, spans, negated[left] or negated[right]))
        return hits, exclusions

    def _counted(self, text: str) -> list[_Hit]:
        """The hits that count: those no exclusion of their theme cancels."""
        hits, exclusions = self._hits(text)
        if not exclusions:
            return hits
        kept = []
        for hit in hits:
            cancelled = False
            for ex in exclusions:
                if ex.theme != hit.theme:
                    continue
                window = self._exclusion_windows[(ex.theme, ex.pattern)]
                if hit.first <= ex.last + window and hit.last >= ex.first - window:
                    cancelled = True
                    break
            if not cancelled:
                kept.append(hit)
        return kept

    def _scores(self, hits: list[_Hit]) -> dict[int, float]:
        best: dict[tuple[int, int], float] = {}
        for hit in hits:
            weight = self._weights[hit.theme][hit.pattern]
            if hit.negated:
                weight *= self._negated[hit.theme]
            key = (hit.theme, hit.pattern)
            if weight > best.get(key, 0.0):
                best[key] = weight
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
                spans = [span for hit in hits if hit.theme == t for span in hit.spans]
                suggestions.append(Suggestion(slug, round(confidence, 4), _merged(spans)))
        return suggestions

    def matches(self, text: str, slug: str) -> tuple[tuple[int, int], ...]:
        """Every indicator hit of one theme in the text (character offsets), for previewing patterns."""
        t = self._slugs.index(slug) if slug in self._slugs else None
        if t is None:
            raise KeyError(f"the codebook has no theme {slug!r}")
        return tuple(sorted({span for hit in self._counted(text) if hit.theme == t for span in hit.spans}))


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
