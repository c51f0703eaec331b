"""The one table writer (app/tables.py): formula-like text is neutralised, numbers and blanks are left alone."""

import pytest

from app.tables import neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+44", "'+44"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        (-5, -5),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected
