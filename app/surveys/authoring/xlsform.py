"""Import an XLSForm (.xlsx) as a draft survey definition.

pyxform reads and checks the workbook exactly as ODK tools would; this module then maps what the
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
import warnings
import zipfile
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from os import PathLike
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext

from app.surveys.authoring import expressions
from app.surveys.authoring.definition import definition_problems
from app.uploads import WORKBOOK_LIMITS, UploadRefused, open_workbook, read_upload, sheet_rows

__all__ = [
    "UnmappedRow",
    "XLSFormError",
    "XLSFormImport",
    "import_xlsform",
    "import_xlsform_cli",
    "import_xlsform_command",
]

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MAX_PAGE_QUESTIONS = 20
MAX_OPTIONS = 200
# Each select question carries its whole list through pyxform and the definition's checks, so many
# questions on one long list cost seconds per thousand; this bounds the sum over the questions.
MAX_CHOICES_ASKED = 10_000
SELECT_TYPES = frozenset({"select_one", "select_multiple", "rank"})
DEFAULT_CONSTRAINT_MESSAGE = "Check this answer"
SURVEY_SHEET = "survey"

# Types ODK fills in without asking anyone; the platform records who answered and when itself.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
    }
)
TRUE_VALUES = frozenset({"yes", "true", "true()"})
FALSE_VALUES = frozenset({"", "no", "false", "false()"})
SELECT_APPEARANCES = frozenset({"minimal", "autocomplete"})


class XLSFormError(ValueError):
    """The file is not a usable XLSForm; the message says why in one line of plain English."""


@dataclass(frozen=True)
class UnmappedRow:
    """A spreadsheet row (numbered as Excel shows it) that was not carried over, or only in part."""

    sheet: str
    row_number: int | None
    name: str
    reason: str

    def __str__(self) -> str:
        """`Row 7 (survey sheet, 'gps'): type 'geopoint' is not supported`."""
        where = f"{self.sheet} sheet, '{self.name}'" if self.name else f"{self.sheet} sheet"
        row = f"Row {self.row_number}" if self.row_number else "A row"
        return f"{row} ({where}): {self.reason}"


@dataclass(frozen=True)
class XLSFormImport:
    """The result of an import: a definition that passes `definition_problems`, and what was left out."""

    title: str
    definition: dict[str, Any]
    unmapped: list[UnmappedRow]


# --- reading the file ----------------------------------------------------------------------------


@contextmanager
def _openpyxl_quiet() -> Iterator[None]:
    """Hide openpyxl's UserWarnings while reading: real XLSForms often carry data-validation
    extensions or lack a default style, and openpyxl warns about both, but neither affects the form."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")
        yield


def _read_source(path_or_file: str | PathLike[str] | IO[bytes]) -> tuple[bytes, str, str | None]:
    """The file's bytes (never more than the workbook limit), a name for messages, and its stem (None when unknown)."""
    if isinstance(path_or_file, str | PathLike):
        path = Path(path_or_file)
        if not path.is_file():
            raise XLSFormError(f"{path.name or path} was not found")
        try:
            with path.open("rb") as handle:
                return read_upload(handle, WORKBOOK_LIMITS.max_bytes), path.name, path.stem
        except UploadRefused as refusal:
            raise XLSFormError(str(refusal)) from None
        except OSError as error:
            raise XLSFormError(f"{path.name} could not be read: {error.strerror or error}") from None
    name = getattr(path_or_file, "filename", None) or getattr(path_or_file, "name", None)
    try:
        data = read_upload(path_or_file, WORKBOOK_LIMITS.max_bytes)
    except UploadRefused as refusal:
        raise XLSFormError(str(refusal)) from None
    if isinstance(name, str) and name:
        path = Path(name)
        return data, path.name, path.stem
    return data, "The file", None


