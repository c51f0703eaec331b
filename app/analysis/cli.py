"""`flask analysis ...`: tag passages in bulk and evaluate the tagger against a gold standard, from JSON Lines.

- `flask analysis tag --input IN.jsonl --output OUT.jsonl [--codebook FILE]`: each input line
  `{"id": ..., "text": ...}` (other keys ignored) gives one output line, in the same order,
  `{"id": ..., "themes": [slug, ...], "evidence": {slug: [matched text, ...]}}`. Every line is checked
  before anything is written; a bad line is reported by its number and no output file is made. The
  output is written to a temporary file beside it and moved into place, so it is whole or absent.
- `flask analysis export [--study SLUG] --format csv|xlsx --output PATH`: the study's coded passages,
  a row per passage with its attributes, a 0/1 column per theme (accepted codes), coders and status
  (`app.analysis.exports`); the study may be left out when there is only one. `--format qdpx` writes the
  study as a REFI-QDA project instead (`app.analysis.qdpx`), for NVivo, ATLAS.ti, MAXQDA and QualCoder.
- `flask analysis import-qdpx [--study SLUG] --input FILE [--by EMAIL] [--dry-run]`: adds the accepted
  codes of a REFI-QDA project (.qdpx) to a study (see app/analysis/qdpx_import.py); codes whose coder
  is not an analyst here are attributed to the lead named by --by, or to no one.
- `flask analysis report [--study SLUG] --output REPORT.docx`: the study report as a Word document (see
  `app/analysis/report.py`); `--study` takes a slug or number and may be left out when there is one study.
  An unknown study prints the studies there are and exits with status 2.
- `flask analysis evaluate --gold GOLD.jsonl [--codebook FILE]`: lines `{"id", "text", "themes"}`;
  prints per-theme precision, recall and F1, micro and macro F1, and the share of theme-less passages
  left untagged.

`--codebook` takes a REFI-QDA `.qdc` file or the JSON of `codebook_to_dict`; the default codebook otherwise.
Blank lines are skipped. Commands are thin: they read and check the files, call the tagger, and print.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.analysis.codebook import Codebook, CodebookError, codebook_from_dict, default_codebook
from app.analysis.evaluation import evaluate, format_evaluation
from app.analysis.exports import WRITERS, export_passages, passage_count
from app.analysis.qdc import codebook_from_qdc
from app.analysis.queries import PassageFilters
from app.analysis.studies import StudyNotFound, find_study
from app.analysis.tagging import Tagger
from app.wording import plural

PROGRESS_FROM = 1000  # lines: shorter files finish before a bar would help
MAX_REPORTED = 20  # bad lines listed before "... and N more"
MAX_CODEBOOK_BYTES = 5_000_000


@click.group("analysis", cls=AppGroup)
def analysis() -> None:
    """Theme tagging, evaluation, exports and the study report."""


def load_codebook(path: str | None) -> Codebook:
    """The codebook in a .qdc or JSON file, or the default one when no path is given."""
    if path is None:
        return default_codebook()
    data = Path(path).read_bytes()
    if len(data) > MAX_CODEBOOK_BYTES:
        raise CodebookError([f"{path} is larger than {MAX_CODEBOOK_BYTES // 1_000_000} MB: it is not a codebook."])
    if data.lstrip()[:1] == b"<":
        return codebook_from_qdc(data)
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CodebookError([f"{path} is neither a REFI-QDA codebook (.qdc) nor the JSON of a codebook."]) from None
    return codebook_from_dict(parsed)


def _codebook_or_exit(path: str | None) -> Codebook:
    try:
        return load_codebook(path)
    except CodebookError as error:
        raise click.ClickException("The codebook cannot be used:\n  " + "\n  ".join(error.messages)) from None


def _lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line; a line that is not UTF-8 comes back as None text."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield number, None
                continue
            if line.strip():
                yield number, line


def _record_problem(line: str | None, keys: tuple[str, ...], slugs: tuple[str, ...] = ()) -> str | None:
    """Why one JSON Lines record cannot be used, or None."""
    if line is None:
        return "it is not UTF-8 text"
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return "it is not JSON"
    if not isinstance(record, dict):
        return "it is not a JSON object"
    if record.get("id") is None or isinstance(record["id"], dict | list):
        return 'it has no "id" (a string or a number)'
    if "text" not in record:
        return 'it has no "text"'
    if not isinstance(record["text"], str):
        return '"text" is not a string'
    if "themes" in keys:
        themes = record.get("themes")
        if not isinstance(themes, list) or not all(isinstance(slug, str) for slug in themes):
            return '"themes" is not a list of theme slugs'
        unknown = sorted(set(themes) - set(slugs))
        if unknown:
            return f"theme {', '.join(repr(s) for s in unknown)} is not in the codebook"
    return None


def _check_file(path: str, keys: tuple[str, ...], slugs: tuple[str, ...] = ()) -> int:
    """The number of records in the file; ClickException listing the bad lines when there are any."""
    problems, count = [], 0
    for number, line in _lines(path):
        count += 1
        problem = _record_problem(line, keys, slugs)
        if problem:
            problems.append(f"line {number}: {problem}")
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(f"... and {len(problems) - MAX_REPORTED} more")
        raise click.ClickException(f"{path} has bad lines; nothing was written.\n  " + "\n  ".join(shown))
    return count


def _records(path: str) -> Iterator[dict]:
    for _number, line in _lines(path):
        yield json.loads(line)


def tagged_line(tagger: Tagger, record: dict) -> str:
    """One output line for one input record."""
    text = record["text"]
    suggestions = tagger.tag(text)
    return json.dumps(
        {
            "id": record["id"],
            "themes": [s.slug for s in suggestions],
            "evidence": {s.slug: [text[start:end] for start, end in s.evidence] for s in suggestions},
        },
        ensure_ascii=False,
    )


@analysis.command("tag")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False), help="JSON Lines.")
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--codebook", "codebook_path", type=click.Path(exists=True, dir_okay=False), default=None)
def tag_command(input_path: str, output_path: str, codebook_path: str | None) -> None:
    """Suggest themes for every passage of a JSON Lines file, with the words that led to each."""
    tagger = Tagger(_codebook_or_exit(codebook_path))
    count = _check_file(input_path, ("id", "text"))
    target = Path(output_path).resolve()
    handle = tempfile.NamedTemporaryFile(  # closed below; removed if anything fails
        "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            records = _records(input_path)
            if count >= PROGRESS_FROM:
                with click.progressbar(records, length=count, label="Tagging", file=sys.stderr) as bar:
                    for record in bar:
                        handle.write(tagged_line(tagger, record) + "\n")
            else:
                for record in records:
                    handle.write(tagged_line(tagger, record) + "\n")
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    click.echo(f"Tagged {plural(count, 'passage')} into {output_path}.")


@analysis.command("evaluate")
@click.option("--gold", "gold_path", required=True, type=click.Path(exists=True, dir_okay=False), help="JSON Lines.")
@click.option("--codebook", "codebook_path", type=click.Path(exists=True, dir_okay=False), default=None)
def evaluate_command(gold_path: str, codebook_path: str | None) -> None:
    """Compare the tagger's suggestions with hand-coded themes: precision, recall and F1 per theme."""
    codebook = _codebook_or_exit(codebook_path)
    count = _check_file(gold_path, ("id", "text", "themes"), codebook.slugs)
    if not count:
        raise click.ClickException(f"{gold_path} has no passages to evaluate.")
    tagger = Tagger(codebook)
    gold, predicted = [], []
    for record in _records(gold_path):
        gold.append(set(record["themes"]))
        predicted.append({s.slug for s in tagger.tag(record["text"])})
    click.echo(format_evaluation(evaluate(gold, predicted, codebook.slugs)))


