"""`flask analysis tag` and `flask analysis evaluate`, through the app's CLI runner."""

from __future__ import annotations

import json

import pytest

from app.analysis.codebook import Codebook, Pattern, Theme, codebook_to_dict, default_codebook
from app.analysis.qdc import codebook_to_qdc


def _write_lines(path, records) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_tag_writes_one_line_per_passage_with_themes_and_evidence(runner, tmp_path):
    source = _write_lines(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": "Academies on our traded SLA get a four-hour response.", "voice": "ignored"},
            {"id": 7, "text": "Thanks all, see you next week."},
            "",
            {"id": "c", "text": "We count councillors as users."},
        ],
    )
    target = tmp_path / "out.jsonl"
    result = runner.invoke(args=["analysis", "tag", "--input", source, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Tagged 3 passages" in result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", 7, "c"]
    assert "pupils-and-schools" in lines[0]["themes"]
    assert "traded" in lines[0]["evidence"]["pupils-and-schools"]
    assert lines[1] == {"id": 7, "themes": [], "evidence": {}}
    assert lines[2]["themes"][:2] == ["user-definitions", "user-categories"]
    assert set(lines[2]["evidence"]) == set(lines[2]["themes"])


def test_bad_lines_are_reported_by_number_and_nothing_is_written(runner, tmp_path):
    source = _write_lines(
        tmp_path / "in.jsonl",
        [
            {"id": "ok", "text": "fine"},
            "{not json",
            {"text": "no id"},
            {"id": "x"},
            {"id": "y", "text": 42},
            "[1, 2]",
        ],
    )
    target = tmp_path / "out.jsonl"
    result = runner.invoke(args=["analysis", "tag", "--input", source, "--output", str(target)])
    assert result.exit_code != 0
    for fragment in (
        "line 2: it is not JSON",
        'line 3: it has no "id"',
        'line 4: it has no "text"',
        'line 5: "text" is not a string',
        "line 6: it is not a JSON object",
        "nothing was written",
    ):
        assert fragment in result.output
    assert "line 1" not in result.output
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "in.jsonl"]


def test_an_existing_output_is_left_alone_when_the_input_is_bad(runner, tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("previous results\n", encoding="utf-8")
    source = _write_lines(tmp_path / "in.jsonl", ["oops"])
    result = runner.invoke(args=["analysis", "tag", "--input", source, "--output", str(target)])
    assert result.exit_code != 0
    assert target.read_text(encoding="utf-8") == "previous results\n"


def test_a_long_file_shows_progress_and_keeps_order(runner, tmp_path):
    records = [{"id": n, "text": f"Passage {n} about pupils and schools."} for n in range(1200)]
    source = _write_lines(tmp_path / "in.jsonl", records)
    target = tmp_path / "out.jsonl"
    result = runner.invoke(args=["analysis", "tag", "--input", source, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Tagging" in result.output
    ids = [json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines()]
    assert ids == list(range(1200))


@pytest.mark.parametrize("form", ["qdc", "json"])
def test_tag_with_a_codebook_file(runner, tmp_path, form):
    codebook = Codebook((Theme("kit", "Kit", "Hardware.", "", "", (), (Pattern("stem", "laptop"),)),))
    path = tmp_path / f"codebook.{form}"
    if form == "qdc":
        path.write_bytes(codebook_to_qdc(codebook))
    else:
        path.write_text(json.dumps(codebook_to_dict(codebook)), encoding="utf-8")
    source = _write_lines(tmp_path / "in.jsonl", [{"id": 1, "text": "Pupils' laptops and schools."}])
    target = tmp_path / "out.jsonl"
    result = runner.invoke(
        args=["analysis", "tag", "--input", source, "--output", str(target), "--codebook", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "id": 1,
        "themes": ["kit"],
        "evidence": {"kit": ["laptops"]},
    }


def test_a_codebook_file_that_is_not_a_codebook_is_refused(runner, tmp_path):
    source = _write_lines(tmp_path / "in.jsonl", [{"id": 1, "text": "schools"}])
    for name, content in (
        ("codes.csv", "name,slug\nSchools,schools\n"),
        ("other.xml", "<project/>"),
        ("bad.json", json.dumps({"themes": [{"slug": "a", "name": "A", "patterns": [{"kind": "word", "value": ""}]}]})),
    ):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = runner.invoke(
            args=["analysis", "tag", "--input", source, "--output", str(tmp_path / "o.jsonl"), "--codebook", str(path)]
        )
        assert result.exit_code != 0
        assert "The codebook cannot be used" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_evaluate_prints_the_figures(runner, tmp_path):
    gold = _write_lines(
        tmp_path / "gold.jsonl",
        [
            {"id": 1, "text": "Academies on our traded SLA.", "themes": ["pupils-and-schools"]},
            {"id": 2, "text": "Thanks everyone.", "themes": []},
            {"id": 3, "text": "We count councillors as users.", "themes": ["user-definitions"]},
        ],
    )
    result = runner.invoke(args=["analysis", "evaluate", "--gold", gold])
    assert result.exit_code == 0, result.output
    for slug in default_codebook().slugs:
        assert slug in result.output
    assert "Macro-F1:" in result.output and "Micro-F1:" in result.output
    assert "Theme-less passages left untagged: 100% (1 of 1)" in result.output


def test_evaluate_refuses_unknown_themes_and_bad_lines(runner, tmp_path):
    gold = _write_lines(
        tmp_path / "gold.jsonl",
        [
            {"id": 1, "text": "x", "themes": ["no-such-theme"]},
            {"id": 2, "text": "x", "themes": "pupils-and-schools"},
        ],
    )
    result = runner.invoke(args=["analysis", "evaluate", "--gold", gold])
    assert result.exit_code != 0
    assert "line 1: theme 'no-such-theme' is not in the codebook" in result.output
    assert 'line 2: "themes" is not a list' in result.output
    empty = _write_lines(tmp_path / "empty.jsonl", [])
    result = runner.invoke(args=["analysis", "evaluate", "--gold", empty])
    assert result.exit_code != 0 and "no passages" in result.output