def _check_extension(file_name: str, data: bytes) -> str:
    """The pyxform file type for the file, refusing anything but an .xlsx (or .xlsm) workbook."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise XLSFormError(f"{file_name} is an old-style .xls workbook: save it as .xlsx and try again")
    if suffix not in {".xlsx", ".xlsm", ""} or not zipfile.is_zipfile(BytesIO(data)):
        raise XLSFormError(f"{file_name} is not an Excel workbook (.xlsx)")
    return suffix or ".xlsx"


def _cell_text(value: Any) -> str:
    """A cell as pyxform reads it: stripped text, whole numbers without '.0'."""
    if value is None:
        return ""
    if value is True or value is False:
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\xa0", " ").strip()


@dataclass
class _Sheets:
    """What this module reads from the workbook itself: row numbers by name, and the form title."""

    rows_by_name: dict[str, deque[tuple[int, str]]]
    type_by_row: dict[int, str]
    form_title: str


def _read_workbook(data: bytes, file_name: str) -> _Sheets:
    """Check the workbook's size (app/uploads.py), then the survey sheet's shape: each row's number, type and name."""
    rows_by_name: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
    type_by_row: dict[int, str] = {}
    try:
        with open_workbook(data, name=file_name) as workbook:
            sheets = {name.strip().lower(): name for name in workbook.sheetnames}
            if SURVEY_SHEET not in sheets:
                found = ", ".join(f"'{name}'" for name in workbook.sheetnames) or "none"
                raise XLSFormError(f"{file_name} has no 'survey' sheet (its sheets: {found})")
            survey_rows = sheet_rows(workbook[sheets[SURVEY_SHEET]])
            headers = [_cell_text(cell).lower() for cell in next(survey_rows, ())]
            type_column = next((i for i, h in enumerate(headers) if h in {"type", "command"}), None)
            name_column = next((i for i, h in enumerate(headers) if h in {"name", "value", "tag"}), None)
            missing = [column for column, index in (("type", type_column), ("name", name_column)) if index is None]
            if missing:
                columns = " and ".join(f"'{column}'" for column in missing)
                plural = "columns" if len(missing) > 1 else "column"
                raise XLSFormError(f"The 'survey' sheet in {file_name} has no {columns} {plural}")
            for row_number, row in enumerate(survey_rows, start=2):
                kind = " ".join(_cell_text(row[type_column] if type_column < len(row) else None).split())
                name = _cell_text(row[name_column] if name_column < len(row) else None)
                if not kind:
                    continue
                type_by_row[row_number] = kind
                if name and not kind.lower().startswith("end"):
                    rows_by_name[name].append((row_number, kind))
            settings_rows = list(sheet_rows(workbook[sheets["settings"]], max_row=2)) if "settings" in sheets else []
            list_sizes = _list_sizes(workbook[sheets["choices"]]) if "choices" in sheets else {}
    except UploadRefused as refusal:
        raise XLSFormError(str(refusal)) from None

    asked = sum(
        list_sizes.get(words[1], 0)
        for kind in type_by_row.values()
        if len(words := kind.split()) > 1 and words[0] in SELECT_TYPES
    )
    if asked > MAX_CHOICES_ASKED:
        raise XLSFormError(
            f"{file_name} offers {asked:,} choices in all across its questions: "
            f"split it into forms of at most {MAX_CHOICES_ASKED:,}"
        )
    form_title = ""
    if len(settings_rows) >= 2:
        settings = dict(zip((_cell_text(h).lower() for h in settings_rows[0]), settings_rows[1], strict=False))
        form_title = _cell_text(settings.get("form_title") or settings.get("set_form_title"))
    return _Sheets(rows_by_name=rows_by_name, type_by_row=type_by_row, form_title=form_title)


def _list_sizes(choices: Any) -> dict[str, int]:
    """How many choices each list on the choices sheet has."""
    rows = sheet_rows(choices)
    headers = [_cell_text(cell).lower() for cell in next(rows, ())]
    if "list_name" not in headers:
        return {}
    column = headers.index("list_name")
    sizes: dict[str, int] = defaultdict(int)
    for row in rows:
        name = _cell_text(row[column] if column < len(row) else None)
        if name:
            sizes[name] += 1
    return sizes


def _one_line(message: str, limit: int = 400) -> str:
    """A message on one line, shortened if very long."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pyxform_json(data: bytes, file_type: str, file_name: str) -> dict[str, Any]:
    """The form as pyxform understands it, or XLSFormError carrying pyxform's reason."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        with _openpyxl_quiet():
            result = convert(xlsform=BytesIO(data), warnings=[], file_type=file_type)
    except PyXFormError as error:
        raise XLSFormError(f"{file_name} is not a valid XLSForm: {_one_line(str(error))}") from None
    except Exception as error:  # pyxform can fail in other ways on forms it does not expect
        detail = _one_line(str(error)) or type(error).__name__
        raise XLSFormError(f"{file_name} is not a valid XLSForm: {detail}") from None
    return result._pyxform or {}


# --- ids and values ------------------------------------------------------------------------------


