"""Blind double-coding rounds: a sample of a study's passages coded independently by two analysts.

A lead analyst sets up a round (a title, a sample size and two coders); the sample is drawn from the
study's present passages, spread across their sources (survey answers, session notes, debriefs) in
proportion, and is the same every time for the same round (the seed is derived from the round's id).
Each coder codes the sample blind, against the codebook version the round was set up with; neither
sees the other's codes, the tagger's suggestions or anyone's accepted codes. Once both have coded a
passage it counts in the agreement figures (`app.analysis.agreement`), and where they differ a lead
resolves the disagreement: the agreed themes become accepted codes on the passage.

Every function that writes is one unit of work and records an audit event; none reads the request or
the signed-in person (routes pass `by`). What a coder chose is never written to the audit log, which
administrators can read before the other coder has finished.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import abort
from sqlalchemy import case, func, or_, select

from app.analysis import services
from app.analysis.agreement import AgreementReport, agreement
from app.analysis.codebook import Codebook
from app.analysis.models import SOURCE_KINDS, AnalysisPassage, Code, CodebookVersion, CodingRound, RoundItem
from app.audit.services import record
from app.auth.models import User, UserRole
from app.auth.roles import ANALYSTS
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study
from app.identifiers import get_or_404

DEFAULT_SAMPLE_SIZE = 30
TITLE_LIMIT = 200
NOTE_LIMIT = 2000
SIDES = ("a", "b")


class RoundError(Exception):
    """Input a round cannot take, as {field name: a sentence for the person who typed it}."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


# Sampling (plain data)


def round_seed(round_id: int) -> int:
    """The sampling seed of a round: derived from its id, so its sample can be drawn again identically."""
    return int(hashlib.sha256(f"analysis-round:{round_id}".encode()).hexdigest()[:16], 16)


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """How many of `size` to take from each group, in proportion to `counts` (largest remainders).

    Groups are taken in the order given; a tie in the remainders goes to the larger group, then the
    earlier. Never more than a group holds, and the shares add up to `size` (at most the total).
    """
    total = sum(counts.values())
    size = max(0, min(size, total))
    if not total:
        return dict.fromkeys(counts, 0)
    shares = {kind: (size * count) // total for kind, count in counts.items()}
    order = sorted(counts, key=lambda kind: (-((size * counts[kind]) % total), -counts[kind], list(counts).index(kind)))
    for kind in order[: size - sum(shares.values())]:
        shares[kind] += 1
    return shares


def draw_sample(candidates: Sequence[tuple[int, str]], size: int, seed: int) -> list[int]:
    """A sample of `size` passage ids from (id, source kind) pairs, spread across the source kinds in
    proportion, in a shuffled order; the same candidates, size and seed always give the same sample."""
    groups: dict[str, list[int]] = {}
    known = [*SOURCE_KINDS, *sorted({kind for _, kind in candidates} - set(SOURCE_KINDS))]
    for kind in known:
        ids = sorted(passage_id for passage_id, of in candidates if of == kind)
        if ids:
            groups[kind] = ids
    rng = random.Random(seed)  # noqa: S311 - a sample that can be drawn again, not a secret
    chosen: list[int] = []
    for kind, take in allocate({kind: len(ids) for kind, ids in groups.items()}, size).items():
        chosen += rng.sample(groups[kind], take)
    rng.shuffle(chosen)
    return chosen


# Lookups


def present_passages(study_id: int) -> list[tuple[int, str]]:
    """(id, source kind) of every passage of the study still in its source: what a sample is drawn from."""
    return [
        (row.id, row.source_kind)
        for row in db.session.execute(
            select(AnalysisPassage.id, AnalysisPassage.source_kind)
            .where(AnalysisPassage.study_id == study_id, AnalysisPassage.present.is_(True))
            .order_by(AnalysisPassage.id)
        )
    ]


def eligible_coders() -> list[User]:
    """Everyone who may code: active accounts holding an analyst, lead analyst or administrator role."""
    has_role = select(UserRole.user_id).where(UserRole.role.in_(ANALYSTS))
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(has_role),
                User.disabled.is_(False),
                User.erased_at.is_(None),
                User.password_hash.is_not(None),
            )
            .order_by(User.name, User.email)
        )
    )


