"""The hand-over to the analysis: one `Passage` shape for survey free text and focus-group notes.

Both features produce passages (`app.surveys.results.free_text.free_text_passages` for free-text answers,
`app.focus_groups.notes` for session notes and the debrief); the analysis (`app/analysis/`) reads only
this shape and never the features' models. Sentences are split here, once, for both.

The contract
- `id` is stable: re-reading the same unchanged text from the same source gives the same id, so a
  theme or a reviewer's decision attached to a passage survives a re-run. It changes only when the
  sentence's text (or where it came from) changes. It is built from the source kind, the source
  reference, the sentence text and how many identical sentences came before it in that source.
- `source_kind` is "survey" (a free-text answer), "note" (a facilitator's note) or "debrief" (a
  session's debrief). `source_ref` says exactly where: `{"response": 12, "question": "q7"}` for an
  answer; `{"note": 40, "session": 3, "study": 1, "sentence": 2}` for a note; `{"debrief": 5,
  "session": 3, "study": 1, "field": "summary", "sentence": 1}` for a debrief.
- `text` is exactly `source_text[start:end]`: the offsets index the text as stored in the source.
- `section` is the survey question's id or the discussion guide question ("guide-2"), "general"
  when a note is filed against no guide question; `section_label` is its wording.
- `region` and `council_type` are slugs from the vocabulary (`app.organisations.vocabulary`), or None
  when the passage concerns several participants who differ; `supports_schools` likewise.
- `organisations` are keys ("org:12") of the organisations the passage speaks for, so that figures count
  each organisation once: the answering organisation for survey text, the participants' organisations
  for a note (a participant who named no known organisation counts as their own, "person:P3"). They
  are never shown: pages show anonymous codes ("Org 007") built from them.
- `pseudonyms` are the focus-group participants the note is about (never names); empty for survey
  passages. `note_kind` is the note's kind ("point", "quote", "action", ...) or None for survey text.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

SourceKind = Literal["survey", "note", "debrief"]

_PUNKT = PunktParameters()
# Abbreviations people in councils write, so "e.g. pupils" or "Cllr. Shah" do not end a sentence.
# Untrained Punkt (no NLTK data is downloaded or needed) plus this list.
_PUNKT.abbrev_types = {
    *("e.g", "i.e", "etc", "vs", "approx", "dr", "mr", "mrs", "ms", "no", "cf", "incl", "esp"),
    *("p", "pp", "cllr", "st", "dept", "govt"),
}
_SENTENCES = PunktSentenceTokenizer(_PUNKT)
_LINE = re.compile(r"[^\r\n]+")


# A short sentence that leans on the one before it ("That's the honest answer.", "So do governors.",
# "Both agreed.") says nothing on its own: it stays attached to the sentence before it on the same line.
# Short means up to FRAGMENT_WORDS words starting with a word that points back, or up to two words.
FRAGMENT_WORDS = 4
_POINTS_BACK = frozenset(
    "that that's thats this it it's its which so yes no agreed exactly indeed same true both they "
    "absolutely definitely correct right quite sure also not neither nor and but or hence thus fair".split()
)


def _is_fragment(sentence: str) -> bool:
    words = sentence.split()
    if len(words) <= 2:
        return True
    first = words[0].lower().strip("\"'‘’“”,.!?;:()").replace("’", "'")
    return len(words) <= FRAGMENT_WORDS and first in _POINTS_BACK


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of `text`: every line break also ends one; none empty,
    none starting or ending with white space; a short fragment joins the sentence before it."""
    spans = []
    for line in _LINE.finditer(text or ""):
        first_of_line = len(spans)
        for start, end in _SENTENCES.span_tokenize(line.group()):
            piece = line.group()[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            lead = len(piece) - len(piece.lstrip())
            begin = line.start() + start + lead
            if len(spans) > first_of_line and _is_fragment(stripped):
                spans[-1] = (spans[-1][0], begin + len(stripped))
            else:
                spans.append((begin, begin + len(stripped)))
    return spans


def split_sentences(text: str) -> list[str]:
    """The text as sentences (every line break also separates them), white space collapsed, none empty."""
    return [" ".join(text[start:end].split()) for start, end in sentence_spans(text)]


@dataclass(frozen=True)
class Passage:
    """One sentence of survey free text or of a focus-group note, and where it came from (see the module)."""

    id: str
    source_kind: SourceKind
    source_ref: dict
    text: str
    start: int
    end: int
    section: str
    section_label: str
    region: str | None = None
    council_type: str | None = None
    supports_schools: bool | None = None
    pseudonyms: tuple[str, ...] = ()
    note_kind: str | None = None
    participants: tuple[dict, ...] = field(default=())
    # The source text this sentence came from ("note:40", "response:12:q7", "debrief:5:debrief"):
    # with `source_ref["sentence"]` it says where an edited sentence used to be.
    source_key: str = ""
    organisations: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """The passage as plain data (for JSON exports and the analysis' stored copies)."""
        return {
            "id": self.id,
            "source_kind": self.source_kind,
            "source_ref": dict(self.source_ref),
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "section_label": self.section_label,
            "region": self.region,
            "council_type": self.council_type,
            "supports_schools": self.supports_schools,
            "pseudonyms": list(self.pseudonyms),
            "note_kind": self.note_kind,
            "participants": [dict(p) for p in self.participants],
            "source_key": self.source_key,
            "organisations": list(self.organisations),
        }


def passage_id(source_kind: str, source_key: str, sentence: str, occurrence: int) -> str:
    """A stable id: the same unchanged sentence from the same source always gets the same one."""
    material = "\x1f".join((source_kind, source_key, " ".join(sentence.split()), str(occurrence)))
    return f"{source_kind[0]}-{hashlib.sha256(material.encode('utf-8')).hexdigest()[:20]}"


def passages_from_text(
    text: str,
    *,
    source_kind: SourceKind,
    source_key: str,
    source_ref: dict,
    section: str,
    section_label: str,
    region: str | None = None,
    council_type: str | None = None,
    supports_schools: bool | None = None,
    pseudonyms: tuple[str, ...] = (),
    note_kind: str | None = None,
    participants: tuple[dict, ...] = (),
    organisations: tuple[str, ...] = (),
) -> list[Passage]:
    """Every sentence of one source text as a passage. `source_key` identifies the source for the id
    (e.g. "response:12:q7"); `source_ref` is copied into each passage with its sentence number."""
    seen: Counter[str] = Counter()
    passages = []
    for number, (start, end) in enumerate(sentence_spans(text), start=1):
        sentence = text[start:end]
        normalised = " ".join(sentence.split())
        seen[normalised] += 1
        passages.append(
            Passage(
                id=passage_id(source_kind, source_key, normalised, seen[normalised]),
                source_kind=source_kind,
                source_ref={**source_ref, "sentence": number},
                text=sentence,
                start=start,
                end=end,
                section=section,
                section_label=section_label,
                region=region,
                council_type=council_type,
                supports_schools=supports_schools,
                pseudonyms=tuple(pseudonyms),
                note_kind=note_kind,
                participants=tuple(participants),
                source_key=source_key,
                organisations=tuple(organisations),
            )
        )
    return passages
