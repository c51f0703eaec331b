"""What the analysis pages read: passages filtered by their attributes and codes, the review queue, and
each theme's figures (examples, and the live precision and recall of the suggestions).

Only accepted codes count in a figure; suggestions are counted separately and always named as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import String, and_, cast, exists, func, select
from werkzeug.datastructures import MultiDict

from app.analysis.codebook import Codebook
from app.analysis.learning import ThemeModels
from app.analysis.models import SOURCE_KINDS, AnalysisPassage, Code
from app.extensions import db
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS

REVIEW_STATES = {
    "pending": "Has suggestions awaiting review",
    "recheck": "Changed since it was coded",
    "coded": "Has accepted codes",
    "uncoded": "Has no accepted code",
}
SCHOOLS = {"yes": "Supports schools", "no": "Does not support schools", "unknown": "Not known or mixed"}
PER_PAGE = 25


@dataclass(frozen=True)
class PassageFilters:
    """The passages page's filters, read from the query string; unknown values are ignored."""

    source: str = ""
    section: str = ""
    region: str = ""
    council_type: str = ""
    schools: str = ""
    theme: str = ""
    state: str = ""
    text: str = ""
    # A participant ("S1-P2") or an organisation ("007") by its anonymous code (app.analysis.matrices),
    # with the key it stands for (the session and pseudonym "4:P2", or "org:12"): never shown.
    participant: str = ""
    organisation: str = ""
    participant_key: str = field(default="", repr=False)
    organisation_key: str = field(default="", repr=False)

    @classmethod
    def from_args(
        cls,
        args: MultiDict,
        codebook: Codebook,
        sections: dict[str, str],
        participants: dict[str, str] | None = None,
        organisations: dict[str, str] | None = None,
    ) -> PassageFilters:
        """The filters the query string names, each kept only if it is one of the page's choices
        (`participants` and `organisations`: {code: key} of the study's rows)."""
        participants, organisations = participants or {}, organisations or {}

        def pick(name: str, choices) -> str:
            value = args.get(name, "")
            return value if value in choices else ""

        return cls(
            source=pick("source", SOURCE_KINDS),
            section=pick("section", sections),
            region=pick("region", REGIONS),
            council_type=pick("council_type", COUNCIL_TYPES),
            schools=pick("schools", SCHOOLS),
            theme=pick("theme", codebook.slugs),
            state=pick("state", REVIEW_STATES),
            text=" ".join(args.get("text", "").split())[:100],
            participant=pick("participant", participants),
            organisation=pick("organisation", organisations),
            participant_key=participants.get(pick("participant", participants), ""),
            organisation_key=organisations.get(pick("organisation", organisations), ""),
        )

    @property
    def active(self) -> bool:
        return any(
            (self.source, self.section, self.region, self.council_type, self.schools, self.theme, self.state, self.text)
        ) or bool(self.participant or self.organisation)


def _json_list_holds(column, value: str):
    """The JSON list in `column` holds the string `value` (its quotes matched too, so P1 is not P10)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f'%"{escaped}"%', escape="\\")


def _has_code(*conditions):
    return exists().where(Code.passage_id == AnalysisPassage.id, *conditions)


def passage_query(study_id: int, filters: PassageFilters, with_suggestions: bool = False):
    """The present passages of a study matching `filters`, in source order. A theme filter matches
    accepted codes only, unless `with_suggestions` (then suggestions awaiting review match too)."""
    query = select(AnalysisPassage).where(AnalysisPassage.study_id == study_id, AnalysisPassage.present.is_(True))
    column_filters = {
        "source_kind": filters.source,
        "section": filters.section,
        "region": filters.region,
        "council_type": filters.council_type,
    }
    for name, value in column_filters.items():
        if value:
            query = query.where(getattr(AnalysisPassage, name) == value)
    if filters.schools == "yes":
        query = query.where(AnalysisPassage.supports_schools.is_(True))
    elif filters.schools == "no":
        query = query.where(AnalysisPassage.supports_schools.is_(False))
    elif filters.schools == "unknown":
        query = query.where(AnalysisPassage.supports_schools.is_(None))
    if filters.theme:
        statuses = ("accepted", "suggested") if with_suggestions else ("accepted",)
        query = query.where(_has_code(Code.theme == filters.theme, Code.status.in_(statuses)))
    if filters.state == "pending":
        query = query.where(_has_code(Code.status == "suggested"))
    elif filters.state == "recheck":
        query = query.where(_has_code(Code.needs_review.is_(True)))
    elif filters.state == "coded":
        query = query.where(_has_code(Code.status == "accepted"))
    elif filters.state == "uncoded":
        query = query.where(~_has_code(Code.status == "accepted"))
    if filters.participant_key:
        session, _, pseudonym = filters.participant_key.partition(":")
        query = query.where(_json_list_holds(AnalysisPassage.pseudonyms, pseudonym))
        if session.isdigit():
            query = query.where(AnalysisPassage.source_ref["session"].as_integer() == int(session))
    if filters.organisation_key:
        query = query.where(_json_list_holds(AnalysisPassage.organisations, filters.organisation_key))
    if filters.text:
        escaped = filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AnalysisPassage.text.ilike(f"%{escaped}%", escape="\\"))
    return query.order_by(AnalysisPassage.source_kind, AnalysisPassage.source_key, AnalysisPassage.position)


def study_sections(study_id: int) -> dict[str, str]:
    """The survey questions and guide sections the study's passages come from: {section: label}."""
    rows = db.session.execute(
        select(AnalysisPassage.section, func.min(AnalysisPassage.section_label))
        .where(AnalysisPassage.study_id == study_id, AnalysisPassage.present.is_(True))
        .group_by(AnalysisPassage.section)
        .order_by(AnalysisPassage.section)
    ).all()
    return {section: label or section for section, label in rows}


