"""Words of a passage for theme tagging: tokens with their character offsets, Snowball stems and a stop list.

Only NLTK parts that need no downloaded data are used (the Snowball stemmer is pure code), so tagging
works with an empty NLTK_DATA. Tokens are runs of letters and digits (an apostrophe inside a word keeps
it whole: "don't", "council's"); a hyphen splits ("multi-academy" is "multi" and "academy"), so a pattern
written with or without the hyphen matches both spellings.

The stop list is made for this domain. General lists (NLTK's, the `stop-words` package) drop words
such as "different", "groups", "members", "users", "same", "per", "not", "out" and "only", which carry
the signal here ("a different service", "cost per user", "out of scope", "only pupils"), so they are
kept; only grammatical glue is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nltk.stem.snowball import SnowballStemmer

TOKEN = re.compile(r"[A-Za-z0-9£$€]+(?:['’][A-Za-z]+)*")
# Punctuation between two words that ends a clause (and so the reach of a "not" before it).
CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]—–]|\s-\s")

STOP_WORDS = frozenset(
    """
    a an the this that these those there here
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    one's oneself itself themselves ourselves yourself yourselves myself himself herself
    is am are was were be been being have has had having do does did doing
    will would shall should can could may might must ought
    and or if then than so as of at by for with from to in on into onto upon about any some such
    also just very quite rather really too which who whom whose what when where while how why
    s t ll re ve d m
    """.split()
)
# How a pattern's phrase or near rule says "any number" ("<number> users" matches "5,200 users", "9k pupils").
NUMBER = "<number>"
# Words that switch a following mention into the negative ("we do not support any schools").
NEGATION_CUES = frozenset({"not", "no", "never", "none", "nor", "neither", "without", "cannot", "nobody", "nothing"})
# Words that start a new clause, ending a negation's reach ("not pupils but staff").
CLAUSE_WORDS = frozenset({"but", "although", "though", "however", "whereas", "yet", "except"})

_STEMMER = SnowballStemmer("english")
_STEMS: dict[str, str] = {}
_STEM_CACHE_LIMIT = 200_000


_YEAR = re.compile(r"(?:19|20)\d\d")


def is_number(word: str) -> bool:
    """Whether a token is a count that a pattern's NUMBER matches ("5", "200", "9k", "4hr"); a year such as
    "2021" is not ("data from 2021" counts nothing)."""
    return word[:1].isdigit() and not _YEAR.fullmatch(word)


def stem(word: str) -> str:
    """The Snowball stem of a lower-case word, cached (the same few thousand words recur in every passage)."""
    found = _STEMS.get(word)
    if found is None:
        found = word if word == NUMBER or is_number(word) else _STEMMER.stem(word)
        if len(_STEMS) < _STEM_CACHE_LIMIT:
            _STEMS[word] = found
    return found


def normal(word: str) -> str:
    """A token as patterns compare it: lower case, curly apostrophes straight, a possessive 's dropped."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word


def is_negation(norm: str) -> bool:
    """Whether a normalised token negates what follows it ("not", "no", "don't", "isn't" ...)."""
    return norm in NEGATION_CUES or norm.endswith("n't")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a passage: where it is, its original spelling, its normalised form and its stem."""

    start: int
    end: int
    raw: str
    norm: str
    stem: str


def tokens(text: str) -> list[Token]:
    """Every word of `text` with its character offsets (so evidence can point into the text)."""
    found = []
    for match in TOKEN.finditer(text):
        raw = match.group()
        norm = normal(raw)
        found.append(Token(match.start(), match.end(), raw, norm, stem(norm)))
    return found


def term_words(text: str) -> list[str]:
    """The normalised words of a pattern term ("multi-academy" gives ["multi", "academy"]; "<number>" stays)."""
    if text == NUMBER:
        return [NUMBER]
    return [normal(m.group()) for m in TOKEN.finditer(text)]
