"""The proportion grid: each participant's estimate of the share of their ICT users in each user
category, versioned as a whole, and its figures and summary for the analysis."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.audit.services import record
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Study
from app.focus_groups.notes.access import placements_by_pseudonym, session_participants, sessions_of
from app.focus_groups.notes.models import USER_CATEGORIES, ProportionEstimate, SessionNotes
from app.focus_groups.notes.taking import (
    NoteProblem,
    NotesLocked,
    bump_version,
    keep_session_revision,
    refusal,
    session_notes,
)
from app.numbers import MAX_PLACES, NumberError, parse_decimal

SHARE_TOLERANCE = 0.5  # a row of shares "adds up" when its total is within 100 ± this


class StaleGrid(Exception):
    """Someone saved the proportion grid since this page was opened; `state` holds the saved version."""

    def __init__(self, state: SessionNotes):
        super().__init__(f"The grid of session {state.slot_id} is at version {state.grid_version}")
        self.state = state


def share_field(placement: Placement, category: str) -> str:
    """The form field (and element id) for one cell of the grid."""
    return f"share-{placement.id}-{category}"


SHARE = re.compile(r"(-?[0-9]+(?:[.,][0-9]+)?)\s*%?")
SHARE_PLACES = MAX_PLACES  # 33.333333: a third, as exactly as anyone writes it
SHARE_MAX_LENGTH = 20  # characters typed in one cell, checked before anything else


def parse_share(raw: str) -> tuple[float | None, str | None]:
    """A typed share as a number (None when blank) or a problem ("number": not a number, "range": out of
    range, "places": more than SHARE_PLACES decimal places). Digits 0-9 only, a decimal point or comma
    ("12,5"), an optional "%"; read by the platform's one parser (app.numbers) once its form is checked."""
    text = (raw or "").strip()
    if not text:
        return None, None
    match = SHARE.fullmatch(text) if len(text) <= SHARE_MAX_LENGTH else None
    if match is None:
        return None, "number"
    try:
        value = parse_decimal(
            match.group(1).replace(",", "."),
            minimum=0,
            maximum=100,
            places=SHARE_PLACES,
            thousands=False,
            exponent=False,
        )
    except NumberError as problem:
        return None, {"min": "range", "max": "range", "places": "places"}.get(problem.reason, "number")
    return float(value), None


def share_text(value: float | None) -> str:
    """A stored share as the grid shows it, exactly (12.5, 58, 33.3333), never rounded."""
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else repr(value)


@dataclass
class ProportionRow:
    """One participant's row of the grid: what they estimated, its total and whether it adds up."""

    placement: Placement
    shares: dict[str, float | None]

    @property
    def given(self) -> bool:
        return any(v is not None for v in self.shares.values())

    @property
    def total(self) -> float:
        return round(sum(v for v in self.shares.values() if v is not None), 2)

    @property
    def adds_up(self) -> bool:
        return not self.given or abs(self.total - 100) <= SHARE_TOLERANCE


def proportion_rows(slot: Slot) -> list[ProportionRow]:
    """The grid as stored: one row per participant (blank where nothing was given)."""
    stored: dict[tuple[int, str], float] = {
        (row.placement_id, row.category): row.share
        for row in db.session.scalars(select(ProportionEstimate).where(ProportionEstimate.slot_id == slot.id))
    }
    people = session_participants(slot)
    listed = {p.id for p in people}
    # Someone who left after giving figures keeps their row.
    with_figures = {placement_id for placement_id, _ in stored}
    people += [p for p in placements_by_pseudonym(slot).values() if p.id not in listed and p.id in with_figures]
    return [ProportionRow(p, {c: stored.get((p.id, c)) for c in USER_CATEGORIES}) for p in people]


def save_proportions(
    slot: Slot, form: dict[str, str], *, expected_version: int | None, by=None, now: datetime | None = None
) -> dict[str, str]:
    """Save the grid from the form's fields; return problems (field id -> message) and save nothing if any.

    Each value is a percentage from 0 to 100 (decimals allowed); blank means not given. A row that does
    not add up to 100 is saved and flagged by `ProportionRow.adds_up`. The grid is versioned as a whole:
    a form rendered at another version than the stored one raises StaleGrid (so a stale page's blanks
    wipe nobody's figures), and the version moves in one conditional UPDATE. Each save keeps the cells
    it changed, before and after, as a revision.
    """
    try:
        with write_transaction():
            _save_proportions(slot, form, expected_version=expected_version, by=by, now=now)
    except NoteProblem as problem:
        return problem.errors
    return {}


