"""The framework matrix and the theme crosstab, built with pandas from the study's passages and codes.

- Rows of the framework matrix are participants or organisations. A participant is a pseudonym within
  a session (pseudonyms restart at P1 in every session), shown as "P2, session 1"; an organisation is
  shown only as an anonymous code ("Org 007"), never its name or key. Sessions and organisations are
  numbered in the order the analysis first read them (by passage id, read or since removed), so a
  number never changes as more is read; organisations by `queries.study_organisation_codes`, as every
  other page numbers them. Each cell holds the analyst's summary (`FrameworkCell`: each
  save adds a row, the newest is current) and the number of the row's passages coded with the theme.
- The crosstab counts, per theme and value of one attribute (region, council type, supports schools,
  source), the passages coded with the theme and the organisations they speak for (each counted once),
  with their shares of the group; groups of fewer than SMALL_GROUP organisations are flagged.

Only accepted codes count, unless the analyst includes unreviewed suggestions; they are then counted
apart and named as such wherever they appear (pages and files).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

import pandas as pd
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.analysis.codebook import Codebook
from app.analysis.models import FRAMEWORK_ROWS, SOURCE_KINDS, AnalysisPassage, Code, FrameworkCell
from app.analysis.queries import SCHOOLS, PassageFilters, passage_query, study_organisation_codes
from app.audit.services import record
from app.database import write_transaction
from app.extensions import db
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.results.figures import SMALL_GROUP
from app.tables import write_table

MAX_CELL_TEXT = 5000
ROWS_PER_PAGE = 20
UNKNOWN = "Not known or mixed"
# The crosstab's attributes: name -> (label, passage column, {value: label}).
ATTRIBUTES = {
    "region": ("Region", "region", REGIONS),
    "council_type": ("Council type", "council_type", COUNCIL_TYPES),
    "schools": ("Supports schools", "schools", {k: v for k, v in SCHOOLS.items() if k != "unknown"}),
    "source": ("Source", "source_kind", SOURCE_KINDS),
}


# --- Who a passage speaks for: participants and organisations, with their anonymous codes ------------


@dataclass(frozen=True)
class Row:
    """A framework-matrix row: `key` is stored (FrameworkCell.row_key), `code` goes in addresses, `label`
    is shown. Neither the code nor the label names anyone."""

    kind: str
    key: str
    code: str
    label: str


def _participant_key(session, pseudonym: str) -> str:
    return f"{session}:{pseudonym}"


def study_rows(study_id: int) -> dict[str, list[Row]]:
    """Every participant and organisation the study's passages speak for, numbered stably (organisations as
    every page numbers them, `queries.study_organisation_codes`): {kind: rows}."""
    found = db.session.execute(
        select(AnalysisPassage.pseudonyms, AnalysisPassage.source_ref)
        .where(AnalysisPassage.study_id == study_id)
        .order_by(AnalysisPassage.id)
    ).all()
    sessions: dict[object, int] = {}
    participants: dict[str, tuple[int, int, str]] = {}
    for pseudonyms, ref in found:
        for pseudonym in pseudonyms or ():
            session = (ref or {}).get("session")
            number = sessions.setdefault(session, len(sessions) + 1)
            digits = pseudonym[1:] if pseudonym[1:].isdigit() else "0"
            participants.setdefault(_participant_key(session, pseudonym), (number, int(digits), pseudonym))
    return {
        "participant": [
            Row("participant", key, f"S{number}-{pseudonym}", f"{pseudonym}, session {number}")
            for key, (number, _n, pseudonym) in sorted(participants.items(), key=lambda item: item[1])
        ],
        "organisation": [
            Row("organisation", key, label.removeprefix("Org "), label)
            for key, label in study_organisation_codes(study_id).items()
        ],
    }


def row_codes(rows: dict[str, list[Row]]) -> tuple[dict[str, str], dict[str, str]]:
    """The passages page's participant and organisation filters, from `study_rows`: ({code: key}, {code: key})."""
    return ({r.code: r.key for r in rows["participant"]}, {r.code: r.key for r in rows["organisation"]})