def _unique(base: str, taken: set[str], limit: int, separator: str) -> str:
    """`base`, or `base` with a number added, not yet in `taken` (which it is then added to)."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"{separator}{number}"
        candidate = base[: limit - len(suffix)].rstrip("_-") + suffix
    taken.add(candidate)
    return candidate


def make_id(name: str, taken: set[str], prefix: str = "q_") -> str:
    """A valid, unused id from an XLSForm name: lower case, other characters to '_', at most 40 long."""
    text = name.strip().lower()
    if not ID_PATTERN.fullmatch(text):
        text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_")
        if not text:
            text = prefix.rstrip("_") or "q"
        elif not text[0].isalpha():
            text = prefix + text
        text = text[:40].rstrip("_")
    return _unique(text, taken, 40, "_")


def make_value(name: str, taken: set[str]) -> str:
    """A valid, unused option value from a choice name."""
    text = name.strip().lower()
    if not VALUE_PATTERN.fullmatch(text):
        text = re.sub(r"[^a-z0-9_-]+", "_", text).strip("_-")[:60].rstrip("_-") or "option"
    return _unique(text, taken, 60, "-")


# --- expressions ---------------------------------------------------------------------------------

_XPATH_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<ref>\$\{\s*(?P<refname>[^}\s]*)\s*\})
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<parent>\.\.(?:/[\w/.:-]*)?)
    | (?P<self>\.(?!/))
    | (?P<path>\.?/[\w/.:-]*)
    | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|/|\||\[|\]|@|\$)
    | (?P<word>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)
    """,
    re.VERBOSE,
)
_COMPARISONS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NO_SPACE_AFTER = ("(", "[")
_NO_SPACE_BEFORE = (")", "]", ",")
_XPATH_OPERATORS = frozenset({"and", "or", "div", "mod"})
_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "and", "or"})


class _Unconvertible(Exception):
    """An XLSForm expression the platform's language cannot express; the message is the reason."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(source: str, column: str) -> list[_Token]:
    """XPath tokens (without whitespace)."""
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _XPATH_TOKEN.match(source, position)
        if match is None:
            raise _Unconvertible(f"{column} could not be read at character {position + 1} ('{source[position]}')")
        kind = match.lastgroup or ""
        if kind == "refname":
            kind = "ref"
        if kind != "space":
            text = match.group("refname") if kind == "ref" else match.group(0)
            tokens.append(_Token(kind, text))
        position = match.end()
    return tokens


def _quote(text: str) -> str:
    """Text as a quoted string in the platform's language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _join(pieces: list[str]) -> str:
    """Pieces of converted expression, spaced as a person would write them (`-1`, `f(a, b)`, `a == 1`)."""
    text = ""
    glue = True
    previous: str | None = None
    for piece in pieces:
        if not glue and piece not in _NO_SPACE_BEFORE:
            text += " "
        text += piece
        unary_minus = piece == "-" and (previous is None or previous in _OPERATORS or previous in ("(", ","))
        glue = piece in _NO_SPACE_AFTER or unary_minus
        previous = piece
    return text


