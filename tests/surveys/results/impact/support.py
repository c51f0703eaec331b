"""Helpers for the impact-model tests: an organisation's row and its user grid, and a model's organisations by code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Org:
    organisation_id: Any
    region: Any
    council_type: Any
    answers: Any = field(default_factory=dict)


def users(office=0, frontline=0, councillors=0, school_staff=0, pupils=0, **others) -> dict:
    grid = {
        "office_staff": office,
        "frontline_staff": frontline,
        "councillors": councillors,
        "school_staff": school_staff,
        "pupils": pupils,
        "partners": 0,
        "contractors": 0,
        "volunteers": 0,
        "residents": 0,
    }
    grid.update(others)
    return grid


def org(
    ident,
    council_type="county",
    region="london",
    *,
    current=0,
    school=0,
    pupils=0,
    spend=None,
    fte=None,
    incidents=None,
    education=None,
) -> Org:
    """An organisation whose current users are all office staff."""
    answers = {
        "users": users(office=current, school_staff=school, pupils=pupils),
        "ict_revenue_spend": spend,
        "ict_staff_fte": fte,
    }
    if education is not None:
        answers["provides_education"] = education
    if incidents is not None:
        answers["incidents_pupils"] = incidents
    return Org(ident, region, council_type, answers)


def by_code(model):
    return {o.code: o for o in model.organisations}
