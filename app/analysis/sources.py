"""Reading a study's sources into passages, and keeping them in step when the sources change.

`sync_study` reads every passage of a study (its session notes and debriefs, and the free-text answers
of its linked surveys) and brings the stored copies up to date in one transaction:
- a sentence whose text is unchanged keeps its passage, and so every code on it;
- a new sentence is added (and tagged later, by `app.analysis.services.tag_study`);
- a sentence that changed gets a new passage; the codes of the old wording move to it, flagged for
  re-review, never silently dropped;
- a sentence no longer in its source (a deleted note, a withdrawn answer) is kept but marked absent,
  so it counts in nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.analysis.models import AnalysisPassage, StudySurvey
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study
from app.focus_groups.notes.output import session_passages
from app.passages import Passage
from app.surveys.results.free_text import survey_passages


@dataclass(frozen=True)
class SyncReport:
    """What a re-read found: sentences added, changed (codes carried for re-review), gone, unchanged."""

    added: int
    changed: int
    removed: int
    unchanged: int
    codes_flagged: int


def study_sources(study: Study) -> list[Passage]:
    """Every passage of the study as its sources hold it now: notes and debriefs, then linked surveys."""
    passages = session_passages(study)
    links = db.session.scalars(select(StudySurvey).where(StudySurvey.study_id == study.id)).all()
    for link in sorted(links, key=lambda link: link.survey_id):
        passages += survey_passages(link.survey)
    return passages


@dataclass(frozen=True)
class PendingChanges:
    """How the sources differ from what was last read: sentences to add, and stored ones no longer there."""

    new: int
    gone: int

    @property
    def any(self) -> bool:
        return bool(self.new or self.gone)


def pending_changes(study: Study) -> PendingChanges:
    """What "Re-read and tag" would find, without writing anything (for the overview page)."""
    keys = {passage.id for passage in study_sources(study)}
    stored = set(
        db.session.scalars(
            select(AnalysisPassage.key).where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
        )
    )
    return PendingChanges(new=len(keys - stored), gone=len(stored - keys))


def _attributes(passage: Passage) -> dict:
    return {
        "source_kind": passage.source_kind,
        "source_key": passage.source_key,
        "position": int(passage.source_ref.get("sentence", 0)),
        "source_ref": dict(passage.source_ref),
        "text": passage.text,
        "start": passage.start,
        "end": passage.end,
        "section": passage.section[:80],
        "section_label": passage.section_label,
        "region": passage.region,
        "council_type": passage.council_type,
        "supports_schools": passage.supports_schools,
        "pseudonyms": list(passage.pseudonyms),
        "note_kind": passage.note_kind,
        "organisations": list(passage.organisations),
    }


def sync_study(study: Study) -> SyncReport:
    """Bring the stored passages of `study` in step with its sources (see the module)."""
    current = study_sources(study)
    with write_transaction():
        stored = {
            row.key: row
            for row in db.session.scalars(select(AnalysisPassage).where(AnalysisPassage.study_id == study.id))
        }
        keys = {passage.id for passage in current}
        added: list[AnalysisPassage] = []
        unchanged = 0
        for passage in current:
            row = stored.get(passage.id)
            if row is None:
                row = AnalysisPassage(study_id=study.id, key=passage.id, **_attributes(passage))
                db.session.add(row)
                added.append(row)
                continue
            for name, value in _attributes(passage).items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
            if not row.present:
                row.present = True
            unchanged += 1
        gone = [row for key, row in stored.items() if key not in keys and row.present]
        for row in gone:
            row.present = False
            row.tagged_version = None  # should the sentence come back, it is tagged afresh
            row.read_at = utcnow()
            for code in list(row.codes):
                if code.status == "suggested" and not code.needs_review:
                    db.session.delete(code)  # a pending suggestion is not a decision: it leaves with its sentence
        db.session.flush()
        changed, flagged = _carry_codes(gone, added)
    return SyncReport(
        added=len(added) - changed,
        changed=changed,
        removed=len(gone) - changed,
        unchanged=unchanged,
        codes_flagged=flagged,
    )


def _carry_codes(gone: list[AnalysisPassage], added: list[AnalysisPassage]) -> tuple[int, int]:
    """Move the codes of each changed sentence (same source, same place) to its new wording, flagged."""
    old_at = {(row.source_key, row.position): row for row in gone}
    changed = flagged = 0
    for row in added:
        old = old_at.get((row.source_key, row.position))
        if old is None:
            continue
        changed += 1
        for code in list(old.codes):
            if code.status == "suggested":
                db.session.delete(code)  # a suggestion on the old wording is not a decision; re-tagging decides
                continue
            code.passage = row
            code.needs_review = True
            code.evidence = []  # offsets into the old wording mean nothing in the new one
            flagged += 1
    return changed, flagged
