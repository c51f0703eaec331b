"""A study as a REFI-QDA project (`.qdpx`), for NVivo, ATLAS.ti, MAXQDA and QualCoder, and read back.

The file is a zip holding `project.qde` (XML in the urn:QDA-XML:project:1.0 namespace, elements in the
order Project.xsd requires: Users, CodeBook, Variables, Cases, Sources, Sets, Description) and one
UTF-8 text file per source, `Sources/<guid>.txt`, with `\\n` line endings.

- Users are the coders of the exported codes, by their display name; GUIDs are uuid5 of a fixed
  namespace and the user's id, so a file read back finds its coders again. No email anywhere.
- The CodeBook is the study's current codebook, written as the `.qdc` export writes it (same GUIDs).
- Sources: one per survey question (every answer to it), one per session's notes and one per
  session's debrief. Each answer or note is a block of its sentences (the study's passages) joined by
  spaces, under a header line naming its anonymous organisation code or its participants' pseudonyms;
  blocks are separated by a blank line. Every passage is a PlainTextSelection whose offsets (in
  characters) index that text exactly; the export is parsed back and every selection checked before
  the file is handed out.
- Codings: only accepted codes (suggestions and rejected codes are not decisions), each with its coder.
  Accepted codes of themes no longer in the codebook are left out, and the summary says how many.
- Cases: each organisation by its anonymous code ("Org 007") and each participant by pseudonym, with
  region, council type and whether it supports schools as variables; a case refers to its passages.

Reading a file back (`read_qdpx`) matches each selection to the study's passages (by the source's
GUID and the selection's offsets when the source text is unchanged, else by the selected text), each
code to a theme (by GUID, by the slug in its description, or by name) and each coder to a user (by
GUID); it adds accepted codes, skips those already there, and reports every problem by row. Zips are
bounded (size, members, unpacked size, compression ratio) and XML is parsed with defusedxml.
"""

from __future__ import annotations

import bisect
import io
import re
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - only for writing; parsing goes through defusedxml
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from sqlalchemy import func, select

from app.analysis.codebook import Codebook
from app.analysis.models import AnalysisPassage, Code
from app.analysis.qdc import ORIGIN, add_codes, code_guid, slug_in_description
from app.audit.services import record
from app.auth.models import User
from app.auth.roles import ANALYSTS
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Study
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS

NAMESPACE = "urn:QDA-XML:project:1.0"
SCHEMA_LOCATION = "urn:QDA-XML:project:1.0 http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_GUIDS = uuid.UUID("0d6f2a9e-5c41-4e8b-9b7a-3e2f1c8d4a60")
PROJECT_FILE = "project.qde"
SOURCES_FOLDER = "Sources"

LARGE_STUDY = 5000  # present passages: a larger study is exported by a background job, with progress
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # unpacked / packed, for members over 1 MB unpacked
MAX_PROBLEMS = 200
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


