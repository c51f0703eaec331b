"""The codebook as a REFI-QDA codebook file (`.qdc`, urn:QDA-XML:codebook:1.0), for NVivo, ATLAS.ti, MAXQDA,
QualCoder and the other tools that read the exchange standard.

Each theme is a `<Code>` (a child theme nested inside its parent's), its `<Description>` holding the
definition as readable text followed by the rest of the theme in labelled lines, so another tool shows
it all and this one reads it back whole:

    Slug: pupils-and-schools
    Include: ...
    Exclude: ...
    Example: ...
    Pattern: phrase (window 0, weight 1): traded service

Criteria and examples are kept on one line each (white space inside them collapsed) and weights to four
decimal places. A codebook made in another tool has no such lines: each code becomes a theme whose slug is made from its
name, whose definition is the description, with no patterns (an analyst adds them here). Files are
parsed with defusedxml (no DTDs, no entities); anything that is not a REFI-QDA codebook is refused with
a CodebookError. An export is parsed back before it is returned, so a file that would not round-trip is
never handed out.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - only for writing; parsing goes through defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.analysis.codebook import Codebook, CodebookError, Pattern, Theme, check_codebook

NAMESPACE = "urn:QDA-XML:codebook:1.0"
SCHEMA_LOCATION = "urn:QDA-XML:codebook:1.0 http://schema.qdasoftware.org/versions/Codebook/v1.0/Codebook.xsd"
ORIGIN = "Socitm research platform"
MAX_BYTES = 2_000_000
_GUIDS = uuid.UUID("6f1c5a38-2b7e-4d3c-9a51-1f0d7c2e8b44")
_SLUG_LINE = re.compile(r"^Slug: ([a-z0-9]+(?:-[a-z0-9]+)*)$", re.MULTILINE)
_FIELD = re.compile(r"^(Include|Exclude|Example|Pattern): ?(.*)$")
_PATTERN = re.compile(r"^(\w+) \(window (\d+), weight ([0-9]+(?:\.[0-9]+)?)\): (.+)$")


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _hierarchy_order(codebook: Codebook) -> list[Theme]:
    """Themes depth first: each parent followed by its children, in codebook order."""
    children: dict[str | None, list[Theme]] = {}
    for theme in codebook.themes:
        children.setdefault(theme.parent, []).append(theme)
    ordered: list[Theme] = []

    def visit(parent: str | None) -> None:
        for theme in children.get(parent, []):
            ordered.append(theme)
            visit(theme.slug)

    visit(None)
    return ordered


def _flat(text: str) -> str:
    return " ".join(text.split())


def _as_exported(theme: Theme) -> Theme:
    """The theme as a .qdc keeps it: criteria and examples on one line each, weights to 4 decimal places."""
    return Theme(
        slug=theme.slug,
        name=theme.name.strip(),
        definition=theme.definition.strip(),
        include=_flat(theme.include),
        exclude=_flat(theme.exclude),
        examples=tuple(_flat(example) for example in theme.examples),
        patterns=tuple(Pattern(p.kind, p.value.strip(), p.window, round(float(p.weight), 4)) for p in theme.patterns),
        parent=theme.parent,
    )


def _description(theme: Theme) -> str:
    lines = [theme.definition, "", f"Slug: {theme.slug}"]
    if theme.include:
        lines.append(f"Include: {theme.include}")
    if theme.exclude:
        lines.append(f"Exclude: {theme.exclude}")
    lines.extend(f"Example: {example}" for example in theme.examples)
    lines.extend(f"Pattern: {p.kind} (window {p.window}, weight {p.weight!r}): {p.value}" for p in theme.patterns)
    return "\n".join(lines)


def code_guid(slug: str) -> str:
    """The GUID a theme's code has in every REFI-QDA file this platform writes (.qdc and .qdpx alike)."""
    return str(uuid.uuid5(_GUIDS, slug))


def slug_in_description(text: str) -> str | None:
    """The theme slug a code's description names when this platform wrote it ("Slug: ..." line), else None."""
    markers = list(_SLUG_LINE.finditer(text or ""))
    return markers[-1].group(1) if markers else None


def add_codes(parent: ET.Element, codebook: Codebook, namespace: str) -> list[Theme]:
    """Append `<Codes>` for the codebook to `parent`, in `namespace` (the codebook's or a project's);
    returns the themes as exported, depth first."""
    codes = ET.SubElement(parent, f"{{{namespace}}}Codes")
    elements: dict[str, ET.Element] = {}
    ordered = [_as_exported(theme) for theme in _hierarchy_order(codebook)]
    for theme in ordered:
        element = ET.SubElement(
            elements[theme.parent] if theme.parent else codes,
            f"{{{namespace}}}Code",
            {"guid": code_guid(theme.slug), "name": theme.name, "isCodable": "true"},
        )
        ET.SubElement(element, f"{{{namespace}}}Description").text = _description(theme)
        elements[theme.slug] = element
    return ordered


