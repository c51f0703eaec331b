"""Session notes: taking them live, keeping every version, the proportion grid, the debrief, the lock,
and what leaves the console (passages for the analysis, a table for CSV/XLSX).

The views and the demo call these functions; each leaves committing to its caller. A note is its own
row, so two people adding notes at once never touch the same record; an edit names the version it
started from, and a stale one raises `StaleNote` instead of overwriting anything. Names of a session's
participants typed into a note are replaced with their pseudonyms before it is stored, the full names of
the study's other volunteers and of account holders with "[name]", email addresses and UK phone numbers
with "[email]" and "[phone]", so nothing downstream (exports, passages for the analysis) carries them;
when someone withdraws or is erased, the notes already stored are scrubbed of them too.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from flask import abort
from flask_login import current_user
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
from sqlalchemy import String, Text, cast, func, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.audit.services import record
from app.auth.erasure import Erasure, erasure_step
from app.auth.models import User
from app.clock import aware, utcnow
from app.extensions import db
from app.focus_groups.models import GuideQuestion, Placement, Slot, Study, Volunteer
from app.focus_groups.notes.models import (
    DEBRIEF_MAX_LENGTH,
    NOTE_KINDS,
    NOTE_MAX_LENGTH,
    USER_CATEGORIES,
    Note,
    NoteRevision,
    ProportionEstimate,
    SessionNotes,
    SessionRevision,
)
from app.focus_groups.scheduling import can_see_session
from app.identifiers import get_or_404
from app.numbers import MAX_PLACES, NumberError, parse_decimal

# Participants whose notes can be taken: invited or accepted, and those who withdrew after taking part.
IN_SESSION = ("invited", "accepted")
SHARE_TOLERANCE = 0.5  # a row of shares "adds up" when its total is within 100 ± this
CLIENT_ID = re.compile(r"[A-Za-z0-9-]{8,36}")
TYPED_AT_LEEWAY = timedelta(hours=24)  # how old a browser's "typed at" time may be (offline notes)


class NoteProblem(Exception):
    """What a person typed cannot be saved; `errors` maps each field to a message they can act on."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class NotesLocked(Exception):
    """The session's notes are marked complete: nothing can be added or changed until an organiser reopens them."""


class StaleGrid(Exception):
    """Someone saved the proportion grid since this page was opened; `state` holds the saved version."""

    def __init__(self, state: SessionNotes):
        super().__init__(f"The grid of session {state.slot_id} is at version {state.grid_version}")
        self.state = state


class StaleNote(Exception):
    """Someone changed the note since this edit began; `note` is the saved version."""

    def __init__(self, note: Note):
        super().__init__(f"Note {note.id} is at version {note.version}")
        self.note = note


@dataclass
class NoteInput:
    """What a person entered for a note, as typed (validated by `validate_note`)."""

    text: str
    kind: str = "observation"
    guide_question_id: int | None = None
    pseudonyms: list[str] = field(default_factory=list)


# --- who is in the session --------------------------------------------------------------------


def session_staff_or_403(slot: Slot) -> None:
    """Stop with 403 unless the signed-in person is the session's facilitator or note-taker, or an organiser/admin."""
    if not can_see_session(current_user, slot):
        abort(403)


def session_participants(slot: Slot) -> list[Placement]:
    """Participants notes can be about: invited or accepted, or withdrawn after taking part; by pseudonym."""
    people = [
        p
        for p in slot.placements
        if p.role == "participant"
        and p.pseudonym
        and (p.status in IN_SESSION or (p.status == "withdrawn" and p.attendance))
    ]
    return sorted(people, key=lambda p: pseudonym_order(p.pseudonym))


def pseudonym_order(pseudonym: str) -> tuple[int, str]:
    """P2 before P10."""
    digits = pseudonym[1:]
    return (int(digits) if digits.isdigit() else 10**6, pseudonym)


def placements_by_pseudonym(slot: Slot) -> dict[str, Placement]:
    """Every placement in the session that has a pseudonym (notes keep a withdrawn person's pseudonym)."""
    return {p.pseudonym: p for p in slot.placements if p.pseudonym}


# --- privacy: names become pseudonyms ---------------------------------------------------------

# Typographic apostrophes and look-alikes, read as "'" in names and in notes (O’Brien is O'Brien).
_APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032\uff07"), "'")
# Lower-case words inside surnames ("de la Cruz", "van der Berg"): part of the surname, never a name alone.
NAME_PARTICLES = frozenset(
    "de la le les du des di da das dos del della der den van von ten ter al el bin ibn ap ben st ni nic ui".split()
)
# Prefixes written joined, spaced or with an apostrophe: McDonald, Mc Donald; O'Brien, O Brien, OBrien.
_PREFIX = re.compile(r"^(O'|Mac|Mc|D')\s?(?=[A-Za-z])", re.IGNORECASE)


