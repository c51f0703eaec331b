"""On SQLite, answering pages read without the database's write lock and take it only to save.

Another writer holding the lock (a colleague saving, an organiser sending invitations) does not
hold up showing a page or reporting a mistake on it; only the save waits its turn.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.engine import make_url

from app.extensions import db
from tests.conftest import page_text
from tests.surveys.conftest import answer_page


@pytest.fixture
def config_overrides():
    # A writer that wrongly waits for the lock fails in half a second rather than fifteen.
    return {"SQLITE_BUSY_TIMEOUT_MS": 500}


@pytest.fixture
def write_lock(app):
    """Take SQLite's write lock from another connection; release it with the returned function."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    connection = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    held = []

    def take():
        connection.execute("BEGIN IMMEDIATE")
        held.append(True)

    def release():
        if held:
            connection.execute("ROLLBACK")
            held.clear()

    yield take, release
    release()
    connection.close()


def test_pages_show_and_mistakes_are_reported_while_another_writer_holds_the_lock(
    client, signed_in, survey, write_lock
):
    take, release = write_lock
    signed_in("member")
    client.post("/surveys/schools-ict/start")
    assert client.get("/surveys/schools-ict/questions/size").status_code == 200  # first visit noted
    take()
    page = client.get("/surveys/schools-ict/questions/size")
    assert page.status_code == 200
    wrong = answer_page(client, "size", {"ict_revenue_spend": "lots", "ict_staff_fte": "38.5"})
    assert wrong.status_code == 200
    text = page_text(wrong)
    assert "There is a problem" in text
    assert 'value="lots"' in wrong.get_data(as_text=True)
    release()
    saved = answer_page(client, "size", {"ict_revenue_spend": "4,200,000", "ict_staff_fte": "38.5"})
    assert saved.status_code == 302
