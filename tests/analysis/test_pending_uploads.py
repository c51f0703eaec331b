"""Projects uploaded for import, kept in the database until their lead confirms them: only the uploader,
only for their study, only for an hour; a hostile key never reaches the database; retention and erasure
delete them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.analysis.models import PendingUpload
from app.analysis.pending_uploads import KEEP_PER_PERSON, UPLOAD_LIFETIME, keep_upload, kept_upload, take_upload
from app.auth.services import erase_person
from app.clock import utcnow
from app.extensions import db
from app.privacy.retention import apply_retention, plan_retention


def _keys() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(PendingUpload.key)))


def test_the_uploader_gets_the_bytes_back_once(make_user, make_study):
    lead, study = make_user("lead_analyst"), make_study(slots=0)
    key = keep_upload(b"project bytes", lead, study)

    assert kept_upload(key, lead, study) == b"project bytes"  # the check page may read it again
    assert kept_upload(key, lead, study) == b"project bytes"
    assert take_upload(key, lead, study) is True  # the import takes it...
    assert take_upload(key, lead, study) is False  # ...once
    db.session.commit()
    assert kept_upload(key, lead, study) is None
    assert _keys() == set()


def test_only_its_uploader_in_its_study_within_the_hour_gets_it(make_user, make_study):
    lead, other_lead = make_user("lead_analyst"), make_user("lead_analyst")
    study, other_study = make_study(slots=0, title="This study"), make_study(slots=0, title="Another study")
    now = utcnow()
    key = keep_upload(b"project bytes", lead, study, now=now)

    assert kept_upload(key, other_lead, study) is None and take_upload(key, other_lead, study) is False
    assert kept_upload(key, lead, other_study) is None and take_upload(key, lead, other_study) is False
    late = now + UPLOAD_LIFETIME + timedelta(seconds=1)
    assert kept_upload(key, lead, study, now=late) is None and take_upload(key, lead, study, now=late) is False
    assert _keys() == {key}  # refusals leave it for its owner
    assert kept_upload(key, lead, study, now=now + UPLOAD_LIFETIME) == b"project bytes"


@pytest.mark.parametrize(
    "key",
    [None, 12, "", "../../instance/socitm.db", "A" * 32, "0" * 31, "0" * 33, "0" * 10_000, "0" * 31 + "\n", ["0" * 32]],
)
def test_a_key_of_another_shape_never_reaches_the_database(make_user, make_study, key):
    lead, study = make_user("lead_analyst"), make_study(slots=0)
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        refused = (kept_upload(key, lead, study), take_upload(key, lead, study))
        queried_for_it = list(statements)
        kept_upload("0" * 32, lead, study)  # a key of the right shape is looked up (the listener hears it)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert refused == (None, False) and queried_for_it == [] and statements


def test_uploads_never_pile_up_between_retention_runs(make_user, make_study):
    lead, other_lead, study = make_user("lead_analyst"), make_user("lead_analyst"), make_study(slots=0)
    now = utcnow()
    stale = keep_upload(b"stale", other_lead, study, now=now - UPLOAD_LIFETIME - timedelta(minutes=1))
    theirs = keep_upload(b"theirs", other_lead, study, now=now)
    mine = [keep_upload(b"mine", lead, study, now=now + timedelta(seconds=n)) for n in range(KEEP_PER_PERSON + 2)]

    # The next upload takes away those past the hour, and the uploader's beyond their newest five.
    assert _keys() == {theirs, *mine[-KEEP_PER_PERSON:]}
    assert stale not in _keys()


def test_retention_deletes_uploads_past_the_hour_and_keeps_newer_ones(make_user, make_study):
    lead, study = make_user("lead_analyst"), make_study(slots=0)
    now = utcnow()
    old = keep_upload(b"old", lead, study, now=now - timedelta(minutes=61))
    new = keep_upload(b"new", lead, study, now=now - timedelta(minutes=59))

    plan = plan_retention(now, kinds=["pending_uploads"])
    assert plan.kinds[0].items == [old]
    assert plan.kinds[0].period.text == "1 hour after they were uploaded (or as soon as the import is confirmed)"
    assert apply_retention(plan) == {"pending_uploads": 1}
    assert _keys() == {new}


def test_erasing_a_person_deletes_their_uploads_awaiting_confirmation(make_user, make_study):
    lead, colleague, admin = make_user("lead_analyst"), make_user("lead_analyst"), make_user("admin")
    study = make_study(slots=0)
    keep_upload(b"theirs", lead, study)
    kept = keep_upload(b"colleague's", colleague, study)

    erase_person(lead, by=admin)

    assert _keys() == {kept}
