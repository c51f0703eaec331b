"""The codebook pages through the test client: who may read and edit, previews, saving, adding and
removing themes, imports good and bad, exports that parse back, and bad input that never gives a 500."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.analysis.codebook import Pattern, codebook_from_dict, codebook_to_dict, default_codebook
from app.analysis.codebook_editing import format_patterns
from app.analysis.models import AnalysisPassage, Code, CodebookVersion
from app.analysis.qdc import codebook_from_qdc, codebook_to_qdc
from app.analysis.services import codebook_of, current_version
from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.studies.services import create_study

THEME = "pupils-and-schools"


@pytest.fixture
def study(app):
    """A study with passages read from its notes."""
    study = create_study("Who are our users?")
    db.session.commit()
    return study


def add_passages(study, texts: list[str]) -> list[AnalysisPassage]:
    """Passages as the analysis keeps them after reading a study's notes."""
    passages = []
    for number, text in enumerate(texts):
        passage = AnalysisPassage(
            study_id=study.id,
            key=f"{study.id}-{number}",
            source_kind="note",
            source_key=f"note:{number}",
            position=0,
            source_ref={"note": number},
            text=text,
            start=0,
            end=len(text),
            section="guide-1",
        )
        db.session.add(passage)
        passages.append(passage)
    db.session.commit()
    return passages


def versions(study) -> list[int]:
    return list(
        db.session.scalars(
            select(CodebookVersion.number).where(CodebookVersion.study_id == study.id).order_by(CodebookVersion.number)
        )
    )


def theme_form(study, slug: str = THEME, **changes) -> dict:
    """The edit form as the page fills it for the current version, with `changes`."""
    version = current_version(study)
    theme = codebook_of(version).theme(slug)
    data = {
        "name": theme.name,
        "parent": theme.parent or "",
        "definition": theme.definition,
        "include": theme.include,
        "exclude": theme.exclude,
        "examples": "\n".join(theme.examples),
        "patterns": format_patterns(theme.patterns),
        "note": "",
        "base_version": str(version.number),
        "action": "save",
    }
    data.update(changes)
    return data


def page_text(response) -> str:
    return response.get_data(as_text=True)


# Who may do what


def test_an_analyst_reads_the_codebook_but_cannot_change_it(client, signed_in, study):
    add_passages(study, ["Pupils bring their own devices."])
    signed_in("analyst")
    response = client.get(f"/analysis/{study.id}/codebook")
    html = page_text(response)
    assert response.status_code == 200
    assert "Version</dt>" in html and "The default codebook" in html
    for theme in default_codebook().themes:
        assert theme.name in html and f"<code>{theme.slug}</code>" in html
    assert "stem: " in html and "phrase: " in html  # indicator patterns shown
    assert "Export as REFI-QDA (.qdc)" in html
    assert "Add a theme" not in html and f"/codebook/themes/{THEME}" not in html
    assert "1 passage was not tagged with version 1." in html  # any analyst may re-tag
    for method, path in [
        ("GET", f"/codebook/themes/{THEME}"),
        ("POST", f"/codebook/themes/{THEME}"),
        ("GET", "/codebook/new-theme"),
        ("POST", "/codebook/new-theme"),
        ("GET", f"/codebook/themes/{THEME}/remove"),
        ("POST", f"/codebook/themes/{THEME}/remove"),
        ("GET", "/codebook/import"),
        ("POST", "/codebook/import"),
        ("POST", "/codebook/import/confirm"),
    ]:
        assert client.open(f"/analysis/{study.id}{path}", method=method).status_code == 403, path
    assert versions(study) == []  # nothing saved


def test_a_lead_analyst_sees_the_editing_links(client, signed_in, study):
    signed_in("lead_analyst")
    html = page_text(client.get(f"/analysis/{study.id}/codebook"))
    assert "Add a theme" in html and "Import a codebook" in html
    assert f'href="/analysis/{study.id}/codebook/themes/{THEME}"' in html
    edit = page_text(client.get(f"/analysis/{study.id}/codebook/themes/{THEME}"))
    assert "Edit the theme Pupils and schools" in edit
    assert "How to write patterns" in edit and "near: pupils devices 5" in edit
    saved = codebook_of(current_version(study)).theme(THEME)
    assert "stem: " in edit and len(saved.patterns) > 10
    assert 'name="base_version" value="1"' in edit


