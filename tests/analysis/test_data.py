"""The labelled sets that measure the theme tagger are well formed (tests/analysis/data/README.md).

dev.jsonl is the development set the tagger may be tuned on; seeds_heldout.jsonl is real public text that is
only ever reported as held-out; public_style.jsonl is a second set written by another author in the style of
public council documents (data/PUBLIC_STYLE.md), never tuned on. These checks keep all three honest: ids
unique, slugs only from the eight default themes, enough examples of every theme, enough theme-less passages,
and no text repeated or shared between sets.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
# The eight slugs of ../shared/DOMAIN.md, written out here so the data never depends on app/analysis.
SLUGS = (
    "user-definitions",
    "user-categories",
    "pupils-and-schools",
    "service-quality-differences",
    "demand-and-strain",
    "benchmarking-and-reporting",
    "data-availability",
    "new-technology-and-external-users",
)
VOICES = {"member-survey", "facilitator-note", "quote", "report"}
MIN_DEV_LINES = 300
MIN_PER_THEME = 45
MIN_NONE_SHARE = 0.35
GENRES = {
    "committee-report",
    "audit-report",
    "schools-guidance",
    "licensing",
    "benchmarking-report",
    "strategy",
    "minutes",
}
MIN_PUBLIC_LINES = 400
MIN_PUBLIC_PER_THEME = 40
MIN_PUBLIC_NONE_SHARE = 0.40


def _read(name: str) -> list[dict]:
    """Every line of a data file, parsed; a line that is not one JSON object fails with its number."""
    rows = []
    for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{name} line {number} is blank"
        row = json.loads(line)
        assert isinstance(row, dict), f"{name} line {number} is not a JSON object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    """The development set."""
    return _read("dev.jsonl")


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    """The held-out set of real public sentences."""
    return _read("seeds_heldout.jsonl")


@pytest.fixture(scope="module")
def public() -> list[dict]:
    """The second author's set in the style of public council documents."""
    return _read("public_style.jsonl")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _check_common(rows: list[dict], prefix: str) -> None:
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert all(re.fullmatch(rf"{prefix}-\d{{4}}", i) for i in ids)
    for row in rows:
        assert isinstance(row["text"], str) and row["text"].strip() == row["text"] and row["text"], row["id"]
        assert isinstance(row["themes"], list), row["id"]
        assert set(row["themes"]) <= set(SLUGS), (row["id"], row["themes"])
        assert len(row["themes"]) == len(set(row["themes"])), row["id"]
    texts = [" ".join(row["text"].lower().split()) for row in rows]
    assert len(texts) == len(set(texts)), [t for t, n in Counter(texts).items() if n > 1]


def test_dev_lines_are_well_formed(dev: list[dict]) -> None:
    """Each line carries exactly id, text, themes and voice; ids and texts are unique; slugs are the eight."""
    _check_common(dev, "dev")
    for row in dev:
        assert set(row) == {"id", "text", "themes", "voice"}, row["id"]
        assert row["voice"] in VOICES, row["id"]


def test_dev_is_large_enough_and_covers_every_theme(dev: list[dict]) -> None:
    """At least 300 passages and at least 45 of every theme, so each per-theme figure rests on real support."""
    assert len(dev) >= MIN_DEV_LINES
    counts = Counter(slug for row in dev for slug in row["themes"])
    thin = {slug: counts[slug] for slug in SLUGS if counts[slug] < MIN_PER_THEME}
    assert not thin, thin


def test_dev_has_many_theme_less_passages_and_some_with_several(dev: list[dict]) -> None:
    """At least 35% carry no theme (chatter, logistics, keywords in passing); some carry two or three."""
    none = sum(1 for row in dev if not row["themes"])
    assert none / len(dev) >= MIN_NONE_SHARE
    several = sum(1 for row in dev if len(row["themes"]) >= 2)
    assert several / len(dev) >= 0.15


def test_dev_passages_are_single_sentences_in_every_voice(dev: list[dict]) -> None:
    """Passages are one sentence or a fragment (no paragraphs), and each of the four voices is well represented."""
    assert all(len(row["text"]) <= 300 and "\n" not in row["text"] for row in dev)
    voices = Counter(row["voice"] for row in dev)
    assert set(voices) == VOICES
    assert min(voices.values()) >= 50, voices


