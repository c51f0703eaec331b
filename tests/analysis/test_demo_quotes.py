"""The demo analyst's chosen quotes: no repeats of the same words from different organisations."""

from __future__ import annotations

from types import SimpleNamespace

from app.analysis.demo import _distinct


def test_quotes_opening_with_the_same_words_are_chosen_once():
    texts = [
        "Schools that buy back our traded service should count; the ones that buy elsewhere obviously not",
        "Schools that buy back our traded service should count; the ones that buy elsewhere obviously not.",
        "Our spend includes the schools network but the user count leaves out the pupils (c.35,000).",
        "Our spend includes the schools network but the user count leaves out the pupils (around 110,000).",
        "Speaking for us only: our spend includes the schools network but the user count leaves out the pupils.",
        "Schools have their own technicians; we provide the pipe and the filtering.",
    ]
    kept = _distinct([SimpleNamespace(text=text) for text in texts])
    assert [quote.text for quote in kept] == [texts[0], texts[2], texts[5]]