def test_one_studys_codebook_pages_never_show_anothers(client, signed_in, study):
    other = create_study("Another study")
    db.session.commit()
    signed_in("lead_analyst")
    form = theme_form(study, name="Pupils, schools and academies", note="Only in the first study")
    assert client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form).status_code == 302
    assert versions(study) == [1, 2]
    other_page = page_text(client.get(f"/analysis/{other.id}/codebook"))
    assert "Pupils, schools and academies" not in other_page and "Only in the first study" not in other_page
    assert client.get(f"/analysis/{other.id}/codebook/versions/2").status_code == 404
    assert client.get(f"/analysis/{other.id}/codebook/versions/2/codebook.json").status_code == 404
    exported = json.loads(client.get(f"/analysis/{other.id}/codebook/versions/1/codebook.json").data)
    assert codebook_from_dict(exported) == default_codebook()
    assert client.get("/analysis/999999/codebook").status_code == 404
    assert versions(other) == []


# Preview


def test_the_preview_shows_what_a_change_would_match_before_anything_is_saved(client, signed_in, study):
    add_passages(
        study,
        [
            "Every pupil in the borough gets a Chromebook from us.",
            "The <b>caretaker</b> books the ceilidh band for the staff party.",
            "Our service desk answers within four hours.",
        ],
    )
    signed_in("lead_analyst")
    form = theme_form(study, action="preview")
    form["patterns"] += "\nword: ceilidh"
    response = client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form)
    html = page_text(response)
    assert response.status_code == 200
    assert "Preview: what your changes would suggest" in html
    assert re.search(r'id="preview-newly">\s*1 passage<', html)
    assert '<mark class="app-evidence">ceilidh</mark>' in html
    assert "The &lt;b&gt;caretaker&lt;/b&gt;" in html  # passage text escaped around the marks
    assert "word: ceilidh" in html  # the input is kept
    assert versions(study) == []  # nothing saved


def test_the_preview_lists_passages_no_longer_matched(client, signed_in, study):
    add_passages(study, ["The academies buy our traded service.", "Nothing to see here."])
    signed_in("lead_analyst")
    form = theme_form(study, action="preview", patterns="word: zebra")
    html = page_text(client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form))
    assert re.search(r'id="preview-no-longer">\s*1 passage<', html)
    assert '<mark class="app-evidence">' in html and "academies" in html


def test_the_preview_says_so_when_the_study_has_no_passages(client, signed_in, study):
    signed_in("lead_analyst")
    form = theme_form(study, action="preview")
    html = page_text(client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form))
    assert "This study has no passages yet" in html


# Saving


def test_saving_a_theme_makes_a_new_version_with_its_note_and_an_audit_event(client, signed_in, study):
    lead = signed_in("lead_analyst")
    form = theme_form(study, note="Chromebooks are devices for pupils")
    form["patterns"] += "\nword: Chromebook\nnear: pupils laptops 4; weight 0.6"
    response = client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/analysis/{study.id}/codebook?saved=2"
    assert versions(study) == [1, 2]
    saved = codebook_of(current_version(study)).theme(THEME)
    assert Pattern("word", "Chromebook") in saved.patterns
    assert Pattern("near", "pupils laptops", 4, 0.6) in saved.patterns
    version = current_version(study)
    assert (version.note, version.created_by_id) == ("Chromebooks are devices for pupils", lead.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "analysis.codebook_saved"))
    assert event.actor_id == lead.id and event.detail["version"] == 2
    page = page_text(client.get(response.headers["Location"]))
    assert "Version 2 of the codebook is saved." in page
    assert f'href="/analysis/{study.id}/codebook/versions/1"' in page
    old = page_text(client.get(f"/analysis/{study.id}/codebook/versions/1"))
    assert "This is an earlier version, shown read-only" in old and "word: Chromebook" not in old
    assert f"/codebook/themes/{THEME}" not in old  # no editing from an old version