def _fold_char(char: str) -> str:
    """One character as names are compared: apostrophes made plain, accents and compatibility forms
    dropped (Siobhán -> Siobhan, ſ -> s, İ -> I); case is kept."""
    decomposed = unicodedata.normalize("NFKD", char.translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original character it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def _word_pattern(word: str, *, capitalised: bool) -> str:
    """A regex for one name word (folded): hyphens may also be spaces, an apostrophe may be missing or a
    space, and a prefix (Mc, Mac, O') may be joined or spaced. `capitalised`: the first letter must be a
    capital, the rest any case; otherwise any case throughout."""
    prefix = _PREFIX.match(word)
    parts = []
    if prefix:
        parts.append(re.escape(prefix.group(1).rstrip("'")) + r"(?:'\s?|\s)?")
        word = word[prefix.end() :]
    for piece in re.split(r"'", word):
        if parts and not prefix:
            parts.append(r"(?:'|\s)?")
        prefix = None
        parts.append(r"(?:-|\s+)".join(re.escape(bit) for bit in piece.split("-") if bit))
    body = "".join(parts)
    if not capitalised:
        return f"(?i:{body})"
    first, rest = body[0], body[1:]
    if not first.isalpha():
        return f"(?i:{body})"
    return f"{first.upper()}(?i:{rest})"


def _name_units(name: str) -> tuple[list[str], str | None]:
    """A name's given names and its surname as one unit ("Anne-Marie de la Cruz" -> ["Anne-Marie"],
    "de la Cruz"), with a spaced prefix joined to its word ("Mc Donald" -> "McDonald")."""
    words: list[str] = []
    for word in _fold(name)[0].split():
        if len(words) >= 2 and re.fullmatch(r"(?i)(?:O'?|Mac|Mc|D')", words[-1]):
            words[-1] = (words[-1] + "'" if words[-1].lower() == "o" else words[-1]) + word
        else:
            words.append(word)
    if len(words) < 2:
        return words, None
    for index in range(1, len(words)):
        if words[index].lower() in NAME_PARTICLES and index < len(words) - 1:
            return words[:index], " ".join(words[index:])
    return words[:-1], words[-1]


GENERIC_NAME = "[name]"  # a person a note must not name who has no pseudonym in the session
EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
# An email address: what comes before the @ and a dotted domain (a full stop ending a sentence is left).
EMAIL_ADDRESS = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# A UK telephone number: 0, +44 or 0044 (with an optional "(0)"), then a geographic (01, 02, 03),
# non-geographic (08, 09) or mobile (07) number of 9 or 10 more digits, spaced, hyphenated or with the
# area code in brackets as people write them: 07700 900123, +44 7700 900123, (020) 7946 0018, 01632 960001.
UK_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?\(?|\(?0)[1-37-9](?:[\s\-)]{0,2}\d){8,9}(?!\d)")


# Someone a note may name: their name, what replaces it, and whether a single part of it (a capitalised
# first name or surname alone) counts as naming them, which only the session's own people's does.
Person = tuple[str, str, bool]
SQL_CONDITIONS_PER_QUERY = 200  # a prefilter's OR-ed LIKEs per query (SQLite limits expression depth)


def _name_words(name: str) -> str:
    """A name without its words that hold a digit or no letter ("Analyst 02" is "Analyst"): digits name nobody."""
    return " ".join(w for w in name.split() if any(c.isalpha() for c in w) and not any(c.isdigit() for c in w))


def _is_name_part(part: str) -> bool:
    """Whether a single word can stand for a name on its own: two letters or more, not a particle."""
    return sum(c.isalpha() for c in part) >= 2 and part.lower() not in NAME_PARTICLES


def _skeleton(text: str) -> str:
    """Letters and digits only, folded and lower-cased: a name is in a text only if its words are in this."""
    return "".join(c for c in _fold(text)[0].lower() if c.isalnum())


@lru_cache(maxsize=20000)
def _name_keys(name: str) -> tuple[str, ...]:
    """A name's words as `_skeleton` writes them (particles and single letters left out)."""
    words = re.split(r"[\W_]+", _fold(name)[0].lower())
    return tuple(w for w in words if len(w) >= 2 and w not in NAME_PARTICLES)


@lru_cache(maxsize=20000)
def _full_name_keys(name: str) -> tuple[str, ...] | None:
    """The keys every full form of a name holds (its first and last words'), or None for a one-word name."""
    words = _name_words(name).split()
    return _name_keys(words[0]) + _name_keys(words[-1]) if len(words) >= 2 else None


def _could_name(name: str, skeleton: str, parts: bool = True) -> bool:
    """Whether a text (as its skeleton) could hold a form of the name: one of its words (when a single
    part counts), else its first and last words (a full name holds both)."""
    if parts:
        return any(key in skeleton for key in _name_keys(name))
    keys = _full_name_keys(name)
    return keys is not None and all(key in skeleton for key in keys)


@lru_cache(maxsize=20000)
def _person_patterns(name: str, parts: bool) -> tuple[tuple[str, tuple[int, int]], ...]:
    """The regex alternatives for one name, each with its rank (kind, -length) (see `_name_patterns`).

    The full name (and first name + surname) always, when the name has two words or more; with `parts`,
    also the surname alone and each given name (and each part of a hyphenated one) alone, capitalised.
    """
    name = _name_words(name or "")
    if not name:
        return ()
    given, surname = _name_units(name)
    found: list[tuple[str, tuple[int, int]]] = []
    spaced = r"\s+"
    if surname:
        variants = [[*given, surname]] + ([[given[0], surname]] if len(given) > 1 else [])
        for words in variants:
            pattern = spaced.join(_word_pattern(w, capitalised=False) for w in words)
            found.append((pattern, (0, -len(" ".join(words)))))
    if not parts:
        return tuple(found)
    singles = list(given)
    if surname:
        surname_words = surname.split()
        if len(surname_words) > 1 or _is_name_part(surname):
            # The surname alone: particles in any case, its main word capitalised.
            pattern = spaced.join(_word_pattern(w, capitalised=w.lower() not in NAME_PARTICLES) for w in surname_words)
            found.append((pattern, (1, -len(surname))))
        if len(surname_words) > 1:
            singles += [w for w in surname_words if w.lower() not in NAME_PARTICLES]
    for word in singles:
        for part in [word, *(word.split("-") if "-" in word else [])]:
            if _is_name_part(part):
                found.append((_word_pattern(part, capitalised=True), (2, -len(part))))
    return tuple(found)


@lru_cache(maxsize=64)
def _name_patterns(people: tuple[Person, ...]) -> tuple[re.Pattern | None, dict[str, frozenset[str]]]:
    """One regex for the names of `people` ((name, replacement, parts) triples), with which replacements
    each of its groups stands for; most specific names first.

    Full names (and first name + surname) match in any case. Only for people whose `parts` count (the
    session's own) does a single given name, a part of a hyphenated name, or the surname alone match, and
    then only when capitalised as names are ("Will May" is not found in "they will go in may", and "de"
    or "la" are never replaced on their own). A word with a digit, or of one letter, is never a name alone.
    """
    ranked: dict[str, tuple[tuple[int, int], set[str]]] = {}
    for name, replacement, parts in people:
        for pattern, rank in _person_patterns(name, parts):
            best, owners = ranked.get(pattern, (rank, set()))
            owners.add(replacement)
            ranked[pattern] = (min(best, rank), owners)
    if not ranked:
        return None, {}
    # At any place in the text the longest name wins, then the more specific kind.
    ordered = sorted(ranked.items(), key=lambda item: (item[1][0][1], item[1][0][0]))
    groups = {f"n{index}": frozenset(owners) for index, (_, (_, owners)) in enumerate(ordered)}
    alternatives = "|".join(f"(?P<n{index}>{pattern})" for index, (pattern, _) in enumerate(ordered))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)"), groups


