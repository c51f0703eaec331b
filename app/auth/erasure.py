"""Forgetting a person everywhere: an erased account, or a volunteer who withdrew.

The person becomes one stable anonymous label ("Erased person 17", "Withdrawn volunteer 5"), the same
in every place that named them: the audit log (who did it; the IP addresses of their own actions go),
the outbox (messages to them lose their bodies; messages mentioning them are redacted), job records,
and whatever each feature holds (answer labels, session notes), through the steps features register
here with `erasure_step`. The platform does not import the features; they hand it their step.

On SQLite the write-ahead log is checkpointed and truncated once the erasure commits, and every
connection runs with `secure_delete` (app/database.py), so no old copy stays in the files.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape
from sqlalchemy import Text, cast, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.audit.services import anonymise_events
from app.database import checkpoint_after_commit
from app.email.sender import redact_outbox
from app.extensions import db


@dataclass(frozen=True)
class Erasure:
    """Who is being forgotten: their anonymous label, the names and addresses to find, and their records.

    `objects` are the audit log's (object type, object id) pairs for the person's own records, whose
    events done without an account (a failed sign-in, a volunteer's answer) lose their IP address.
    """

    label: str
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    user_id: int | None = None
    volunteer_id: int | None = None
    study_id: int | None = None
    objects: tuple[tuple[str, str], ...] = ()
    _pattern: re.Pattern | None = field(default=None, init=False, repr=False, compare=False)

    def needles(self) -> list[str]:
        """The strings whose presence means a text mentions the person: their addresses, and their full
        names as typed (a one-word name is too likely to be an ordinary word to be replaced everywhere)."""
        names = [n.strip() for n in self.names if n and len(n.split()) >= 2]
        return [n for n in (*(e.strip() for e in self.emails if e), *names) if len(n) >= 3]

    def _regex(self) -> re.Pattern | None:
        if self._pattern is None:
            forms: set[str] = set()
            for needle in self.needles():
                forms.update({needle, str(escape(needle)), html.escape(needle)})
            if not forms:
                return None
            alternatives = [re.escape(form).replace(r"\ ", r"\s+") for form in sorted(forms, key=len, reverse=True)]
            object.__setattr__(self, "_pattern", re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I))
        return self._pattern

    def redact(self, text: str | None) -> str | None:
        """The text with every mention of the person's names and addresses (also HTML-escaped) replaced by the label."""
        pattern = self._regex()
        if not text or pattern is None:
            return text
        return pattern.sub(self.label, text)

    def redact_json(self, value: Any) -> Any:
        """A JSON value with every string in it redacted (keys too)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(k): self.redact_json(v) for k, v in value.items()}
        return value

    def mentioned_in(self, *columns) -> ColumnElement[bool]:
        """SQL: any of the columns (text or JSON) may mention the person, to choose which rows to redact.

        Compared lower-cased, with each needle also as JSON writes it (non-ASCII escaped) and as HTML does.
        """
        forms: set[str] = set()
        for needle in self.needles():
            for form in (needle, json.dumps(needle)[1:-1], str(escape(needle))):
                forms.add(form.lower())
        conditions = [
            func.lower(cast(column, Text)).contains(form, autoescape=True) for column in columns for form in forms
        ]
        return or_(*conditions) if conditions else false()


Step = Callable[[Erasure], None]
_STEPS: dict[str, Step] = {}


def erasure_step(step: Step) -> Step:
    """Register a feature's part of forgetting a person (called, in the caller's transaction, by `forget`)."""
    _STEPS[f"{step.__module__}.{step.__qualname__}"] = step
    return step


def forget(erasure: Erasure) -> None:
    """Replace the person with their label everywhere, in the current transaction (the caller commits).

    The features' steps run first (they may record events or send mail that the platform's steps then
    clean), then the audit log, the outbox and job records. On SQLite the log is checkpointed after
    the commit.
    """
    for step in list(_STEPS.values()):
        step(erasure)
    db.session.flush()
    anonymise_events(
        erasure.label,
        actor_id=erasure.user_id,
        objects=erasure.objects,
        mentioned=erasure.mentioned_in,
        redact=erasure.redact,
        redact_json=erasure.redact_json,
    )
    redact_outbox(
        erasure.label,
        addresses=erasure.emails,
        mentioned=erasure.mentioned_in,
        redact=erasure.redact,
    )
    _redact_jobs(erasure)
    db.session.flush()
    checkpoint_after_commit()


def _redact_jobs(erasure: Erasure) -> None:
    from app.jobs.models import Job

    for job in db.session.scalars(select(Job).where(erasure.mentioned_in(Job.title, Job.message, Job.result))):
        job.title = erasure.redact(job.title)[:200]
        job.message = erasure.redact(job.message)[:500]
        job.result = erasure.redact_json(job.result)


def person_erasure(user_id: int, names: Iterable[str], emails: Iterable[str]) -> Erasure:
    """What forgetting an account holder means: their label, and their account as the audit log names it."""
    return Erasure(
        label=erased_person_label(user_id),
        names=tuple(n for n in names if n),
        emails=tuple(e.lower() for e in emails if e),
        user_id=user_id,
        objects=(("user", str(user_id)),),
    )


def erased_person_label(user_id: int) -> str:
    """The anonymous name an erased account holder has everywhere."""
    return f"Erased person {user_id}"
