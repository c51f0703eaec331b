"""A streamed export is audit-logged with the responses it really held, once the download has ended."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db


def _exported() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "surveys.exported")))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_streamed_export_is_logged_with_its_true_row_count(client, signed_in, made, fmt):
    analyst = signed_in("analyst")
    response = client.get(f"/surveys/results/schools-ict/export?format={fmt}")
    body = response.get_data(as_text=True)
    response.close()
    if fmt == "json":
        assert len(json.loads(body)["responses"]) == 3
    else:
        assert len(list(csv.reader(io.StringIO(body)))) == 4  # the header and three responses
    (event,) = _exported()
    assert event.actor_id == analyst.id
    assert event.detail == {"format": fmt, "rows": 3, "labels": False, "via": "web"}


def test_a_filtered_export_counts_only_what_it_sent(client, signed_in, made):
    signed_in("analyst")
    response = client.get("/surveys/results/schools-ict/export?format=csv&region=wales")
    body = response.get_data(as_text=True)
    response.close()
    assert len(list(csv.reader(io.StringIO(body)))) == 2
    (event,) = _exported()
    assert event.detail["rows"] == 1 and event.detail["filters"] == {"region": ["wales"]}


def test_a_download_cut_short_is_still_logged_and_says_so(client, signed_in, made):
    signed_in("analyst")
    response = client.get("/surveys/results/schools-ict/export?format=json")
    first = next(iter(response.response))  # the survey's details only: the browser goes away here
    assert b'"responses"' in (first if isinstance(first, bytes) else first.encode())
    response.close()
    (event,) = _exported()
    assert event.detail["rows"] == 0 and event.detail["completed"] is False