class QdpxError(Exception):
    """A file that is not a usable REFI-QDA project: `messages` say why, in plain words."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def user_guid(user_id: int) -> str:
    """The GUID a platform user has as a coder in every project file (stable, so it reads back)."""
    return str(uuid.uuid5(_GUIDS, f"user:{user_id}"))


def _guid(study: Study, *parts: object) -> str:
    return str(uuid.uuid5(_GUIDS, ":".join(str(part) for part in (study.id, *parts))))


# --- Laying the passages out as source texts -----------------------------------------------------


@dataclass
class SourceText:
    """One exported source: its text and where each passage lies in it (start, end in characters)."""

    key: str
    name: str
    kind: str
    text: str = ""
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # passage id -> (start, end)


def organisation_codes(passages: list[AnalysisPassage]) -> dict[str, str]:
    """Anonymous codes ("Org 007") for the organisation keys the passages speak for, numbered in key order."""
    keys = sorted({key for p in passages for key in p.organisations or []}, key=_natural)
    width = max(3, len(str(len(keys))))
    return {key: f"Org {index:0{width}d}" for index, key in enumerate(keys, start=1)}


def _natural(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _group(passage: AnalysisPassage) -> tuple[str, str, str]:
    """(source key, source name, kind) of the exported source a passage belongs to."""
    ref = passage.source_ref or {}
    if passage.source_kind == "survey":
        label = passage.section_label or passage.section
        return f"survey:{passage.section}", f"Survey answers: {label}"[:200], "survey"
    session = ref.get("session", "?")
    if passage.source_kind == "debrief":
        return f"debrief:{session}", f"Session {session} debrief", "debrief"
    return f"notes:{session}", f"Session {session} notes", "note"


def _header(passage: AnalysisPassage, codes: dict[str, str]) -> str:
    if passage.source_kind == "survey":
        names = sorted({codes[key] for key in passage.organisations or [] if key in codes})
        return f"[Answer from {', '.join(names) or 'an organisation'}]"
    if passage.source_kind == "debrief":
        return f"[Debrief: {(passage.source_ref or {}).get('field', 'notes')}]"
    who = ", ".join(passage.pseudonyms or []) or "the group"
    kind = f" ({passage.note_kind})" if passage.note_kind else ""
    return f"[Note about {who}{kind}]"


def lay_out(passages: list[AnalysisPassage], codes: dict[str, str]) -> list[SourceText]:
    """The study's sources as exported text, each passage's place in it recorded (see the module)."""
    groups: dict[str, SourceText] = {}
    blocks: dict[str, dict[str, list[AnalysisPassage]]] = defaultdict(lambda: defaultdict(list))
    for passage in passages:
        key, name, kind = _group(passage)
        groups.setdefault(key, SourceText(key=key, name=name, kind=kind))
        blocks[key][passage.source_key].append(passage)
    for key, source in groups.items():
        parts: list[str] = []
        length = 0
        for number, source_key in enumerate(sorted(blocks[key], key=_natural)):
            sentences = sorted(blocks[key][source_key], key=lambda p: (p.start, p.position, p.id))
            head = ("\n\n" if number else "") + _header(sentences[0], codes) + "\n"
            parts.append(head)
            length += len(head)
            for index, passage in enumerate(sentences):
                if index:
                    parts.append(" ")
                    length += 1
                text = passage.text.replace("\r\n", "\n").replace("\r", "\n")
                source.spans[passage.id] = (length, length + len(text))
                parts.append(text)
                length += len(text)
        source.text = "".join(parts) + "\n"
    return sorted(groups.values(), key=lambda s: ({"note": 0, "debrief": 1, "survey": 2}[s.kind], _natural(s.key)))


# --- Writing ---------------------------------------------------------------------------------------


def _present_passages(study: Study) -> list[AnalysisPassage]:
    return list(
        db.session.scalars(
            select(AnalysisPassage)
            .where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
            .order_by(AnalysisPassage.id)
        )
    )


def present_count(study: Study) -> int:
    """How many passages an export of the study holds (a large study is exported in the background)."""
    return db.session.scalar(
        select(func.count())
        .select_from(AnalysisPassage)
        .where(AnalysisPassage.study_id == study.id, AnalysisPassage.present.is_(True))
    )


def _when(value) -> str:
    return (value or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


def _variables(root: ET.Element, study: Study) -> dict[str, str]:
    element = ET.SubElement(root, _q("Variables"))
    guids = {}
    for name, kind, description in (
        ("Case type", "Text", "Organisation or participant"),
        ("Region", "Text", "The region of the organisation or participant"),
        ("Council type", "Text", "The type of council"),
        ("Supports schools", "Boolean", "Whether the council's ICT service supports schools"),
    ):
        guids[name] = _guid(study, "variable", name)
        variable = ET.SubElement(element, _q("Variable"), {"guid": guids[name], "name": name, "typeOfVariable": kind})
        ET.SubElement(variable, _q("Description")).text = description
    return guids


def _value(case: ET.Element, guid: str, kind: str, value: str) -> None:
    element = ET.SubElement(case, _q("VariableValue"))
    ET.SubElement(element, _q("VariableRef"), {"targetGUID": guid})
    ET.SubElement(element, _q(f"{kind}Value")).text = value


def _most_common(values: list) -> object:
    known = [value for value in values if value is not None]
    return Counter(known).most_common(1)[0][0] if known else None


def _cases(root: ET.Element, study: Study, passages: list[AnalysisPassage], codes: dict[str, str], variables) -> int:
    """Organisations and participants as cases, with their variables and their passages' selections."""
    members: dict[tuple[str, str], list[AnalysisPassage]] = defaultdict(list)
    own: dict[tuple[str, str], list[AnalysisPassage]] = defaultdict(list)  # passages about that case alone
    for passage in passages:
        for key in passage.organisations or []:
            members[("Organisation", codes[key])].append(passage)
            if len(passage.organisations) == 1:
                own[("Organisation", codes[key])].append(passage)
        for pseudonym in passage.pseudonyms or []:
            members[("Participant", pseudonym)].append(passage)
            if len(passage.pseudonyms) == 1:
                own[("Participant", pseudonym)].append(passage)
    if not members:
        return 0
    element = ET.SubElement(root, _q("Cases"))
    for kind, name in sorted(members, key=lambda item: (item[0], _natural(item[1]))):
        case = ET.SubElement(element, _q("Case"), {"guid": _guid(study, "case", kind, name), "name": name})
        sample = own.get((kind, name)) or []
        _value(case, variables["Case type"], "Text", kind)
        region = _most_common([p.region for p in sample])
        if region:
            _value(case, variables["Region"], "Text", REGIONS.get(region, region))
        council = _most_common([p.council_type for p in sample])
        if council:
            _value(case, variables["Council type"], "Text", COUNCIL_TYPES.get(council, council))
        schools = _most_common([p.supports_schools for p in sample])
        if schools is not None:
            _value(case, variables["Supports schools"], "Boolean", "true" if schools else "false")
        for passage in members[(kind, name)]:
            ET.SubElement(case, _q("SelectionRef"), {"targetGUID": _guid(study, "passage", passage.key)})
    return len(members)


