"""The codebook: the default themes, the JSON form, and patterns refused with clear words."""

from __future__ import annotations

import pytest

from app.analysis.codebook import (
    Codebook,
    CodebookError,
    Pattern,
    Theme,
    codebook_from_dict,
    codebook_to_dict,
    default_codebook,
    pattern_problem,
)

EIGHT = (
    "user-definitions",
    "user-categories",
    "pupils-and-schools",
    "service-quality-differences",
    "demand-and-strain",
    "benchmarking-and-reporting",
    "data-availability",
    "new-technology-and-external-users",
)


def _theme(slug="schools", name="Schools", parent=None) -> Theme:
    return Theme(slug, name, "About schools.", "", "", (), (Pattern("stem", "school"),), parent)


def test_the_default_codebook_has_exactly_the_eight_domain_themes_in_order():
    codebook = default_codebook()
    assert codebook.slugs == EIGHT
    for theme in codebook.themes:
        assert theme.name and theme.definition and theme.include and theme.exclude
        assert len(theme.examples) >= 2
        assert len(theme.patterns) >= 20
        assert {p.kind for p in theme.patterns} >= {"phrase"}
    assert codebook.theme("pupils-and-schools").name == "Pupils and schools"
    with pytest.raises(KeyError, match="no theme 'nope'"):
        codebook.theme("nope")


def test_the_dict_form_round_trips_and_is_json():
    import json

    codebook = default_codebook()
    data = json.loads(json.dumps(codebook_to_dict(codebook)))
    assert codebook_from_dict(data) == codebook
    assert set(data["themes"][0]) == {
        "slug",
        "name",
        "parent",
        "definition",
        "include",
        "exclude",
        "examples",
        "patterns",
    }
    assert set(data["themes"][0]["patterns"][0]) == {"kind", "value", "window", "weight"}


@pytest.mark.parametrize(
    ("kind", "value", "window", "fragment"),
    [
        ("word", "", 0, "needs some text"),
        ("phrase", "   ", 0, "needs some text"),
        ("stem", "x" * 201, 0, "at most 200 characters"),
        ("word", "the", 0, "would match almost anything"),
        ("stem", "council", 0, "would match almost anything"),
        ("word", "a", 0, "would match almost anything"),
        ("word", "2019", 0, "would match almost anything"),
        ("phrase", "of the", 0, "only words too common"),
        ("phrase", "<number>", 0, "would match almost anything"),
        ("phrase", "the council", 0, "would match almost anything"),
        ("near", "council|ICT service|services", 20, "would match almost anything"),
        ("word", "two words", 0, "must be one word"),
        ("near", "pupils", 4, "exactly two terms"),
        ("near", "pupils devices", 0, "window of 1 to 20"),
        ("near", "pupils devices", 21, "from 0 to 20"),
        ("phrase", "traded service", 3, "no window"),
        ("regex", ".*", 0, "not a kind of pattern"),
        ("phrase", "two\nlines", 0, "one line"),
    ],
)
def test_unusable_patterns_are_refused_with_a_reason(kind, value, window, fragment):
    assert fragment in pattern_problem(kind, value, window)


@pytest.mark.parametrize(
    ("kind", "value", "window"),
    [
        ("word", "IT", 0),  # an abbreviation in capitals is not the stop word "it"
        ("word", "MAT", 0),
        ("stem", "academy", 0),
        ("phrase", "multi-academy trust", 0),
        ("phrase", "same|equal service", 0),
        ("near", "different|better service|support", 4),
        ("near", "<number> pupils", 2),
        ("exclude", "school of thought", 0),
    ],
)
def test_usable_patterns_pass(kind, value, window):
    assert pattern_problem(kind, value, window) is None


def test_weights_outside_the_range_are_refused():
    assert "weight" in pattern_problem("stem", "school", 0, 0)
    assert "weight" in pattern_problem("stem", "school", 0, 11)
    assert pattern_problem("stem", "school", 0, 2.5) is None


def test_a_bad_codebook_lists_every_problem_as_a_sentence():
    data = {
        "themes": [
            {"slug": "Schools!", "name": "Schools", "patterns": [{"kind": "word", "value": "the"}]},
            {"slug": "schools", "name": "", "patterns": [{"kind": "near", "value": "pupils devices"}]},
            {"slug": "kids", "name": "Kids", "parent": "nowhere", "patterns": []},
        ]
    }
    with pytest.raises(CodebookError) as caught:
        codebook_from_dict(data)
    messages = caught.value.messages
    assert any("'the' would match almost anything" in m for m in messages)
    assert any("window of 1 to 20" in m for m in messages)
    assert all(m.endswith(".") for m in messages)


def test_structure_problems_are_reported():
    with pytest.raises(CodebookError, match="slug 'Schools!'"):
        codebook_from_dict({"themes": [{"slug": "Schools!", "name": "Schools"}]})
    with pytest.raises(CodebookError, match="name is missing"):
        codebook_from_dict({"themes": [{"slug": "schools", "name": " "}]})
    with pytest.raises(CodebookError, match="used by another theme"):
        codebook_from_dict({"themes": [{"slug": "a", "name": "A"}, {"slug": "a", "name": "B"}]})
    with pytest.raises(CodebookError, match="parent 'nowhere' is not in the codebook"):
        codebook_from_dict({"themes": [{"slug": "a", "name": "A", "parent": "nowhere"}]})
    with pytest.raises(CodebookError, match="lead back to itself"):
        codebook_from_dict(
            {"themes": [{"slug": "a", "name": "A", "parent": "b"}, {"slug": "b", "name": "B", "parent": "a"}]}
        )
    with pytest.raises(CodebookError, match="no themes"):
        codebook_from_dict({"themes": []})
    with pytest.raises(CodebookError, match="list of themes"):
        codebook_from_dict(["not", "a", "codebook"])
    with pytest.raises(CodebookError, match="must be an object with kind and value"):
        codebook_from_dict({"themes": [{"slug": "a", "name": "A", "patterns": ["school"]}]})


def test_a_hierarchy_is_allowed():
    codebook = Codebook((_theme(), _theme("academies", "Academies", parent="schools")))
    assert codebook_from_dict(codebook_to_dict(codebook)) == codebook