def round_or_404(study: Study, round_id: int) -> CodingRound:
    """One of the study's rounds, or a 404 page (a round of another study is not found)."""
    coding_round = get_or_404(CodingRound, round_id)
    if coding_round.study_id != study.id:
        abort(404)
    return coding_round


def item_or_404(coding_round: CodingRound, item_id: int) -> RoundItem:
    """One of the round's items, or a 404 page (an item of another round is not found)."""
    item = get_or_404(RoundItem, item_id)
    if item.round_id != coding_round.id:
        abort(404)
    return item


def coder_side(coding_round: CodingRound, user) -> str | None:
    """ "a" or "b" for the round's coder A or B, None for anyone else (administrators included)."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return None
    if user_id == coding_round.coder_a_id:
        return "a"
    if user_id == coding_round.coder_b_id:
        return "b"
    return None


def round_codebook(coding_round: CodingRound) -> Codebook:
    """The codebook version the round was set up with (its themes are what the coders choose from)."""
    version = db.session.scalar(
        select(CodebookVersion).where(
            CodebookVersion.study_id == coding_round.study_id, CodebookVersion.number == coding_round.codebook_version
        )
    )
    return services.codebook_of(version)


def themes_of(item: RoundItem, side: str) -> list[str] | None:
    """What one coder chose for an item (a list, empty for "none of these"), or None if not coded yet."""
    coded_at = item.coded_a_at if side == "a" else item.coded_b_at
    if coded_at is None:
        return None
    return list((item.themes_a if side == "a" else item.themes_b) or [])


def both_coded(item: RoundItem) -> bool:
    """Whether both coders have coded the item (only then may anyone see what either chose)."""
    return item.coded_a_at is not None and item.coded_b_at is not None


def blind_passage_ids(study_id: int, user_id: int) -> set[int]:
    """The passages `user_id` is double-coding that are not yet coded by both coders: everywhere else in
    the analysis their codes and suggestions stay hidden from this person, so the coding stays blind."""
    rows = db.session.execute(
        select(RoundItem.passage_id, RoundItem.coded_a_at, RoundItem.coded_b_at)
        .join(CodingRound, CodingRound.id == RoundItem.round_id)
        .where(
            CodingRound.study_id == study_id,
            or_(CodingRound.coder_a_id == user_id, CodingRound.coder_b_id == user_id),
        )
    ).all()
    return {passage_id for passage_id, coded_a, coded_b in rows if coded_a is None or coded_b is None}


# Progress and the list of rounds


@dataclass(frozen=True)
class RoundProgress:
    """How far a round has come: items, coded by each coder, by both, and disagreements resolved."""

    items: int
    coded_a: int
    coded_b: int
    both: int
    resolved: int

    @property
    def complete(self) -> bool:
        """Both coders have coded every item: nobody can change their codes any more."""
        return self.items > 0 and self.both == self.items

    def coded_by(self, side: str) -> int:
        """How many items one coder has coded."""
        return self.coded_a if side == "a" else self.coded_b


def progress_of(round_ids: Iterable[int]) -> dict[int, RoundProgress]:
    """Each round's progress, in one query."""
    ids = list(round_ids)
    found = {round_id: RoundProgress(0, 0, 0, 0, 0) for round_id in ids}
    if not ids:
        return found
    coded_a = RoundItem.coded_a_at.is_not(None)
    coded_b = RoundItem.coded_b_at.is_not(None)
    rows = db.session.execute(
        select(
            RoundItem.round_id,
            func.count(),
            func.count(RoundItem.coded_a_at),
            func.count(RoundItem.coded_b_at),
            func.sum(case((coded_a & coded_b, 1), else_=0)),
            func.count(RoundItem.resolved_at),
        )
        .where(RoundItem.round_id.in_(ids))
        .group_by(RoundItem.round_id)
    )
    for round_id, items, a, b, both, resolved in rows:
        found[round_id] = RoundProgress(items, a, b, int(both or 0), resolved)
    return found


