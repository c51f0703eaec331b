"""The log is safe against injection (ASVS item 21): what a visitor types cannot forge a line."""

from __future__ import annotations

import logging

from app.logs import SafeFormatter, escape_for_log


def test_control_characters_are_written_as_visible_escapes():
    assert escape_for_log("a\nb\r\nc\x00d\x1b[31me\u2028f") == "a\\nb\\r\\nc\\x00d\\x1b[31me\\u2028f"
    assert escape_for_log("Plain text, with ‘quotes’ and é") == "Plain text, with ‘quotes’ and é"


def test_a_forged_line_in_a_logged_path_stays_on_one_line():
    record = logging.LogRecord(
        "app.errors", logging.WARNING, __file__, 1, "CSRF check failed on %s %s", ("POST", "/x\n2026 INFO fake"), None
    )
    line = SafeFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING CSRF check failed on POST /x\\n2026 INFO fake"
