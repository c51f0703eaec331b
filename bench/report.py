"""Write benchmark results into docs/performance.md, one marked section per benchmark.

Each benchmark owns the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`;
writing a section replaces only that text and leaves every other section as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_DOC = REPO_ROOT / "docs" / "performance.md"

INTRO = """# Performance

Figures from the benchmarks in `bench/`. Run them with `make bench` (or
`.venv/bin/python -m bench.run --seconds 15`); each benchmark rewrites its own section below
and leaves the others alone.

The benchmarks serve the app with gunicorn on loopback against a fresh SQLite database loaded with
the demo data, and load it with [Locust](https://locust.io) run headless on the same machine. Each
section says when and on which commit it was measured, on what machine and with which settings.
Figures from different machines are not comparable; compare the percentages of the hello-world
baseline instead.
"""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of the section called `name`."""
    if not _NAME.match(name):
        raise ValueError(f"section name must be lower-case letters, digits, - or _; got {name!r}")
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def replace_section(document: str, name: str, markdown: str) -> str:
    """Return `document` with section `name` set to `markdown` (appended at the end if absent)."""
    start, end = markers(name)
    block = f"{start}\n{markdown.strip()}\n{end}"
    begin = document.find(start)
    if begin == -1:
        return document.rstrip("\n") + "\n\n" + block + "\n"
    finish = document.find(end, begin)
    if finish == -1:
        raise ValueError(f"{start} has no matching {end}")
    return document[:begin] + block + document[finish + len(end) :]


def write_section(name: str, markdown: str, path: Path = PERFORMANCE_DOC) -> Path:
    """Put `markdown` into section `name` of `path`, creating the file with a short intro if needed."""
    document = path.read_text(encoding="utf-8") if path.exists() else INTRO
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(document, name, markdown), encoding="utf-8")
    return path