def _not_plain_ascii(column) -> ColumnElement[bool]:
    """SQL: the column holds a character outside printable ASCII (accents, typographic apostrophes), which
    SQL cannot fold as `_fold` does, so such rows are always left to Python to compare."""
    if db.session.get_bind().dialect.name == "sqlite":
        return column.op("GLOB")("*[^ -~]*")
    return column.op("~")("[^ -~]")


def _names_in_text(query, column, text: str) -> list[str]:
    """The names `query` selects from `column` that could be in the text, found in SQL so that not every
    name is loaded for every note: names sharing a word of 3 letters or more with it (also without a
    prefix the text joined to it: "McDonald" finds "Mc Donald", "OBrien" finds "O'Brien"), names with a
    two-letter word that is a word of the text ("Jo Ng"), and names SQL cannot compare (non-ASCII).
    `_replace_names` then decides exactly."""
    words = {w for w in re.split(r"[\W_]+", _fold(text)[0].lower()) if w.isalpha() and len(w) >= 2}
    if not words:
        return []
    lowered = func.lower(column)
    spaced = literal(" ", String) + func.replace(lowered, "-", " ", type_=String) + literal(" ", String)
    keys: set[str] = set()
    for word in words:
        if len(word) == 2:
            continue
        keys.add(word)
        for prefix in ("mac", "mc", "o", "d"):
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                keys.add(word[len(prefix) :])
    conditions = [_not_plain_ascii(column)]
    conditions += [lowered.contains(key, autoescape=True) for key in sorted(keys)]
    conditions += [spaced.contains(f" {word} ", autoescape=True) for word in sorted(words) if len(word) == 2]
    names: set[str] = set()
    for start in range(0, len(conditions), SQL_CONDITIONS_PER_QUERY):
        names.update(db.session.scalars(query.where(or_(*conditions[start : start + SQL_CONDITIONS_PER_QUERY]))))
    return sorted(n for n in names if n)


def people_to_hide(slot: Slot, text: str) -> list[Person]:
    """Everyone this note of the session could name, each with what replaces their name and whether a
    single part of it counts: the session's own people (participants and reserves) by any part of their
    name, by their pseudonym if they have one, else "[name]"; every other volunteer of the study and
    every account holder whose name shares a word with the text by their full name only, by "[name]"."""
    placements = db.session.scalars(
        select(Placement).where(Placement.slot_id == slot.id).options(selectinload(Placement.volunteer))
    ).all()
    people: list[Person] = [
        (p.volunteer.name, p.pseudonym or GENERIC_NAME, True) for p in placements if p.volunteer.name
    ]
    others = select(Volunteer.name).where(
        Volunteer.study_id == slot.study_id,
        Volunteer.name.is_not(None),
        Volunteer.id.not_in([p.volunteer_id for p in placements]),
    )
    accounts = select(User.name).where(User.erased_at.is_(None))
    for query, column in ((others, Volunteer.name), (accounts, User.name)):
        people += [(name, GENERIC_NAME, False) for name in _names_in_text(query, column, text)]
    return people


def _replace_names(text: str, people: Iterable[Person]) -> tuple[str, set[str]]:
    """The text with the people's names replaced (see `_name_patterns`), and the pseudonyms put in."""
    skeleton = _skeleton(text)
    candidates = tuple(sorted({(n, r, parts) for n, r, parts in people if n and _could_name(n, skeleton, parts)}))
    pattern, groups = _name_patterns(candidates)
    if pattern is None:
        return text, set()
    folded, origin = _fold(text)
    pieces: list[str] = []
    replaced: set[str] = set()
    position = 0
    for match in pattern.finditer(folded):
        start, end = origin[match.start()], origin[match.end() - 1] + 1
        if start < position:
            continue
        owners = groups[match.lastgroup]
        pseudonyms = sorted((o for o in owners if o != GENERIC_NAME), key=pseudonym_order)
        replaced.update(pseudonyms)
        pieces.extend([text[position:start], "/".join(pseudonyms) or GENERIC_NAME])
        position = end
    pieces.append(text[position:])
    return "".join(pieces), replaced


