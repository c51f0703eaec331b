"""On a development copy (OUTBOX_SHOWS_LINKS, set by DevelopmentConfig) the outbox is how a developer
follows invitation, reset, survey and volunteer links, so it shows them in full and says so."""

from __future__ import annotations

import re

import pytest

from app.auth.services import invite_person
from app.email.models import OutboxMessage
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig, TestingConfig
from tests.conftest import page_text


@pytest.fixture
def config_overrides():
    return {"OUTBOX_SHOWS_LINKS": True}


def test_a_development_outbox_shows_links_in_full_and_says_why(client, signed_in):
    admin = signed_in("admin", email="admin@socitm.example")
    invite_person(email="ann@kent.example", name="Ann Lee", roles=["analyst"], organisation_id=None, invited_by=admin)
    invitation = db.session.scalars(db.select(OutboxMessage)).one()
    live = re.search(r"/invitation/(\S+)", invitation.text_body).group(1)
    assert "This is a development copy" in page_text(client.get("/admin/outbox/"))
    page = page_text(client.get(f"/admin/outbox/{invitation.id}"))
    assert f"http://localhost/invitation/{live}" in page and "[link hidden]" not in page


def test_only_development_shows_them():
    assert DevelopmentConfig.OUTBOX_SHOWS_LINKS is True
    assert ProductionConfig.OUTBOX_SHOWS_LINKS is False and TestingConfig.OUTBOX_SHOWS_LINKS is False
