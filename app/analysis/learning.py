"""Learning from analysts' decisions: once a theme has enough confirmed and rejected codes, a model re-ranks.

One NLTK Naive Bayes classifier per theme. It learns from the passages analysts accepted for the theme
(it applies) against those they rejected (where the rules fired and were wrong) and every other decided
passage that carries no decision for the theme (coded with other themes only, or with every suggestion
rejected: read by an analyst and not given this theme). Accepted against rejected alone is not enough:
a model that has only seen near misses as negatives takes ordinary talk about something else for the
theme (on the development set its own additions were right 15% of the time, against 73% with the other
passages as negatives), and it ranked the rule suggestions worse (ROC AUC 0.72 against 0.80).

A theme's model takes part only from MIN_EXAMPLES accepted AND MIN_EXAMPLES rejected passages. Why 8,
measured by simulated review on the development set (497 passages, the rule tagger as first written, 5
folds; rule suggestions accepted or rejected by the gold labels, missed themes coded by hand; ROC AUC of the
suggestions' confidence for being right, 0.728 from the rules alone): with 4 a side the model takes part too
early and makes the ranking worse (0.678 after 60 reviewed passages, 0.701 after 120); with 8 it waits, and
improves it once it joins (0.745 after 200, 0.803 after 400); with 12 it joins later and gains less (0.778
after 400). In Naive Bayes terms, with expected-likelihood smoothing, (count + 0.5) / (n + 1), a word in
half of 8 accepted passages and none of 8 rejected weighs 9 to 1 and needs four separate passages to do so;
with 3 a side two passages sharing a word already weigh 5 to 1. NLTK's Maxent (GIS, 30 iterations; each
theme's passages against the rest, n a side) was no better (mean F1 0.37 at 8 a side and 0.41 at 16, against
0.37 and 0.43) and trained 10 to 30 times slower, so Naive Bayes it is.

The model adds a theme the rules missed when it is ADD_PROBABILITY sure and the passage holds at least
ADD_MIN_SUPPORTING_WORDS words that speak for the theme (never on absent words alone), and only once it has
seen MIN_EXAMPLES passages without a decision for the theme. In the same simulation its additions were right
73% of the time after 400 reviewed passages (22 of 30) and half the time after 200 (8 of 16); 0.95 and 0.99
made fewer additions without being clearly more often right, and gave a lower macro-F1. Nothing is ever
dropped: a demoted suggestion stays for the analyst to decide. The confidences are not on the rule tagger's
scale (the model knows how rare a theme is), so a caller must not cut the re-ranked list at the tagger's
threshold (in the simulation, macro-F1 0.672 from the rules alone became 0.595 cut so, 0.700 kept whole).

Features need no downloaded NLTK data: RegexpTokenizer words, lower-cased, Snowball stems, a short stop
list of function words only (domain words such as "different", "groups" and "members" carry the signal,
and "no"/"not" carry negation), plus pairs of adjacent stems ("cost per user" gives "cost_per" and
"per_user"). Each theme keeps the stems seen in at least two of its accepted or rejected passages (at most
MAX_FEATURES).

Absent words are explicit features: a theme word missing from a passage counts against (or for) the
theme, as it must for Naive Bayes over short texts. In training, NLTK's `NaiveBayesClassifier.train`
records every vocabulary word an example lacks as the value ABSENT (None), exactly the counts an explicit
False would give, but without building a dictionary of every word for every example (ten times faster).
In scoring, NLTK's `prob_classify` would quietly skip any word not passed in, so the log-odds of every
absent word are summed once after training into a base figure, and a passage then costs one look-up per
word it contains; the result equals `prob_classify` on the full present/absent featureset
(tests/analysis/test_learning.py checks both equivalences).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from nltk.classify.naivebayes import NaiveBayesClassifier
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

from app.analysis.suggestions import Suggestion

MIN_EXAMPLES = 8
MAX_FEATURES = 400
MIN_DOCUMENT_FREQUENCY = 2
MODEL_WEIGHT = 0.5  # a re-ranked confidence is (1 - w) · rule score + w · model probability
ADD_PROBABILITY = 0.9  # the model adds a theme the rules missed only when at least this sure...
ADD_MIN_SUPPORTING_WORDS = 2  # ...and the passage holds at least this many words that speak for the theme
PRESENT, ABSENT = True, None  # feature values; None is what NaiveBayesClassifier.train records for a missing word

_TOKENS = RegexpTokenizer(r"[a-z0-9]+(?:['’][a-z]+)?")
_STEMMER = SnowballStemmer("english")
# Function words only, chosen for this domain: no "not"/"no" (negation), no "per" ("cost per user"),
# none of the words a general list would drop but which carry themes here (different, groups, members...).
_STOP_WORDS = frozenset(
    """a an the and or but if then than so as of at by for from in into on onto to with within without about
    over under this that these those it its it's is are was were be been being am do does did doing done
    have has had having i i'm we we're our ours us you your he she they they're them their his her
    which who whom whose what when where while there here also just very really quite would could should
    will shall may might must can 's""".split()
)


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    # Snowball is the slow step (about 20 µs a word) and a study's vocabulary is small: cache it.
    return _STEMMER.stem(token)


