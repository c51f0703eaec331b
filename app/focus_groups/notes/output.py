"""What leaves the console: the session's notes as a table for CSV/XLSX, and as passages for the analysis."""

from __future__ import annotations

from app.audit.services import record
from app.clock import aware
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Study
from app.focus_groups.notes.access import placements_by_pseudonym, sessions_of
from app.focus_groups.notes.models import SESSION_PARTS, Note, SessionNotes
from app.focus_groups.notes.taking import notes_by_question, notes_for
from app.passages import Passage, passages_from_text


def session_passages(study_or_slot: Study | Slot) -> list[Passage]:
    """Every live note, and the debrief, a sentence at a time, as passages for the analysis
    (`app.passages.Passage`); never a name.

    A note's passages carry its session, guide question (section "guide-<position>", or "general"),
    kind and pseudonyms, and the participants' region, council type and "supports schools" (a single
    value when all the participants the note concerns agree, else None, with the per-participant
    values in `participants`). The debrief follows the session's notes, one source per text field.
    """
    passages: list[Passage] = []
    for slot in sessions_of(study_or_slot):
        people = placements_by_pseudonym(slot)
        for note in sorted(notes_for(slot), key=lambda n: (aware(n.created_at), n.id)):
            passages += _note_passages(slot, note, people)
        passages += _debrief_passages(slot)
    return passages


def _note_passages(slot: Slot, note: Note, people: dict[str, Placement]) -> list[Passage]:
    # A withdrawn participant keeps only their pseudonym: nothing else about them reaches the analysis.
    about = [people[p] for p in note.pseudonyms or [] if p in people and not _withdrawn(people[p])]
    details = tuple(
        {
            "pseudonym": p.pseudonym,
            "region": p.volunteer.region,
            "council_type": p.volunteer.council_type,
            "supports_schools": p.volunteer.supports_schools,
        }
        for p in about
    )

    def single(key: str):
        values = {d[key] for d in details}
        return values.pop() if len(values) == 1 else None

    question = note.guide_question
    return passages_from_text(
        note.text,
        source_kind="note",
        source_key=f"note:{note.id}",
        source_ref={"note": note.id, "session": slot.id, "study": slot.study_id},
        section=f"guide-{question.position}" if question else "general",
        section_label=question.text if question else "General",
        region=single("region"),
        council_type=single("council_type"),
        supports_schools=single("supports_schools"),
        pseudonyms=tuple(note.pseudonyms or []),
        note_kind=note.kind,
        participants=details,
        organisations=tuple(
            dict.fromkeys(
                f"org:{p.volunteer.organisation_id}" if p.volunteer.organisation_id else f"person:{p.pseudonym}"
                for p in about
            )
        ),
    )


def _withdrawn(placement: Placement) -> bool:
    return placement.status == "withdrawn" or placement.volunteer.withdrawn_at is not None


DEBRIEF_FIELDS = ("debrief",)  # the debrief's text fields, each a source of its own


def _debrief_passages(slot: Slot) -> list[Passage]:
    state = db.session.get(SessionNotes, slot.id)
    if state is None:
        return []
    passages: list[Passage] = []
    for name in DEBRIEF_FIELDS:
        passages += passages_from_text(
            getattr(state, name) or "",
            source_kind="debrief",
            source_key=f"debrief:{slot.id}:{name}",
            source_ref={"debrief": slot.id, "session": slot.id, "study": slot.study_id, "field": name},
            section="debrief",
            section_label=SESSION_PARTS["debrief"],
        )
    return passages


NOTES_TABLE_COLUMNS = (
    "note_id",
    "session",
    "guide_question_number",
    "guide_question",
    "kind",
    "pseudonyms",
    "regions",
    "council_types",
    "supports_schools",
    "text",
    "taken_at_utc",
    "minutes_since_start",
)


def notes_table(slot: Slot) -> list[dict]:
    """The session's notes as rows for CSV/XLSX, grouped by guide question: pseudonyms and their
    region, council type and "supports schools" — never names or emails."""
    people = placements_by_pseudonym(slot)
    rows = []
    for question, notes in notes_by_question(slot):
        for note in notes:
            about = [people[p] for p in note.pseudonyms or [] if p in people]
            rows.append(
                {
                    "note_id": note.id,
                    "session": slot.id,
                    "guide_question_number": question.position if question else None,
                    "guide_question": question.text if question else "General",
                    "kind": note.kind_label,
                    "pseudonyms": "; ".join(note.pseudonyms or []),
                    "regions": "; ".join(p.volunteer.region_label for p in about),
                    "council_types": "; ".join(p.volunteer.council_type_label for p in about),
                    "supports_schools": "; ".join("yes" if p.volunteer.supports_schools else "no" for p in about),
                    "text": note.text,
                    "taken_at_utc": aware(note.created_at).isoformat(timespec="seconds"),
                    "minutes_since_start": note.minutes_since_start,
                }
            )
    return rows


def export_notes_table(slot: Slot, fmt: str) -> list[dict]:
    """The session's notes table for a download, with the download audit-logged (its own write)."""
    table = notes_table(slot)
    with write_transaction():
        record("focus_groups.notes_exported", slot, format=fmt, rows=len(table))
    return table
