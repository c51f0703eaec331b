"""The impact-model tests' fixture, checked against hand arithmetic, and the model made from it.

The fixture: six organisations (ids 10-60, given out of order). Users are office + frontline + councillors
(current), school staff and pupils, and the external groups:

    id  code     type      region       current  school  pupils  spend      FTE   incidents from pupils
    10  Org 001  county    north-west   1,000    500     4,000   1,000,000  20    22%
    20  Org 002  county    london       2,000    0       0       3,000,000  40    (not asked)
    30  Org 003  district  south-east   500      0       0       400,000    -     (not asked)
    40  Org 004  unitary   wales        1,500    1,000   7,500   2,000,000  25    30%
    50  Org 005  county    north-east   1,000    500     3,500   -          10    don't know
    60  Org 006  unitary   scotland     800      200     3,000   1,200,000  16    15%

    code     external users                    counted in its benchmarking return (baseline users)
    Org 001  200 partners, 500 volunteers      current + school staff (1,500)
    Org 002  100 contractors                   "no-return": falls back to current (2,000)
    Org 003  1,000 residents                   not answered: falls back to current (500)
    Org 004  -                                 current + school staff + pupils (10,000)
    Org 005  -                                 "dont_know": falls back to current (1,000)
    Org 006  600 partners                      office staff + councillors (600 + 50 = 650)
"""

from __future__ import annotations

import pytest

from app.surveys.results.impact.model import impact
from tests.surveys.results.impact.support import Org, users


@pytest.fixture
def rows() -> list[Org]:
    return [
        Org(
            40,
            "wales",
            "unitary",
            {
                "provides_education": "yes",
                "users": users(1000, 450, 50, 1000, 7500),
                "counted_in_benchmark": [
                    "office_staff",
                    "frontline_staff",
                    "councillors",
                    "school_staff",
                    "pupils",
                ],
                "ict_revenue_spend": 2_000_000.0,
                "ict_staff_fte": 25.0,
                "incidents_pupils": 30,
            },
        ),
        Org(
            10,
            "north-west",
            "county",
            {
                "provides_education": "yes",
                "users": users(800, 150, 50, 500, 4000, partners=200, volunteers=500),
                "counted_in_benchmark": ["school_staff", "councillors", "office_staff", "frontline_staff"],
                "ict_revenue_spend": 1_000_000.0,
                "ict_staff_fte": 20.0,
                "incidents_pupils": 22,
            },
        ),
        Org(
            60,
            "scotland",
            "unitary",
            {
                "provides_education": "yes",
                "users": users(600, 150, 50, 200, 3000, partners=600),
                "counted_in_benchmark": ["office_staff", "councillors"],
                "ict_revenue_spend": 1_200_000.0,
                "ict_staff_fte": 16.0,
                "incidents_pupils": 15.0,
            },
        ),
        Org(
            20,
            "london",
            "county",
            {
                "provides_education": "no",
                "users": users(1500, 400, 100, contractors=100),
                "counted_in_benchmark": ["no-return"],
                "ict_revenue_spend": 3_000_000.0,
                "ict_staff_fte": 40.0,
            },
        ),
        Org(
            50,
            "north-east",
            "county",
            {
                "provides_education": "yes",
                "users": users(700, 250, 50, 500, 3500),
                "counted_in_benchmark": "dont_know",
                "ict_revenue_spend": None,
                "ict_staff_fte": 10.0,
                "incidents_pupils": "dont_know",
            },
        ),
        Org(
            30,
            "south-east",
            "district",
            {"provides_education": "no", "users": users(400, 80, 20, residents=1000), "ict_revenue_spend": 400_000.0},
        ),
    ]


@pytest.fixture
def model(rows):
    return impact(rows, 0.2)
