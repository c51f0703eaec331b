"""Import an XLSForm (.xlsx) as a draft survey definition.

pyxform reads and checks the workbook exactly as ODK tools would; this package then maps what the
platform can ask onto a survey definition (one section; a page per group or per top-level question)
and lists every spreadsheet row it could not carry over, with the row number a person sees in Excel
and a plain-English reason.

Mapping (XLSForm -> definition):

=========================  =====================================================================
XLSForm                    Definition
=========================  =====================================================================
select_one LIST            single_choice, options from the choices sheet (appearance minimal or
                           autocomplete -> display "select"; or_other -> an "other" option with
                           specify: true)
select_multiple LIST       multiple_choice, options from the choices sheet
integer / decimal          integer / decimal
text                       short_text, or long_text when the appearance includes multiline
date                       date
note                       hint of the page it is on (inside a group) or of the next page
begin group ... end group  one page (title from the group label, show_if from its relevant); a
                           nested group's relevant is joined into its questions' show_if; more
                           than 20 questions are split over several pages
other top-level fields     a page each
label / hint               label / hint (plain column, else the default language, else English,
                           else the first language)
required                   required true for yes/true, otherwise false (a condition is reported)
required_message           messages.required
relevant                   show_if (only questions on earlier pages may be used)
constraint                 a validation, message from constraint_message or "Check this answer"
metadata (start, end ...)  skipped silently: the platform records who answered and when
anything else              reported as unmapped: "type 'geopoint' is not supported"
=========================  =====================================================================

Expressions: ``${q}`` -> ``q``, ``.`` -> the question's own id, ``=`` -> ``==``, ``div`` -> ``/``,
``not(x)`` -> ``not (x)``, ``selected(${q}, 'a')`` -> ``any_selected(q, ['a'])``,
``count-selected(${q})`` -> ``count_selected(q)``, ``string-length(x)`` -> ``len(x)``,
``number(x)`` -> ``number(x)``, ``true()``/``false()`` -> ``true``/``false``, and
``${q} != ''`` / ``${q} = ''`` -> ``answered(q)`` / ``not answered(q)``. Choice names compared with a
choice question are converted like its option values. Anything else (other functions, paths,
``..``, ``mod``) drops that expression and reports the row.
"""

from __future__ import annotations

import re
from os import PathLike
from typing import IO

from app.surveys.authoring.definition import definition_problems
from app.surveys.authoring.xlsform.mapping import _Builder, make_id, make_value
from app.surveys.authoring.xlsform.reading import (
    _check_extension,
    _one_line,
    _pyxform_json,
    _read_source,
    _read_workbook,
    _Sheets,
)
from app.surveys.authoring.xlsform.report import UnmappedRow, XLSFormError, XLSFormImport

__all__ = [
    "UnmappedRow",
    "XLSFormError",
    "XLSFormImport",
    "import_xlsform",
    "make_id",
    "make_value",
]


def _title(sheets: _Sheets, stem: str | None) -> str:
    """The form title from the settings sheet, else from the file name."""
    title = sheets.form_title
    if not title and stem:
        title = " ".join(re.sub(r"[_-]+", " ", stem).split())
        title = title[:1].upper() + title[1:]
    return (title or "Imported survey")[:200].strip()


def import_xlsform(path_or_file: str | PathLike[str] | IO[bytes]) -> XLSFormImport:
    """Read an XLSForm workbook (a path or a binary file) and map it onto a survey definition.

    Returns the title, the definition (which `definition_problems` accepts) and the rows that were
    not carried over. Raises XLSFormError, with a one-line reason, when the file is not a usable XLSForm.
    """
    data, file_name, stem = _read_source(path_or_file)
    file_type = _check_extension(file_name, data)
    sheets = _read_workbook(data, file_name)
    form = _pyxform_json(data, file_type, file_name)
    title = _title(sheets, stem)
    builder = _Builder(form, sheets, title)
    definition = builder.build()
    problems = definition_problems(definition)
    if problems:  # a bug here rather than in the file, but never hand back a definition that cannot be used
        raise XLSFormError(f"The form could not be converted: {_one_line(problems[0])}")
    unmapped = sorted(builder.unmapped, key=lambda entry: entry.row_number or 0)
    return XLSFormImport(title=title, definition=definition, unmapped=unmapped)