def _recheck(study_id: int, theme: str):
    """Decided codes whose sentence changed since, on passages still in their source."""
    query = (
        select(Code)
        .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
        .where(Code.study_id == study_id, Code.needs_review.is_(True), AnalysisPassage.present.is_(True))
    )
    return query.where(Code.theme == theme) if theme else query


def _pending(study_id: int, theme: str):
    """Suggestions awaiting review (a passage that leaves its source takes its pending suggestions with it)."""
    query = select(Code).where(Code.study_id == study_id, Code.status == "suggested", Code.needs_review.is_(False))
    return query.where(Code.theme == theme) if theme else query


def next_for_review(
    study_id: int, theme: str = "", skipped: tuple[int, ...] = (), hidden: frozenset[int] = frozenset()
) -> Code | None:
    """The next code to decide: one whose sentence changed first, then the suggestion the tagger is least
    sure of (confidence nearest its threshold, read in order from an index), leaving out `skipped` codes
    and the passages in `hidden` (those the reviewer is double-coding blind)."""
    for query in (
        _recheck(study_id, theme).order_by(Code.id),
        _pending(study_id, theme).order_by(Code.uncertainty, Code.id),
    ):
        if skipped:
            query = query.where(Code.id.not_in(skipped))
        if hidden:
            query = query.where(Code.passage_id.not_in(hidden))
        code = db.session.scalar(query.limit(1))
        if code is not None:
            return code
    return None


def queue_length(study_id: int, theme: str = "") -> int:
    """How many codes await a decision."""
    return sum(
        db.session.scalar(select(func.count()).select_from(query.with_only_columns(Code.id).subquery()))
        for query in (_recheck(study_id, theme), _pending(study_id, theme))
    )


@dataclass
class ThemeFigures:
    """One theme's figures: accepted, rejected and pending codes; the suggestions' live precision and
    recall against analysts' decisions; and whether the trained model takes part."""

    slug: str
    name: str
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    suggested_accepted: int = 0
    suggested_rejected: int = 0
    examples: tuple[int, int] = (0, 0)
    model_active: bool = False
    by_hand: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def precision(self) -> float | None:
        """Of the suggestions an analyst decided, the share accepted (None before any decision)."""
        decided = self.suggested_accepted + self.suggested_rejected
        return self.suggested_accepted / decided if decided else None

    @property
    def recall(self) -> float | None:
        """Of the accepted codes, the share the tagger had suggested (None before any accepted code)."""
        return self.suggested_accepted / self.accepted if self.accepted else None


def theme_figures(
    study_id: int, codebook: Codebook, models: ThemeModels | None = None, only: str | None = None
) -> list[ThemeFigures]:
    """Every theme's figures (or only one theme's), in codebook order, counting codes on present passages
    only; with `models`, whether each theme's trained model takes part and on how many examples."""
    themes = [theme for theme in codebook.themes if only is None or theme.slug == only]
    figures = {theme.slug: ThemeFigures(slug=theme.slug, name=theme.name) for theme in themes}
    query = (
        select(Code.theme, Code.status, Code.origin, func.count())
        .join(AnalysisPassage, and_(AnalysisPassage.id == Code.passage_id, AnalysisPassage.present.is_(True)))
        .where(Code.study_id == study_id)
        .group_by(Code.theme, Code.status, Code.origin)
    )
    rows = db.session.execute(query.where(Code.theme == only) if only else query).all()
    for theme, status, origin, count in rows:
        figure = figures.get(theme)
        if figure is None:
            continue  # a theme no longer in the codebook
        if status == "accepted":
            figure.accepted += count
            if origin == "hand":
                figure.by_hand += count
            else:
                figure.suggested_accepted += count
        elif status == "rejected":
            figure.rejected += count
            if origin != "hand":
                figure.suggested_rejected += count
        else:
            figure.pending += count
    for figure in figures.values() if models is not None else ():
        figure.examples = models.example_counts(figure.slug)
        figure.model_active = models.active(figure.slug)
    return list(figures.values())


def natural_order(key: str) -> tuple:
    """Sort key putting "org:9" before "org:10" (numbers in the text compared as numbers)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key))


def study_organisation_codes(study_id: int) -> dict[str, str]:
    """The one numbering of a study's organisations, shown everywhere (theme pages, matrices, quotes,
    REFI-QDA cases): "Org 007" for each organisation key ("org:12", "person:P3"), in the order the
    analysis first read them (by passage, including passages since removed), so a number never changes as
    more is read or removed."""
    found: dict[str, None] = {}
    for keys in db.session.scalars(
        select(AnalysisPassage.organisations).where(AnalysisPassage.study_id == study_id).order_by(AnalysisPassage.id)
    ):
        found.update(dict.fromkeys(keys or ()))
    width = max(3, len(str(len(found))))
    return {key: f"Org {number:0{width}d}" for number, key in enumerate(found, start=1)}