def features(text: str) -> frozenset[str]:
    """The stems of a text's content words, and pairs of adjacent stems joined by "_"."""
    stems = [_stem(token) for token in _TOKENS.tokenize(text.lower()) if token not in _STOP_WORDS]
    return frozenset(stems) | frozenset(f"{a}_{b}" for a, b in zip(stems, stems[1:], strict=False))


@dataclass(frozen=True)
class _ThemeModel:
    """One theme's trained classifier, reduced to log-odds: prior and absent words, plus a term per present word."""

    classifier: NaiveBayesClassifier
    vocabulary: tuple[str, ...]  # most frequent first
    base: float  # log-odds of a passage containing none of the vocabulary
    present_shift: Mapping[str, float]  # how a word's presence (rather than absence) moves the log-odds
    supporting: frozenset[str]  # words whose presence speaks for the theme

    @classmethod
    def train(
        cls,
        positives: Sequence[frozenset[str]],
        negatives: Sequence[frozenset[str]],
        background: Sequence[frozenset[str]] = (),
    ) -> _ThemeModel:
        """Train on the feature sets of accepted (positives) and rejected (negatives) passages.

        The vocabulary comes from those two; `background` passages count as further negatives.
        """
        counts = Counter(f for doc in (*positives, *negatives) for f in doc)
        ranked = sorted((f for f, n in counts.items() if n >= MIN_DOCUMENT_FREQUENCY), key=lambda f: (-counts[f], f))
        vocabulary = ranked[:MAX_FEATURES]
        known = frozenset(vocabulary)
        # Only the present words are listed: train() counts each vocabulary word an example lacks as ABSENT.
        labelled = [(dict.fromkeys(doc & known, PRESENT), True) for doc in positives]
        labelled += [(dict.fromkeys(doc & known, PRESENT), False) for doc in (*negatives, *background)]
        classifier = NaiveBayesClassifier.train(labelled)
        prior = _log_odds(classifier, {})
        shift_for: dict[str, float] = {}
        base = prior
        for f in vocabulary:
            absent = _log_odds(classifier, {f: ABSENT}) - prior
            present = _log_odds(classifier, {f: PRESENT}) - prior
            base += absent
            shift_for[f] = present - absent
        supporting = frozenset(f for f, shift in shift_for.items() if shift > 0)
        return cls(classifier, tuple(vocabulary), base, shift_for, supporting)

    def probability(self, words: frozenset[str]) -> float:
        """P(theme applies | the passage's features)."""
        # fsum: exactly rounded whatever the (hash-dependent) order of the set, so every run gives the same figure.
        log_odds = math.fsum([self.base, *(self.present_shift[f] for f in words if f in self.present_shift)])
        return _sigmoid(log_odds)


def _log_odds(classifier: NaiveBayesClassifier, featureset: dict[str, bool | None]) -> float:
    distribution = classifier.prob_classify(featureset)
    return distribution.logprob(True) - distribution.logprob(False)


def _sigmoid(x: float) -> float:
    # log-odds here are base-2 (NLTK's logprob); clamp so that very long passages cannot overflow.
    x = max(-500.0, min(500.0, x))
    return 1.0 / (1.0 + 2.0 ** (-x))


