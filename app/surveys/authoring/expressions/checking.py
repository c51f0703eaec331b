"""Checking expression text for authors: syntax, unknown question ids or functions, and argument counts,
in plain English."""

from __future__ import annotations

from collections.abc import Collection

from app.surveys.authoring.expressions.parser import parse
from app.surveys.authoring.expressions.tree import Call, Name
from app.surveys.authoring.expressions.values import FUNCTIONS, ExpressionError
from app.wording import plural_noun


def _at(position: int | None) -> str:
    """' at character N' for a known position, else nothing."""
    return "" if position is None else f" at character {position + 1}"


def validate(source: str, known_ids: Collection[str]) -> list[str]:
    """Problems with expression text in plain English (syntax, unknown ids or functions, argument counts)."""
    try:
        expression = parse(source)
    except ExpressionError as error:
        return [error.message]
    known = set(known_ids)
    problems: list[str] = []
    reported: set[str] = set()
    for node in expression.walk():
        if isinstance(node, Name) and node.id not in known and node.id not in reported:
            reported.add(node.id)
            problems.append(f"Unknown question id '{node.id}'{_at(node.position)}")
        elif isinstance(node, Call):
            arity = FUNCTIONS.get(node.function)
            if arity is None:
                problems.append(
                    f"Unknown function '{node.function}'{_at(node.position)}: "
                    f"the functions are {', '.join(sorted(FUNCTIONS))}"
                )
            elif arity != len(node.arguments):
                count = len(node.arguments)
                problems.append(
                    f"The function '{node.function}'{_at(node.position)} takes {arity} "
                    f"{plural_noun('argument', arity)}, not {count}"
                )
    return problems
