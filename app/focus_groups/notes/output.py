"""What leaves the console: the session's notes as a table for CSV/XLSX, and as passages for the analysis."""

from __future__ import annotations

import re

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

from app.audit.services import record
from app.clock import aware
from app.database import write_transaction
from app.focus_groups.models import Slot, Study
from app.focus_groups.notes.access import placements_by_pseudonym, sessions_of
from app.focus_groups.notes.taking import notes_by_question, notes_for

_PUNKT = PunktParameters()
# Abbreviations a note-taker writes, so "e.g. pupils" or "Dr. Shah" do not end a sentence. Untrained
# Punkt (no NLTK data is downloaded or needed) plus this list.
_PUNKT.abbrev_types = {
    *("e.g", "i.e", "etc", "vs", "approx", "dr", "mr", "mrs", "ms", "no", "cf", "incl", "esp"),
    *("p", "pp", "cllr", "st", "dept", "govt"),
}
_SENTENCES = PunktSentenceTokenizer(_PUNKT)


def split_sentences(text: str) -> list[str]:
    """The text as sentences (every line break also separates them), stripped, none empty."""
    sentences = []
    for block in re.split(r"\r?\n|\r", text or ""):
        block = " ".join(block.split())
        if block:
            sentences.extend(s.strip() for s in _SENTENCES.tokenize(block) if s.strip())
    return sentences


def session_passages(study_or_slot: Study | Slot) -> list[dict]:
    """Every live note, a sentence at a time, as passages for the analysis (the shape of
    `app.surveys.results.free_text_passages`, with source "focus-group"); never a name.

    A passage carries its session, guide question, note, kind, pseudonyms, and the participants'
    region, council type and "supports schools" (a single value when the note concerns one
    participant, else None, with the per-participant values in `participants`).
    """
    passages = []
    for slot in sessions_of(study_or_slot):
        people = placements_by_pseudonym(slot)
        for note in sorted(notes_for(slot), key=lambda n: (aware(n.created_at), n.id)):
            about = [people[p] for p in note.pseudonyms or [] if p in people]
            details = [
                {
                    "pseudonym": p.pseudonym,
                    "region": p.volunteer.region,
                    "council_type": p.volunteer.council_type,
                    "supports_schools": p.volunteer.supports_schools,
                }
                for p in about
            ]

            def single(key: str, details=details):
                values = {d[key] for d in details}
                return values.pop() if len(values) == 1 else None

            question = note.guide_question
            for number, sentence in enumerate(split_sentences(note.text), start=1):
                passages.append(
                    {
                        "source": "focus-group",
                        "question_id": f"guide-{question.position}" if question else "general",
                        "question": question.text if question else "General",
                        "text": sentence,
                        "region": single("region"),
                        "council_type": single("council_type"),
                        "supports_pupils": single("supports_schools"),
                        "supports_schools": single("supports_schools"),
                        "session": slot.id,
                        "study": slot.study_id,
                        "guide_question_id": note.guide_question_id,
                        "note_id": note.id,
                        "sentence": number,
                        "kind": note.kind,
                        "pseudonyms": list(note.pseudonyms or []),
                        "participants": details,
                    }
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
