"""Reading expression text: a hand-written tokenizer and recursive-descent parser that build the tree, and
`parse`, which raises ExpressionError (and nothing else) for bad input."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from app.surveys.authoring.expressions.tree import (
    Arithmetic,
    Boolean,
    Call,
    Comparison,
    Expression,
    ListLiteral,
    Logical,
    Name,
    Negate,
    Not,
    Null,
    Number,
    String,
)
from app.surveys.authoring.expressions.values import (
    _DIGITS,
    _ESCAPABLE,
    _IDENTIFIER_CHARACTERS,
    _IDENTIFIER_START,
    _MAX_DIGITS,
    _WHITESPACE,
    COMPARISON_OPERATORS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    _finite,
)

# --- tokenizer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    """One token: kind is number, string, name, keyword, op or end."""

    kind: str
    value: Any
    position: int
    text: str


def _where(source: str, position: int) -> str:
    """'at character N' (counting from 1), or 'at the end of the expression'."""
    return "at the end of the expression" if position >= len(source) else f"at character {position + 1}"


def _show_character(character: str) -> str:
    """A character quoted for a message, or its code point when it does not print."""
    return f"'{character}'" if character.isprintable() and not character.isspace() else f"U+{ord(character):04X}"


_TWO_CHARACTER_OPERATORS = frozenset({"==", "!=", "<=", ">="})
_ONE_CHARACTER_OPERATORS = frozenset("<>+-*/()[],")
_HINTS = {
    "=": "use '==' to compare values",
    "!": "use 'not', or '!=' for 'is not equal to'",
    "&": "use 'and'",
    "|": "use 'or'",
}


def _tokenize(source: str) -> list[_Token]:
    """Split the text into tokens, ending with an end token."""
    tokens: list[_Token] = []
    length = len(source)
    i = 0
    while i < length:
        character = source[i]
        start = i
        if character in _WHITESPACE:
            i += 1
        elif character in _DIGITS:
            i = _read_number(source, i, tokens)
        elif character in ("'", '"'):
            i = _read_string(source, i, tokens)
        elif character in _IDENTIFIER_START:
            i = _read_word(source, i, tokens)
        elif source[i : i + 2] in _TWO_CHARACTER_OPERATORS:
            tokens.append(_Token("op", source[i : i + 2], start, source[i : i + 2]))
            i += 2
        elif character in _ONE_CHARACTER_OPERATORS:
            tokens.append(_Token("op", character, start, character))
            i += 1
        elif character in _HINTS:
            raise ExpressionError(
                f"Unexpected {_show_character(character)} {_where(source, i)}: {_HINTS[character]}", start
            )
        else:
            raise ExpressionError(f"Unexpected character {_show_character(character)} {_where(source, i)}", start)
    tokens.append(_Token("end", None, length, ""))
    return tokens


def _read_number(source: str, start: int, tokens: list[_Token]) -> int:
    """Read digits with an optional decimal part; return where the number ends."""
    i = start
    while i < len(source) and source[i] in _DIGITS:
        i += 1
    is_decimal = i < len(source) and source[i] == "."
    if is_decimal:
        if i + 1 >= len(source) or source[i + 1] not in _DIGITS:
            raise ExpressionError(f"Expected a digit after the decimal point {_where(source, i + 1)}", i + 1)
        i += 1
        while i < len(source) and source[i] in _DIGITS:
            i += 1
    text = source[start:i]
    whole_digits = len(text.partition(".")[0].lstrip("0"))
    if whole_digits > _MAX_DIGITS or _finite(float(text) if is_decimal else int(text)) is None:
        raise ExpressionError(f"The number {_where(source, start)} is too large", start)
    value: int | float = float(text) if is_decimal else int(text)
    tokens.append(_Token("number", value, start, text))
    return i


def _read_string(source: str, start: int, tokens: list[_Token]) -> int:
    """Read quoted text with backslash escapes; return where it ends."""
    quote = source[start]
    pieces: list[str] = []
    i = start + 1
    while i < len(source):
        character = source[i]
        if character == quote:
            tokens.append(_Token("string", "".join(pieces), start, source[start : i + 1]))
            return i + 1
        if character == "\\":
            if i + 1 >= len(source):
                break
            escaped = source[i + 1]
            if escaped not in _ESCAPABLE:
                raise ExpressionError(
                    f"Unknown escape '\\{escaped}' {_where(source, i)}: only \\', \\\" and \\\\ are allowed", i
                )
            pieces.append(escaped)
            i += 2
        else:
            pieces.append(character)
            i += 1
    raise ExpressionError(f"The text in quotes starting at character {start + 1} has no closing quote", start)


def _read_word(source: str, start: int, tokens: list[_Token]) -> int:
    """Read a keyword, or a name with optional dotted parts; return where it ends."""
    i = start
    while i < len(source) and source[i] in _IDENTIFIER_CHARACTERS:
        i += 1
    if source[start:i] in KEYWORDS:
        tokens.append(_Token("keyword", source[start:i], start, source[start:i]))
        return i
    while i < len(source) and source[i] == ".":
        if i + 1 >= len(source) or source[i + 1] not in _IDENTIFIER_START:
            raise ExpressionError(f"Expected a name after '.' {_where(source, i + 1)}", i + 1)
        i += 1
        while i < len(source) and source[i] in _IDENTIFIER_CHARACTERS:
            i += 1
    tokens.append(_Token("name", source[start:i], start, source[start:i]))
    return i


# --- parser --------------------------------------------------------------------------------------


def _describe(token: _Token) -> str:
    """A token as a message names it."""
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "string":
        return "quoted text"
    text = token.text if len(token.text) <= 20 else token.text[:20] + "…"
    if token.kind == "number":
        return f"the number {text}"
    return f"'{text}'"


class _Parser:
    """Recursive descent over the tokens; each rule returns a node and its depth (a leaf's is 0).

    Two things count towards MAX_DEPTH: how deeply brackets, lists, calls, `not` and `-` are nested
    while reading, and the depth of the tree built (so `1 + 1 + …` cannot grow without limit).
    """

    def __init__(self, source: str) -> None:
        """Tokenize the text and start at the first token."""
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.nesting = 0

    # helpers

    def peek(self, offset: int = 0) -> _Token:
        """The token `offset` places ahead (the end token when past the end)."""
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        """Consume and return the current token."""
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, value: str) -> bool:
        """True when the current token is this keyword or operator."""
        token = self.peek()
        return token.kind == kind and token.value == value

    def where(self, position: int) -> str:
        """'at character N' or 'at the end of the expression'."""
        return _where(self.source, position)

    def too_deep(self, position: int) -> ExpressionError:
        """The error for nesting beyond MAX_DEPTH."""
        return ExpressionError(
            f"The expression is nested too deeply (more than {MAX_DEPTH} levels) {self.where(position)}", position
        )

    def enter(self, token: _Token) -> None:
        """Go one level deeper (a bracket, list, call, `not` or `-`), refusing to pass MAX_DEPTH."""
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.too_deep(token.position)

    def leave(self) -> None:
        """Come back out one level."""
        self.nesting -= 1

    def checked(self, node: Expression, depth: int, token: _Token) -> tuple[Expression, int]:
        """The node and its depth, refusing a tree deeper than MAX_DEPTH."""
        if depth > MAX_DEPTH:
            raise self.too_deep(token.position)
        return node, depth

    # rules, loosest first

    def parse(self) -> Expression:
        """The whole expression, which must use every token."""
        if self.peek().kind == "end":
            raise ExpressionError("The expression is empty", 0)
        node, _ = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            if token.kind == "op" and token.value == ")":
                message = f"Unexpected closing bracket {self.where(token.position)}: it has no opening bracket"
            else:
                message = f"Unexpected {_describe(token)} {self.where(token.position)}"
            raise ExpressionError(message, token.position)
        return node

    def parse_or(self) -> tuple[Expression, int]:
        """`a or b or …`."""
        left, depth = self.parse_and()
        while self.at("keyword", "or"):
            token = self.advance()
            right, right_depth = self.parse_and()
            left, depth = self.checked(Logical("or", left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_and(self) -> tuple[Expression, int]:
        """`a and b and …`."""
        left, depth = self.parse_not()
        while self.at("keyword", "and"):
            token = self.advance()
            right, right_depth = self.parse_not()
            left, depth = self.checked(Logical("and", left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_not(self) -> tuple[Expression, int]:
        """`not a`."""
        if not self.at("keyword", "not"):
            return self.parse_comparison()
        token = self.advance()
        self.enter(token)
        operand, depth = self.parse_not()
        self.leave()
        return self.checked(Not(operand), depth + 1, token)

    def comparison_operator(self) -> tuple[str, _Token] | None:
        """The comparison operator at the current token, if any (without consuming it)."""
        token = self.peek()
        if token.kind == "op" and token.value in COMPARISON_OPERATORS:
            return token.value, token
        if token.kind == "keyword" and token.value == "in":
            return "in", token
        if token.kind == "keyword" and token.value == "not" and self.peek(1).kind == "keyword":
            if self.peek(1).value == "in":
                return "not in", token
        return None

    def parse_comparison(self) -> tuple[Expression, int]:
        """`a < b`, `a in b`, `a not in b` and so on: at most one comparison without brackets."""
        left, depth = self.parse_additive()
        found = self.comparison_operator()
        if found is None:
            return left, depth
        symbol, token = found
        self.advance()
        if symbol == "not in":
            self.advance()
        right, right_depth = self.parse_additive()
        result = self.checked(Comparison(symbol, left, right), 1 + max(depth, right_depth), token)
        chained = self.comparison_operator()
        if chained is not None:
            position = chained[1].position
            raise ExpressionError(
                f"Comparisons cannot be chained {self.where(position)}: join them with 'and', as in 'a < b and b < c'",
                position,
            )
        return result

    def parse_additive(self) -> tuple[Expression, int]:
        """`a + b - c`."""
        left, depth = self.parse_multiplicative()
        while self.peek().kind == "op" and self.peek().value in ("+", "-"):
            token = self.advance()
            right, right_depth = self.parse_multiplicative()
            left, depth = self.checked(Arithmetic(token.value, left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_multiplicative(self) -> tuple[Expression, int]:
        """`a * b / c`."""
        left, depth = self.parse_unary()
        while self.peek().kind == "op" and self.peek().value in ("*", "/"):
            token = self.advance()
            right, right_depth = self.parse_unary()
            left, depth = self.checked(Arithmetic(token.value, left, right), 1 + max(depth, right_depth), token)
        return left, depth

    def parse_unary(self) -> tuple[Expression, int]:
        """`-a`."""
        if not self.at("op", "-"):
            return self.parse_primary()
        token = self.advance()
        self.enter(token)
        operand, depth = self.parse_unary()
        self.leave()
        return self.checked(Negate(operand), depth + 1, token)

    def parse_primary(self) -> tuple[Expression, int]:
        """A number, text, true/false/null, a name, a call, a list or a bracketed expression."""
        token = self.peek()
        if token.kind == "number":
            self.advance()
            return Number(token.value), 0
        if token.kind == "string":
            self.advance()
            return String(token.value), 0
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            self.advance()
            return (Null() if token.value == "null" else Boolean(token.value == "true")), 0
        if token.kind == "name":
            self.advance()
            if self.at("op", "("):
                return self.parse_call(token)
            return Name(tuple(token.value.split(".")), position=token.position), 0
        if token.kind == "op" and token.value == "(":
            self.advance()
            self.enter(token)
            node, depth = self.parse_or()
            self.expect_closing(")", token, "a closing bracket")
            self.leave()
            return node, depth
        if token.kind == "op" and token.value == "[":
            self.advance()
            self.enter(token)
            items, depth = self.parse_items("]", token, "a comma or a closing square bracket")
            self.leave()
            return self.checked(ListLiteral(items), depth + 1, token)
        if token.kind == "end":
            raise ExpressionError(f"Expected a value {self.where(token.position)}", token.position)
        message = f"Expected a value but found {_describe(token)} {self.where(token.position)}"
        raise ExpressionError(message, token.position)

    def parse_call(self, name: _Token) -> tuple[Expression, int]:
        """`name(a, b)`, the name already consumed and the current token the opening bracket."""
        opening = self.advance()
        if "." in name.value:
            raise ExpressionError(
                f"Unexpected '(' {self.where(opening.position)}: '{name.value}' is not a function name",
                opening.position,
            )
        self.enter(opening)
        arguments, depth = self.parse_items(")", opening, "a comma or a closing bracket")
        self.leave()
        return self.checked(Call(name.value, arguments, position=name.position), depth + 1, name)

    def parse_items(self, closing: str, opening: _Token, wanted: str) -> tuple[tuple[Expression, ...], int]:
        """Comma-separated expressions up to the closing bracket (the opening one already consumed)."""
        items: list[Expression] = []
        depth = -1  # so a call or list with nothing inside is as deep as a leaf
        if self.at("op", closing):
            self.advance()
            return (), depth
        while True:
            item, item_depth = self.parse_or()
            items.append(item)
            depth = max(depth, item_depth)
            if self.at("op", ","):
                self.advance()
                continue
            self.expect_closing(closing, opening, wanted)
            return tuple(items), depth

    def expect_closing(self, closing: str, opening: _Token, wanted: str) -> None:
        """Consume the closing bracket, or explain that it is missing."""
        if self.at("op", closing):
            self.advance()
            return
        position = self.peek().position
        raise ExpressionError(
            f"Expected {wanted} {self.where(position)} (to match the '{opening.value}' at character "
            f"{opening.position + 1})",
            position,
        )


# --- public functions ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _parse_text(source: str) -> Expression:
    """Parse text already known to be a string (cached: the tree is immutable)."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"The expression is too long ({len(source):,} characters; the limit is {MAX_LENGTH:,})")
    try:
        return _Parser(source).parse()
    except RecursionError:
        raise ExpressionError(f"The expression is nested too deeply (more than {MAX_DEPTH} levels)") from None


def parse(source: str) -> Expression:
    """Parse expression text into a tree, raising ExpressionError (and nothing else) for bad input."""
    if not isinstance(source, str):
        raise ExpressionError("The expression must be text")
    return _parse_text(source)


def _expression(source_or_expression: str | Expression) -> Expression:
    """The tree for text (parsed) or a tree (as it is)."""
    if isinstance(source_or_expression, Expression):
        return source_or_expression
    return parse(source_or_expression)