def test_heldout_lines_are_well_formed(heldout: list[dict]) -> None:
    """Each held-out line carries id, text, themes and the seed file it was taken from."""
    _check_common(heldout, "seed")
    for row in heldout:
        assert set(row) == {"id", "text", "themes", "source"}, row["id"]
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", row["source"]), row["id"]
    assert len(heldout) >= 100
    assert any(not row["themes"] for row in heldout)


def test_heldout_text_never_appears_in_dev(dev: list[dict], heldout: list[dict]) -> None:
    """The held-out sentences were not copied into the development set, so held-out figures stay held out."""
    dev_texts = {" ".join(row["text"].lower().split()) for row in dev}
    assert not [row["id"] for row in heldout if " ".join(row["text"].lower().split()) in dev_texts]


def test_readme_counts_match_the_data(dev: list[dict], heldout: list[dict]) -> None:
    """The per-theme counts written in data/README.md are the counts the files hold, so the write-up stays true."""
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    dev_counts = Counter(slug for row in dev for slug in row["themes"])
    held_counts = Counter(slug for row in heldout for slug in row["themes"])
    for slug in SLUGS:
        assert f"| `{slug}` | {dev_counts[slug]} | {held_counts[slug]} |" in readme, slug
    dev_none = sum(1 for row in dev if not row["themes"])
    held_none = sum(1 for row in heldout if not row["themes"])
    assert f"{dev_none} of {len(dev)} ({dev_none / len(dev):.1%})" in readme
    assert f"{held_none} of {len(heldout)} ({held_none / len(heldout):.1%})" in readme


def test_public_lines_are_well_formed(public: list[dict]) -> None:
    """Each line carries exactly id, text, themes and a known genre; ids and texts are unique; slugs are the eight."""
    _check_common(public, "pub")
    for row in public:
        assert set(row) == {"id", "text", "themes", "genre"}, row["id"]
        assert row["genre"] in GENRES, row["id"]


def test_public_is_large_enough_and_covers_every_theme(public: list[dict]) -> None:
    """At least 400 passages and at least 40 of every theme, so each per-theme figure rests on real support."""
    assert len(public) >= MIN_PUBLIC_LINES
    counts = Counter(slug for row in public for slug in row["themes"])
    thin = {slug: counts[slug] for slug in SLUGS if counts[slug] < MIN_PUBLIC_PER_THEME}
    assert not thin, thin


def test_public_is_mostly_boilerplate_with_realistic_overlaps(public: list[dict]) -> None:
    """At least 40% carry no theme, as in real reports; some carry two or more; every genre is represented."""
    none = sum(1 for row in public if not row["themes"])
    assert none / len(public) >= MIN_PUBLIC_NONE_SHARE
    several = sum(1 for row in public if len(row["themes"]) >= 2)
    assert several / len(public) >= 0.15
    genres = Counter(row["genre"] for row in public)
    assert set(genres) == GENRES
    assert min(genres.values()) >= 40, genres
    assert all(len(row["text"]) <= 400 and "\n" not in row["text"] for row in public)


def test_public_shares_no_text_with_the_other_sets(public: list[dict], dev: list[dict], heldout: list[dict]) -> None:
    """No sentence of the second author's set appears in the development set or the held-out seeds."""
    others = {_normal(row["text"]) for row in dev + heldout}
    assert not [row["id"] for row in public if _normal(row["text"]) in others]


def test_public_style_counts_match_the_data(public: list[dict]) -> None:
    """The per-theme and per-genre counts written in data/PUBLIC_STYLE.md are the counts the file holds."""
    notes = (DATA / "PUBLIC_STYLE.md").read_text(encoding="utf-8")
    counts = Counter(slug for row in public for slug in row["themes"])
    for slug in SLUGS:
        assert f"| `{slug}` | {counts[slug]} |" in notes, slug
    for genre, count in Counter(row["genre"] for row in public).items():
        assert f"| `{genre}` | {count} |" in notes, genre
    none = sum(1 for row in public if not row["themes"])
    assert f"{none} of {len(public)} ({none / len(public):.1%})" in notes