def _save_proportions(slot: Slot, form: dict[str, str], *, expected_version: int | None, by, now) -> None:
    """The save itself (see `save_proportions`); NoteProblem with every problem, so nothing is kept."""
    state = session_notes(slot, create=True)
    if state.completed_at is not None:
        raise NotesLocked()
    errors: dict[str, str] = {}
    values: dict[tuple[int, str], float | None] = {}
    for row in proportion_rows(slot):
        placement = row.placement
        for category, label in USER_CATEGORIES.items():
            name = share_field(placement, category)
            value, problem = parse_share(form.get(name, ""))
            what = f"{placement.pseudonym}'s share of {label.lower()}"
            if problem == "number":
                errors[name] = f"Enter {what} as a number from 0 to 100, like 12.5"
            elif problem == "range":
                errors[name] = f"{what[0].upper()}{what[1:]} must be between 0 and 100"
            elif problem == "places":
                errors[name] = f"Enter {what} with no more than {SHARE_PLACES} decimal places"
            values[(placement.id, category)] = value
    if errors:
        raise NoteProblem(errors)
    if expected_version is None or expected_version != state.grid_version:
        raise StaleGrid(state)
    now = now or utcnow()
    existing = {
        (row.placement_id, row.category): row
        for row in db.session.scalars(select(ProportionEstimate).where(ProportionEstimate.slot_id == slot.id))
    }
    changes = []
    for (placement_id, category), value in values.items():
        row = existing.get((placement_id, category))
        if (None if row is None else row.share) != value:
            changes.append((placement_id, category, row, value))
    if not changes:
        return
    if not bump_version(slot, SessionNotes.grid_version, expected_version):
        raise refusal(slot, StaleGrid)
    before: dict[str, dict[str, float | None]] = {}
    after: dict[str, dict[str, float | None]] = {}
    for placement_id, category, row, value in changes:
        before.setdefault(str(placement_id), {})[category] = None if row is None else row.share
        after.setdefault(str(placement_id), {})[category] = value
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(
                ProportionEstimate(
                    placement_id=placement_id,
                    category=category,
                    slot_id=slot.id,
                    share=value,
                    updated_at=now,
                    updated_by_id=getattr(by, "id", None),
                )
            )
        else:
            row.share, row.updated_at, row.updated_by_id = value, now, getattr(by, "id", None)
    keep_session_revision(slot, "proportions", expected_version + 1, by, now, before, after)
    record("focus_groups.proportions_saved", slot, actor=by, cells=len(changes), version=expected_version + 1)
    db.session.flush()
    db.session.expire(state)


def proportion_figures(study_or_slot: Study | Slot) -> list[dict]:
    """The grid for the analysis: one dict per participant who gave figures, never a name.

    Each has session (the slot id), pseudonym, region, council_type, supports_schools, shares
    (category id -> % or None), total and adds_up.
    """
    figures = []
    for slot in sessions_of(study_or_slot):
        for row in proportion_rows(slot):
            if not row.given:
                continue
            volunteer = row.placement.volunteer
            figures.append(
                {
                    "session": slot.id,
                    "pseudonym": row.placement.pseudonym,
                    "region": volunteer.region,
                    "council_type": volunteer.council_type,
                    "supports_schools": volunteer.supports_schools,
                    "shares": dict(row.shares),
                    "total": row.total,
                    "adds_up": row.adds_up,
                }
            )
    return figures


def proportion_summary(study_or_slot: Study | Slot) -> dict[str, dict]:
    """Per user category: how many gave a figure and their median and range, from rows that add up to 100."""
    rows = [f for f in proportion_figures(study_or_slot) if f["adds_up"]]
    summary = {}
    for category, label in USER_CATEGORIES.items():
        values = [r["shares"][category] for r in rows if r["shares"][category] is not None]
        summary[category] = {
            "label": label,
            "n": len(values),
            "median": statistics.median(values) if values else None,
            "low": min(values) if values else None,
            "high": max(values) if values else None,
        }
    return summary
