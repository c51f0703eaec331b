"""Writes of the themed summaries: choosing, removing and moving a theme's quotes, and saving the next
version of its written summary. Each is one transaction with an audit event ("analysis.quote_chosen",
"analysis.quote_removed", "analysis.quote_moved", "analysis.theme_summary_saved")."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.analysis.models import AnalysisPassage, ChosenQuote, Code, ThemeSummary
from app.analysis.summaries import MAX_CHOSEN_QUOTES, SUMMARY_LIMIT, chosen_quotes
from app.audit.services import record
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study

# Writes: chosen quotes and written summaries


class QuoteError(Exception):
    """A quote that cannot be chosen, removed or moved, in words for the analyst."""


def choose_quote(study: Study, theme: str, passage: AnalysisPassage, by=None) -> ChosenQuote:
    """Add `passage` to the end of the theme's chosen quotes. It must be present in its source and carry
    the theme (accepted, or a suggestion awaiting review)."""
    carries = db.session.scalar(
        select(Code.id).where(
            Code.passage_id == passage.id, Code.theme == theme, Code.status.in_(("accepted", "suggested"))
        )
    )
    if passage.study_id != study.id or not passage.present or carries is None:
        raise QuoteError("That passage is not coded with this theme, so it cannot be one of its quotes.")
    try:
        with write_transaction():
            existing = chosen_quotes(study.id, theme)
            if any(item.passage_id == passage.id for item in existing):
                raise QuoteError("That quote is already chosen.")
            if len(existing) >= MAX_CHOSEN_QUOTES:
                raise QuoteError(f"A theme has at most {MAX_CHOSEN_QUOTES} chosen quotes: remove one first.")
            last = max((item.position for item in existing), default=0)
            item = ChosenQuote(study_id=study.id, theme=theme, passage_id=passage.id, position=last + 1)
            item.chosen_by_id = getattr(by, "id", None)
            db.session.add(item)
            db.session.flush()
            record("analysis.quote_chosen", study, actor=by, theme=theme, passage=passage.id)
    except IntegrityError as error:
        raise QuoteError("That quote is already chosen.") from error
    return item


def remove_quote(study: Study, theme: str, passage_id: int, by=None) -> None:
    """Take a passage off the theme's chosen quotes (it can be chosen again)."""
    with write_transaction():
        item = next((q for q in chosen_quotes(study.id, theme) if q.passage_id == passage_id), None)
        if item is None:
            raise QuoteError("That quote is not among the chosen ones.")
        db.session.delete(item)
        record("analysis.quote_removed", study, actor=by, theme=theme, passage=passage_id)


def move_quote(study: Study, theme: str, passage_id: int, up: bool, by=None) -> None:
    """Move a chosen quote one place up or down (at either end it stays where it is)."""
    with write_transaction():
        items = list(chosen_quotes(study.id, theme))
        index = next((n for n, q in enumerate(items) if q.passage_id == passage_id), None)
        if index is None:
            raise QuoteError("That quote is not among the chosen ones.")
        other = index - 1 if up else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
            for position, item in enumerate(items, start=1):
                item.position = position
            record("analysis.quote_moved", study, actor=by, theme=theme, passage=passage_id, up=up)


class StaleSummary(Exception):
    """Someone saved another version of the summary since the analyst started: nothing was saved."""


def save_summary(
    study: Study, theme: str, text: str, *, base_number: int, codebook_version: int, by=None
) -> ThemeSummary:
    """Save `text` as the theme's next summary version (earlier versions stay). `base_number` is the
    version the analyst edited (0 for none): if another was saved since, raises StaleSummary."""
    try:
        with write_transaction():
            latest = db.session.scalar(
                select(func.max(ThemeSummary.number)).where(
                    ThemeSummary.study_id == study.id, ThemeSummary.theme == theme
                )
            )
            if (latest or 0) != base_number:
                raise StaleSummary
            summary = ThemeSummary(
                study_id=study.id,
                theme=theme,
                number=(latest or 0) + 1,
                text=text[:SUMMARY_LIMIT],
                codebook_version=codebook_version,
                created_by_id=getattr(by, "id", None),
            )
            db.session.add(summary)
            db.session.flush()
            record("analysis.theme_summary_saved", study, actor=by, theme=theme, version=summary.number)
    except IntegrityError as error:
        raise StaleSummary from error
    return summary