def progress(coding_round: CodingRound) -> RoundProgress:
    """One round's progress."""
    return progress_of([coding_round.id])[coding_round.id]


def rounds_query(study: Study, user):
    """The study's rounds, those `user` codes in first, then newest first (a select to paginate)."""
    user_id = getattr(user, "id", None) or 0
    mine = or_(CodingRound.coder_a_id == user_id, CodingRound.coder_b_id == user_id)
    return (
        select(CodingRound)
        .where(CodingRound.study_id == study.id)
        .order_by(case((mine, 0), else_=1), CodingRound.created_at.desc(), CodingRound.id.desc())
    )


def next_item(coding_round: CodingRound, side: str) -> RoundItem | None:
    """The first item (by position) the coder has not coded yet, or None when they have coded them all."""
    coded_at = RoundItem.coded_a_at if side == "a" else RoundItem.coded_b_at
    return db.session.scalar(
        select(RoundItem)
        .where(RoundItem.round_id == coding_round.id, coded_at.is_(None))
        .order_by(RoundItem.position)
        .limit(1)
    )


# Setting up and deleting rounds


def default_sample_size(study: Study) -> int:
    """The sample size offered first: DEFAULT_SAMPLE_SIZE, or every passage when there are fewer."""
    return min(DEFAULT_SAMPLE_SIZE, len(present_passages(study.id)))


def create_round(
    study: Study, title: str, sample_size: int | None, coder_a_id: int | None, coder_b_id: int | None, by=None
) -> CodingRound:
    """Set up a round: draw its sample from the study's present passages, against the current codebook.

    Raises RoundError (nothing saved) for an empty or long title, a sample size outside 1 to the number
    of passages, a coder who may not code, or the same person as both coders.
    """
    title = (title or "").strip()
    problems: dict[str, str] = {}
    if not title:
        problems["title"] = "Enter a title for the round"
    elif len(title) > TITLE_LIMIT:
        problems["title"] = f"The title must be {TITLE_LIMIT} characters or fewer"
    available = present_passages(study.id)
    if not available:
        problems["sample_size"] = "The study has no passages to sample yet: read its notes and answers first"
    elif sample_size is None or not 1 <= sample_size <= len(available):
        problems["sample_size"] = (
            f"The sample size must be between 1 and {len(available):,}, the number of the study's passages"
        )
    coders = {user.id for user in eligible_coders()}
    if coder_a_id not in coders:
        problems["coder_a"] = "Choose coder A from the list of analysts"
    if coder_b_id not in coders:
        problems["coder_b"] = "Choose coder B from the list of analysts"
    elif coder_b_id == coder_a_id:
        problems["coder_b"] = "Choose two different people: coder B cannot also be coder A"
    if problems:
        raise RoundError(problems)
    version = services.saved_version(study)  # the round points at a saved version, never a default in memory
    with write_transaction():
        coding_round = CodingRound(
            study_id=study.id,
            title=title,
            sample_size=sample_size,
            coder_a_id=coder_a_id,
            coder_b_id=coder_b_id,
            codebook_version=version.number,
            created_by_id=getattr(by, "id", None),
        )
        db.session.add(coding_round)
        db.session.flush()
        sample = draw_sample(available, sample_size, round_seed(coding_round.id))
        for position, passage_id in enumerate(sample, start=1):
            db.session.add(RoundItem(round_id=coding_round.id, passage_id=passage_id, position=position))
        record(
            "analysis.round_created",
            coding_round,
            actor=by,
            study=study.id,
            title=title,
            sample_size=sample_size,
            coder_a=coder_a_id,
            coder_b=coder_b_id,
            codebook_version=version.number,
        )
    return coding_round


def delete_round(coding_round: CodingRound, by=None) -> str:
    """Delete a round and both coders' codes in it; codes applied by its resolutions stay. Returns its title."""
    title = coding_round.title
    with write_transaction():
        record("analysis.round_deleted", coding_round, actor=by, study=coding_round.study_id, title=title)
        db.session.delete(coding_round)
    return title


# Coding


