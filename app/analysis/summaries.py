"""Themed summaries: what the coded passages say about each theme, the quotes an analyst chose, which
themes occur together, the related survey and session figures, and the analyst's written summary.

Only accepted codes count, unless a caller passes `include_suggested=True` (then suggestions awaiting
review count too, and every result says so through its `include_suggested` flag). Passages no longer in
their source never count. Each organisation counts once however many passages speak for it; pages
show organisations only as anonymous codes ("Org 007", numbered within the study), never a name.

`theme_findings(study, theme)` is the one call for everything about a theme (the study report uses it);
`co_occurrence(study)` is the matrix of themes coded on the same passage. The writes (choosing,
removing and moving quotes; saving a summary) are each one transaction with an audit event.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, select

from app.analysis.codebook import Codebook
from app.analysis.models import SOURCE_KINDS, AnalysisPassage, ChosenQuote, Code, ThemeSummary
from app.analysis.queries import study_organisation_codes
from app.analysis.services import codebook_of, current_version
from app.analysis.summaries_figures import RelatedFigures, StudyFigures, figures_for, study_figures
from app.extensions import db
from app.focus_groups.models import Study
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.results.figures import SMALL_GROUP, percent_of

SUGGESTED_QUOTES = 8  # how many quotes are suggested at a time
MAX_CHOSEN_QUOTES = 20  # a theme's chosen quotes (the strongest few: a bounded list)
SUMMARY_LIMIT = 10_000  # characters in one version of a summary
NOT_KNOWN = "Not known or several"


def study_codebook(study: Study) -> Codebook:
    """The study's current codebook (the default one until a version is saved)."""
    return codebook_of(current_version(study))


def _statuses(include_suggested: bool) -> tuple[str, ...]:
    return ("accepted", "suggested") if include_suggested else ("accepted",)


def _counted_codes(study_id: int, include_suggested: bool, theme: str | None = None):
    """(passage, code) rows of the study's counting codes on present passages, optionally one theme's."""
    query = (
        select(AnalysisPassage, Code)
        .join(Code, and_(Code.passage_id == AnalysisPassage.id, Code.study_id == study_id))
        .where(
            AnalysisPassage.study_id == study_id,
            AnalysisPassage.present.is_(True),
            Code.status.in_(_statuses(include_suggested)),
        )
    )
    if theme is not None:
        query = query.where(Code.theme == theme)
    return db.session.execute(query.order_by(AnalysisPassage.id)).all()


# Organisations: anonymous codes and what each is (region, council type), counted once


@dataclass
class Organisations:
    """The organisations a study's present passages speak for: an anonymous code, region and council type
    of each (from passages whose speakers share one; None when never known)."""

    codes: dict[str, str] = field(default_factory=dict)
    region: dict[str, str | None] = field(default_factory=dict)
    council_type: dict[str, str | None] = field(default_factory=dict)

    def code(self, key: str) -> str:
        return self.codes.get(key, "Org ?")


def study_organisations(study_id: int) -> Organisations:
    """Every organisation of the study's present passages, each once, with its anonymous code."""
    rows = db.session.execute(
        select(AnalysisPassage.organisations, AnalysisPassage.region, AnalysisPassage.council_type).where(
            AnalysisPassage.study_id == study_id, AnalysisPassage.present.is_(True)
        )
    ).all()
    found = Organisations()
    for keys, region, council_type in rows:
        for key in keys or ():
            found.region.setdefault(key, None)
            found.council_type.setdefault(key, None)
            # A passage's region is set only when everyone it speaks for shares it: it is each one's.
            if region and found.region[key] is None:
                found.region[key] = region
            if council_type and found.council_type[key] is None:
                found.council_type[key] = council_type
    found.codes = study_organisation_codes(study_id)
    return found


@dataclass(frozen=True)
class GroupShare:
    """Of a group's organisations in the study, how many have a passage on the theme (each counted once)."""

    slug: str | None
    label: str
    mentioning: int
    organisations: int

    @property
    def percent(self) -> float | None:
        return percent_of(self.mentioning, self.organisations)

    @property
    def small(self) -> bool:
        return self.organisations < SMALL_GROUP