class _Context:
    """What expression conversion needs to know about the imported questions."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.types: dict[str, str] = {}
        self.options: dict[str, dict[str, str]] = {}

    def option_value(self, name: str, choice: str) -> str:
        """The option value a choice name became for this question (the choice itself if unknown)."""
        return self.options.get(name, {}).get(choice, choice)


class _Converter:
    """Convert one XLSForm (XPath) expression to the platform's language, noting the names it uses."""

    def __init__(self, context: _Context, column: str, self_name: str | None) -> None:
        self.context = context
        self.column = column
        self.self_name = self_name
        self.names: list[str] = []

    def convert(self, source: str) -> str:
        """The converted text; raises _Unconvertible with the reason."""
        return self.sequence(_tokens(source, self.column))

    # helpers

    def ref(self, token: _Token) -> tuple[str, str]:
        """The XLSForm name and platform id a `${name}` or `.` token refers to."""
        if token.kind == "self":
            if self.self_name is None:
                raise _Unconvertible(f"{self.column} uses '.', which has no equivalent for a group")
            name = self.self_name
        else:
            name = token.text
        if name not in self.context.ids:
            raise _Unconvertible(f"{self.column} refers to '{name}', which was not imported")
        self.names.append(name)
        return name, self.context.ids[name]

    def unsupported_word(self, token: _Token) -> _Unconvertible:
        """The reason for a token with no equivalent."""
        if token.kind == "parent":
            return _Unconvertible(f"{self.column} uses '{token.text}' (a relative path), which has no equivalent")
        if token.text == "mod":
            return _Unconvertible(f"{self.column} uses the operator 'mod', which has no equivalent")
        if token.kind in {"path", "word"}:
            return _Unconvertible(f"{self.column} uses a path ('{token.text}'), which has no equivalent")
        return _Unconvertible(f"{self.column} uses '{token.text}', which has no equivalent")

    def closing(self, tokens: list[_Token], opening: int) -> int:
        """The index of the bracket closing the one at `opening`."""
        depth = 0
        for index in range(opening, len(tokens)):
            if tokens[index] == _Token("op", "("):
                depth += 1
            elif tokens[index] == _Token("op", ")"):
                depth -= 1
                if depth == 0:
                    return index
        raise _Unconvertible(f"{self.column} has a bracket that is not closed")

    @staticmethod
    def arguments(tokens: list[_Token]) -> list[list[_Token]]:
        """A call's arguments: the tokens split at top-level commas."""
        if not tokens:
            return []
        arguments: list[list[_Token]] = [[]]
        depth = 0
        for token in tokens:
            if token == _Token("op", ",") and depth == 0:
                arguments.append([])
                continue
            if token == _Token("op", "("):
                depth += 1
            elif token == _Token("op", ")"):
                depth -= 1
            arguments[-1].append(token)
        return arguments

    def choice_question(self, token: _Token | None) -> str | None:
        """The XLSForm name, when the token refers to an imported choice question."""
        if token is None or token.kind not in {"ref", "self"}:
            return None
        name = self.self_name if token.kind == "self" else token.text
        if name is not None and self.context.types.get(name) in {"single_choice", "multiple_choice"}:
            return name
        return None

    # conversion

    def sequence(self, tokens: list[_Token]) -> str:
        """Convert a run of tokens (a whole expression, a bracket's or an argument's contents)."""

        def at(index: int) -> _Token | None:
            return tokens[index] if 0 <= index < len(tokens) else None

        def is_equality(token: _Token | None) -> bool:
            return token is not None and token.kind == "op" and token.text in {"=", "!="}

        pieces: list[str] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            following = at(index + 1)
            if token.kind == "word" and following == _Token("op", "(") and token.text not in _XPATH_OPERATORS:
                end = self.closing(tokens, index + 1)
                pieces.append(self.call(token.text, self.arguments(tokens[index + 2 : end])))
                index = end + 1
                continue
            if token.kind in {"ref", "self"}:
                empty = at(index + 2)
                if is_equality(following) and empty is not None and empty.kind == "string" and len(empty.text) == 2:
                    pieces.append(self.answered(token, negate=following.text == "="))
                    index += 3
                    continue
                pieces.append(self.ref(token)[1])
            elif token.kind == "string":
                value = token.text[1:-1]
                other = at(index + 2)
                if not value and is_equality(following) and other is not None and other.kind in {"ref", "self"}:
                    pieces.append(self.answered(other, negate=following.text == "="))
                    index += 3
                    continue
                name = None
                if is_equality(at(index - 1)):
                    name = self.choice_question(at(index - 2))
                if name is None and is_equality(following):
                    name = self.choice_question(at(index + 2))
                pieces.append(_quote(self.context.option_value(name, value) if name else value))
            elif token.kind == "number":
                pieces.append(token.text if not token.text.startswith(".") else "0" + token.text)
            elif token.kind == "op" and token.text in _COMPARISONS:
                pieces.append(_COMPARISONS[token.text])
            elif token.kind == "op" and token.text in {"+", "-", "*", "(", ")", ","}:
                pieces.append(token.text)
            elif token.kind == "word" and token.text in {"and", "or"}:
                pieces.append(token.text)
            elif token.kind == "word" and token.text == "div":
                pieces.append("/")
            else:
                raise self.unsupported_word(token)
            index += 1
        return _join(pieces)

    def answered(self, token: _Token, negate: bool) -> str:
        """`answered(q)` for `${q} != ''`, `not answered(q)` for `${q} = ''`."""
        text = f"answered({self.ref(token)[1]})"
        return f"not {text}" if negate else text

    def call(self, function: str, arguments: list[list[_Token]]) -> str:
        """Convert an XPath function call, or explain why it cannot be."""
        single = [argument[0] if len(argument) == 1 else None for argument in arguments]
        if function in {"true", "false"} and not arguments:
            return function
        if function == "not" and len(arguments) == 1:
            return f"not ({self.sequence(arguments[0])})"
        if function == "selected" and len(arguments) == 2:
            target, choice = single
            if target is None or target.kind not in {"ref", "self"} or choice is None or choice.kind != "string":
                raise _Unconvertible(f"{self.column} uses selected() with arguments that cannot be converted")
            name, question_id = self.ref(target)
            return f"any_selected({question_id}, [{_quote(self.context.option_value(name, choice.text[1:-1]))}])"
        if function == "count-selected" and len(arguments) == 1:
            target = single[0]
            if target is None or target.kind not in {"ref", "self"}:
                raise _Unconvertible(f"{self.column} uses count-selected() with an argument that cannot be converted")
            return f"count_selected({self.ref(target)[1]})"
        if function == "string-length" and len(arguments) == 1:
            return f"len({self.sequence(arguments[0])})"
        if function == "number" and len(arguments) == 1:
            return f"number({self.sequence(arguments[0])})"
        raise _Unconvertible(f"{self.column} uses the function {function}(), which has no equivalent")


