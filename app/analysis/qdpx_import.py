"""Reading a REFI-QDA project (`.qdpx`) back into a study: its accepted codes, with their coders.

Each selection is matched to the study's passages (by the source's GUID and the selection's offsets when
the source text is as `app.analysis.qdpx` wrote it, else by the selected text: a passage with exactly
that text, or the one passage holding it), each code to a theme (by GUID, by the slug its description
names, or by name) and each coder to an analyst (by GUID). Codes already accepted are skipped, a
suggestion is accepted, a code an analyst rejected stays rejected; every problem is reported by row.
Zips are bounded (size, members, unpacked size, compression ratio, each member read no further than
its bound) and the XML is parsed with defusedxml (no DTDs, no entities).
"""

from __future__ import annotations

import bisect
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only for its ParseError; parsing goes through defusedxml
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.analysis.codebook import Codebook
from app.analysis.models import AnalysisPassage, Code
from app.analysis.qdc import code_guid, slug_in_description
from app.analysis.qdpx import (
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_PROBLEMS,
    MAX_RATIO,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_BYTES,
    NAMESPACE,
    PROJECT_FILE,
    QdpxError,
    SourceText,
    guid_for,
    lay_out,
    present_passages,
    user_guid,
)
from app.analysis.queries import study_organisation_codes
from app.audit.services import record
from app.auth.models import User
from app.auth.roles import ANALYSTS
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study


class QdpxAlreadyImported(QdpxError):
    """The upload an import was to take had already been taken (imported by another confirmation)."""


_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


@dataclass(frozen=True)
class Selection:
    """One coded or uncoded selection read from a file, with the text it selects."""

    source_guid: str
    source_name: str
    source_text: str
    start: int
    end: int
    codings: tuple[tuple[str, str | None], ...]  # (code GUID, coder GUID or None)

    @property
    def text(self) -> str:
        return self.source_text[self.start : self.end]


@dataclass
class ParsedProject:
    """What a project file holds that an import uses."""

    users: dict[str, str] = field(default_factory=dict)  # GUID -> name in the file
    codes: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # GUID -> (name, slug in description)
    selections: list[Selection] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _canonical(guid: str | None) -> str | None:
    match = _GUID.match((guid or "").strip())
    return match.group(1).lower() if match else None