def codebook_to_qdc(codebook: Codebook) -> bytes:
    """The codebook as a REFI-QDA `.qdc` file (UTF-8 XML), checked by parsing it back."""
    check_codebook(codebook)
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(_q("CodeBook"), {"origin": ORIGIN})
    root.set("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", SCHEMA_LOCATION)
    ordered = add_codes(root, codebook, NAMESPACE)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    if codebook_from_qdc(data) != Codebook(themes=tuple(ordered)):
        raise ValueError("the REFI-QDA export does not read back as the same codebook")
    return data


def _slug_from_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50].strip("-") or "theme"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _parse_description(text: str, name: str, problems: list[str]) -> dict:
    """Definition and, when written by this platform, the slug, criteria, examples and patterns."""
    markers = list(_SLUG_LINE.finditer(text))
    marker = markers[-1] if markers else None
    if marker is None:
        return {"definition": text.strip()}
    found = {"definition": text[: marker.start()].strip(), "slug": marker.group(1), "examples": [], "patterns": []}
    include, exclude = [], []
    current: list[str] | None = None
    for line in text[marker.end() :].splitlines():
        field = _FIELD.match(line)
        if field is None:
            if current is not None and line.strip():
                current[-1] += " " + line.strip()
            continue
        label, value = field.groups()
        if label == "Pattern":
            pattern = _PATTERN.match(value)
            if pattern is None:
                problems.append(f"Code '{name}': the pattern line '{value[:80]}' cannot be read.")
                current = None
                continue
            kind, window, weight, pattern_value = pattern.groups()
            found["patterns"].append(Pattern(kind, pattern_value, int(window), float(weight)))
            current = None
            continue
        current = {"Include": include, "Exclude": exclude, "Example": found["examples"]}[label]
        current.append(value)
    found["include"] = "\n".join(include)
    found["exclude"] = "\n".join(exclude)
    return found


def codebook_from_qdc(data: bytes) -> Codebook:
    """A codebook from a REFI-QDA `.qdc` file; CodebookError with the reasons if it is not one or not usable."""
    if not isinstance(data, bytes | bytearray) or not data.strip():
        raise CodebookError(["The file is empty: choose a REFI-QDA codebook (.qdc) file."])
    if len(data) > MAX_BYTES:
        raise CodebookError([f"The file is larger than {MAX_BYTES // 1_000_000} MB: a codebook is much smaller."])
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise CodebookError(["The file declares a document type or entities, which are refused for safety."]) from None
    except ET.ParseError as error:
        raise CodebookError([f"The file is not a REFI-QDA codebook: it is not well-formed XML ({error})."]) from None
    if root.tag not in (_q("CodeBook"), "CodeBook"):
        local = root.tag.rsplit("}", 1)[-1]
        raise CodebookError([f"The file is not a REFI-QDA codebook: its root element is <{local}>, not <CodeBook>."])
    ns = "" if root.tag == "CodeBook" else f"{{{NAMESPACE}}}"
    codes = root.find(f"{ns}Codes")
    if codes is None or codes.find(f"{ns}Code") is None:
        raise CodebookError(["The REFI-QDA codebook has no codes."])
    problems: list[str] = []
    themes: list[Theme] = []
    taken: set[str] = set()

    def read(element, parent: str | None) -> None:
        name = (element.get("name") or "").strip()
        if not name:
            problems.append("A code has no name: every REFI-QDA code needs one.")
            return
        description = element.find(f"{ns}Description")
        found = _parse_description(description.text or "" if description is not None else "", name, problems)
        slug = found.get("slug") or _slug_from_name(name, taken)
        taken.add(slug)
        themes.append(
            Theme(
                slug=slug,
                name=name,
                definition=found["definition"],
                include=found.get("include", ""),
                exclude=found.get("exclude", ""),
                examples=tuple(found.get("examples", ())),
                patterns=tuple(found.get("patterns", ())),
                parent=parent,
            )
        )
        for child in element.findall(f"{ns}Code"):
            read(child, slug)

    for element in codes.findall(f"{ns}Code"):
        read(element, None)
    if problems:
        raise CodebookError(problems)
    return check_codebook(Codebook(themes=tuple(themes)))
