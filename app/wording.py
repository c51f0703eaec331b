"""Counts with their nouns, and titles joined to what follows them: one place for the words every page uses.

GOV.UK style writes numerals for counts ("3 organisations", "1 organisation"), thousands with a comma
("1,200 passages") and the noun agreeing with the count. Templates use the same functions as filters:
`{{ n | plural("organisation") }}`, `{{ "passage" | plural_noun(n) }}`.
"""

from __future__ import annotations

__all__ = ["plural", "plural_noun", "singular_noun", "titled"]

# Plurals that the spelling rules below would get wrong.
IRREGULAR: dict[str, str] = {
    "person": "people",
    "child": "children",
    "analysis": "analyses",
    "criterion": "criteria",
    "datum": "data",
    "staff": "staff",
    "data": "data",
}
_IRREGULAR_SINGULAR = {many: one for one, many in IRREGULAR.items()}
_VOWELS = "aeiou"


def _last_word(phrase: str) -> tuple[str, str]:
    """The phrase split before its last word ("unitary ", "authority"): only the last word takes the plural."""
    head, _, last = phrase.rpartition(" ")
    return (head + " " if head else ""), last


def plural_noun(word: str, n: int | float = 2) -> str:
    """The noun as it agrees with `n`: the word itself for 1, its plural otherwise ("authority" → "authorities").

    In a phrase only the last word changes ("unitary authority" → "unitary authorities"); a capital stays.
    """
    if n == 1 or not word:
        return word
    head, last = _last_word(word)
    lower = last.lower()
    if lower in IRREGULAR:
        many = IRREGULAR[lower]
        return head + (many[0].upper() + many[1:] if last[0].isupper() else many)
    if not last[-1:].isalpha() or last.isupper():
        return word  # a symbol or an abbreviation ("%", "FTE") reads the same in the plural
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in _VOWELS:
        return head + last[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return head + last + "es"
    return head + last + "s"


def singular_noun(word: str) -> str:
    """The singular of a plural noun ("settings" → "setting", "authorities" → "authority"), for units that a
    survey definition writes in the plural; a word that is not a regular plural is returned as it is."""
    head, last = _last_word(word)
    lower = last.lower()
    if lower in _IRREGULAR_SINGULAR and lower not in IRREGULAR:
        one = _IRREGULAR_SINGULAR[lower]
        return head + (one[0].upper() + one[1:] if last[0].isupper() else one)
    if last.isupper() or not lower.endswith("s") or lower.endswith("ss"):
        return word
    if lower.endswith("ies") and len(lower) > 3:
        return head + last[:-3] + "y"
    if lower.endswith(("ches", "shes", "xes", "zes", "sses")):
        return head + last[:-2]
    return head + last[:-1]


def plural(n: int | float, word: str, words: str | None = None) -> str:
    """A count and its noun: "1 organisation", "1,200 organisations" (`words` for a plural the rules miss)."""
    if isinstance(n, bool) or not isinstance(n, int | float):
        number = str(n)
    else:
        number = f"{n:,}" if isinstance(n, int) else f"{n:,g}"
    noun = word if n == 1 else (words or plural_noun(word))
    return f"{number} {noun}"


def titled(title: str, rest: str) -> str:
    """A title followed by what the page shows of it: "Digital skills: session on 5 May", but a title that
    ends a sentence ("Who are our users?") is followed by a dash, not a colon ("Who are our users? – session …")."""
    title = title.strip()
    if title.endswith(("?", "!", ".")):
        return f"{title} – {rest}"
    return f"{title}: {rest}"