def test_saving_offers_to_retag_the_study_with_the_new_version(app, client, signed_in, study):
    if "analysis.tag_study" not in app.view_functions:
        pytest.skip("the study's re-tag route (analysis.tag_study) lands with app/analysis/routes.py")
    add_passages(study, ["Pupils bring their own devices."])
    signed_in("lead_analyst")
    response = client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=theme_form(study, name="Schools"))
    html = page_text(client.get(response.headers["Location"]))
    assert f'action="/analysis/{study.id}/tag"' in html
    assert "Re-tag the study with version 2" in html


def test_saving_an_unchanged_theme_saves_nothing(client, signed_in, study):
    signed_in("lead_analyst")
    response = client.post(
        f"/analysis/{study.id}/codebook/themes/{THEME}", data=theme_form(study), follow_redirects=True
    )
    assert "Nothing was changed, so no new version was saved." in page_text(response)
    assert versions(study) == []  # nothing saved


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("word:", "needs some text to look for"),
        ("word: " + "x" * 250, "at most 200 characters"),
        ("word: the", "would match almost anything"),
        ("stem: it", "would match almost anything"),
        ("colour: blue", "is not a kind of pattern"),
        ("near: pupils devices", "needs how many words apart"),
        ("just some words", "needs a kind and a colon"),
    ],
)
def test_a_bad_pattern_is_shown_on_its_field_with_the_input_kept(client, signed_in, study, line, words):
    signed_in("lead_analyst")
    form = theme_form(study, patterns=f"word: pupils\n{line}")
    for action in ("save", "preview"):
        form["action"] = action
        response = client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form)
        html = page_text(response)
        assert response.status_code == 200
        assert "There is a problem" in html and 'href="#patterns"' in html
        assert "govuk-textarea--error" in html
        assert "Line 2: " in html and words in html
        assert line.split(":")[0] in html
    assert versions(study) == []  # nothing saved


def test_every_bad_line_is_listed(client, signed_in, study):
    signed_in("lead_analyst")
    form = theme_form(study, patterns="word: the\nword: pupils\ncolour: blue\nword:")
    html = page_text(client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=form))
    assert "3 lines have problems" in html
    assert "Line 1: " in html and "Line 3: " in html and "Line 4: " in html


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "Enter the theme&#39;s name"),
        ({"name": "User definitions"}, "name", "Another theme already has this name"),
        ({"name": "x" * 121}, "name", "120 characters or fewer"),
        ({"parent": "no-such-theme"}, "parent", "Choose a parent theme from the list"),
        ({"parent": THEME}, "parent", "Choose a parent theme from the list"),  # itself
        ({"definition": "x" * 4001}, "definition", "4000 characters or fewer"),
        ({"examples": "\n".join(f"Example {n}" for n in range(31))}, "examples", "at most 30 example passages"),
        ({"note": "x" * 501}, "note", "500 characters or fewer"),
    ],
)
def test_bad_fields_are_marked_and_kept(client, signed_in, study, changes, field, words):
    signed_in("lead_analyst")
    response = client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=theme_form(study, **changes))
    html = page_text(response)
    assert response.status_code == 200
    assert f'href="#{field}"' in html and words in html
    assert versions(study) == []  # nothing saved


def test_a_sub_theme_can_be_made_and_its_parent_cannot_go_under_it(client, signed_in, study):
    signed_in("lead_analyst")
    form = theme_form(study, "service-quality-differences", parent=THEME)
    assert (
        client.post(f"/analysis/{study.id}/codebook/themes/service-quality-differences", data=form).status_code == 302
    )
    assert codebook_of(current_version(study)).theme("service-quality-differences").parent == THEME
    html = page_text(client.get(f"/analysis/{study.id}/codebook"))
    assert "Part of</dt>" in html
    loop = theme_form(study, parent="service-quality-differences")
    html = page_text(client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=loop))
    assert "Choose a parent theme from the list" in html
    assert versions(study) == [1, 2]