def _clean_themes(themes: Iterable[str], codebook: Codebook, field: str) -> list[str]:
    chosen = set(themes)
    if chosen - set(codebook.slugs):
        raise RoundError({field: "Choose themes from the round's codebook"})
    return [slug for slug in codebook.slugs if slug in chosen]


def save_coding(item: RoundItem, side: str, themes: Iterable[str], by=None) -> RoundItem:
    """Save one coder's themes for an item (an empty list: none of the themes applies).

    Raises RoundError once the round is complete or the item's disagreement has been resolved (codes
    can then no longer change), or for a theme not in the round's codebook.
    """
    if side not in SIDES:
        raise ValueError(f"Unknown coder side {side!r}")
    coding_round = item.round
    if progress(coding_round).complete:
        raise RoundError({"themes": "This round is complete: its codes can no longer be changed"})
    if item.resolved_at is not None:
        raise RoundError({"themes": "A lead analyst has resolved this passage: its codes can no longer be changed"})
    chosen = _clean_themes(themes, round_codebook(coding_round), "themes")
    with write_transaction():
        if side == "a":
            item.themes_a, item.coded_a_at = chosen, utcnow()
        else:
            item.themes_b, item.coded_b_at = chosen, utcnow()
        # Who coded which position, never what they chose: the log is readable before both have coded.
        record("analysis.round_item_coded", coding_round, actor=by, position=item.position, coder=side)
    return item


# Agreement and resolution


def coded_items(coding_round: CodingRound) -> list[RoundItem]:
    """The round's items both coders have coded, by position (the only ones anyone may compare)."""
    return list(
        db.session.scalars(
            select(RoundItem)
            .where(
                RoundItem.round_id == coding_round.id,
                RoundItem.coded_a_at.is_not(None),
                RoundItem.coded_b_at.is_not(None),
            )
            .order_by(RoundItem.position)
        )
    )


def round_agreement(coding_round: CodingRound, codebook: Codebook) -> AgreementReport:
    """Agreement between the two coders over the items both have coded, for every theme of the codebook."""
    codings = [
        (frozenset(themes_of(item, "a") or ()), frozenset(themes_of(item, "b") or ()))
        for item in coded_items(coding_round)
    ]
    return agreement(codings, codebook.slugs)


def disagreements(coding_round: CodingRound) -> list[RoundItem]:
    """The items both coders have coded with different themes, by position."""
    return [
        item for item in coded_items(coding_round) if set(themes_of(item, "a") or ()) != set(themes_of(item, "b") or ())
    ]


def resolve(item: RoundItem, themes: Iterable[str], note: str, by=None) -> RoundItem:
    """Record a lead's resolution of an item and apply it to the passage as accepted codes.

    Each agreed theme is coded by hand on the passage (`services.code_by_hand`); a theme of the
    round's codebook the resolution leaves out loses its accepted code or pending suggestion there
    (`services.decide(code, False)`). Those steps are recorded first, each in its own transaction and
    audit event, and running them again changes nothing, so a resolution interrupted half-way can
    simply be saved again; the resolution itself (who, when, themes, note) is recorded last.
    """
    if not both_coded(item):
        raise RoundError({"themes": "Both coders must code this passage before it can be resolved"})
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise RoundError({"note": f"The note must be {NOTE_LIMIT:,} characters or fewer"})
    coding_round = item.round
    codebook = round_codebook(coding_round)
    agreed = _clean_themes(themes, codebook, "themes")
    passage = item.passage
    for theme in agreed:
        services.code_by_hand(passage, theme, None, codebook, coding_round.codebook_version, by=by)
    dropped = set(codebook.slugs) - set(agreed)
    for code in db.session.scalars(select(Code).where(Code.passage_id == passage.id).order_by(Code.id)).all():
        if code.theme in dropped and code.status in ("accepted", "suggested"):
            services.decide(code, False, by=by)
    with write_transaction():
        item.resolved_themes = agreed
        item.resolution_note = note
        item.resolved_by_id = getattr(by, "id", None)
        item.resolved_at = utcnow()
        record(
            "analysis.round_item_resolved",
            coding_round,
            actor=by,
            position=item.position,
            passage=passage.id,
            themes=agreed,
        )
    return item