def pseudonymise(text: str, slot: Slot) -> tuple[str, list[str]]:
    """The text with nobody's name, email address or phone number in it, and which pseudonyms went in.

    Email addresses become "[email]" and UK phone numbers "[phone]". The names of the session's
    participants become their pseudonyms, its reserves' "[name]": full names in any case, a single
    name part (a first name or surname alone) when capitalised. The full names of every other volunteer
    of the study and of every account holder become "[name]"; a part of their names alone is left, as
    it is far more often an ordinary word ("Power BI", "Will", "Page") than them (`people_to_hide`).
    Names are compared with apostrophes made plain and accents dropped, on both sides (O’Brien, Siobhan
    for Siobhán), and replaced at their place in the text as typed; whole words only (see
    `_name_patterns`). A name two participants share becomes both pseudonyms ("P1/P3"), so nobody is
    named by mistake.
    """
    if not text:
        return text, []
    text = UK_PHONE.sub(PHONE_MARK, EMAIL_ADDRESS.sub(EMAIL_MARK, text))
    text, replaced = _replace_names(text, people_to_hide(slot, text))
    return text, sorted(replaced, key=pseudonym_order)


def _scrub(text: str | None, people: Iterable[Person], addresses: Iterable[str]) -> str | None:
    """A stored text with these people's names and these addresses taken out (see `scrub_stored_notes`)."""
    if not text:
        return text
    for address in addresses:
        text = re.sub(re.escape(address), EMAIL_MARK, text, flags=re.IGNORECASE)
    return _replace_names(text, people)[0]


def _scrub_snapshot(value: dict | None, people, addresses) -> dict | None:
    if not value or not isinstance(value.get("text"), str):
        return value
    return {**value, "text": _scrub(value["text"], people, addresses)}


def _mentions(names: list[str], addresses: list[str]):
    """SQL for "this stored text (or JSON) may mention the person", to pick the rows to scrub: it holds
    one of their addresses or name words (as typed, folded, without a joined prefix, as JSON writes them),
    or it holds characters SQL cannot fold (non-ASCII, or JSON's \\u escapes), which Python then compares."""
    needles = {a.lower() for a in addresses}
    for name in names:
        words = {w for w in re.split(r"[\W_]+", name.lower()) if len(w) >= 2}
        for key in {*words, *_name_keys(name)}:
            needles.update({key, json.dumps(key)[1:-1]})
            prefix = _PREFIX.match(key)
            if prefix and len(key) - prefix.end() >= 2:
                needles.add(key[prefix.end() :])
    needles.discard("")

    def mentioned(*columns) -> ColumnElement[bool]:
        conditions = []
        for column in columns:
            as_text = cast(column, Text)
            lowered = func.lower(as_text)
            conditions += [_not_plain_ascii(as_text), lowered.contains("\\u", autoescape=True)]
            conditions += [lowered.contains(needle, autoescape=True) for needle in sorted(needles)]
        return or_(*conditions)

    return mentioned


def scrub_stored_notes(
    names: Iterable[str],
    addresses: Iterable[str],
    *,
    study_id: int | None = None,
    pseudonyms: dict[int, str] | None = None,
) -> int:
    """Take a person who is leaving out of the notes already stored: their names (any part of them, as
    `pseudonymise` finds a session's own people's) and their email addresses, in every note, every
    note's history, the debrief and its history, of the study's sessions (or every study's). In a session
    where they have a pseudonym (`pseudonyms`: slot id -> pseudonym) their name becomes it; elsewhere
    "[name]". Only the rows whose text may mention them are loaded (`_mentions`). A note changed this
    way gets a new version, so an edit begun from the old text is refused rather than putting the name
    back. Part of withdrawal and erasure; the caller commits. Returns how many texts changed.
    """
    names = [n for n in names if n and n.strip()]
    addresses = [a for a in addresses if a and a.strip()]
    if not names and not addresses:
        return 0
    mentioned = _mentions(names, addresses)

    def people(slot_id: int) -> list[Person]:
        return [(name, (pseudonyms or {}).get(slot_id, GENERIC_NAME), True) for name in names]

    def in_scope(column) -> ColumnElement[bool]:
        return true() if study_id is None else column.in_(select(Slot.id).where(Slot.study_id == study_id))

    changed = 0
    revised = select(NoteRevision.note_id).where(mentioned(NoteRevision.before, NoteRevision.after))
    notes = (
        select(Note)
        .where(in_scope(Note.slot_id), or_(mentioned(Note.text), Note.id.in_(revised)))
        .options(selectinload(Note.revisions))
    )
    for note in db.session.scalars(notes).all():
        who = people(note.slot_id)
        text = _scrub(note.text, who, addresses)
        if text != note.text:
            note.text = text
            changed += 1
        for revision in note.revisions:
            before = _scrub_snapshot(revision.before, who, addresses)
            after = _scrub_snapshot(revision.after, who, addresses)
            if (before, after) != (revision.before, revision.after):
                revision.before, revision.after = before, after
                changed += 1
    states = select(SessionNotes).where(in_scope(SessionNotes.slot_id), mentioned(SessionNotes.debrief))
    for state in db.session.scalars(states).all():
        debrief = _scrub(state.debrief, people(state.slot_id), addresses)
        if debrief != state.debrief:
            state.debrief, state.debrief_version = debrief, state.debrief_version + 1
            changed += 1
    revisions = select(SessionRevision).where(
        in_scope(SessionRevision.slot_id), mentioned(SessionRevision.before, SessionRevision.after)
    )
    for revision in db.session.scalars(revisions).all():
        who = people(revision.slot_id)
        before = _scrub_snapshot(revision.before, who, addresses)
        after = _scrub_snapshot(revision.after, who, addresses)
        if (before, after) != (revision.before, revision.after):
            revision.before, revision.after = before, after
            changed += 1
    db.session.flush()
    return changed