def test_a_save_after_someone_else_changed_the_same_theme_is_stopped(client, signed_in, study):
    signed_in("lead_analyst")
    stale = theme_form(study, definition="My definition")
    first = theme_form(study, definition="Their definition")
    assert client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=first).status_code == 302
    html = page_text(client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=stale))
    assert "Someone saved version 2 of the codebook while you were editing" in html
    assert "My definition" in html and 'name="base_version" value="2"' in html
    assert versions(study) == [1, 2]
    stale["base_version"] = "2"  # having looked, they save again
    assert client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=stale).status_code == 302
    assert codebook_of(current_version(study)).theme(THEME).definition == "My definition"


def test_a_save_after_someone_changed_another_theme_keeps_both(client, signed_in, study):
    signed_in("lead_analyst")
    mine = theme_form(study, definition="Mine")
    theirs = theme_form(study, "user-definitions", definition="Theirs")
    assert client.post(f"/analysis/{study.id}/codebook/themes/user-definitions", data=theirs).status_code == 302
    assert client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=mine).status_code == 302
    codebook = codebook_of(current_version(study))
    assert (codebook.theme(THEME).definition, codebook.theme("user-definitions").definition) == ("Mine", "Theirs")


@pytest.mark.parametrize("base", ["", "abc", "-1", "99", "1" * 40, "1.5"])
def test_a_tampered_base_version_is_a_conflict_never_an_error(client, signed_in, study, base):
    signed_in("lead_analyst")
    theme_form(study)
    client.post(
        f"/analysis/{study.id}/codebook/themes/user-definitions",
        data=theme_form(study, "user-definitions", definition="x"),
    )
    response = client.post(
        f"/analysis/{study.id}/codebook/themes/{THEME}", data=theme_form(study, definition="y", base_version=base)
    )
    assert response.status_code == 200
    assert "Someone saved version 2" in page_text(response)


def test_unknown_themes_and_versions_are_not_found(client, signed_in, study):
    signed_in("lead_analyst")
    for path in [
        "/codebook/themes/no-such-theme",
        "/codebook/themes/no-such-theme/remove",
        "/codebook/versions/99",
        "/codebook/versions/99/codebook.qdc",
        "/codebook/versions/1/codebook.csv",
        "/codebook/themes/" + "x" * 300,
    ]:
        assert client.get(f"/analysis/{study.id}{path}").status_code == 404, path
    assert client.post(f"/analysis/{study.id}/codebook/themes/no-such-theme", data=theme_form(study)).status_code == 404


def test_huge_patterns_are_refused_with_a_message_not_an_error(client, signed_in, study):
    signed_in("lead_analyst")
    url = f"/analysis/{study.id}/codebook/themes/{THEME}"
    html = page_text(client.post(url, data=theme_form(study, patterns="word: pupils\n" * 60_000)))
    assert "The patterns must be 300000 characters or fewer" in html
    html = page_text(client.post(url, data=theme_form(study, patterns="word: pupils\n" * 2_000)))
    assert "at most 1,000 patterns; there are 2,000 lines" in html
    assert client.post(url, data=theme_form(study, patterns="x" * 11 * 1024 * 1024)).status_code == 413
    assert versions(study) == []  # nothing saved


# Adding and removing themes