def _group_shares(attribute: dict[str, str | None], labels: dict[str, str], mentioning: set[str]) -> list[GroupShare]:
    totals: dict[str | None, set[str]] = defaultdict(set)
    for key, value in attribute.items():
        totals[value if value in labels else None].add(key)
    shares = [
        GroupShare(slug, labels[slug] if slug else NOT_KNOWN, len(keys & mentioning), len(keys))
        for slug, keys in totals.items()
    ]
    order = list(labels)
    return sorted(shares, key=lambda s: order.index(s.slug) if s.slug else len(order))


# Quotes


@dataclass
class Quote:
    """A passage as a quote: its words, who said it (pseudonyms, anonymous organisation codes), council
    type and source; how sure the coding is; whether it counts only through an unreviewed suggestion."""

    passage_id: int
    text: str
    pseudonyms: list[str]
    organisations: list[str]
    council_type: str
    region: str
    source: str
    confidence: float | None
    suggested: bool
    speaker: str
    counts: bool = True  # false for a chosen quote whose passage no longer carries the theme
    position: int | None = None


def _speaker(passage: AnalysisPassage) -> str:
    """Who a passage is from, for spreading suggestions across speakers: its participants in their
    session, else the organisations it speaks for, else its source."""
    session = passage.source_ref.get("session") if isinstance(passage.source_ref, dict) else None
    if passage.pseudonyms:
        return f"session:{session}:" + ",".join(sorted(passage.pseudonyms))
    if passage.organisations:
        return ",".join(sorted(passage.organisations))
    return passage.source_key


def _quote(passage: AnalysisPassage, code: Code | None, organisations: Organisations) -> Quote:
    source = SOURCE_KINDS.get(passage.source_kind, passage.source_kind)
    if passage.section_label:
        source = f"{source} – {passage.section_label}"
    return Quote(
        passage_id=passage.id,
        text=passage.text,
        pseudonyms=list(passage.pseudonyms or ()),
        organisations=[organisations.code(key) for key in passage.organisations or ()],
        council_type=COUNCIL_TYPES.get(passage.council_type or "", NOT_KNOWN),
        region=REGIONS.get(passage.region or "", NOT_KNOWN),
        source=source,
        confidence=None if code is None else code.confidence,
        suggested=code is not None and code.status == "suggested",
        speaker=_speaker(passage),
        counts=code is not None,
    )


def _strength(quote: Quote, code: Code) -> tuple:
    """Accepted before suggested; then the most confident (a code made by hand counts as certain)."""
    confidence = 1.0 if code.origin == "hand" and code.confidence is None else (code.confidence or 0.0)
    return (quote.suggested, -confidence, quote.passage_id)


