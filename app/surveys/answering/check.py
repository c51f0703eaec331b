"""The "check your answers" list: every answered question on the respondent's route, section by section.

The answering pages show it before submitting; the builder's preview shows the same list for a draft.
"""

from __future__ import annotations

from app.surveys.answering.pages import display_value, other_key, pipe, relevant_answers, route, visible_questions


def check_sections(definition, answers) -> list[dict]:
    """The check page's sections: each answered question on the route, with its page to change it."""
    shown = relevant_answers(definition, answers)
    sections = []
    on_route = {p.id for p in route(definition, answers)}
    for section in definition.sections:
        rows = []
        for page in section.pages:
            if page.id not in on_route:
                continue
            for question in visible_questions(page, answers):
                value = display_value(question, shown.get(question.id))
                other = shown.get(other_key(question.id))
                if other:
                    value = f"{value} ({other})"
                rows.append(
                    {
                        "label": pipe(question.label, definition, answers),
                        "value": value,
                        "page": page.id,
                        "question": question,
                    }
                )
        if rows:
            sections.append({"title": section.title, "rows": rows})
    return sections
