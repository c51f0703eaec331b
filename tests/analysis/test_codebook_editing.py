"""The codebook editor's plain data: patterns one a line, codebook changes, previews and highlighting."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.analysis.codebook import Codebook, CodebookError, Pattern, Theme, codebook_to_dict, default_codebook
from app.analysis.codebook_editing import (
    IMPORT_LIMIT,
    add_theme,
    codebook_changes,
    descendants,
    format_pattern,
    format_patterns,
    parse_pattern,
    parse_patterns,
    preview_theme,
    read_codebook_file,
    remove_theme,
    replace_theme,
    theme_tree,
)
from app.analysis.tagging import Tagger


def _theme(slug: str, parent: str | None = None, patterns: tuple[Pattern, ...] = ()) -> Theme:
    return Theme(slug, slug.replace("-", " ").title(), "", "", "", (), patterns, parent)


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("word: pupils", Pattern("word", "pupils")),
        ("stem: licens", Pattern("stem", "licens")),
        ("phrase: traded service", Pattern("phrase", "traded service")),
        ("near: pupils devices 5", Pattern("near", "pupils devices", 5)),
        ("exclude: school hall", Pattern("exclude", "school hall")),
        ("exclude: user satisfaction; within 3", Pattern("exclude", "user satisfaction", 3)),
        ("stem: licens; weight 0.6", Pattern("stem", "licens", 0, 0.6)),
        (
            "near: different|better service|support 4; weight 0.35",
            Pattern("near", "different|better service|support", 4, 0.35),
        ),
        ("  Word:   MAT  ", Pattern("word", "MAT")),
    ],
)
def test_a_line_reads_as_its_pattern_and_writes_back_the_same(line, pattern):
    assert parse_pattern(line) == pattern
    assert parse_pattern(format_pattern(pattern)) == pattern


def test_every_pattern_of_the_default_codebook_survives_the_editor():
    for theme in default_codebook().themes:
        patterns, problems = parse_patterns(format_patterns(theme.patterns))
        assert problems == []
        assert patterns == theme.patterns


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("pupils", "needs a kind and a colon"),
        ("frobnicate: pupils", "is not a kind of pattern"),
        ("word:", "needs some text"),
        ("word: " + "a" * 201, "at most 200 characters"),
        ("word: the", "would match almost anything"),
        ("word: council", "would match almost anything"),
        ("word: two words", "must be one word"),
        ("near: pupils devices", "needs how many words apart"),
        ("near: pupils devices 99", "window"),
        ("stem: licens; weight lots", "is not an option"),
        ("stem: licens; colour red", "is not an option"),
    ],
)
def test_a_line_that_is_not_a_usable_pattern_is_refused_in_words(line, words):
    patterns, problems = parse_patterns(f"word: pupils\n\n{line}")
    assert patterns == (Pattern("word", "pupils"),)
    assert len(problems) == 1
    assert problems[0].startswith("Line 3: ")
    assert words in problems[0]


def test_more_lines_than_a_theme_may_have_are_refused_at_once():
    patterns, problems = parse_patterns("word: pupils\n" * 1001)
    assert patterns == ()
    assert "at most 1,000 patterns" in problems[0]


def test_a_pattern_written_twice_counts_once():
    assert parse_patterns("word: pupils\nword: pupils\n")[0] == (Pattern("word", "pupils"),)


def test_changes_name_added_removed_and_changed_themes():
    old = Codebook(themes=(_theme("a"), _theme("b"), _theme("c", patterns=(Pattern("word", "pupils"),))))
    new = Codebook(
        themes=(
            _theme("a"),
            replace(_theme("c", patterns=(Pattern("word", "schools"),)), name="Renamed"),
            _theme("d", parent="a"),
        )
    )
    changes = codebook_changes(old, new)
    assert [t.slug for t in changes.added] == ["d"]
    assert [t.slug for t in changes.removed] == ["b"]
    assert [(c.theme.slug, c.fields, c.patterns_added, c.patterns_removed) for c in changes.changed] == [
        ("c", ("name", "indicator patterns"), 1, 1)
    ]
    assert changes.any
    assert not codebook_changes(old, old).any


def test_removing_a_theme_moves_its_sub_themes_up_to_its_parent():
    codebook = Codebook(themes=(_theme("a"), _theme("b", "a"), _theme("c", "b"), _theme("d", "c")))
    assert descendants(codebook, "a") == {"b", "c", "d"}
    after = remove_theme(codebook, "b")
    assert [(t.slug, t.parent) for t in after.themes] == [("a", None), ("c", "a"), ("d", "c")]


def test_a_new_sub_theme_goes_after_its_parents_family_and_the_tree_shows_depth():
    codebook = Codebook(themes=(_theme("a"), _theme("b", "a"), _theme("c")))
    added = add_theme(codebook, _theme("e", "a"))
    assert added.slugs == ("a", "b", "e", "c")
    assert [(t.slug, depth) for t, depth in theme_tree(add_theme(added, _theme("f", "e")))] == [
        ("a", 0),
        ("b", 1),
        ("e", 1),
        ("f", 2),
        ("c", 0),
    ]
    assert replace_theme(codebook, replace(_theme("b", "a"), name="B2")).theme("b").name == "B2"


def test_the_preview_counts_passages_newly_and_no_longer_suggested():
    saved = _theme("pupils", patterns=(Pattern("word", "pupils"),))
    changed = replace(saved, patterns=(Pattern("word", "tablets"),))
    passages = [(1, "Pupils use the network."), (2, "Tablets for every class."), (3, "Nothing here.")]
    preview = preview_theme(passages, saved, changed)
    assert (preview.passages, preview.before, preview.after, preview.newly, preview.no_longer) == (3, 1, 1, 1, 1)
    assert [item.passage_id for item in preview.newly_examples] == [2]
    assert str(preview.newly_examples[0].marked) == '<mark class="app-evidence">Tablets</mark> for every class.'
    assert str(preview.no_longer_examples[0].marked).startswith('<mark class="app-evidence">Pupils</mark>')


def test_the_preview_keeps_at_most_twenty_examples_but_counts_them_all():
    saved = _theme("pupils")
    changed = replace(saved, patterns=(Pattern("word", "pupils"),))
    preview = preview_theme([(n, f"Pupils number {n}.") for n in range(50)], saved, changed)
    assert preview.newly == 50
    assert len(preview.newly_examples) == 20


def test_a_codebook_file_is_read_as_json_or_refused_in_words():
    document = codebook_to_dict(default_codebook())
    assert read_codebook_file(json.dumps(document).encode()) == default_codebook()
    for data, words in [
        (b"hello", "not a codebook"),
        (b"{broken", "not valid JSON"),
        (b'{"themes": []}', "no themes"),
        (b" " * (IMPORT_LIMIT + 1), "larger than 2 MB"),
    ]:
        with pytest.raises(CodebookError) as refused:
            read_codebook_file(data)
        assert words in " ".join(refused.value.messages)


def test_the_preview_agrees_with_the_whole_codebooks_tagger_on_the_development_set():
    """The preview tags with the one theme alone (themes score independently): same verdict, same marks."""
    lines = (Path(__file__).parent / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    passages = [(number, json.loads(line)["text"]) for number, line in enumerate(lines)]
    codebook = default_codebook()
    whole = Tagger(codebook)
    for theme in codebook.themes:
        preview = preview_theme(passages, None, theme, examples=len(passages))
        expected = [(n, text) for n, text in passages if theme.slug in {s.slug for s in whole.tag(text)}]
        assert [item.passage_id for item in preview.newly_examples] == [n for n, _ in expected]
        evidence = {n: next(s.evidence for s in whole.tag(text) if s.slug == theme.slug) for n, text in expected}
        assert all(item.spans == evidence[item.passage_id] for item in preview.newly_examples)
