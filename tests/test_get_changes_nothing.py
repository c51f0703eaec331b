"""Nothing changes state on GET (ASVS item 13): every page, opened by every kind of visitor, leaves every
table as it was, apart from the records of who looked (the audit log, and the survey's record of which page
a respondent reached, which the tracking dashboard counts)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.organisations.models import Organisation
from tests.conftest import sign_in
from tests.test_authorisation_matrix import ROLES, sample_args  # noqa: F401 - the fixture is used by name

# Tables a GET may add to: what looking records about the looking.
RECORDS_OF_LOOKING = {"audit_event", "survey_page_visit"}


def _snapshot() -> dict[str, tuple]:
    """Every row of every table except the records of looking, as plain tuples."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in RECORDS_OF_LOOKING:
            continue
        rows[table.name] = tuple(sorted(map(tuple, db.session.execute(select(table)).all()), key=repr))
    return rows


@pytest.mark.parametrize("who", ["anonymous", "respondent", *ROLES])
def test_opening_every_page_changes_nothing(app, make_user, sample_args, who):  # noqa: F811
    client = app.test_client()
    if who == "respondent":  # a member of the organisation invited to the survey: their pages open
        organisation = db.session.get(Organisation, sample_args["organisation_id"])
        user = make_user("member", organisation=organisation)
        assert sign_in(client, user.email).status_code == 302
    elif who != "anonymous":
        user = make_user(who)
        assert sign_in(client, user.email).status_code == 302
    db.session.commit()
    before = _snapshot()
    opened = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.build(sample_args, append_unknown=False)[1]
        response = client.get(url)
        response.close()
        assert response.status_code < 500, url
        opened += 1
    db.session.commit()
    after = _snapshot()
    changed = {name for name in before if before[name] != after[name]}
    assert not changed, f"opening pages as {who} changed {sorted(changed)}"
    assert opened > 50
