"""Deny by default (ASVS 5.0 V8): the authorisation matrix covers every route, and a route nobody
declared, or a view marked neither @public nor with a role rule, fails it."""

from __future__ import annotations

import pytest

from app.auth.decorators import public, role_required
from tests import test_authorisation_matrix as matrix
from tests.test_authorisation_matrix import EXPECTED


def test_the_matrix_holds_for_the_app_as_it_is(app):
    matrix.test_every_route_has_a_declared_rule(app)
    matrix.test_every_view_states_its_rule_in_code(app)
    assert {rule.endpoint for rule in app.url_map.iter_rules()} == EXPECTED.keys()


def test_an_undeclared_route_fails_the_matrix(app):
    app.add_url_rule("/forgotten", "forgotten", role_required("admin")(lambda: "secret"))
    with pytest.raises(AssertionError, match="forgotten"):
        matrix.test_every_route_has_a_declared_rule(app)


def test_a_view_without_a_rule_in_code_fails_the_matrix(app, monkeypatch):
    monkeypatch.setitem(EXPECTED, "unmarked", "everyone")
    app.add_url_rule("/unmarked", "unmarked", lambda: "open to anyone")
    with pytest.raises(AssertionError, match="unmarked should be marked @public"):
        matrix.test_every_view_states_its_rule_in_code(app)


def test_a_view_whose_rule_disagrees_with_the_matrix_fails_it(app, monkeypatch):
    monkeypatch.setitem(EXPECTED, "too_open", frozenset({"admin"}))
    app.add_url_rule("/too-open", "too_open", public(lambda: "open to anyone"))
    with pytest.raises(AssertionError, match="too_open has no @role_required"):
        matrix.test_every_view_states_its_rule_in_code(app)
