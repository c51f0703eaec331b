"""Sample answers to the schools ICT survey, page by page, as a browser posts them.

One copy of the form answers that the tests (`tests/surveys/conftest.py`) and the benchmarks
(`bench/survey_locustfile.py`, `bench/request_costs.py`) send to `app/surveys/definitions/schools-ict.json`.
The demo data (`app/surveys/demo.py`) does not use them: it makes many varied responses from a seed.

Each route maps a page id to the form fields posted on that page (values are strings, or lists of
strings for checkboxes). Tests assert on these values, so change them only together with the tests.

This module is plain data with no imports, on purpose: the Locust file loads it by path so that the
load generator never imports the app (Flask, SQLAlchemy) into its gevent process.
"""

# The short route: no services to schools, so seven pages.
NO_SCHOOLS = {
    "provides": {"provides_education": "no"},
    "user_counts": {
        "users.office_staff": "2400",
        "users.frontline_staff": "900",
        "users.councillors": "70",
        "users.school_staff": "0",
        "users.pupils": "0",
        "users.partners": "150",
        "users.contractors": "80",
        "users.volunteers": "0",
        "users.residents": "0",
    },
    "benchmark_counting": {"counted_in_benchmark": ["office_staff", "frontline_staff", "councillors"]},
    "size": {"ict_revenue_spend": "4,200,000", "ict_staff_fte": "38.5"},
    "pupils_as_users": {"pupils_should_count": "disagree", "pupils_reason": "Pupils are not our users."},
    "users_and_service": {},  # optional: left unanswered
    "focus_group": {},  # optional: left unanswered, so nothing is stored for it
}

# The full route: services to schools, so every page of the survey.
WITH_SCHOOLS = {
    "provides": {"provides_education": "yes"},
    "settings": {
        "education_settings": ["maintained-primary", "maintained-secondary", "other"],
        "education_settings__other": "Nursery partnerships",
        "settings_supported": "120",
    },
    "services": {"services_to_schools": ["connectivity", "filtering", "mis"]},
    "service_level": {
        "service_level.school_staff": "same",
        "service_level.pupils": "separate",
        "pupil_funding": "traded",
    },
    "user_counts": {
        "users.office_staff": "5200",
        "users.frontline_staff": "2100",
        "users.councillors": "84",
        "users.school_staff": "3100",
        "users.pupils": "41000",
        "users.partners": "300",
        "users.contractors": "150",
        "users.volunteers": "40",
        "users.residents": "2500",
    },
    "benchmark_counting": {"counted_in_benchmark": ["office_staff", "frontline_staff", "councillors", "school_staff"]},
    "strain_incidents": {"incidents_school_staff": "30", "incidents_pupils": "20"},
    "strain_resources": {
        "share_devices": "40",
        "share_licences": "35",
        "share_staff_time": "25",
        "share_spend.dont_know": "yes",
    },
    "size": {"ict_revenue_spend": "9,800,000", "ict_staff_fte": "71.5"},
    "pupils_as_users": {"pupils_should_count": "agree", "pupils_reason": "Pupils make a third of our calls."},
    "users_and_service": {
        "users_counting": "Named accounts, with pupils on a line of their own.",
        "service_differences": "Councillors get a VIP line; schools get the tier they buy.",
    },
    "focus_group": {"focus_group_interest": "yes"},
}

# Two valid sets of answers for the `size` page, posted in turn so that every POST changes (and writes) both.
SIZE_VALUES = (
    {"ict_revenue_spend": "4,200,000", "ict_staff_fte": "38.5"},
    {"ict_revenue_spend": "4,300,000", "ict_staff_fte": "39.5"},
)