def test_adding_a_theme_saves_a_version_and_opens_its_editor(client, signed_in, study):
    signed_in("lead_analyst")
    data = {"slug": "schools-funding", "name": "Schools funding", "parent": THEME, "definition": "Money.", "note": ""}
    response = client.post(f"/analysis/{study.id}/codebook/new-theme", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/analysis/{study.id}/codebook/themes/schools-funding"
    codebook = codebook_of(current_version(study))
    assert codebook.theme("schools-funding").parent == THEME
    assert codebook.slugs.index("schools-funding") == codebook.slugs.index(THEME) + 1
    assert current_version(study).note == "Added the theme 'Schools funding'"
    assert "Schools funding" in page_text(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("slug", "name", "field", "words"),
    [
        ("", "A name", "slug", "Enter a slug"),
        ("Schools Funding", "A name", "slug", "lower-case letters, digits and single hyphens"),
        ("schools--funding", "A name", "slug", "lower-case letters, digits and single hyphens"),
        ("-schools", "A name", "slug", "lower-case letters, digits and single hyphens"),
        (THEME, "A name", "slug", "Another theme already has this slug"),
        ("x" * 61, "A name", "slug", "60 characters or fewer"),
        ("new-theme", "", "name", "Enter the theme&#39;s name"),
        ("new-theme", "pupils AND schools", "name", "Another theme already has this name"),
    ],
)
def test_a_new_theme_needs_a_good_unique_slug_and_name(client, signed_in, study, slug, name, field, words):
    signed_in("lead_analyst")
    data = {"slug": slug, "name": name, "parent": "", "definition": "", "note": ""}
    html = page_text(client.post(f"/analysis/{study.id}/codebook/new-theme", data=data))
    assert f'href="#{field}"' in html and words in html
    assert f'value="{name}"' in html  # input kept
    assert versions(study) == []  # nothing saved


def test_removing_a_theme_says_how_many_codes_use_it_and_keeps_them(client, signed_in, study):
    (passage,) = add_passages(study, ["The academies buy our traded service."])
    db.session.add(
        Code(
            study_id=study.id, passage_id=passage.id, theme=THEME, status="accepted", origin="hand", codebook_version=1
        )
    )
    db.session.commit()
    signed_in("lead_analyst")
    client.post(
        f"/analysis/{study.id}/codebook/new-theme",
        data={"slug": "academies", "name": "Academies", "parent": THEME, "definition": "", "note": ""},
    )
    html = page_text(client.get(f"/analysis/{study.id}/codebook/themes/{THEME}/remove"))
    assert "Remove the theme Pupils and schools?" in html
    assert "1 accepted code uses this theme." in html
    assert "Academies will move up to the top level" in html
    response = client.post(f"/analysis/{study.id}/codebook/themes/{THEME}/remove", data={"base_version": "2"})
    assert response.status_code == 302
    codebook = codebook_of(current_version(study))
    assert THEME not in codebook.slugs and codebook.theme("academies").parent is None
    assert current_version(study).note == "Removed the theme 'Pupils and schools'"
    assert db.session.scalar(select(func.count()).where(Code.theme == THEME, Code.status == "accepted")) == 1
    assert client.get(f"/analysis/{study.id}/codebook/themes/{THEME}").status_code == 404


def test_the_only_theme_cannot_be_removed(client, signed_in, study):
    signed_in("lead_analyst")
    document = {"themes": [{"slug": "only", "name": "The only theme", "patterns": []}]}
    html = page_text(upload(client, study, json.dumps(document).encode(), "one.json"))
    client.post(f"/analysis/{study.id}/codebook/import/confirm", data=confirm_form(html))
    assert versions(study) == [1, 2]
    response = client.post(f"/analysis/{study.id}/codebook/themes/only/remove", data={"base_version": "2"})
    assert response.status_code == 200
    assert "This is the codebook&#39;s only theme: add another before removing it." in page_text(response)
    assert versions(study) == [1, 2]


def test_removing_after_someone_else_saved_asks_again(client, signed_in, study):
    signed_in("lead_analyst")
    client.post(
        f"/analysis/{study.id}/codebook/themes/user-definitions",
        data=theme_form(study, "user-definitions", definition="x"),
    )
    html = page_text(client.post(f"/analysis/{study.id}/codebook/themes/{THEME}/remove", data={"base_version": "1"}))
    assert "Someone saved version 2 of the codebook meanwhile" in html
    assert versions(study) == [1, 2]


# Export and import


def test_exports_parse_back_as_the_same_codebook(client, signed_in, study):
    signed_in("analyst")
    qdc = client.get(f"/analysis/{study.id}/codebook/versions/1/codebook.qdc")
    assert qdc.status_code == 200
    assert "attachment" in qdc.headers["Content-Disposition"] and ".qdc" in qdc.headers["Content-Disposition"]
    back = codebook_from_qdc(qdc.data)
    default = default_codebook()
    assert back.slugs == default.slugs
    assert [(t.name, t.parent) for t in back.themes] == [(t.name, t.parent) for t in default.themes]
    exported = client.get(f"/analysis/{study.id}/codebook/versions/1/codebook.json")
    assert codebook_from_dict(json.loads(exported.data)) == default


def upload(client, study, data: bytes, filename: str = "codebook.qdc"):
    # Encoded here in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        f"/analysis/{study.id}/codebook/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def confirm_form(html: str) -> dict:
    return {
        "document": re.search(r'name="document" value="([^"]+)"', html).group(1),
        "base_version": re.search(r'name="base_version" value="([^"]*)"', html).group(1),
        "note": "",
    }


def test_importing_json_shows_the_changes_then_saves_a_version(client, signed_in, study):
    signed_in("lead_analyst")
    document = codebook_to_dict(default_codebook())
    document["themes"] = [t for t in document["themes"] if t["slug"] != "data-availability"]
    document["themes"][0]["definition"] = "A new definition."
    document["themes"].append(
        {"slug": "schools-funding", "name": "Schools funding", "patterns": [{"kind": "word", "value": "funding"}]}
    )
    response = upload(client, study, json.dumps(document).encode(), "ours.json")
    html = page_text(response)
    assert response.status_code == 200
    assert "Check what the import changes" in html
    assert re.search(r'id="themes-added">\s*<li>Schools funding', html)
    assert re.search(r'id="themes-removed">\s*<li>Data availability', html)
    assert "User definitions (<code>user-definitions</code>): its definition" in html
    assert versions(study) == []  # nothing saved
    response = client.post(f"/analysis/{study.id}/codebook/import/confirm", data=confirm_form(html))
    assert response.headers["Location"] == f"/analysis/{study.id}/codebook?saved=2"
    codebook = codebook_of(current_version(study))
    assert "schools-funding" in codebook.slugs and "data-availability" not in codebook.slugs
    assert current_version(study).note == "Imported from ours.json"


def test_importing_a_qdc_file_saves_its_themes(client, signed_in, study):
    signed_in("lead_analyst")
    document = codebook_to_dict(default_codebook())
    document["themes"][1]["name"] = "Groups of users"
    data = codebook_to_qdc(codebook_from_dict(document))
    html = page_text(upload(client, study, data))
    assert "Groups of users (<code>user-categories</code>): its name" in html
    client.post(f"/analysis/{study.id}/codebook/import/confirm", data=confirm_form(html) | {"note": "From NVivo"})
    assert codebook_of(current_version(study)).theme("user-categories").name == "Groups of users"
    assert current_version(study).note == "From NVivo"


FOREIGN_QDC = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo">
  <Codes>
    <Code guid="0b7c3f2e-1a4d-4e59-8a3b-6c1d2e3f4a5b" name="Schools &amp; pupils" isCodable="true">
      <Description>Anything about schools.</Description>
      <Code guid="1c8d4a3f-2b5e-4f6a-9b4c-7d2e3f4a5b6c" name="Traded services" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>"""


def test_importing_another_tools_qdc_warns_that_its_themes_have_no_patterns(client, signed_in, study):
    signed_in("lead_analyst")
    html = page_text(upload(client, study, FOREIGN_QDC, "nvivo.qdc"))
    assert re.search(r'id="themes-added">\s*<li>Schools &amp; pupils \(<code>schools-pupils</code>\)', html)
    assert "Traded services (<code>traded-services</code>), under Schools &amp; pupils" in html
    assert re.search(r'id="themes-removed">(\s*<li>[^<]+\(<code>[a-z-]+</code>\)</li>){8}', html)
    assert "2 themes have no indicator patterns" in html
    client.post(f"/analysis/{study.id}/codebook/import/confirm", data=confirm_form(html))
    codebook = codebook_of(current_version(study))
    assert codebook.slugs == ("schools-pupils", "traded-services")
    assert codebook.theme("traded-services").parent == "schools-pupils"
    page = page_text(client.get(f"/analysis/{study.id}/codebook"))
    assert "None yet: the tagger will not suggest this theme" in page


def test_importing_the_same_codebook_says_there_is_nothing_to_import(client, signed_in, study):
    signed_in("lead_analyst")
    html = page_text(upload(client, study, codebook_to_qdc(default_codebook())))
    assert "holds the same codebook as version 1: there is nothing to import" in html


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a" name="&lol2;" isCodable="true"/></Codes></CodeBook>"""


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"Just some words, not a codebook.", "notes.txt"),
        (b"<html><body>A web page</body></html>", "page.qdc"),
        (b"<CodeBook", "broken.qdc"),
        (BILLION_LAUGHS, "laughs.qdc"),
        (b'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "empty.qdc"),
        (b'{"themes": []}', "empty.json"),
        (b'{"themes": [{"slug": "Bad Slug", "name": "x"}]}', "bad.json"),
        (b'{"themes": [{"slug": "a", "name": "A", "patterns": [{"kind": "word", "value": "the"}]}]}', "the.json"),
        (b"{not json", "broken.json"),
        (b"\x00\x01\x02binary", "binary.qdc"),
        (b"", "empty.qdc"),
    ],
)
def test_a_file_that_is_not_a_usable_codebook_is_refused_in_words(client, signed_in, study, data, filename):
    signed_in("lead_analyst")
    response = upload(client, study, data, filename)
    html = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in html and 'href="#file"' in html
    assert "govuk-file-upload--error" in html
    assert versions(study) == []  # nothing saved