def build_project(study: Study, codebook: Codebook, progress: Callable[[int], None] | None = None) -> tuple:
    """(project.qde bytes, {source guid: text}, summary) for the study (see the module)."""
    passages = _present_passages(study)
    codes = organisation_codes(passages)
    sources = lay_out(passages, codes)
    slugs = set(codebook.slugs)
    accepted: dict[int, list[Code]] = defaultdict(list)
    left_out = 0
    for code in db.session.scalars(
        select(Code)
        .join(AnalysisPassage, AnalysisPassage.id == Code.passage_id)
        .where(Code.study_id == study.id, Code.status == "accepted", AnalysisPassage.present.is_(True))
        .order_by(Code.id)
    ):
        if code.theme in slugs:
            accepted[code.passage_id].append(code)
        else:
            left_out += 1
    coder_ids = sorted({code.coder_id for items in accepted.values() for code in items if code.coder_id})
    coders = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(coder_ids)))}

    ET.register_namespace("", NAMESPACE)
    root = ET.Element(_q("Project"), {"name": study.title, "origin": ORIGIN, "creationDateTime": _when(None)})
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)
    if coders:
        users = ET.SubElement(root, _q("Users"))
        for user_id in coder_ids:
            ET.SubElement(users, _q("User"), {"guid": user_guid(user_id), "name": coders[user_id].name})
    add_codes(ET.SubElement(root, _q("CodeBook")), codebook, NAMESPACE)
    variables = _variables(root, study)
    cases = _cases(root, study, passages, codes, variables)
    by_id = {passage.id: passage for passage in passages}
    texts: dict[str, str] = {}
    codings = 0
    if sources:
        element = ET.SubElement(root, _q("Sources"))
        for number, source in enumerate(sources, start=1):
            guid = _guid(study, "source", source.key)
            texts[guid] = source.text
            node = ET.SubElement(
                element,
                _q("TextSource"),
                {"guid": guid, "name": source.name, "plainTextPath": f"internal://{guid}.txt"},
            )
            for passage_id, (start, end) in source.spans.items():
                passage = by_id[passage_id]
                selection = ET.SubElement(
                    node,
                    _q("PlainTextSelection"),
                    {
                        "guid": _guid(study, "passage", passage.key),
                        "name": passage.text[:60],
                        "startPosition": str(start),
                        "endPosition": str(end),
                    },
                )
                for code in accepted.get(passage_id, []):
                    attributes = {"guid": _guid(study, "code", code.id), "creationDateTime": _when(code.decided_at)}
                    if code.coder_id in coders:
                        attributes["creatingUser"] = user_guid(code.coder_id)
                    coding = ET.SubElement(selection, _q("Coding"), attributes)
                    ET.SubElement(coding, _q("CodeRef"), {"targetGUID": code_guid(code.theme)})
                    codings += 1
            if progress:
                progress(number)
        sets = ET.SubElement(root, _q("Sets"))
        for kind, name in (("note", "Session notes"), ("debrief", "Session debriefs"), ("survey", "Survey answers")):
            members = [s for s in sources if s.kind == kind]
            if members:
                node = ET.SubElement(sets, _q("Set"), {"guid": _guid(study, "set", kind), "name": name})
                for source in members:
                    ET.SubElement(node, _q("MemberSource"), {"targetGUID": _guid(study, "source", source.key)})
    ET.SubElement(root, _q("Description")).text = (
        f"Exported from the {ORIGIN}: the study '{study.title}', its codebook and its accepted codes. "
        "Organisations appear only as anonymous codes and participants by pseudonym."
    )
    summary = {
        "sources": len(sources),
        "passages": len(passages),
        "codings": codings,
        "coders": len(coders),
        "cases": cases,
        "left_out": left_out,
    }
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), texts, summary