class ThemeModels:
    """The models learnt from analysts' decisions, one per theme that has enough of them."""

    def __init__(
        self, counts: Mapping[str, tuple[int, int]], models: Mapping[str, _ThemeModel], may_add: Iterable[str]
    ) -> None:
        """Hold the decision counts per theme, the trained models and the themes they may add; see `train`."""
        self._counts = dict(counts)
        self._models = dict(models)
        self._may_add = frozenset(may_add)

    def example_counts(self, slug: str) -> tuple[int, int]:
        """How many distinct passages analysts accepted and rejected for the theme."""
        return self._counts.get(slug, (0, 0))

    def active(self, slug: str) -> bool:
        """Whether the theme's model takes part: MIN_EXAMPLES accepted and MIN_EXAMPLES rejected."""
        return slug in self._models

    @property
    def active_slugs(self) -> tuple[str, ...]:
        """The themes whose model takes part, in the order their decisions first appeared."""
        return tuple(self._models)

    def classifier(self, slug: str) -> NaiveBayesClassifier | None:
        """The theme's trained NLTK classifier (to inspect its most informative features), or None."""
        model = self._models.get(slug)
        return None if model is None else model.classifier

    def featureset(self, text: str, slug: str) -> dict[str, bool | None]:
        """What the theme's classifier sees of a text: every vocabulary word, PRESENT or ABSENT ({} if inactive)."""
        model = self._models.get(slug)
        if model is None:
            return {}
        words = features(text)
        return {f: PRESENT if f in words else ABSENT for f in model.vocabulary}

    def probability(self, text: str, slug: str) -> float | None:
        """The model's probability that the theme applies to the text; None when its model does not take part."""
        model = self._models.get(slug)
        return None if model is None else model.probability(features(text))

    def may_add(self, slug: str) -> bool:
        """Whether the theme's model may add the theme to passages the rules missed (it has seen ordinary text)."""
        return slug in self._may_add

    def rerank(self, text: str, suggestions: Sequence[Suggestion], scores: Mapping[str, float]) -> list[Suggestion]:
        """The rule tagger's suggestions for `text` re-scored by the models, plus themes only a model found.

        For a theme whose model takes part the confidence becomes (1 - MODEL_WEIGHT) · rule score +
        MODEL_WEIGHT · model probability, so a passage like those analysts rejected sinks and one like those
        they accepted rises; the rule evidence is kept. A theme the rules did not suggest is added, with no
        evidence, when its model may add (`may_add`), is at least ADD_PROBABILITY sure and the passage holds
        at least ADD_MIN_SUPPORTING_WORDS words that speak for it. Other themes pass through unchanged.
        Nothing is dropped, and the list should not be cut at the rule tagger's threshold: the analyst
        decides. Ordered by confidence, highest first, ties in the order given (suggestions, then `scores`).
        """
        if not self._models:
            return list(suggestions)
        words = features(text)
        result: list[Suggestion] = []
        suggested = set()
        for suggestion in suggestions:
            suggested.add(suggestion.slug)
            model = self._models.get(suggestion.slug)
            if model is None:
                result.append(suggestion)
                continue
            rule_score = scores.get(suggestion.slug, suggestion.confidence)
            result.append(replace(suggestion, confidence=_blend(rule_score, model.probability(words))))
        for slug in _in_order(scores, self._models):
            model = self._models.get(slug)
            if model is None or slug in suggested or slug not in self._may_add:
                continue
            probability = model.probability(words)
            if probability >= ADD_PROBABILITY and len(words & model.supporting) >= ADD_MIN_SUPPORTING_WORDS:
                result.append(Suggestion(slug, _blend(scores.get(slug, 0.0), probability), ()))
        return sorted(result, key=lambda s: -s.confidence)


def _blend(rule_score: float, probability: float) -> float:
    confidence = (1 - MODEL_WEIGHT) * min(max(rule_score, 0.0), 1.0) + MODEL_WEIGHT * probability
    return min(max(confidence, 1e-6), 1.0)  # a suggestion's confidence lies in (0, 1]


def _in_order(first: Iterable[str], then: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *then]))


def train(examples: Iterable[tuple[str, str, bool]]) -> ThemeModels:
    """Train the per-theme models on analysts' decisions: (passage text, theme slug, accepted?).

    A passage counts once per theme (text compared without surrounding white space); when the same passage
    was both accepted and rejected for a theme, the decision given last in `examples` stands, so pass them
    oldest first. A theme gets a model from MIN_EXAMPLES accepted and MIN_EXAMPLES rejected passages; the
    other decided passages with no decision for the theme count as negatives too, and from MIN_EXAMPLES of
    them the model may also add the theme where the rules missed it.
    Deterministic: the same decisions in the same order give the same models.
    """
    decisions: dict[str, dict[str, bool]] = {}
    for text, slug, accepted in examples:
        decisions.setdefault(slug, {})[text.strip()] = bool(accepted)
    features_of = {text: features(text) for by_text in decisions.values() for text in by_text}
    counts: dict[str, tuple[int, int]] = {}
    models: dict[str, _ThemeModel] = {}
    may_add: list[str] = []
    for slug, by_text in decisions.items():
        accepted = sum(by_text.values())
        rejected = len(by_text) - accepted
        counts[slug] = (accepted, rejected)
        if accepted < MIN_EXAMPLES or rejected < MIN_EXAMPLES:
            continue
        positives = [features_of[text] for text, ok in by_text.items() if ok]
        negatives = [features_of[text] for text, ok in by_text.items() if not ok]
        background = [words for text, words in features_of.items() if text not in by_text]
        models[slug] = _ThemeModel.train(positives, negatives, background)
        if len(background) >= MIN_EXAMPLES:
            may_add.append(slug)
    return ThemeModels(counts, models, may_add)