def test_a_file_over_two_megabytes_is_refused(client, signed_in, study):
    signed_in("lead_analyst")
    html = page_text(upload(client, study, b"<" + b" " * (2 * 1024 * 1024 + 10)))
    assert "The file is larger than 2 MB" in html
    assert versions(study) == []  # nothing saved


def test_a_tampered_or_misplaced_import_is_not_saved(client, signed_in, study):
    other = create_study("Another study")
    db.session.commit()
    signed_in("lead_analyst")
    document = codebook_to_dict(default_codebook())
    document["themes"][0]["name"] = "Changed"
    form = confirm_form(page_text(upload(client, study, json.dumps(document).encode(), "a.json")))
    tampered = dict(form, document=form["document"][:-3] + "abc")
    for study_id, data in [(study.id, tampered), (other.id, form), (study.id, {"document": "", "note": ""})]:
        response = client.post(f"/analysis/{study_id}/codebook/import/confirm", data=data)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/analysis/{study_id}/codebook/import"
    assert versions(study) == [] and versions(other) == []
    client.post(f"/analysis/{study.id}/codebook/themes/{THEME}", data=theme_form(study, definition="x"))
    stale = client.post(f"/analysis/{study.id}/codebook/import/confirm", data=form, follow_redirects=True)
    assert "Someone saved version 2 of the codebook meanwhile" in page_text(stale)
    assert versions(study) == [1, 2]