def _members(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """The project XML and the text members (by lower-case base name) of a bounded, checked zip."""
    if len(data) > MAX_ZIP_BYTES:
        raise QdpxError([f"The file is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB: upload a smaller project."])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise QdpxError(["The file is not a REFI-QDA project: a .qdpx file is a zip and this is not."]) from None
    if len(infos) > MAX_MEMBERS:
        raise QdpxError([f"The project holds {len(infos):,} files; at most {MAX_MEMBERS:,} are read."])
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise QdpxError(["The project unpacks to more than 200 MB: it is refused, as a protection against zip bombs."])
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise QdpxError([f"{info.filename[:80]!r} is compressed suspiciously well: the file is refused."])
    project, texts = None, {}
    try:
        for info in infos:
            if info.is_dir() or info.file_size > MAX_MEMBER_BYTES:
                continue
            base = info.filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
            if base == PROJECT_FILE or (project is None and base.endswith(".qde")):
                project = _read_member(archive, info)
            elif base.endswith(".txt"):
                texts[base] = _read_member(archive, info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError) as error:
        raise QdpxError([f"The zip archive cannot be read ({str(error)[:120]})."]) from None
    if project is None:
        raise QdpxError(["The zip holds no project.qde: it is not a REFI-QDA project (.qdpx)."])
    return project, texts


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(MAX_MEMBER_BYTES + 1)  # the directory's sizes can lie: never read past the bound
    if len(data) > MAX_MEMBER_BYTES:
        raise QdpxError([f"The member {info.filename[:80]!r} is larger than it says: the file is refused."])
    return data


def _decode(data: bytes, what: str, problems: list[str]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(f"{what} is not UTF-8 text: its selections are skipped.")
        return None


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def parse_qdpx(data: bytes) -> ParsedProject:
    """The users, codes and text selections of a `.qdpx` file; QdpxError when it is not a usable project."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise QdpxError(["The file is empty: choose a REFI-QDA project (.qdpx) file."])
    xml, texts = _members(bytes(data))
    try:
        root = fromstring(xml, forbid_dtd=True)
    except DefusedXmlException:
        raise QdpxError(["project.qde declares a document type or entities, which are refused for safety."]) from None
    except ET.ParseError as error:
        raise QdpxError([f"project.qde is not well-formed XML ({error})."]) from None
    if root.tag not in (_q("Project"), "Project"):
        local = root.tag.rsplit("}", 1)[-1]
        raise QdpxError([f"project.qde is not a REFI-QDA project: its root element is <{local}>, not <Project>."])
    ns = "" if root.tag == "Project" else f"{{{NAMESPACE}}}"
    parsed = ParsedProject()
    for user in root.iterfind(f"{ns}Users/{ns}User"):
        guid = _canonical(user.get("guid"))
        if guid:
            parsed.users[guid] = (user.get("name") or "").strip()[:120] or "an unnamed user"
    for code in root.iter(f"{ns}Code"):
        guid = _canonical(code.get("guid"))
        if guid:
            description = code.find(f"{ns}Description")
            slug = slug_in_description(description.text if description is not None else "")
            parsed.codes[guid] = ((code.get("name") or "").strip()[:200], slug)
    for number, source in enumerate(root.iterfind(f"{ns}Sources/{ns}TextSource"), start=1):
        _read_source(source, number, ns, texts, parsed)
    return parsed


def _read_source(source, number: int, ns: str, texts: dict[str, bytes], parsed: ParsedProject) -> None:
    name = (source.get("name") or f"source {number}").strip()[:120]
    guid = _canonical(source.get("guid")) or ""
    what = f"Source {number} ('{name}')"
    content = source.find(f"{ns}PlainTextContent")
    if content is not None and content.text:
        text = content.text
    else:
        path = (source.get("plainTextPath") or "").replace("\\", "/").rsplit("/", 1)[-1].lower()
        if path not in texts:
            if source.find(f"{ns}PlainTextSelection") is not None:
                parsed.problems.append(f"{what}: its text file is not in the zip, so its selections are skipped.")
            return
        text = _decode(texts[path], what, parsed.problems)
        if text is None:
            return
    for index, selection in enumerate(source.iterfind(f"{ns}PlainTextSelection"), start=1):
        start, end = _int(selection.get("startPosition")), _int(selection.get("endPosition"))
        if start is None or end is None or not start < end <= len(text):
            parsed.problems.append(
                f"{what}, selection {index}: its positions ({selection.get('startPosition')!s:.12}–"
                f"{selection.get('endPosition')!s:.12}) are not inside the source's {len(text):,} characters."
            )
            continue
        codings = tuple(
            (_canonical(coding.find(f"{ns}CodeRef").get("targetGUID")) or "", _canonical(coding.get("creatingUser")))
            for coding in selection.iterfind(f"{ns}Coding")
            if coding.find(f"{ns}CodeRef") is not None
        )
        parsed.selections.append(Selection(guid, name, text, start, end, codings))


@dataclass
class ImportReport:
    """What an import added (or, checked before writing, would add), and every problem, row by row."""

    added: int = 0
    accepted_suggestions: int = 0
    duplicates: int = 0
    selections: int = 0
    by_coder: Counter = field(default_factory=Counter)  # coder's display name -> codes added
    by_theme: Counter = field(default_factory=Counter)  # theme name -> codes added
    unknown_coders: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0
    written: bool = False

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more_problems += 1

    @property
    def changes(self) -> int:
        return self.added + self.accepted_suggestions


def _normal(text: str) -> str:
    return " ".join(text.split())


def _theme_for(guid: str, parsed: ParsedProject, codebook: Codebook) -> str | None:
    by_guid = {code_guid(theme.slug): theme.slug for theme in codebook.themes}
    if guid in by_guid:
        return by_guid[guid]
    name, slug = parsed.codes.get(guid, ("", None))
    if slug and slug in codebook.slugs:
        return slug
    by_name = {theme.name.casefold(): theme.slug for theme in codebook.themes}
    return by_name.get(name.casefold()) if name else None


class _Texts(dict):
    """The study's passages by their text (white space collapsed), and a search for text within one."""

    def __init__(self, passages: list[AnalysisPassage]):
        super().__init__()
        for passage in passages:
            self.setdefault(_normal(passage.text), []).append(passage.id)
        self._keys = list(self)
        self._starts, position = [], 0
        for text in self:
            self._starts.append(position)
            position += len(text) + 1
        self._joined = "\0".join(self)

    def within(self, wanted: str) -> list[int]:
        """The one passage whose text holds `wanted`, or none when no passage or several do."""
        at = self._joined.find(wanted)
        if at < 0 or self._joined.find(wanted, at + 1) >= 0:
            return []
        index = bisect.bisect_right(self._starts, at) - 1
        ids = self[self._keys[index]]
        return ids if len(ids) == 1 else []


def _passages_for(selection: Selection, layout: dict[str, SourceText], by_text: _Texts) -> list[int]:
    """The ids of the study's passages a selection codes (see the module)."""
    source = layout.get(selection.source_guid)
    if source is not None and source.text == selection.source_text:
        exact = [pid for pid, span in source.spans.items() if span == (selection.start, selection.end)]
        if exact:
            return exact
        return [pid for pid, (s, e) in source.spans.items() if s < selection.end and selection.start < e]
    wanted = _normal(selection.text)
    found = by_text.get(wanted, [])
    if found or len(wanted) < 10:
        return found if len(found) == 1 else []
    return by_text.within(wanted)


def read_qdpx(
    study: Study,
    data: bytes | str | Path,
    user,
    *,
    dry_run: bool = False,
    via: str = "web",
    claim: Callable[[], bool] | None = None,
) -> ImportReport:
    """Add the accepted codes of a `.qdpx` file to the study's passages (see the module), as `user` imports
    them (the coder of codes whose coder is unknown; None from the command line without --by); with
    dry_run, only say what it would add. QdpxError when the file is not a usable project (nothing written).

    `claim`, when given, is called first inside the transaction that writes (the web import takes its kept
    upload there): if it answers False the import is already done, and QdpxAlreadyImported is raised with
    nothing written."""
    from app.analysis.services import codebook_of, current_version

    if isinstance(data, str | Path):
        path = Path(data)
        if path.stat().st_size > MAX_ZIP_BYTES:
            raise QdpxError([f"The file is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB: use a smaller project."])
        data = path.read_bytes()
    parsed = parse_qdpx(data)
    report = ImportReport()
    for text in parsed.problems:
        report.problem(text)
    codebook = codebook_of(current_version(study))
    passages = present_passages(study)
    layout = {guid_for(study, "source", s.key): s for s in lay_out(passages, study_organisation_codes(study.id))}
    by_text = _Texts(passages)
    users = db.session.scalars(select(User).where(User.disabled.is_(False)))
    analysts = {user_guid(u.id): u for u in users if u.has_role(*ANALYSTS)}
    wanted: dict[tuple[int, str], User] = {}
    unknown_codes: Counter = Counter()
    unknown_users: Counter = Counter()
    for number, selection in enumerate(parsed.selections, start=1):
        if not selection.codings:
            continue
        report.selections += 1
        targets = _passages_for(selection, layout, by_text)
        if not targets:
            report.problem(
                f"Selection {number} in '{selection.source_name}' (\"{_normal(selection.text)[:80]}\") matches "
                "no passage of this study: its codes are skipped."
            )
            continue
        for code_ref, coder_ref in selection.codings:
            slug = _theme_for(code_ref, parsed, codebook)
            if slug is None:
                unknown_codes[parsed.codes.get(code_ref, ("an unknown code", None))[0] or code_ref] += 1
                continue
            coder = analysts.get(coder_ref or "")
            if coder is None:
                unknown_users[parsed.users.get(coder_ref, "unnamed") if coder_ref else "no coder named"] += 1
                coder = user
            for passage_id in targets:
                wanted.setdefault((passage_id, slug), coder)
    for name, count in sorted(unknown_codes.items()):
        report.problem(
            f"The code '{name}' is not in this study's codebook: its {count} coding(s) are skipped "
            "(import the codebook first, on the codebook page)."
        )
    for name, count in sorted(unknown_users.items()):
        report.unknown_coders.append(name)
        report.problem(
            f"The coder '{name}' is not an analyst of this platform: their {count} coding(s) are attributed to "
            + (f"{user.name}, who imports the file." if user is not None else "no one (no importing analyst named).")
        )
    _apply(study, wanted, codebook, report, user, dry_run, via, claim)
    return report


def _apply(
    study: Study,
    wanted: dict,
    codebook: Codebook,
    report: ImportReport,
    user,
    dry_run: bool,
    via: str,
    claim: Callable[[], bool] | None = None,
) -> None:
    """Sort the wanted codes into new, suggestions to accept, duplicates and refusals; write unless dry_run."""
    names = {theme.slug: theme.name for theme in codebook.themes}
    existing = {
        (code.passage_id, code.theme): code.id
        for code in db.session.scalars(select(Code).where(Code.study_id == study.id))
        if (code.passage_id, code.theme) in wanted
    }
    statuses = dict(db.session.execute(select(Code.id, Code.status).where(Code.study_id == study.id)).all())
    new, accept = [], []
    for (passage_id, slug), coder in sorted(wanted.items(), key=lambda item: item[0]):
        code_id = existing.get((passage_id, slug))
        status = statuses.get(code_id)
        if status == "accepted":
            report.duplicates += 1
            continue
        if status == "rejected":
            report.problem(f"'{names[slug]}' on passage {passage_id} was rejected by an analyst: it stays rejected.")
            continue
        report.by_coder[coder.name if coder is not None else "no coder"] += 1
        report.by_theme[names[slug]] += 1
        (accept if code_id else new).append((code_id or passage_id, slug, coder))
    report.added, report.accepted_suggestions = len(new), len(accept)
    if dry_run:
        return
    from app.analysis.services import saved_version

    version = saved_version(study).number
    now = utcnow()
    with write_transaction():
        if claim is not None and not claim():
            raise QdpxAlreadyImported(["This file has already been imported."])
        for passage_id, slug, coder in new:
            db.session.add(
                Code(
                    study_id=study.id,
                    passage_id=passage_id,
                    theme=slug,
                    status="accepted",
                    origin="hand",
                    evidence=[],
                    codebook_version=version,
                    coder_id=getattr(coder, "id", None),
                    decided_at=now,
                )
            )
        for code_id, _slug, coder in accept:
            code = db.session.get(Code, code_id)
            code.status, code.coder_id, code.decided_at, code.needs_review = (
                "accepted",
                getattr(coder, "id", None),
                now,
                False,
            )
        record(
            "analysis.qdpx_imported",
            study,
            actor=user,
            via=via,
            added=report.added,
            accepted_suggestions=report.accepted_suggestions,
            duplicates=report.duplicates,
            problems=len(report.problems) + report.more_problems,
        )
    report.written = True
