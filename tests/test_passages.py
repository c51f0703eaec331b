"""Passages (app/passages.py): sentences split in one place, without NLTK data."""

from __future__ import annotations

from app.passages import split_sentences


def test_sentences_are_split_without_nltk_data():
    text = "Pupils are users, e.g. at primary schools. Are they?\nYes! Dr. Shah disagreed.\n\n- A list item"
    assert split_sentences(text) == [
        "Pupils are users, e.g. at primary schools. Are they?",  # a short fragment joins the sentence before
        "Yes!",
        "Dr. Shah disagreed.",
        "- A list item",
    ]
    assert split_sentences("   ") == []


def test_sentences_also_end_at_single_line_breaks_and_know_more_abbreviations():
    text = "Cllr. Jones spoke\nSee p. 4 and pp. 5-6 of the govt. report from the dept. on St. Mary's"
    assert split_sentences(text) == [
        "Cllr. Jones spoke",
        "See p. 4 and pp. 5-6 of the govt. report from the dept. on St. Mary's",
    ]