def test_a_long_note_on_the_import_is_shown_with_the_file_kept(client, signed_in, study):
    signed_in("lead_analyst")
    document = codebook_to_dict(default_codebook())
    document["themes"][0]["name"] = "Changed"
    form = confirm_form(page_text(upload(client, study, json.dumps(document).encode(), "a.json")))
    html = page_text(client.post(f"/analysis/{study.id}/codebook/import/confirm", data=form | {"note": "x" * 501}))
    assert 'href="#note"' in html and "500 characters or fewer" in html
    assert "Changed (<code>user-definitions</code>)" in html
    assert client.post(f"/analysis/{study.id}/codebook/import/confirm", data=confirm_form(html)).status_code == 302
    assert versions(study) == [1, 2]


def test_a_long_history_is_paginated(client, signed_in, study):
    from app.analysis.services import save_codebook

    codebook = default_codebook()
    for number in range(2, 14):
        save_codebook(study, codebook, f"Version note {number}")
    signed_in("analyst")
    html = page_text(client.get(f"/analysis/{study.id}/codebook"))
    assert "Version note 13" in html and "Version note 3" not in html
    assert f'href="/analysis/{study.id}/codebook?page=2"' in html
    second = page_text(client.get(f"/analysis/{study.id}/codebook?page=2"))
    assert "Version note 3" in second and "The default codebook" in second
    assert client.get(f"/analysis/{study.id}/codebook?page=abc").status_code == 200
    assert client.get(f"/analysis/{study.id}/codebook?page=99999999999999999999").status_code == 200
    old = page_text(client.get(f"/analysis/{study.id}/codebook/versions/5?page=2"))
    assert f'href="/analysis/{study.id}/codebook/versions/5?page=1"' in old