@analysis.command("export")
@click.option("--study", "reference", default=None, help="The study's slug or number (not needed with one study).")
@click.option("--format", "fmt", required=True, type=click.Choice([*sorted(WRITERS), "qdpx"]), help="File format.")
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False, writable=True))
def export_command(reference: str | None, fmt: str, output_path: str) -> None:
    """Write a study's coded passages: a row per passage, its attributes, a 0/1 column per theme, coders, status."""
    try:
        study = find_study(reference)
    except StudyNotFound as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    target = Path(output_path)
    if fmt == "qdpx":
        from app.analysis.qdpx import record_export, write_qdpx

        summary = write_qdpx(study, target)
        record_export(study, summary, via="cli")
        click.echo(
            f"Wrote '{study.title}' as a REFI-QDA project to {output_path}: {summary['sources']} sources, "
            f"{summary['passages']} passages, {summary['codings']} codings by {summary['coders']} coders."
        )
        return
    total = passage_count(study, PassageFilters(), False)
    if total >= PROGRESS_FROM:
        with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
            state = {"done": 0}

            def advance(done: int) -> None:
                bar.update(done - state["done"])
                state["done"] = done

            count = export_passages(study, target, fmt, PassageFilters(), False, None, "cli", advance)
    else:
        count = export_passages(study, target, fmt, PassageFilters(), False, None, "cli")
    click.echo(f"Wrote {plural(count, 'passage')} of '{study.title}' to {output_path}.")


