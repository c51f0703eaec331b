"""Converting XLSForm (XPath) expressions into the routing language, or saying why one cannot be."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