# --- The filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixFilters:
    """The matrices' filters, read from the query string; unknown values are ignored."""

    source: str = ""
    region: str = ""
    council_type: str = ""
    schools: str = ""
    suggestions: bool = False
    kind: str = "participant"  # the framework matrix's rows
    by: str = "region"  # the crosstab's attribute

    @classmethod
    def from_args(cls, args: MultiDict) -> MatrixFilters:
        def pick(name: str, choices, default: str = "") -> str:
            value = args.get(name, default)
            return value if value in choices else default

        return cls(
            source=pick("source", SOURCE_KINDS),
            region=pick("region", REGIONS),
            council_type=pick("council_type", COUNCIL_TYPES),
            schools=pick("schools", SCHOOLS),
            suggestions=args.get("suggestions") == "1",
            kind=pick("kind", FRAMEWORK_ROWS, "participant"),
            by=pick("by", ATTRIBUTES, "region"),
        )

    @property
    def narrowed(self) -> bool:
        """Whether the attribute filters leave some passages out."""
        return any((self.source, self.region, self.council_type, self.schools))

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (for links and downloads)."""
        args = {"source": self.source, "region": self.region, "council_type": self.council_type}
        args |= {"schools": self.schools, "suggestions": "1" if self.suggestions else ""}
        args |= {"kind": self.kind, "by": self.by}
        return {name: value for name, value in args.items() if value}

    def passage_filters(self) -> PassageFilters:
        return PassageFilters(
            source=self.source, region=self.region, council_type=self.council_type, schools=self.schools
        )

    @property
    def counted(self) -> str:
        return "accepted codes and unreviewed suggestions" if self.suggestions else "accepted codes"


# --- The data, as pandas frames ------------------------------------------------------------------------


def _passages(study_id: int, filters: MatrixFilters) -> pd.DataFrame:
    query = passage_query(study_id, filters.passage_filters()).with_only_columns(
        AnalysisPassage.id,
        AnalysisPassage.source_kind,
        AnalysisPassage.region,
        AnalysisPassage.council_type,
        AnalysisPassage.supports_schools,
        AnalysisPassage.pseudonyms,
        AnalysisPassage.organisations,
        AnalysisPassage.source_ref,
    )
    columns = ["id", "source_kind", "region", "council_type", "supports_schools", "pseudonyms", "organisations", "ref"]
    frame = pd.DataFrame(db.session.execute(query).all(), columns=columns).astype({"id": "int64"})
    frame["schools"] = frame["supports_schools"].map(lambda v: "unknown" if v is None else ("yes" if v else "no"))
    frame["participants"] = [
        [_participant_key((ref or {}).get("session"), p) for p in pseudonyms or ()]
        for pseudonyms, ref in zip(frame["pseudonyms"], frame["ref"], strict=True)
    ]
    frame["organisations"] = frame["organisations"].map(lambda keys: list(keys or ()))
    return frame


def _codes(study_id: int, filters: MatrixFilters, themes: list[str]) -> pd.DataFrame:
    statuses = ("accepted", "suggested") if filters.suggestions else ("accepted",)
    rows = db.session.execute(
        select(Code.passage_id, Code.theme, Code.status).where(
            Code.study_id == study_id, Code.status.in_(statuses), Code.theme.in_(themes)
        )
    ).all()
    return pd.DataFrame(rows, columns=["id", "theme", "status"]).astype({"id": "int64"})


# --- The framework matrix --------------------------------------------------------------------------------


@dataclass
class Cell:
    theme: str
    accepted: int = 0
    suggested: int = 0
    summary: FrameworkCell | None = None


@dataclass
class MatrixRow:
    row: Row
    passages: int
    cells: list[Cell]


@dataclass
class Framework:
    kind: str
    themes: list[tuple[str, str]]  # (slug, name)
    rows: list[MatrixRow] = field(default_factory=list)
    counted: str = "accepted codes"


def current_cells(study_id: int, kind: str) -> dict[tuple[str, str], FrameworkCell]:
    """The newest summary of every cell of one kind of row: {(row_key, theme): cell}."""
    cells = db.session.scalars(
        select(FrameworkCell)
        .where(FrameworkCell.study_id == study_id, FrameworkCell.row_kind == kind)
        .order_by(FrameworkCell.id)
    ).all()
    return {(cell.row_key, cell.theme): cell for cell in cells}


def framework(study_id: int, codebook: Codebook, filters: MatrixFilters) -> Framework:
    """The framework matrix: a row per participant or organisation with passages in the filters (and,
    unfiltered, every row with a summary), a column per theme of the codebook."""
    kind = filters.kind
    column = "participants" if kind == "participant" else "organisations"
    themes = [(theme.slug, theme.name) for theme in codebook.themes]
    passages = _passages(study_id, filters)[["id", column]].explode(column).dropna()
    counts = passages.merge(_codes(study_id, filters, [slug for slug, _ in themes]), on="id")
    table = counts.groupby([column, "theme", "status"]).size().to_dict()
    per_row = passages.groupby(column)["id"].nunique().to_dict()
    saved = current_cells(study_id, kind)
    wanted = set(per_row) | (set() if filters.narrowed else {key for key, _theme in saved})
    result = Framework(kind=kind, themes=themes, counted=filters.counted)
    for row in study_rows(study_id)[kind]:
        if row.key not in wanted:
            continue
        cells = [
            Cell(
                slug,
                table.get((row.key, slug, "accepted"), 0),
                table.get((row.key, slug, "suggested"), 0),
                saved.get((row.key, slug)),
            )
            for slug, _name in themes
        ]
        result.rows.append(MatrixRow(row, per_row.get(row.key, 0), cells))
    return result


class ListPage(Pagination):
    """A page of a list already in memory, for the pagination macro."""

    def _query_items(self) -> list:
        items = self._query_args["items"]
        start = (self.page - 1) * self.per_page
        return items[start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def page_of(items: list, page: int, per_page: int = ROWS_PER_PAGE) -> ListPage:
    return ListPage(page=page, per_page=per_page, max_per_page=per_page, error_out=False, items=items)


def framework_records(matrix: Framework) -> tuple[list[dict], list[str]]:
    """The framework matrix as a table: a row per participant or organisation; per theme its summary
    and its count of passages (and of unreviewed suggestions, when they are included)."""
    columns = [FRAMEWORK_ROWS[matrix.kind], "Passages"]
    with_suggestions = "suggestions" in matrix.counted
    for _slug, name in matrix.themes:
        columns += [f"{name}: summary", f"{name}: coded passages"]
        if with_suggestions:
            columns.append(f"{name}: unreviewed suggestions")
    records = []
    for row in matrix.rows:
        record_ = {columns[0]: row.row.label, "Passages": row.passages}
        for cell, (_slug, name) in zip(row.cells, matrix.themes, strict=True):
            record_[f"{name}: summary"] = cell.summary.text if cell.summary else ""
            record_[f"{name}: coded passages"] = cell.accepted
            if with_suggestions:
                record_[f"{name}: unreviewed suggestions"] = cell.suggested
        records.append(record_)
    return records, columns


# --- The crosstab --------------------------------------------------------------------------------------


@dataclass
class CrossCell:
    passages: int
    passage_share: float | None
    organisations: int
    organisation_share: float | None


@dataclass
class Crosstab:
    attribute: str
    label: str
    values: list[tuple[str, str]]  # (value, label), "" for not known or mixed; last: ("*", "All")
    group_passages: dict[str, int]
    group_organisations: dict[str, int]
    rows: list[tuple[str, str, list[CrossCell]]]  # (slug, name, a cell per value)
    counted: str

    def small(self, value: str) -> bool:
        return self.group_organisations[value] < SMALL_GROUP


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def crosstab(study_id: int, codebook: Codebook, filters: MatrixFilters) -> Crosstab:
    """Per theme and value of the chosen attribute: the passages coded with the theme and the distinct
    organisations they speak for, each with its share of the group's passages or organisations."""
    label, column, choices = ATTRIBUTES[filters.by]
    themes = [(theme.slug, theme.name) for theme in codebook.themes]
    passages = _passages(study_id, filters)
    passages["value"] = passages[column].map(lambda v: v if v in choices else "")
    present = set(passages["value"])
    values = [(v, text) for v, text in choices.items() if v in present] + ([("", UNKNOWN)] if "" in present else [])
    everyone = passages.assign(value="*")
    both = pd.concat([passages, everyone], ignore_index=True)[["id", "value", "organisations"]]
    values.append(("*", "All"))
    orgs = both.explode("organisations").dropna(subset=["organisations"])
    group_passages = both.groupby("value")["id"].nunique().to_dict()
    group_orgs = orgs.groupby("value")["organisations"].nunique().to_dict()
    coded = both.merge(_codes(study_id, filters, [slug for slug, _ in themes]), on="id")
    coded_passages = coded.groupby(["theme", "value"])["id"].nunique().to_dict()
    coded_orgs = (
        coded.explode("organisations")
        .dropna(subset=["organisations"])
        .groupby(["theme", "value"])["organisations"]
        .nunique()
        .to_dict()
    )
    rows = []
    for slug, name in themes:
        cells = []
        for value, _text in values:
            n, orgs_n = coded_passages.get((slug, value), 0), coded_orgs.get((slug, value), 0)
            whole, whole_orgs = group_passages.get(value, 0), group_orgs.get(value, 0)
            cells.append(CrossCell(n, _share(n, whole), orgs_n, _share(orgs_n, whole_orgs)))
        rows.append((slug, name, cells))
    return Crosstab(
        attribute=filters.by,
        label=label,
        values=values,
        group_passages={value: group_passages.get(value, 0) for value, _ in values},
        group_organisations={value: group_orgs.get(value, 0) for value, _ in values},
        rows=rows,
        counted=filters.counted,
    )