@analysis.command("import-qdpx")
@click.option("--study", "study_ref", default=None, help="The study's short name or number (default: the only one).")
@click.option(
    "--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False), help="A .qdpx file."
)
@click.option("--by", "by_email", default=None, help="The importing lead analyst's email.")
@click.option("--dry-run", is_flag=True, help="Only say what would be imported.")
def import_qdpx_command(study_ref: str | None, input_path: str, by_email: str | None, dry_run: bool) -> None:
    """Add the accepted codes of a REFI-QDA project (.qdpx) to a study, skipping those already there."""
    from sqlalchemy import func, select

    from app.analysis.qdpx_import import QdpxError, read_qdpx
    from app.analysis.studies import StudyNotFound, find_study
    from app.auth.models import User
    from app.auth.roles import ANALYSIS_LEADS
    from app.extensions import db

    try:
        study = find_study(study_ref)
    except StudyNotFound as error:
        raise click.ClickException(str(error)) from None
    user = None
    if by_email:
        user = db.session.scalar(select(User).where(func.lower(User.email) == by_email.strip().lower()[:254]))
        if user is None or user.disabled or not user.has_role(*ANALYSIS_LEADS):
            raise click.ClickException(f"{by_email[:80]} is not a lead analyst of this platform.")
    try:
        report = read_qdpx(study, input_path, user, dry_run=dry_run, via="cli")
    except QdpxError as error:
        raise click.ClickException("The file cannot be imported:\n  " + "\n  ".join(error.messages)) from None
    verb = "Would add" if dry_run else "Added"
    click.echo(
        f"{verb} {report.added} code(s) and accept {report.accepted_suggestions} suggestion(s) in '{study.title}'; "
        f"{report.duplicates} already there (skipped)."
    )
    for name, count in report.by_coder.most_common():
        click.echo(f"  {name}: {count}")
    for problem in report.problems:
        click.echo(f"Problem: {problem}")
    if report.more_problems:
        click.echo(f"... and {report.more_problems} more problems.")


@analysis.command("report")
@click.option("--study", "reference", default=None, help="The study's slug or number (not needed with one study).")
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False, writable=True))
def report_command(reference: str | None, output_path: str) -> None:
    """Write a study's report (method, survey results, findings, recommendation, codebook) as a Word document."""
    from app.analysis.report import REPORT_STEPS, report_document
    from app.analysis.studies import StudyNotFound, find_study

    try:
        study = find_study(reference)
    except StudyNotFound as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    with click.progressbar(length=REPORT_STEPS, label="Writing the report", file=sys.stderr) as bar:
        data = report_document(study, progress=lambda done, _message: bar.update(done - bar.pos))
        bar.update(REPORT_STEPS - bar.pos)
    target = Path(output_path).resolve()
    handle = tempfile.NamedTemporaryFile(  # moved into place whole, or removed
        "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    click.echo(f"Wrote the report of '{study.title}' to {output_path}.")


def register_cli(app: Flask) -> None:
    """Add the `analysis` command group to `flask`."""
    app.cli.add_command(analysis)
