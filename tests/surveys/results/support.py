"""Helpers for the results tests: the default survey's definition and a results row made by hand; for the
export tests, the answers of three responses and every cell their export rows should hold, written out by hand."""

import io
import json
from datetime import UTC, datetime

import pandas as pd

from app.surveys.authoring.definition import load_definition
from app.surveys.results.dataset import Row
from app.surveys.results.export_columns import columns
from app.surveys.services import DEFAULT_DEFINITION, definition_for

STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SUBMITTED = datetime(2025, 3, 2, 10, 30, 15, tzinfo=UTC)

EDUCATION_SETTINGS = [
    "maintained-primary",
    "maintained-secondary",
    "special",
    "pru",
    "single-academy",
    "mat",
    "free-school",
    "independent",
    "fe-college",
    "early-years",
    "other",
]

SERVICES = [
    "connectivity",
    "filtering",
    "email",
    "curriculum-devices",
    "mis",
    "service-desk",
    "technicians",
    "cyber",
    "licensing",
    "procurement",
    "data-protection",
    "other",
]

GROUPS = [
    "office_staff",
    "frontline_staff",
    "councillors",
    "school_staff",
    "pupils",
    "partners",
    "contractors",
    "volunteers",
    "residents",
]

COUNTED = [*GROUPS, "no-return"]

ANSWERS = {
    "EXP-1": {
        "provides_education": "yes",
        "education_settings": ["maintained-primary", "other"],
        "education_settings__other": "=SUM(A1)",
        "settings_supported": 42,
        "services_to_schools": ["connectivity", "filtering"],
        "service_level": {"school_staff": "same", "pupils": "separate"},
        "pupil_funding": "traded",
        "users": dict(zip(GROUPS, [2400, 900, 70, 3000, 20000, 150, 80, 0, 0], strict=True)),
        "counted_in_benchmark": ["office_staff", "frontline_staff", "councillors"],
        "incidents_school_staff": "dont_know",
        "incidents_pupils": 12.5,
        "share_devices": 40,
        "ict_revenue_spend": 4200000.0,
        "ict_staff_fte": 38.5,
        "pupils_should_count": "agree",
        "pupils_reason": "@cmd",
        "users_counting": "Headcount, with pupils on their own line.\nNot FTE.",
        "service_differences": '=HYPERLINK("x") Councillors get a VIP line.',
        "focus_group_interest": "yes",
    },
    "EXP-2": {
        "provides_education": "no",
        "users": dict(zip(GROUPS, [500, 100, 40, 0, 0, 0, 10, 0, 0], strict=True)),
        "counted_in_benchmark": ["office_staff", "no-return"],
        "ict_revenue_spend": 900000,
        "ict_staff_fte": -1.5,
        "pupils_should_count": "disagree",
        "pupils_reason": "Pupils are not our users.",
        "focus_group_interest": "no",
    },
    "EXP-3": {
        "provides_education": "yes",
        "education_settings": ["special"],
        "settings_supported": 7,
        "services_to_schools": ["other"],
        "services_to_schools__other": "+44 helpline",
        "service_level": {"school_staff": "best-efforts"},
        "pupil_funding": "other",
        "pupil_funding__other": "Paid by the parish",
        "users": {"office_staff": 300, "school_staff": 120},
        "incidents_school_staff": 5,
        "pupils_reason": 'Line one\nline two, with a comma and "quotes"',
        "focus_group_interest": "yes",
    },
}

ORGANISATIONS = {
    "EXP-1": ("Aberton Council", "london", "london-borough"),
    "EXP-2": ("@Home Council", "wales", "welsh"),
    "EXP-3": ("Northby Council", "north-east", "unitary"),
}


def _flags(prefix, values, chosen):
    return {f"{prefix}__{v}": int(v in chosen) for v in values}