def crosstab_records(table: Crosstab) -> tuple[list[dict], list[str]]:
    """The crosstab as a long table: a row per theme and value, with the group's sizes and a small-group flag."""
    columns = [
        "Theme",
        table.label,
        "Coded passages",
        "Share of the group's passages",
        "Organisations",
        "Share of the group's organisations",
        "Passages in the group",
        "Organisations in the group",
        "Small group",
        "Counted",
    ]
    records = []
    for _slug, name, cells in table.rows:
        for (value, text), cell in zip(table.values, cells, strict=True):
            records.append(
                dict(
                    zip(
                        columns,
                        [
                            name,
                            text,
                            cell.passages,
                            None if cell.passage_share is None else round(cell.passage_share, 4),
                            cell.organisations,
                            None if cell.organisation_share is None else round(cell.organisation_share, 4),
                            table.group_passages[value],
                            table.group_organisations[value],
                            "yes" if table.small(value) else "no",
                            table.counted,
                        ],
                        strict=True,
                    )
                )
            )
    return records, columns


def export_table(study, codebook: Codebook, filters: MatrixFilters, table: str, fmt: str, by) -> str:
    """The framework matrix or the crosstab written to a temporary file (csv or xlsx), logged as
    `analysis.matrix_exported`; returns the path for the caller to send and remove."""
    if table == "crosstab":
        records, columns = crosstab_records(crosstab(study.id, codebook, filters))
    else:
        records, columns = framework_records(framework(study.id, codebook, filters))
    with write_transaction():  # a GET that writes
        record("analysis.matrix_exported", study, actor=by, table=table, format=fmt, rows=len(records))
    handle, path = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(handle)
    write_table(records, fmt, path, sheet=table, columns=columns)
    return path


# --- Cell summaries --------------------------------------------------------------------------------------


def find_row(study_id: int, kind: str, code: str) -> Row | None:
    """The row with this code, or None."""
    return next((row for row in study_rows(study_id).get(kind, []) if row.code == code), None)


def cell_history(study_id: int, row: Row, theme: str) -> list[FrameworkCell]:
    """Every saved summary of one cell, newest first."""
    return db.session.scalars(
        select(FrameworkCell)
        .where(
            FrameworkCell.study_id == study_id,
            FrameworkCell.row_kind == row.kind,
            FrameworkCell.row_key == row.key,
            FrameworkCell.theme == theme,
        )
        .order_by(FrameworkCell.id.desc())
    ).all()


def save_cell(study, row: Row, theme: str, text: str, by) -> FrameworkCell:
    """Save a new version of a cell's summary (the older ones stay), audit-logged."""
    with write_transaction():
        cell = FrameworkCell(
            study_id=study.id,
            row_kind=row.kind,
            row_key=row.key,
            theme=theme,
            text=text,
            created_by_id=getattr(by, "id", None),
        )
        db.session.add(cell)
        db.session.flush()
        record("analysis.framework_cell_saved", study, actor=by, row=row.label, theme=theme, length=len(text))
    return cell
