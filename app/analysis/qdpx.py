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

Reading a file back is `app.analysis.qdpx_import.read_qdpx`.
"""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - only for writing; parsing goes through defusedxml
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import func, select

from app.analysis.codebook import Codebook
from app.analysis.models import AnalysisPassage, Code
from app.analysis.qdc import ORIGIN, add_codes, code_guid
from app.analysis.queries import natural_order, study_organisation_codes
from app.audit.services import record
from app.auth.models import User
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


def guid_for(study: Study, *parts: object) -> str:
    """A deterministic GUID for one thing of the study's project (a source, selection, case ...)."""
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
        for number, source_key in enumerate(sorted(blocks[key], key=natural_order)):
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
    return sorted(groups.values(), key=lambda s: ({"note": 0, "debrief": 1, "survey": 2}[s.kind], natural_order(s.key)))


# --- Writing ---------------------------------------------------------------------------------------


def present_passages(study: Study) -> list[AnalysisPassage]:
    """The passages still in their sources, in a stable order."""
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
        guids[name] = guid_for(study, "variable", name)
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
    for kind, name in sorted(members, key=lambda item: (item[0], natural_order(item[1]))):
        case = ET.SubElement(element, _q("Case"), {"guid": guid_for(study, "case", kind, name), "name": name})
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
            ET.SubElement(case, _q("SelectionRef"), {"targetGUID": guid_for(study, "passage", passage.key)})
    return len(members)


def build_project(study: Study, codebook: Codebook, progress: Callable[[int], None] | None = None) -> tuple:
    """(project.qde bytes, {source guid: text}, summary) for the study (see the module)."""
    passages = present_passages(study)
    codes = study_organisation_codes(study.id)
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
    codings = written = 0
    if sources:
        element = ET.SubElement(root, _q("Sources"))
        for source in sources:
            guid = guid_for(study, "source", source.key)
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
                        "guid": guid_for(study, "passage", passage.key),
                        "name": passage.text[:60],
                        "startPosition": str(start),
                        "endPosition": str(end),
                    },
                )
                for code in accepted.get(passage_id, []):
                    attributes = {"guid": guid_for(study, "code", code.id), "creationDateTime": _when(code.decided_at)}
                    if code.coder_id in coders:
                        attributes["creatingUser"] = user_guid(code.coder_id)
                    coding = ET.SubElement(selection, _q("Coding"), attributes)
                    ET.SubElement(coding, _q("CodeRef"), {"targetGUID": code_guid(code.theme)})
                    codings += 1
            written += len(source.spans)
            if progress:
                progress(written)
        sets = ET.SubElement(root, _q("Sets"))
        for kind, name in (("note", "Session notes"), ("debrief", "Session debriefs"), ("survey", "Survey answers")):
            members = [s for s in sources if s.kind == kind]
            if members:
                node = ET.SubElement(sets, _q("Set"), {"guid": guid_for(study, "set", kind), "name": name})
                for source in members:
                    ET.SubElement(node, _q("MemberSource"), {"targetGUID": guid_for(study, "source", source.key)})
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
    from app.analysis.qdpx_import import parse_qdpx

    check = parse_qdpx(data)
    if check.problems or len(check.selections) != summary["passages"]:
        raise ValueError(f"the REFI-QDA export does not read back: {check.problems[:3]}")
    if hasattr(path, "write"):
        path.write(data)
    else:
        Path(path).write_bytes(data)
    return summary


def record_export(study: Study, summary: dict, by=None, via: str = "web") -> None:
    """Log that the study was exported as a REFI-QDA project (what it held, not its contents)."""
    with write_transaction():
        record("analysis.qdpx_exported", study, actor=by, via=via, **summary)


def export_file_name(study: Study) -> str:
    """The download's file name: the study's short name."""
    from app.analysis.studies import study_slug

    return f"{study_slug(study)[:80]}.qdpx"


def export_job(progress: Callable[..., None], study_id: int, user_id: int | None) -> dict:
    """The background job behind a large study's export: write the file, then log the export."""
    from app.jobs.runner import job_file_path

    study = db.session.get(Study, study_id)
    name = export_file_name(study)
    path = job_file_path(name)
    summary = write_qdpx(study, path, progress=lambda done: progress(done, "passages written"))
    record_export(study, summary, by=db.session.get(User, user_id) if user_id else None)
    return {"file": path.name, "download_name": name, **summary}
