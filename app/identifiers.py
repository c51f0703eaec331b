"""Identifiers from outside (URL paths, link tokens): read in one place, within the database's range.

Every row id is a database `integer`: an id in a URL is 1 to 18 ASCII digits and at most `MAX_ID`,
or the page is not found. Python's `int` accepts other scripts' digits ("١") and numbers no column
can hold, which the database drivers then refuse with an error rather than "no such row"; and
`hmac.compare_digest` raises on text that is not ASCII. So ids are parsed by `parse_id`, rows looked
up by `get_or_404`, and secrets compared by `same_secret`, never by hand; and the text parts of a path
(slugs, page ids, tokens) are bounded by `PathTextConverter` before any view sees them.
"""

from __future__ import annotations

import hmac
import re
from typing import TypeVar

from flask import abort
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from app.extensions import db

MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer): larger ids in a URL are not found
MAX_PATH_TEXT = 500  # characters in one part of a path (slugs, page ids, link tokens are far shorter)
ID_PATTERN = re.compile(r"[0-9]{1,18}")

Model = TypeVar("Model")


def parse_id(text: object) -> int | None:
    """The row id `text` names (1 to 18 ASCII digits, 1 to `MAX_ID`), or None if it can name no row."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 < text <= MAX_ID else None
    if not isinstance(text, str) or not ID_PATTERN.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def get_or_404(model: type[Model], ident: object) -> Model:
    """The row of `model` with this id, or a 404 page (also for an id no row can have)."""
    number = parse_id(ident)
    row = db.session.get(model, number) if number is not None else None
    if row is None:
        abort(404)
    return row


def same_secret(expected: str, given: str) -> bool:
    """Whether a secret someone sent equals the one expected, in constant time, whatever text they sent."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogatepass"))


class RowIdConverter(IntegerConverter):
    """`<int:…>` in this app's routes: a row id, 1 to 18 ASCII digits within the database's range.

    Anything else (other scripts' digits, zero, thousands of digits, ids no row can have) matches no
    route, so the visitor sees the ordinary "Page not found" and no view ever receives it.
    """

    regex = r"[0-9]{1,18}"

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class PathTextConverter(BaseConverter):
    """`<name>` (and `<string:name>`) in this app's routes: 1 to `MAX_PATH_TEXT` characters, none of them
    control characters. PostgreSQL refuses text holding NUL with an error rather than "no such row", and
    no slug, page id or link token is longer or holds one, so such a path matches no route ("Page not found").
    """

    regex = f"[^/\\x00-\\x1f\\x7f]{{1,{MAX_PATH_TEXT}}}"
