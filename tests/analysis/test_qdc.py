"""REFI-QDA codebook files: exported, read back whole, and anything else refused with clear words."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring

from app.analysis.codebook import Codebook, CodebookError, Pattern, Theme, default_codebook
from app.analysis.qdc import NAMESPACE, codebook_from_qdc, codebook_to_qdc

NS = {"q": NAMESPACE}


def test_the_default_codebook_round_trips_through_a_qdc_file():
    codebook = default_codebook()
    data = codebook_to_qdc(codebook)
    assert data.startswith(b"<?xml")
    assert codebook_from_qdc(data) == codebook


def test_the_file_is_a_refi_qda_codebook_with_names_descriptions_and_guids():
    root = fromstring(codebook_to_qdc(default_codebook()))
    assert root.tag == f"{{{NAMESPACE}}}CodeBook"
    codes = root.findall("q:Codes/q:Code", NS)
    assert [c.get("name") for c in codes][:2] == ["User definitions", "User categories and proportions"]
    for code in codes:
        assert code.get("isCodable") == "true"
        assert len(code.get("guid")) == 36
        assert code.find("q:Description", NS).text.startswith(code.find("q:Description", NS).text.split("\n")[0])
    description = codes[2].find("q:Description", NS).text
    assert description.startswith("Concerns ICT services delivered to schools")
    assert "Slug: pupils-and-schools" in description
    assert "Pattern: phrase (window 0, weight 1.0): multi academy trust" in description


def test_hierarchy_and_criteria_are_kept():
    parent = Theme("schools", "Schools", "Anything about schools.", "Academies too.", "Not colleges.", (), ())
    child = Theme(
        "academies",
        "Academies",
        "Academies and trusts.\nA second line.",
        "Trusts",
        "",
        ("An academy left the SLA.",),
        (Pattern("near", "academy|trust sla", 3, 0.5),),
        parent="schools",
    )
    codebook = Codebook((parent, child))
    data = codebook_to_qdc(codebook)
    root = fromstring(data)
    nested = root.find("q:Codes/q:Code/q:Code", NS)
    assert nested.get("name") == "Academies"
    assert codebook_from_qdc(data) == codebook


def test_a_codebook_from_another_tool_gets_slugs_from_its_names():
    data = f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{NAMESPACE}" origin="NVivo">
  <Codes>
    <Code guid="d7ad6a4e-2d1c-4b7f-9b0f-0c7a3e2e9f01" name="Schools &amp; pupils" isCodable="true">
      <Description>Anything about schools.</Description>
      <Code guid="d7ad6a4e-2d1c-4b7f-9b0f-0c7a3e2e9f02" name="Schools &amp; pupils" isCodable="true"/>
    </Code>
    <Code guid="d7ad6a4e-2d1c-4b7f-9b0f-0c7a3e2e9f03" name="Cost" isCodable="false"/>
  </Codes>
</CodeBook>""".encode()
    codebook = codebook_from_qdc(data)
    assert codebook.slugs == ("schools-pupils", "schools-pupils-2", "cost")
    assert codebook.theme("schools-pupils").definition == "Anything about schools."
    assert codebook.theme("schools-pupils-2").parent == "schools-pupils"
    assert codebook.theme("cost").patterns == ()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"name,slug\nSchools,schools\n", "not well-formed XML"),
        (b"<project><Codes/></project>", "root element is <project>"),
        (f'<CodeBook xmlns="{NAMESPACE}"><Codes/></CodeBook>'.encode(), "has no codes"),
        (
            b'<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY x "boom">]><CodeBook><Codes/></CodeBook>',
            "refused for safety",
        ),
        (f'<CodeBook xmlns="{NAMESPACE}"><Codes><Code guid="x"/></Codes></CodeBook>'.encode(), "has no name"),
        (
            f'<CodeBook xmlns="{NAMESPACE}"><Codes><Code name="A"><Description>About A.\n\nSlug: a\n'
            f"Pattern: word (window 0, weight 1): the</Description></Code></Codes></CodeBook>".encode(),
            "would match almost anything",
        ),
        (
            f'<CodeBook xmlns="{NAMESPACE}"><Codes><Code name="A"><Description>About A.\n\nSlug: a\n'
            f"Pattern: nonsense</Description></Code></Codes></CodeBook>".encode(),
            "cannot be read",
        ),
    ],
)
def test_files_that_are_not_usable_refi_qda_codebooks_are_refused(data, fragment):
    with pytest.raises(CodebookError) as caught:
        codebook_from_qdc(data)
    assert any(fragment in message for message in caught.value.messages), caught.value.messages


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(CodebookError, match="larger than"):
        codebook_from_qdc(b"<CodeBook>" + b" " * 3_000_000 + b"</CodeBook>")