def expected_rows(made, labels=False):
    """Every non-blank cell of each response's row, written out by hand (typed as XLSX holds them)."""
    one, two, three = made["EXP-1"], made["EXP-2"], made["EXP-3"]
    rows = [
        {
            "response_id": one.id,
            "reference": "EXP-1",
            "organisation": "Aberton Council",
            "region": "London" if labels else "london",
            "council_type": "London borough" if labels else "london-borough",
            "status": "submitted",
            "started_at": STARTED,
            "submitted_at": SUBMITTED,
            "survey_version": 1,
            "provides_education": "Yes" if labels else "yes",
            **_flags("education_settings", EDUCATION_SETTINGS, ["maintained-primary", "other"]),
            "education_settings__other_text": "'=SUM(A1)",
            "settings_supported": 42,
            **_flags("services_to_schools", SERVICES, ["connectivity", "filtering"]),
            "service_level__school_staff": "The same service levels" if labels else "same",
            "service_level__pupils": "A separate (often traded) agreement" if labels else "separate",
            "pupil_funding": "Schools buy them from us as a traded service" if labels else "traded",
            **{f"users__{g}": n for g, n in zip(GROUPS, [2400, 900, 70, 3000, 20000, 150, 80, 0, 0], strict=True)},
            "users__total": 26600,
            **_flags("counted_in_benchmark", COUNTED, ["office_staff", "frontline_staff", "councillors"]),
            "incidents_school_staff": "I do not know" if labels else "dont_know",
            "incidents_pupils": 12.5,
            "share_devices": 40,
            "ict_revenue_spend": 4200000.0,
            "ict_staff_fte": 38.5,
            "pupils_should_count": "Agree" if labels else "agree",
            "pupils_reason": "'@cmd",
            "users_counting": "Headcount, with pupils on their own line.\nNot FTE.",
            "service_differences": '\'=HYPERLINK("x") Councillors get a VIP line.',
            "focus_group_interest": "Yes" if labels else "yes",
        },
        {
            "response_id": two.id,
            "reference": "EXP-2",
            "organisation": "'@Home Council",
            "region": "Wales" if labels else "wales",
            "council_type": "Welsh council" if labels else "welsh",
            "status": "submitted",
            "started_at": STARTED,
            "submitted_at": SUBMITTED,
            "survey_version": 1,
            "provides_education": "No" if labels else "no",
            **{f"users__{g}": n for g, n in zip(GROUPS, [500, 100, 40, 0, 0, 0, 10, 0, 0], strict=True)},
            "users__total": 650,
            **_flags("counted_in_benchmark", COUNTED, ["office_staff", "no-return"]),
            "ict_revenue_spend": 900000,
            "ict_staff_fte": -1.5,
            "pupils_should_count": "Disagree" if labels else "disagree",
            "pupils_reason": "Pupils are not our users.",
            "focus_group_interest": "No" if labels else "no",
        },
        {
            "response_id": three.id,
            "reference": "EXP-3",
            "organisation": "Northby Council",
            "region": "North East" if labels else "north-east",
            "council_type": "Unitary authority" if labels else "unitary",
            "status": "submitted",
            "started_at": STARTED,
            "submitted_at": SUBMITTED,
            "survey_version": 1,
            "provides_education": "Yes" if labels else "yes",
            **_flags("education_settings", EDUCATION_SETTINGS, ["special"]),
            "settings_supported": 7,
            **_flags("services_to_schools", SERVICES, ["other"]),
            "services_to_schools__other_text": "'+44 helpline",
            "service_level__school_staff": "Best efforts only" if labels else "best-efforts",
            "pupil_funding": "Another way" if labels else "other",
            "pupil_funding__other": "Paid by the parish",
            "users__office_staff": 300,
            "users__school_staff": 120,
            "users__total": 420,
            "incidents_school_staff": 5,
            "pupils_reason": 'Line one\nline two, with a comma and "quotes"',
            "focus_group_interest": "Yes" if labels else "yes",
        },
    ]
    return rows


def as_csv_text(value):
    """How a typed cell is written in CSV."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return str(value)


def as_xlsx(value):
    """How a typed cell is held in XLSX (times in UTC without a zone)."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def column_names(survey):
    return [c.name for c in columns(definition_for(survey.current_version))]


def read_csv_text(text):
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def assert_frame_matches(frame, names, expected, convert):
    """Every cell: the expected value where one is given, blank everywhere else."""
    assert list(frame.columns) == names
    assert len(frame) == len(expected)
    for index, row in enumerate(expected):
        assert set(row) <= set(names), set(row) - set(names)
        for name in names:
            want = convert(row[name]) if name in row else ""
            assert frame.at[index, name] == want, (index, name)


SURVEY = load_definition(json.loads(DEFAULT_DEFINITION.read_text()))


def _row(n, region="wales", council_type="welsh", **answers):
    return Row(
        response_id=n,
        reference=f"R{n}",
        organisation_id=n,
        organisation=f"Org {n}",
        region=region,
        council_type=council_type,
        status="submitted",
        started_at=None,
        submitted_at=None,
        version=1,
        answers=answers,
    )
