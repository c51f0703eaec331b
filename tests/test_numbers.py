"""The one parser for typed numbers (app.numbers): form and length checked before conversion, NaN and
infinities refused, default bounds, and messages a person can act on."""

import json
import math
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.focus_groups.studies.services import create_study
from app.numbers import (
    LIMIT,
    MAX_PLACES,
    JSONNumberError,
    NumberError,
    format_bound,
    json_safe,
    loads_json,
    parse_decimal,
    parse_whole_number,
    requested_page,
)

HOSTILE = [
    "1e1000000",
    "9" * 5000,
    "-" + "9" * 5000,
    "0." + "0" * 5000 + "1",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "inf",
    "1e400",
    "-1e400",
    "1E99999",
    "0x10",
    "0b101",
    "0o17",
    "١٢٣",  # Arabic-Indic digits: int() would read 123
    "²",
    "１２",  # full-width digits
    "1_000",
    "12abc",
    "1.2.3",
    "--5",
    "+-5",
    "1e",
    "e5",
    ".",
    "-",
    "",
    "   ",
    "\x00",
    "1\x002",
    "<script>",
    "12 34",
    "1e+",
    "0e0e0",
    "9" * 40,
    "1" * 4301,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_by_both_parsers(text):
    with pytest.raises(NumberError) as whole:
        parse_whole_number(text)
    with pytest.raises(NumberError) as decimal:
        parse_decimal(text)
    assert whole.value.message and decimal.value.message
    assert isinstance(whole.value, ValueError)


def test_the_stalling_answers_are_refused_at_once():
    started = time.process_time()
    for text in ["1e1000000", "9" * 100_000, "1e" + "9" * 100_000, "-" * 100_000, "1" * 1_000_000]:
        for parse in (parse_whole_number, parse_decimal):
            with pytest.raises(NumberError):
                parse(text)
    assert time.process_time() - started < 3  # CPU time; a bound against the 40-second stall, not a benchmark


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), (" 12 ", 12), ("1,200", 1200), ("-3", -3), ("+7", 7), ("12.0", 12), ("-0", 0), ("0", 0)],
)
def test_whole_numbers_people_write_are_read(text, value):
    assert parse_whole_number(text) == value
    assert type(parse_whole_number(text)) is int


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.5", Decimal("12.5")),
        ("1,250.50", Decimal("1250.5")),
        (".5", Decimal("0.5")),
        ("1.5e3", Decimal("1500")),
        ("2E-2", Decimal("0.02")),
        ("42.500000000", Decimal("42.5")),  # trailing zeros are not decimal places
    ],
)
def test_decimals_people_write_are_read(text, value):
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["12.5", "1e3", "1.5e3", "2E-2"])
def test_whole_numbers_have_no_decimal_part_or_exponent(text):
    with pytest.raises(NumberError) as error:
        parse_whole_number(text)
    assert error.value.reason == "whole"
    assert error.value.message == "Enter a whole number, like 250"


def test_an_exponent_is_bounded_and_can_be_refused():
    assert parse_decimal("1e14") == Decimal(10**14)
    with pytest.raises(NumberError) as error:
        parse_decimal("1e100")
    assert error.value.reason == "form"  # three exponent digits: not read at all
    with pytest.raises(NumberError) as error:
        parse_decimal("1e16")
    assert error.value.reason == "max"
    with pytest.raises(NumberError) as error:
        parse_decimal("1e3", exponent=False)
    assert error.value.reason == "form"


def test_the_default_range_is_a_thousand_million_million():
    assert parse_whole_number(str(LIMIT)) == LIMIT
    assert parse_whole_number(str(-LIMIT)) == -LIMIT
    with pytest.raises(NumberError) as error:
        parse_whole_number(str(LIMIT + 1))
    assert error.value.reason == "max"
    assert error.value.message == ("Enter a whole number between -1,000,000,000,000,000 and 1,000,000,000,000,000")
    with pytest.raises(NumberError) as error:
        parse_decimal("-" + "9" * 60)
    assert error.value.reason == "min"
    assert error.value.message == "Enter a number between -1,000,000,000,000,000 and 1,000,000,000,000,000"


def test_callers_bounds_apply_and_are_clamped_to_the_default():
    with pytest.raises(NumberError) as error:
        parse_whole_number("1,000,001", minimum=0, maximum=1_000_000)
    assert error.value.message == "Enter a whole number between 0 and 1,000,000"
    assert (error.value.reason, error.value.minimum, error.value.maximum) == ("max", 0, 1_000_000)
    with pytest.raises(NumberError) as error:
        parse_decimal("2e15", maximum=10**20)
    assert error.value.maximum == LIMIT
    with pytest.raises(NumberError):
        parse_decimal("5", maximum=math.inf, minimum=6)  # an infinite bound is no bound; 5 < 6 still refused