def write_qdpx(study: Study, path: str | Path | IO[bytes], codebook: Codebook | None = None, progress=None) -> dict:
    """Write the study as a `.qdpx` to `path` (a file name or a binary stream), checked by parsing it back
    (every selection's offsets against its source text); returns a summary of what it holds."""
    if codebook is None:
        from app.analysis.services import codebook_of, current_version

        codebook = codebook_of(current_version(study))
    project, texts, summary = build_project(study, codebook, progress)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PROJECT_FILE, project)
        for guid, text in texts.items():
            archive.writestr(f"{SOURCES_FOLDER}/{guid}.txt", text.encode("utf-8"))
    data = buffer.getvalue()
    check = parse_qdpx(data)
    if check.problems or len(check.selections) != summary["passages"]:
        raise ValueError(f"the REFI-QDA export does not read back: {check.problems[:3]}")
    if hasattr(path, "write"):
        path.write(data)
    else:
        Path(path).write_bytes(data)
    return summary


# --- Reading ---------------------------------------------------------------------------------------


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


def read_qdpx(study: Study, data: bytes | str | Path, user, *, dry_run: bool = False) -> ImportReport:
    """Add the accepted codes of a `.qdpx` file to the study's passages (see the module); with dry_run, only
    say what it would add. QdpxError when the file is not a usable project (nothing is written)."""
    from app.analysis.services import codebook_of, current_version, saved_version

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
    passages = _present_passages(study)
    layout = {_guid(study, "source", s.key): s for s in lay_out(passages, organisation_codes(passages))}
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
            f"{getattr(user, 'name', 'the importing analyst')}, who imports the file."
        )
    _apply(study, wanted, codebook, report, user, saved_version, dry_run)
    return report


def _apply(study: Study, wanted: dict, codebook: Codebook, report: ImportReport, user, saved_version, dry_run) -> None:
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
        report.by_coder[coder.name] += 1
        report.by_theme[names[slug]] += 1
        (accept if code_id else new).append((code_id or passage_id, slug, coder))
    report.added, report.accepted_suggestions = len(new), len(accept)
    if dry_run:
        return
    version = saved_version(study).number
    now = utcnow()
    with write_transaction():
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
                    coder_id=coder.id,
                    decided_at=now,
                )
            )
        for code_id, _slug, coder in accept:
            code = db.session.get(Code, code_id)
            code.status, code.coder_id, code.decided_at, code.needs_review = "accepted", coder.id, now, False
        record(
            "analysis.qdpx_imported",
            study,
            actor=user,
            added=report.added,
            accepted_suggestions=report.accepted_suggestions,
            duplicates=report.duplicates,
            problems=len(report.problems) + report.more_problems,
        )
    report.written = True
