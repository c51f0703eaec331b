"""Setting up a study: a new study with the brief's discussion guide, and its candidate slots."""

from __future__ import annotations

from datetime import UTC, datetime

from app.audit.services import record
from app.extensions import db
from app.focus_groups.models import GuideQuestion, Slot, Study

# The brief's discussion guide (shared/DOMAIN.md), with prompts a facilitator can use.
DEFAULT_GUIDE: list[tuple[str, list[str]]] = [
    (
        "What is a user?",
        [
            "Who do you count as a user of your ICT service today?",
            "Does a user need an account, a device, or just to call the service desk?",
        ],
    ),
    (
        "Our current definition versus who organisations actually support.",
        [
            "Who do you support that the benchmarking definition leaves out?",
            "Schools, pupils, partners, councillors, residents: who is in and who is out?",
        ],
    ),
    (
        "The approximate proportion of users in different categories.",
        [
            "Roughly what share of your users are office staff, frontline staff, school staff, pupils, partners?",
            "How confident are you in those figures, and where do they come from?",
        ],
    ),
    (
        "Whether particular groups of users receive a markedly different form of service, in quality or attention.",
        [
            "Do schools or pupils get the same service levels as corporate users?",
            "Which groups take more (or less) of your team's time than their numbers suggest?",
        ],
    ),
]


def create_study(
    title: str,
    *,
    theme: str = "",
    target_groups: int = 2,
    min_size: int = 4,
    target_size: int = 6,
    max_size: int = 8,
    places_per_reserve: int = 5,
    by=None,
) -> Study:
    """A new study with the brief's four-question discussion guide (editable afterwards)."""
    study = Study(
        title=title,
        theme=theme,
        target_groups=target_groups,
        min_size=min_size,
        target_size=target_size,
        max_size=max_size,
        places_per_reserve=places_per_reserve,
        created_by_id=getattr(by, "id", None),
    )
    for position, (text, prompts) in enumerate(DEFAULT_GUIDE, start=1):
        study.questions.append(GuideQuestion(position=position, text=text, prompts="\n".join(prompts)))
    db.session.add(study)
    db.session.flush()
    record("focus_groups.study_created", study, actor=by, title=title)
    return study


def add_slot(
    study: Study,
    starts_at: datetime,
    *,
    location: str,
    online: bool = True,
    capacity: int = 8,
    duration_minutes: int = 90,
    by=None,
) -> Slot:
    """Add a candidate slot; `starts_at` is timezone-aware (organisers type it in UK time)."""
    slot = Slot(
        study=study,
        starts_at=starts_at.astimezone(UTC),
        location=location,
        online=online,
        capacity=capacity,
        duration_minutes=duration_minutes,
    )
    db.session.add(slot)
    db.session.flush()
    record("focus_groups.slot_added", slot, actor=by, study=study.id)
    return slot