@erasure_step
def forget_in_notes(erasure: Erasure) -> None:
    """A person's part in session notes, when they are erased or withdraw: their names and addresses
    leave the stored notes (`scrub_stored_notes`: a volunteer's in their study, an account holder's in
    every study), and the histories credit an account holder's changes to their anonymous label."""
    if erasure.volunteer_id is not None:
        placement = db.session.scalar(select(Placement).where(Placement.volunteer_id == erasure.volunteer_id))
        pseudonyms = {placement.slot_id: placement.pseudonym} if placement and placement.pseudonym else {}
        scrub_stored_notes(erasure.names, erasure.emails, study_id=erasure.study_id, pseudonyms=pseudonyms)
    if erasure.user_id is not None:
        scrub_stored_notes(erasure.names, erasure.emails)
        for model in (NoteRevision, SessionRevision):
            db.session.execute(
                update(model)
                .where(model.actor_id == erasure.user_id)
                .values(actor_label=erasure.label)
                .execution_options(synchronize_session=False)
            )


# --- notes ------------------------------------------------------------------------------------


def session_notes(slot: Slot, create: bool = False) -> SessionNotes | None:
    """The session's debrief-and-lock record (made on first use when `create`).

    Two requests making it at once (say "Mark complete" and a debrief) do not fail: the one that
    loses the race uses the row the other made.
    """
    state = db.session.get(SessionNotes, slot.id)
    if state is None and create:
        try:
            with db.session.begin_nested():
                db.session.add(SessionNotes(slot_id=slot.id, debrief="", debrief_version=0, grid_version=0))
        except IntegrityError:
            pass  # made by someone else meanwhile
        state = db.session.scalar(
            select(SessionNotes).where(SessionNotes.slot_id == slot.id).execution_options(populate_existing=True)
        )
    return state