def test_decimal_places_are_limited():
    assert parse_decimal("1.25", places=2) == Decimal("1.25")
    with pytest.raises(NumberError) as error:
        parse_decimal("1.255", places=2)
    assert (error.value.reason, error.value.places) == ("places", 2)
    assert error.value.message == "Enter a number with no more than 2 decimal places"
    with pytest.raises(NumberError) as error:
        parse_decimal("0.0000001")
    assert error.value.places == MAX_PLACES
    with pytest.raises(NumberError) as error:
        parse_decimal("1.000000000000000000000000000001")  # more digits than Decimal's context holds
    assert error.value.reason == "places"


def test_bounds_read_as_people_write_them():
    assert format_bound(Decimal(10**15)) == "1,000,000,000,000,000"
    assert format_bound(Decimal("1000.50")) == "1,000.5"
    assert format_bound(0.25) == "0.25"
    assert format_bound(-3) == "-3"


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789.,+-eE _xabn\u0661\u00b2 ", max_size=60),
        st.from_regex(r"[+-]?[0-9]{0,40}(\.[0-9]{0,40})?([eE][+-]?[0-9]{1,8})?", fullmatch=True),
    )
)
def test_any_text_gives_a_bounded_number_or_a_number_error(text):
    started = time.process_time()
    try:
        whole = parse_whole_number(text)
    except NumberError as error:
        assert error.message and error.reason in {"form", "whole", "places", "min", "max"}
    else:
        assert type(whole) is int and -LIMIT <= whole <= LIMIT
    try:
        number = parse_decimal(text)
    except NumberError as error:
        assert error.message and error.reason in {"form", "whole", "places", "min", "max"}
    else:
        assert number.is_finite() and -LIMIT <= number <= LIMIT
        assert -number.normalize().as_tuple().exponent <= MAX_PLACES or number == number.to_integral_value()
        assert math.isfinite(float(number))
    assert time.process_time() - started < 2  # CPU time: a bound against a stall


@pytest.mark.parametrize(
    ("args", "page"),
    [
        ({}, 1),
        ({"page": "3"}, 3),
        ({"page": "9" * 5000}, 1),
        ({"page": "99999999999999999999"}, 1),
        ({"page": "-2"}, 1),
        ({"page": "0"}, 1),
        ({"page": "١٢"}, 1),
        ({"page": "1e3"}, 1),
        ({"page": "nan"}, 1),
        ({"page": ""}, 1),
    ],
)
def test_a_requested_page_is_one_when_it_is_not_a_sane_page_number(args, page):
    assert requested_page(args) == page


def test_stored_nan_and_infinities_become_null_for_json():
    stored = {"a": math.inf, "b": [1, -math.inf, {"c": math.nan}], "d": 2.5, "e": "Infinity", "f": Decimal("NaN")}
    cleaned = json_safe(stored)
    assert json.dumps(cleaned, allow_nan=False) == (
        '{"a": null, "b": [1, null, {"c": null}], "d": 2.5, "e": "Infinity", "f": null}'
    )


@pytest.mark.parametrize(
    "document",
    ['{"min": NaN}', '{"max": Infinity}', '{"max": -Infinity}', "[1e400]", "[" + "9" * 5000 + "]", "[" * 100_000],
)
def test_uploaded_json_with_hostile_numbers_is_refused_with_a_message(document):
    with pytest.raises(JSONNumberError) as error:
        loads_json(document)
    assert str(error.value)


def test_uploaded_json_reads_as_usual_otherwise():
    assert loads_json('{"min": 0, "max": 1.5, "places": 2}') == {"min": 0, "max": 1.5, "places": 2}
    with pytest.raises(json.JSONDecodeError):
        loads_json("{broken")


HOSTILE_PAGES = ["9" * 5000, "99999999999999999999", "9223372036854775808", "-1", "0", "١٢", "1e3", "NaN", "²"]


@pytest.mark.parametrize("path", ["/organisations/", "/admin/people/", "/admin/audit/", "/admin/outbox/"])
def test_a_hostile_page_number_shows_a_normal_page(client, signed_in, path):
    signed_in("admin")
    for page in HOSTILE_PAGES:
        response = client.get(path, query_string={"page": page})
        assert response.status_code == 200, (path, page[:20], response.status_code)


def test_a_hostile_page_number_in_focus_group_lists_shows_a_normal_page(client, signed_in, app):
    signed_in("organiser")
    study = create_study("Who are our users?")
    db.session.commit()
    for page in HOSTILE_PAGES:
        for path in (f"/focus-groups/{study.id}/pool", f"/focus-groups/{study.id}/groups"):
            response = client.get(path, query_string={"page": page})
            assert response.status_code in (200, 302), (path, page[:20], response.status_code)


@pytest.mark.parametrize("typed", ["1,2,3", "1,0,0,0", "12,34", ",123", "1,,000", "1,000,00", "123,"])
def test_commas_are_read_only_as_thousands_separators(typed):
    with pytest.raises(NumberError) as error:
        parse_whole_number(typed)
    assert error.value.message == "Enter a whole number, like 250"


@pytest.mark.parametrize(("typed", "value"), [("12,500", 12500), ("1,000,000", 1_000_000), ("-1,234", -1234)])
def test_thousands_separators_are_read(typed, value):
    assert parse_whole_number(typed) == value
