"""Helpers for the recruitment tests: a volunteer's details as the form gives them, and the volunteer CSV's header."""

from __future__ import annotations

from app.focus_groups.recruitment.volunteering import VolunteerDetails

HEADER = "volunteer_id,name,email,organisation,region,council_type,supports_schools,available,if_need_be,job_role\n"


def details(study, email="ann@example.org", **overrides) -> VolunteerDetails:
    values = dict(
        name="Ann Example",
        email=email,
        region="wales",
        council_type="welsh",
        supports_schools=True,
        availability=dict(zip((slot.id for slot in study.slots), ("yes", "if_need_be"), strict=False)),
        organisation_name="Cardiff Council",
        job_role="Head of ICT",
    )
    values.update(overrides)
    return VolunteerDetails(**values)