# --- building the definition ---------------------------------------------------------------------


@dataclass
class _Expression:
    """An XLSForm expression waiting to be converted once every question's page is known."""

    source: str
    column: str
    row: int | None
    row_name: str
    self_name: str | None


@dataclass
class _Question:
    data: dict[str, Any]
    name: str
    row: int | None
    conditions: list[_Expression]
    constraint: _Expression | None = None
    constraint_message: str = ""


@dataclass
class _Page:
    base_id: str
    title: str = ""
    hints: list[tuple[str, int | None, str]] = field(default_factory=list)  # (text, row, name)
    condition: _Expression | None = None
    questions: list[_Question] = field(default_factory=list)
    first_index: int = 0  # for a group split over pages, the index of its first page


class _Builder:
    """Walk pyxform's JSON for the form and build the definition, collecting unmapped rows."""

    def __init__(self, form: dict[str, Any], sheets: _Sheets, title: str) -> None:
        self.form = form
        self.sheets = sheets
        self.title = title
        self.language = str(form.get("default_language") or "default")
        self.unmapped: list[UnmappedRow] = []
        self.context = _Context()
        self.question_ids: set[str] = set()
        self.page_ids: set[str] = set()
        self.pages: list[_Page] = []
        self.pending_notes: list[tuple[str, int | None, str]] = []
        self.generated: set[str] = set()  # names of elements pyxform adds itself
        self.value_maps: dict[str, tuple[list[dict[str, Any]], dict[str, str]]] = {}

    # reporting and reading

    def report(self, row: int | None, name: str, reason: str) -> None:
        """Note a row that was not carried over (once per reason)."""
        entry = UnmappedRow(SURVEY_SHEET, row, name, reason)
        if entry not in self.unmapped:
            self.unmapped.append(entry)

    def row_of(self, element: dict[str, Any]) -> tuple[int | None, str, str]:
        """The element's spreadsheet row, its name as written there, and its type as written there."""
        name = str(element.get("name") or "")
        generated = re.fullmatch(r"generated_note_name_(\d+)", name)
        if generated:
            row = int(generated.group(1))
            return row, "", self.sheets.type_by_row.get(row, "note")
        queue = self.sheets.rows_by_name.get(name)
        if queue:
            row, kind = queue.popleft()
            return row, name, kind
        return None, name, ""

    def text(self, value: Any) -> str:
        """A label, hint or message in the language chosen: plain column, default, English, else the first."""
        if isinstance(value, str):
            return value.strip()
        if not isinstance(value, dict) or not value:
            return ""
        for key in (self.language, "default", "English (en)"):
            if value.get(key):
                return str(value[key]).strip()
        english = next((k for k in value if str(k).lower().startswith("english") and value[k]), None)
        chosen = value[english] if english else next((v for v in value.values() if v), "")
        return str(chosen).strip()

    def fit(self, text: str, limit: int, row: int | None, name: str, what: str) -> str:
        """Text within a length limit; shortening it is reported."""
        if len(text) <= limit:
            return text
        self.report(row, name, f"{what} is longer than {limit:,} characters and was shortened")
        return text[: limit - 1].rstrip() + "…"

    def check_piping(self, text: str, row: int | None, name: str, what: str) -> None:
        """Report `${name}` inside text, which the platform shows as written."""
        found = re.search(r"\$\{\s*([^}\s]*)\s*\}", text)
        if found:
            self.report(
                row, name, f"{what} shows ${{{found.group(1)}}}, which cannot be filled in; it is shown as written"
            )

    # the walk

    def build(self) -> dict[str, Any]:
        """The definition (pages built first, then expressions converted now every page is known)."""
        for element in self.form.get("children", []):
            self.top_level(element)
        for _text, row, name in self.pending_notes:
            self.report(row, name, "note has no question after it, so it could not be placed on a page")
        self.pending_notes = []
        if not self.pages:
            raise XLSFormError("The form has no questions that can be imported")
        page_of: dict[str, int] = {}
        for index, page in enumerate(self.pages):
            for question in page.questions:
                page_of.setdefault(question.name, index)
        pages = [self.finish_page(index, page, page_of) for index, page in enumerate(self.pages)]
        section_id = make_id(self.title, set(), prefix="s_")
        return {
            "schema_version": 1,
            "title": self.title,
            "sections": [{"id": section_id, "title": self.title, "pages": pages}],
        }

    def top_level(self, element: dict[str, Any]) -> None:
        """A group becomes a page; any other question gets a page of its own; notes wait for the next page."""
        kind = str(element.get("type") or "")
        if kind == "group" and (element.get("control") or {}).get("bodyless"):
            for child in element.get("children", []):  # pyxform's meta group: instanceID, audit
                self.row_of(child)
            return
        if kind == "group":
            row, name, _ = self.row_of(element)
            page = _Page(base_id=name or "page", title=self.text(element.get("label")))
            page.title = self.fit(page.title, 300, row, name, "the group label")
            relevant = (element.get("bind") or {}).get("relevant")
            if relevant:
                page.condition = _Expression(str(relevant), "relevant", row, name, None)
            self.fill(page, element.get("children", []), [])
            self.add_page(page)
            return
        page = _Page(base_id="page")
        self.fill(page, [element], [])
        if page.questions:
            page.base_id = page.questions[0].data["id"]
        self.add_page(page)

    def fill(self, page: _Page, children: list[dict[str, Any]], conditions: list[_Expression]) -> None:
        """Put the elements' questions and notes on the page (nested groups flattened into it)."""
        for element in children:
            kind = str(element.get("type") or "")
            if kind == "group":
                row, name, _ = self.row_of(element)
                relevant = (element.get("bind") or {}).get("relevant")
                inner = (
                    [*conditions, _Expression(str(relevant), "relevant", row, name, None)] if relevant else conditions
                )
                self.fill(page, element.get("children", []), inner)
            elif kind == "repeat":
                self.repeat(element)
            elif kind == "note":
                self.note(page, element)
            else:
                question = self.question(element, conditions)
                if question is not None:
                    page.questions.append(question)

    def add_page(self, page: _Page) -> None:
        """Add a finished page (split when it has too many questions), or carry its notes on."""
        if not page.questions:
            self.pending_notes.extend(page.hints)
            return
        page.hints = self.pending_notes + page.hints
        self.pending_notes = []
        first_index = len(self.pages)
        base_id = make_id(page.base_id, self.page_ids, prefix="p_")
        for start in range(0, len(page.questions), MAX_PAGE_QUESTIONS):
            part = _Page(
                base_id=base_id if start == 0 else make_id(base_id, self.page_ids, prefix="p_"),
                title=page.title,
                hints=page.hints if start == 0 else [],
                condition=page.condition,
                questions=page.questions[start : start + MAX_PAGE_QUESTIONS],
                first_index=first_index,
            )
            self.pages.append(part)

    def repeat(self, element: dict[str, Any]) -> None:
        """Report a repeat and everything inside it."""
        row, name, _ = self.row_of(element)
        self.report(row, name, "type 'repeat' is not supported, so it and the questions inside it were not imported")

        def inside(children: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for child in children:
                yield child
                yield from inside(child.get("children", []))

        for child in inside(element.get("children", [])):
            child_row, child_name, _ = self.row_of(child)
            if str(child.get("type")) not in METADATA_TYPES and child_row is not None:
                self.report(child_row, child_name, f"is inside the repeat '{name}', which is not supported")

    def note(self, page: _Page, element: dict[str, Any]) -> None:
        """A note becomes part of the hint of the page it is on (or of the next page)."""
        row, name, _ = self.row_of(element)
        if name.startswith("generated_table_list_label_") and not page.title:
            page.title = self.fit(self.text(element.get("label")), 300, row, name, "the group label")
            return
        text = "\n\n".join(t for t in (self.text(element.get("label")), self.text(element.get("hint"))) if t)
        if not text:
            return
        self.check_piping(text, row, name, "note")
        if (element.get("bind") or {}).get("relevant"):
            self.report(row, name, "relevant on a note cannot be kept; the note is always shown as a page hint")
        page.hints.append((text, row, name))

    def choices(
        self, element: dict[str, Any], row: int | None, name: str
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The options for a select question, and each choice name's option value."""
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        if list_name in self.value_maps:
            return self.value_maps[list_name]
        taken: set[str] = set()
        options: list[dict[str, Any]] = []
        values: dict[str, str] = {}
        raw_choices = element.get("choices") or []
        if len(raw_choices) > MAX_OPTIONS:
            self.report(row, name, f"has {len(raw_choices)} choices; only the first {MAX_OPTIONS} were imported")
        for choice in raw_choices[:MAX_OPTIONS]:
            choice_name = str(choice.get("name") or "")
            value = make_value(choice_name, taken)
            values.setdefault(choice_name, value)
            label = self.text(choice.get("label")) or choice_name
            options.append(
                {"value": value, "label": self.fit(label, 1000, row, name, f"the label of choice '{choice_name}'")}
            )
        self.value_maps[list_name] = (options, values)
        return options, values

    def question(self, element: dict[str, Any], conditions: list[_Expression]) -> _Question | None:
        """Map one survey element to a question, or report why it cannot be."""
        kind = str(element.get("type") or "")
        row, name, written_type = self.row_of(element)
        if kind in METADATA_TYPES or (row is None and (name in self.generated or kind == "calculate")):
            return None  # metadata, or an element pyxform added (instanceID, the or_other text box)
        type_word = written_type.split()[0] if written_type else kind
        control = element.get("control") or {}
        appearance = str(control.get("appearance") or "").split()
        bind = element.get("bind") or {}
        data: dict[str, Any]

        from_elsewhere = "from_file" in type_word or "external" in type_word
        if kind in {"select one", "select all that apply"} and element.get("choices") and not from_elsewhere:
            mapped = "single_choice" if kind == "select one" else "multiple_choice"
            options, values = self.choices(element, row, name)
            options = [dict(option) for option in options]
            if "or_other" in written_type.split():
                self.generated.add(f"{name}_other")
                for option in options:
                    if option["value"] == values.get("other"):
                        option["specify"] = True
            data = {"type": mapped, "options": options}
            if mapped == "single_choice" and SELECT_APPEARANCES.intersection(appearance):
                data["display"] = "select"
            self.context.options[name] = values
        elif kind in {"integer", "decimal", "date"}:
            data = {"type": kind}
        elif kind == "text":
            data = {"type": "long_text" if "multiline" in appearance else "short_text"}
        else:
            self.report(row, name, f"type '{type_word}' is not supported")
            return None

        question_id = make_id(name, self.question_ids)
        label = self.text(element.get("label"))
        hint = self.text(element.get("hint"))
        if not label and hint:
            label, hint = hint, ""
            self.report(row, name, "has no label, so its hint is used as the label")
        elif not label:
            label = name
            self.report(row, name, "has no label, so its name is used as the label")
        self.check_piping(label, row, name, "label")
        self.check_piping(hint, row, name, "hint")
        question: dict[str, Any] = {
            "id": question_id,
            "type": data.pop("type"),
            "label": self.fit(label, 1000, row, name, "label"),
        }
        if hint:
            question["hint"] = self.fit(hint, 1000, row, name, "hint")
        required = str(bind.get("required") or "").strip()
        question["required"] = required.lower() in TRUE_VALUES
        if required.lower() not in TRUE_VALUES | FALSE_VALUES:
            self.report(
                row, name, f"required is a condition ({required}), which cannot be kept; the question is optional"
            )
        question.update(data)
        required_message = self.text(bind.get("jr:requiredMsg"))
        if required_message and question["required"]:
            question["messages"] = {"required": self.fit(required_message, 1000, row, name, "required_message")}
        for column, key in (("choice_filter", "choice_filter"), ("default", "default"), ("trigger", "trigger")):
            if element.get(key):
                self.report(row, name, f"{column} is not supported and was left out")
        if str(bind.get("readonly") or "").lower() in TRUE_VALUES:
            self.report(row, name, "read_only is not supported; the question can be answered")
        if bind.get("calculate"):
            self.report(row, name, "calculation is not supported and was left out")

        self.context.ids.setdefault(name, question_id)
        self.context.types.setdefault(name, question["type"])
        pending = _Question(data=question, name=name, row=row, conditions=list(conditions))
        if bind.get("relevant"):
            pending.conditions.append(_Expression(str(bind["relevant"]), "relevant", row, name, name))
        if bind.get("constraint"):
            pending.constraint = _Expression(str(bind["constraint"]), "constraint", row, name, name)
            pending.constraint_message = self.text(bind.get("jr:constraintMsg"))
        return pending

    # expressions, once every page is known

    def convert(self, expression: _Expression, page_index: int, page_of: dict[str, int], rule: bool) -> str | None:
        """The expression in the platform's language, or None (and a report) when it cannot be kept.

        A show_if may only use questions on earlier pages; a rule may also use its own page.
        """
        converter = _Converter(self.context, expression.column, expression.self_name)
        try:
            text = converter.convert(expression.source)
            for name in converter.names:
                where = page_of.get(name, page_index + 1)
                if where < page_index or (rule and where == page_index):
                    continue
                if name == expression.self_name:
                    raise _Unconvertible(f"{expression.column} refers to the question itself")
                if where == page_index:
                    raise _Unconvertible(
                        f"{expression.column} refers to '{name}', which is on the same page; "
                        "show_if can only use questions on earlier pages"
                    )
                if rule:
                    later = "a validation can only use this question and earlier ones"
                else:
                    later = "show_if can only use questions on earlier pages"
                raise _Unconvertible(f"{expression.column} refers to '{name}', which comes later in the form; {later}")
            allowed = [self.context.ids[n] for n, i in page_of.items() if i < page_index or (rule and i == page_index)]
            problems = expressions.validate(text, allowed)
            if problems:
                raise _Unconvertible(f"{expression.column} could not be converted ({problems[0]})")
        except _Unconvertible as reason:
            self.report(expression.row, expression.row_name, str(reason))
            return None
        return text

    def finish_page(self, index: int, page: _Page, page_of: dict[str, int]) -> dict[str, Any]:
        """The page as definition JSON, with its expressions converted."""
        result: dict[str, Any] = {"id": page.base_id}
        if page.title:
            result["title"] = page.title
        if page.hints:
            _text, row, name = page.hints[0]
            hint = "\n\n".join(text for text, _, _ in page.hints)
            result["hint"] = self.fit(hint, 2000, row, name, "the page hint made from notes")
        if page.condition is not None:
            show_if = self.convert(page.condition, page.first_index, page_of, rule=False)
            if show_if:
                result["show_if"] = show_if
        result["questions"] = [self.finish_question(index, question, page_of) for question in page.questions]
        return result

    def finish_question(self, index: int, pending: _Question, page_of: dict[str, int]) -> dict[str, Any]:
        """The question as definition JSON, with its show_if and validation converted."""
        question = dict(pending.data)
        kept = [text for c in pending.conditions if (text := self.convert(c, index, page_of, rule=False))]
        if kept:
            question["show_if"] = (
                kept[0] if len(kept) == 1 else " and ".join(f"({t})" if " or " in t else t for t in kept)
            )
        if pending.constraint is not None:
            rule = self.convert(pending.constraint, index, page_of, rule=True)
            if rule:
                message = pending.constraint_message or DEFAULT_CONSTRAINT_MESSAGE
                question["validations"] = [
                    {"rule": rule, "message": self.fit(message, 1000, pending.row, pending.name, "constraint_message")}
                ]
        return question


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


# --- command line --------------------------------------------------------------------------------


def import_xlsform_command(path: str | PathLike[str]) -> tuple[str, list[UnmappedRow]]:
    """Import the XLSForm at `path` as a new draft survey; return its slug and the unmapped rows.

    Needs an application context. Raises XLSFormError when the file is not a usable XLSForm.
    """
    from app.extensions import db
    from app.surveys.models import Survey
    from app.surveys.services import unique_slug

    result = import_xlsform(path)
    slug = unique_slug(result.title)
    db.session.add(Survey(slug=slug, title=result.title, draft=result.definition))
    db.session.commit()
    return slug, result.unmapped


@click.command("import-xlsform")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_xlsform_cli(path: Path) -> None:
    """Create a draft survey from an XLSForm (.xlsx) and list the rows that could not be imported."""
    try:
        slug, unmapped = import_xlsform_command(path)
    except XLSFormError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created draft survey: {slug}")
    if unmapped:
        click.echo(f"{len(unmapped)} row{'s' if len(unmapped) != 1 else ''} not imported:")
    for entry in unmapped:
        click.echo(str(entry))