def lock_session_notes(slot: Slot) -> SessionNotes:
    """The session's record, made if need be and locked (SELECT ... FOR UPDATE) until the transaction ends.

    Adding, changing and completing notes all take this lock first, so "Mark complete" cannot slip
    between the check that the notes are open and the note being written.
    """
    session_notes(slot, create=True)
    return db.session.scalar(
        select(SessionNotes)
        .where(SessionNotes.slot_id == slot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _raise_if_locked(slot: Slot) -> None:
    if lock_session_notes(slot).completed_at is not None:
        raise NotesLocked()


def is_locked(slot: Slot) -> bool:
    """Whether the session's notes are marked complete."""
    state = session_notes(slot)
    return state is not None and state.completed_at is not None


def _guide_question(slot: Slot, question_id: int | None) -> GuideQuestion | None:
    if question_id is None:
        return None
    question = db.session.get(GuideQuestion, question_id)
    return question if question is not None and question.study_id == slot.study_id else None


def validate_note(slot: Slot, entry: NoteInput, allowed_extra: Iterable[str] = ()) -> dict[str, str]:
    """Problems with a note as entered: field id -> message (empty when it can be saved).

    `allowed_extra` names pseudonyms a note already carries (kept when someone later leaves the session).
    """
    errors: dict[str, str] = {}
    text = (entry.text or "").strip()
    if not text:
        errors["text"] = "Enter the note"
    elif len(text) > NOTE_MAX_LENGTH:
        errors["text"] = f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer (it has {len(text):,}): split it"
    if entry.guide_question_id is not None and _guide_question(slot, entry.guide_question_id) is None:
        errors["guide_question"] = "Choose a question from this session's discussion guide, or General"
    if entry.kind not in NOTE_KINDS:
        errors["kind"] = "Choose what kind of note this is"
    allowed = {p.pseudonym for p in session_participants(slot)} | set(allowed_extra)
    strangers = [p for p in entry.pseudonyms if p not in allowed]
    if strangers:
        errors["participants"] = f"{', '.join(strangers)} is not a participant in this session: choose from the list"
    return errors


def _tidy(entry: NoteInput) -> tuple[str, list[str]]:
    return entry.text.strip(), sorted(set(entry.pseudonyms), key=pseudonym_order)


def _revise(note: Note, action: str, by, before: dict | None, now: datetime) -> None:
    """Keep the change in the note's history (added to the session, not to `note.revisions`, which would
    count as a change to the note and bump its version)."""
    db.session.add(
        NoteRevision(
            note_id=note.id,
            action=action,
            version=note.version,
            actor_id=getattr(by, "id", None),
            actor_label=getattr(by, "name", "") or getattr(by, "email", "") or "",
            at=now,
            before=before,
            after=None if action == "deleted" else note.snapshot(),
        )
    )
    db.session.expire(note, ["revisions"])


def minutes_since_start(slot: Slot, moment: datetime) -> int:
    """Whole minutes from the session's start to `moment` (negative before it starts)."""
    return math.floor((aware(moment) - aware(slot.starts_at)).total_seconds() / 60)


def _typed_at(typed_at: datetime | None, now: datetime) -> datetime:
    """When the note was typed: the browser's time for a note sent late (offline), if it is believable."""
    if typed_at is None or typed_at.tzinfo is None:
        return now
    if now - TYPED_AT_LEEWAY <= typed_at <= now + timedelta(minutes=5):
        return min(typed_at, now)
    return now


def add_note(
    slot: Slot,
    entry: NoteInput,
    *,
    by=None,
    client_id: str | None = None,
    typed_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Note, bool]:
    """Store a new note; return it and whether it is new (False: this `client_id` was already stored).

    Raises NoteProblem for input that cannot be saved and NotesLocked once the notes are complete.
    A browser resending a note after a network drop sends the same `client_id`: the note is stored once.
    A `client_id` already used for a *different* note (a reused form, a browser bug) never drops the
    new note: it is stored under a fresh client id (so `note.client_id != client_id` tells the caller).
    """
    if client_id is not None and not CLIENT_ID.fullmatch(client_id):
        client_id = None
    locked = lock_session_notes(slot).completed_at is not None
    if client_id is not None:
        existing = _by_client_id(slot, client_id)
        if existing is not None:
            if _same_note(existing, entry, slot):
                return existing, False
            client_id = str(uuid.uuid4())
    if locked:
        raise NotesLocked()
    errors = validate_note(slot, entry)
    if errors:
        raise NoteProblem(errors)
    now = now or utcnow()
    moment = _typed_at(typed_at, now)
    text, pseudonyms = _tidy(entry)
    text, replaced = pseudonymise(text, slot)
    if len(text) > NOTE_MAX_LENGTH:  # a pseudonym longer than the name it replaced
        raise NoteProblem({"text": f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer: split it"})
    note = Note(
        slot_id=slot.id,
        guide_question_id=entry.guide_question_id,
        kind=entry.kind,
        text=text,
        pseudonyms=pseudonyms,
        names_replaced=replaced,
        client_id=client_id,
        created_at=moment,
        minutes_since_start=minutes_since_start(slot, moment),
        created_by_id=getattr(by, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(note)
            db.session.flush()
    except IntegrityError:
        # The same note arrived twice at once (a resend racing the original): keep the first.
        existing = _by_client_id(slot, client_id) if client_id else None
        if existing is None:
            raise
        return existing, False
    _revise(note, "created", by, None, now)
    record("focus_groups.note_added", note, actor=by, session=slot.id, version=note.version)
    db.session.flush()
    return note, True


def _by_client_id(slot: Slot, client_id: str) -> Note | None:
    return db.session.scalar(select(Note).where(Note.slot_id == slot.id, Note.client_id == client_id))


def _same_note(note: Note, entry: NoteInput, slot: Slot) -> bool:
    """Whether `entry` is the note as it was first stored or as it is now (a resend of it)."""
    text, pseudonyms = _tidy(entry)
    text = pseudonymise(text, slot)[0]
    sent = {"text": text, "kind": entry.kind, "guide_question_id": entry.guide_question_id, "pseudonyms": pseudonyms}
    first = next((r.after for r in note.revisions if r.action == "created"), None)
    return sent in (note.snapshot(), first)


def _check_version(note: Note, expected_version: int | None) -> None:
    if expected_version is None or expected_version != note.version:
        raise StaleNote(note)


def edit_note(note: Note, entry: NoteInput, *, expected_version: int | None, by=None, now: datetime | None = None):
    """Change a note that is still at `expected_version`; return the pseudonyms whose names were replaced.

    Raises StaleNote when someone changed it since (nothing is overwritten), NoteProblem for bad input,
    NotesLocked once the notes are complete. The flush itself is guarded by the version column too, so
    two edits committed at the same moment cannot both win (SQLAlchemy raises StaleDataError).
    """
    slot = note.slot
    _raise_if_locked(slot)
    if note.deleted_at is not None:
        raise NoteProblem({"text": "This note was deleted: restore it before changing it"})
    _check_version(note, expected_version)
    errors = validate_note(slot, entry, allowed_extra=note.pseudonyms or [])
    if errors:
        raise NoteProblem(errors)
    text, pseudonyms = _tidy(entry)
    text, replaced = pseudonymise(text, slot)
    if len(text) > NOTE_MAX_LENGTH:
        raise NoteProblem({"text": f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer: split it"})
    before = note.snapshot()
    after = {"text": text, "kind": entry.kind, "guide_question_id": entry.guide_question_id, "pseudonyms": pseudonyms}
    if after == before:
        return []
    now = now or utcnow()
    with db.session.no_autoflush:  # one UPDATE, so one new version, however the change is made
        note.text, note.kind = text, entry.kind
        note.guide_question_id, note.pseudonyms = entry.guide_question_id, pseudonyms
        note.names_replaced = replaced
        note.updated_at, note.updated_by_id = now, getattr(by, "id", None)
    db.session.flush()  # the version goes up here, or StaleDataError if someone else's edit landed first
    _revise(note, "edited", by, before, now)
    record("focus_groups.note_edited", note, actor=by, session=slot.id, version=note.version)
    db.session.flush()
    return replaced


def delete_note(note: Note, *, expected_version: int | None = None, by=None, now: datetime | None = None) -> None:
    """Delete a note softly: it leaves the notes and the analysis, and can be restored from its history.

    Like an edit, it names the version it started from: a stale or missing version raises StaleNote.
    """
    _raise_if_locked(note.slot)
    if note.deleted_at is not None:
        return
    _check_version(note, expected_version)
    now = now or utcnow()
    before = note.snapshot()
    with db.session.no_autoflush:
        note.deleted_at, note.deleted_by_id = now, getattr(by, "id", None)
    db.session.flush()
    _revise(note, "deleted", by, before, now)
    record("focus_groups.note_deleted", note, actor=by, session=note.slot_id, version=note.version)
    db.session.flush()


def restore_note(note: Note, *, by=None, now: datetime | None = None) -> None:
    """Bring back a deleted note, as it was."""
    _raise_if_locked(note.slot)
    if note.deleted_at is None:
        return
    now = now or utcnow()
    note.deleted_at, note.deleted_by_id = None, None
    db.session.flush()
    _revise(note, "restored", by, None, now)
    record("focus_groups.note_restored", note, actor=by, session=note.slot_id, version=note.version)
    db.session.flush()


def notes_for(slot: Slot, *, deleted: bool = False) -> list[Note]:
    """The session's notes, newest first (`deleted=True`: only the deleted ones)."""
    condition = Note.deleted_at.is_not(None) if deleted else Note.deleted_at.is_(None)
    query = select(Note).where(Note.slot_id == slot.id, condition).order_by(Note.created_at.desc(), Note.id.desc())
    return list(db.session.scalars(query))


def note_or_404(slot: Slot, note_id: int) -> Note:
    """One of the session's notes, or a 404 page (also for an id no row can have)."""
    note = get_or_404(Note, note_id)
    if note.slot_id != slot.id:
        abort(404)
    return note


def notes_by_question(slot: Slot) -> list[tuple[GuideQuestion | None, list[Note]]]:
    """The notes grouped by guide question in guide order (oldest first within each), general notes last."""
    notes = sorted(notes_for(slot), key=lambda n: (aware(n.created_at), n.id))
    groups: list[tuple[GuideQuestion | None, list[Note]]] = [
        (question, [n for n in notes if n.guide_question_id == question.id]) for question in slot.study.questions
    ]
    groups.append((None, [n for n in notes if n.guide_question_id is None]))
    return [(question, items) for question, items in groups if items]


# --- complete and reopen ----------------------------------------------------------------------


def complete_notes(slot: Slot, *, by=None, now: datetime | None = None) -> None:
    """Mark the session's notes complete: they are locked until an organiser reopens them (audit-logged)."""
    state = lock_session_notes(slot)
    if state.completed_at is not None:
        return
    state.completed_at, state.completed_by_id = now or utcnow(), getattr(by, "id", None)
    record("focus_groups.notes_completed", slot, actor=by, notes=len(notes_for(slot)))


def reopen_notes(slot: Slot, *, by=None) -> None:
    """Unlock a session's notes so they can be changed again (organisers; audit-logged)."""
    state = session_notes(slot)
    if state is None or state.completed_at is None:
        return
    state.completed_at, state.completed_by_id = None, None
    record("focus_groups.notes_reopened", slot, actor=by)


# --- the debrief ------------------------------------------------------------------------------


def _session_revision(slot: Slot, part: str, version: int, by, now: datetime, before: dict, after: dict) -> None:
    db.session.add(
        SessionRevision(
            slot_id=slot.id,
            part=part,
            version=version,
            actor_id=getattr(by, "id", None),
            actor_label=getattr(by, "name", "") or getattr(by, "email", "") or "",
            at=now,
            before=before,
            after=after,
        )
    )


def _bump(slot: Slot, column, expected: int, **values) -> bool:
    """Move the session's `column` (a version) from `expected` to the next one, with `values`, in one
    conditional UPDATE; False when someone else moved it first or the notes were marked complete."""
    result = db.session.execute(
        update(SessionNotes)
        .where(SessionNotes.slot_id == slot.id, column == expected, SessionNotes.completed_at.is_(None))
        .values({column: expected + 1, **values})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _refused(slot: Slot, stale: type[Exception]) -> Exception:
    """Why a conditional UPDATE matched nothing: the notes are complete, or the saved version moved on."""
    state = db.session.scalar(
        select(SessionNotes).where(SessionNotes.slot_id == slot.id).execution_options(populate_existing=True)
    )
    return NotesLocked() if state.completed_at is not None else stale(state)


def session_revisions(slot: Slot, part: str) -> list[SessionRevision]:
    """Every save of the session's debrief or grid (`part`), newest first."""
    query = select(SessionRevision).where(SessionRevision.slot_id == slot.id, SessionRevision.part == part)
    return list(db.session.scalars(query.order_by(SessionRevision.id.desc())))


def save_debrief(slot: Slot, text: str, *, expected_version: int | None, by=None, now: datetime | None = None):
    """Save the facilitator's debrief if nobody saved it since `expected_version`; return replaced pseudonyms.

    Versioned like a note: the save is one `UPDATE ... WHERE debrief_version = expected`, so of two
    saves from the same version exactly one lands and the other raises StaleDebrief (nothing
    overwritten). Each save is kept as a revision (who, when, before, after) and audit-logged with its
    version, not its text.
    """
    state = session_notes(slot, create=True)
    if state.completed_at is not None:
        raise NotesLocked()
    if expected_version is None or expected_version != state.debrief_version:
        raise StaleDebrief(state)
    text = (text or "").strip()
    if len(text) > DEBRIEF_MAX_LENGTH:
        raise NoteProblem({"debrief": f"The debrief must be {DEBRIEF_MAX_LENGTH:,} characters or fewer"})
    text, replaced = pseudonymise(text, slot)
    if text == state.debrief:
        return replaced
    before, now = state.debrief, now or utcnow()
    if not _bump(
        slot,
        SessionNotes.debrief_version,
        expected_version,
        debrief=text,
        debrief_updated_at=now,
        debrief_updated_by_id=getattr(by, "id", None),
    ):
        raise _refused(slot, StaleDebrief)
    _session_revision(slot, "debrief", expected_version + 1, by, now, {"text": before}, {"text": text})
    record("focus_groups.debrief_saved", slot, actor=by, version=expected_version + 1)
    db.session.flush()
    db.session.expire(state)
    return replaced


class StaleDebrief(Exception):
    """Someone saved the debrief since this edit began; `state` holds the saved one."""

    def __init__(self, state: SessionNotes):
        super().__init__(f"Debrief of session {state.slot_id} is at version {state.debrief_version}")
        self.state = state


# --- the proportion grid ----------------------------------------------------------------------


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
        return errors
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
        return {}
    if not _bump(slot, SessionNotes.grid_version, expected_version):
        raise _refused(slot, StaleGrid)
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
    _session_revision(slot, "proportions", expected_version + 1, by, now, before, after)
    record("focus_groups.proportions_saved", slot, actor=by, cells=len(changes), version=expected_version + 1)
    db.session.flush()
    db.session.expire(state)
    return {}


def _slots_of(study_or_slot: Study | Slot) -> list[Slot]:
    if isinstance(study_or_slot, Slot):
        return [study_or_slot]
    return [slot for slot in study_or_slot.slots if slot.status != "candidate" or _has_notes(slot)]


def _has_notes(slot: Slot) -> bool:
    return db.session.scalar(select(Note.id).where(Note.slot_id == slot.id).limit(1)) is not None


def proportion_figures(study_or_slot: Study | Slot) -> list[dict]:
    """The grid for the analysis: one dict per participant who gave figures, never a name.

    Each has session (the slot id), pseudonym, region, council_type, supports_schools, shares
    (category id -> % or None), total and adds_up.
    """
    figures = []
    for slot in _slots_of(study_or_slot):
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


# --- out of the console: passages for the analysis, and a table for exports --------------------

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
    for slot in _slots_of(study_or_slot):
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


# --- demo data --------------------------------------------------------------------------------

DEMO_NOTES: list[tuple[int | None, str, str, list[int]]] = [
    # (guide question position or None, kind, text, participant numbers)
    (1, "key_point", "Most of the group count a user as anyone with an account on the council's network.", []),
    (1, "quote", "If they can ring our service desk, they're a user, whatever the benchmark says.", [1]),
    (1, "observation", "Disagreement on whether a shared library PC counts as one user or many.", [2, 3]),
    (2, "quote", "We support 40,000 pupils and none of them appear in our cost per user.", [2]),
    (2, "key_point", "Councils with traded services to schools all support users outside the definition.", []),
    (3, "observation", "Pupils were the biggest group for the county councils here. Office staff came second.", [1]),
    (3, "quote", "Pupils are about three quarters of our accounts, but maybe a tenth of our tickets.", [3]),
    (4, "quote", "Schools get best efforts; corporate users get the SLA. That's the honest answer.", [1]),
    (4, "observation", "Two participants said school staff take more support time per head than office staff.", [2, 3]),
    (None, "action", "Send the group the draft definition of a user for comment.", []),
]
DEMO_SHARES = [
    {"office_staff": 18, "frontline_staff": 7, "councillors": 1, "school_staff": 12, "pupils": 58, "partners": 4},
    {"office_staff": 35, "frontline_staff": 20, "councillors": 2, "school_staff": 8, "pupils": 30, "residents": 5},
]


def load_demo_notes() -> int:
    """Add a handful of notes, two participants' proportions and a debrief to the demo's confirmed
    session (run by the demo facilitator); returns how many notes were added (0 if it has notes already)."""
    from app.auth.models import User
    from app.focus_groups.demo import DEMO_STUDY_TITLE

    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.example"))
    study = db.session.scalar(select(Study).where(Study.title == DEMO_STUDY_TITLE))
    if study is None:
        return 0
    slot = next((s for s in study.slots if s.status == "confirmed"), None)
    if slot is None or db.session.scalar(select(Note.id).where(Note.slot_id == slot.id).limit(1)) is not None:
        return 0
    people = session_participants(slot)
    questions = {q.position: q for q in study.questions}
    start = aware(slot.starts_at)
    added = 0
    for minute, (position, kind, text, numbers) in enumerate(DEMO_NOTES):
        pseudonyms = [people[n - 1].pseudonym for n in numbers if n <= len(people)]
        question = questions.get(position) if position else None
        entry = NoteInput(text, kind, question.id if question else None, pseudonyms)
        add_note(slot, entry, by=facilitator, now=start + timedelta(minutes=5 + minute * 8))
        added += 1
    form = {
        share_field(placement, category): str(value)
        for placement, shares in zip(people, DEMO_SHARES, strict=False)
        for category, value in shares.items()
    }
    save_proportions(slot, form, expected_version=0, by=facilitator, now=start + timedelta(minutes=60))
    save_debrief(
        slot,
        "A lively group. Everyone agreed pupils are users in practice; nobody thought they strain the service "
        "as much as staff do. Follow up on how to count shared devices.",
        expected_version=0,
        by=facilitator,
    )
    db.session.commit()
    return added
