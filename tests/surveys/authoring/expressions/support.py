"""Helpers for the expression-language tests: answers to evaluate against, and the height of an expression tree."""

from __future__ import annotations

from typing import Any

from app.surveys.authoring.expressions import Expression, evaluate


def height(expression: Expression) -> int:
    children = expression.children()
    return 1 + max(height(child) for child in children) if children else 0


ANSWERS: dict[str, Any] = {
    "provides_education": "yes",
    "pupils": 1200,
    "staff": 300,
    "ratio": 0.5,
    "empty_text": "",
    "nothing": None,
    "services": ["email", "wifi"],
    "single": "email",
    "no_services": [],
    "users": {"pupils": 1200, "staff": 300, "unknown": None, "note": "about"},
    "grid": {"nested": {"deeper": 7}},
    "flag": True,
    "numeric_text": " 42 ",
}


def ev(source: str, answers: dict[str, Any] | None = None) -> Any:
    return evaluate(source, ANSWERS if answers is None else answers)