def _words(text: str) -> str:
    """A quote's words for spotting repeats: lower case, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.lower()))


def suggest_quotes(candidates: list[tuple[Quote, Code]], limit: int = SUGGESTED_QUOTES) -> list[Quote]:
    """The strongest quotes, spread across speakers: each speaker's best quote first (strongest first),
    then each one's second best, and so on, so no speaker gives a second quote before every speaker has
    given one. Words said more than once (several organisations giving the same answer) are suggested
    once, from the strongest of them."""
    by_speaker: dict[str, list[tuple[tuple, Quote]]] = defaultdict(list)
    seen: set[str] = set()
    for strength, quote in sorted(((_strength(q, c), q) for q, c in candidates), key=lambda item: item[0]):
        words = _words(quote.text)
        if words in seen:
            continue
        seen.add(words)
        by_speaker[quote.speaker].append((strength, quote))
    for quotes in by_speaker.values():
        quotes.sort(key=lambda item: item[0])
    chosen: list[Quote] = []
    rank = 0
    while len(chosen) < limit:
        layer = sorted(quotes[rank] for quotes in by_speaker.values() if len(quotes) > rank)
        if not layer:
            break
        chosen.extend(quote for _strength_key, quote in layer[: limit - len(chosen)])
        rank += 1
    return chosen


# Co-occurrence


@dataclass
class CoOccurrence:
    """How many passages carry each pair of themes (the diagonal: how many carry the theme at all)."""

    themes: list[tuple[str, str]]  # (slug, name) in codebook order
    counts: dict[tuple[str, str], int]
    include_suggested: bool = False

    def count(self, a: str, b: str) -> int:
        return self.counts.get((a, b), 0)

    def pairs(self) -> list[tuple[str, str, int]]:
        """(name, name, passages) for every pair of different themes found together, most first."""
        names = dict(self.themes)
        order = [slug for slug, _name in self.themes]
        found = [
            (names[a], names[b], n) for (a, b), n in self.counts.items() if a != b and order.index(a) < order.index(b)
        ]
        return sorted(found, key=lambda item: (-item[2], item[0], item[1]))

    def with_theme(self, slug: str) -> list[tuple[str, str, int]]:
        """(slug, name, passages) of the themes found with `slug`, most first."""
        found = [(other, name, self.count(slug, other)) for other, name in self.themes if other != slug]
        return sorted((item for item in found if item[2]), key=lambda item: -item[2])


def co_occurrence(study: Study, include_suggested: bool = False, *, codebook: Codebook | None = None) -> CoOccurrence:
    """The co-occurrence matrix of the themes of `codebook` (default: the study's current codebook) on the
    study's present passages."""
    codebook = codebook or study_codebook(study)
    rows = db.session.execute(
        select(Code.passage_id, Code.theme)
        .join(AnalysisPassage, and_(AnalysisPassage.id == Code.passage_id, AnalysisPassage.present.is_(True)))
        .where(Code.study_id == study.id, Code.status.in_(_statuses(include_suggested)))
    ).all()
    themes_of: dict[int, set[str]] = defaultdict(set)
    known = set(codebook.slugs)
    for passage_id, theme in rows:
        if theme in known:
            themes_of[passage_id].add(theme)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for themes in themes_of.values():
        for a in themes:
            for b in themes:
                counts[(a, b)] += 1
    return CoOccurrence([(t.slug, t.name) for t in codebook.themes], dict(counts), include_suggested)


# Counts and findings


@dataclass
class ThemeCounts:
    """A theme's reach: passages, sessions, participants and organisations (each counted once), and how
    many of the passages count only through a suggestion awaiting review."""

    slug: str
    name: str
    passages: int = 0
    suggested_only: int = 0
    sessions: int = 0
    participants: int = 0
    organisations: int = 0


def _reach(slug: str, name: str, rows: list[tuple[AnalysisPassage, Code]]) -> tuple[ThemeCounts, set[str]]:
    sessions, participants, organisations = set(), set(), set()
    for passage, _code in rows:
        session = passage.source_ref.get("session") if isinstance(passage.source_ref, dict) else None
        if session is not None:
            sessions.add(session)
            participants.update((session, pseudonym) for pseudonym in passage.pseudonyms or ())
        organisations.update(passage.organisations or ())
    counts = ThemeCounts(
        slug,
        name,
        passages=len(rows),
        suggested_only=sum(1 for _passage, code in rows if code.status == "suggested"),
        sessions=len(sessions),
        participants=len(participants),
        organisations=len(organisations),
    )
    return counts, organisations


def theme_counts(
    study: Study, include_suggested: bool = False, *, codebook: Codebook | None = None
) -> list[ThemeCounts]:
    """Every theme's reach in codebook order (default: the study's current codebook; one read of the codes)."""
    codebook = codebook or study_codebook(study)
    rows_of: dict[str, list] = defaultdict(list)
    for passage, code in _counted_codes(study.id, include_suggested):
        rows_of[code.theme].append((passage, code))
    return [_reach(theme.slug, theme.name, rows_of[theme.slug])[0] for theme in codebook.themes]


@dataclass
class AnswerExamples:
    """A few of the study's passages answering one free-text survey question, those on the theme first."""

    question_id: str
    label: str
    passages: int
    examples: list[Quote]


@dataclass
class ThemeFindings:
    """Everything about one theme: reach, shares by region and council type, quotes, co-occurring themes,
    related figures and the current written summary. `include_suggested` says whether unreviewed
    suggestions were counted (pages must say so when they were)."""

    slug: str
    name: str
    definition: str
    include_suggested: bool
    counts: ThemeCounts
    by_region: list[GroupShare]
    by_council_type: list[GroupShare]
    chosen_quotes: list[Quote]
    suggested_quotes: list[Quote]
    co_occurring: list[tuple[str, str, int]]
    figures: RelatedFigures
    answers: dict[str, AnswerExamples]
    summary: ThemeSummary | None


def _answer_examples(study_id: int, question_id: str, on_theme: set[int], organisations: Organisations):
    passages = db.session.scalars(
        select(AnalysisPassage)
        .where(
            AnalysisPassage.study_id == study_id,
            AnalysisPassage.present.is_(True),
            AnalysisPassage.section == question_id,
            AnalysisPassage.source_kind == "survey",
        )
        .order_by(AnalysisPassage.id)
    ).all()
    ordered = sorted(passages, key=lambda p: (p.id not in on_theme, p.id))
    examples = [_quote(p, None, organisations) for p in ordered[:3]]
    for example in examples:
        example.counts = example.passage_id in on_theme
    label = next((p.section_label for p in passages if p.section_label), question_id.replace("_", " "))
    return AnswerExamples(question_id, label, len(passages), examples)


def chosen_quotes(study_id: int, theme: str) -> list[ChosenQuote]:
    """The theme's chosen quotes in the analyst's order."""
    return db.session.scalars(
        select(ChosenQuote)
        .where(ChosenQuote.study_id == study_id, ChosenQuote.theme == theme)
        .order_by(ChosenQuote.position, ChosenQuote.id)
    ).all()


def current_summary(study_id: int, theme: str) -> ThemeSummary | None:
    """The latest version of the theme's written summary (None before the first)."""
    return db.session.scalar(
        select(ThemeSummary)
        .where(ThemeSummary.study_id == study_id, ThemeSummary.theme == theme)
        .order_by(ThemeSummary.number.desc())
        .limit(1)
    )


def summary_history(study_id: int, theme: str):
    """Every version of the theme's summary, newest first (a query: the history page paginates it)."""
    return (
        select(ThemeSummary)
        .where(ThemeSummary.study_id == study_id, ThemeSummary.theme == theme)
        .order_by(ThemeSummary.number.desc())
    )


def theme_findings(
    study: Study,
    theme: str,
    include_suggested: bool = False,
    *,
    codebook: Codebook | None = None,
    figures: StudyFigures | None = None,
) -> ThemeFindings:
    """Everything about `theme` in `study`: a slug of `codebook` (default: the study's current codebook,
    `services.current_version` / `codebook_of`); KeyError for a theme it does not have.

    Counts accepted codes on present passages only, unless `include_suggested`. Organisations are
    counted once each; the shares by region and council type divide the organisations with a passage
    on the theme by all the study's organisations in that group (`GroupShare.small` flags groups of
    fewer than SMALL_GROUP). Chosen quotes come in the analyst's order, flagged when their passage no
    longer carries the theme; suggested quotes leave out the chosen ones. Pass `figures`
    (`summaries_figures.study_figures(study)`) when asking for many themes, to compute them once.
    """
    codebook = codebook or study_codebook(study)
    entry = codebook.theme(theme)
    organisations = study_organisations(study.id)
    rows = [(passage, code) for passage, code in _counted_codes(study.id, include_suggested, theme)]
    counts, mentioning = _reach(entry.slug, entry.name, rows)
    code_of = {passage.id: code for passage, code in rows}
    chosen = []
    for item in chosen_quotes(study.id, theme):
        present = item.passage.present
        quote = _quote(item.passage, code_of.get(item.passage_id) if present else None, organisations)
        quote.position = item.position
        chosen.append(quote)
    taken = {quote.passage_id for quote in chosen}
    said = {_words(quote.text) for quote in chosen}
    candidates = [(_quote(p, c, organisations), c) for p, c in rows if p.id not in taken and _words(p.text) not in said]
    figures = figures if figures is not None else study_figures(study)
    related = figures_for(theme, figures)
    on_theme = set(code_of)
    return ThemeFindings(
        slug=entry.slug,
        name=entry.name,
        definition=entry.definition,
        include_suggested=include_suggested,
        counts=counts,
        by_region=_group_shares(organisations.region, REGIONS, mentioning),
        by_council_type=_group_shares(organisations.council_type, COUNCIL_TYPES, mentioning),
        chosen_quotes=chosen,
        suggested_quotes=suggest_quotes(candidates),
        co_occurring=co_occurrence(study, include_suggested, codebook=codebook).with_theme(theme),
        figures=related,
        answers={
            question_id: _answer_examples(study.id, question_id, on_theme, organisations)
            for question_id in related.kinds
            if question_id in ("users_counting", "service_differences")
        },
        summary=current_summary(study.id, theme),
    )
