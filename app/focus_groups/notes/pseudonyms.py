"""Names become pseudonyms: a note or debrief names nobody. The names of a session's participants typed
into a note are replaced with their pseudonyms before it is stored, the full names of the study's other
volunteers and of account holders with "[name]", email addresses and UK phone numbers with "[email]" and
"[phone]", so nothing downstream (exports, passages for the analysis) carries them; when someone withdraws
or is erased, the notes already stored are scrubbed of them too (`forget_in_notes`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import String, Text, cast, func, literal, or_, select, true, update
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.auth.erasure import Erasure, erasure_step
from app.auth.models import User
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Volunteer
from app.focus_groups.notes.access import pseudonym_order
from app.focus_groups.notes.models import Note, NoteRevision, SessionNotes, SessionRevision

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
