"""Reading the numbers people type: one parser for every form field, import column and query string.

The text is checked for length and form *before* anything converts it, so no input can make `int()`
or `Decimal` do unbounded work (`1e1000000`, or 5,000 digits) and NaN or an infinity never gets in.

What is accepted:

- ASCII digits 0-9 only, with an optional leading sign. Other digits (Arabic-Indic, superscripts),
  underscores (`1_000`), prefixes (`0x10`), `NaN` and `Infinity` are refused.
- Commas, as thousands separators, are ignored (`1,200`); whitespace around the number is ignored.
- Whole numbers: no decimal point (`12.0` is read as 12) and no exponent.
- Decimals: one decimal point, and an exponent only of at most two digits (`1.5e3`), then at most
  `places` decimal places once trailing zeros are dropped (`42.50` has one).
- At most `MAX_LENGTH` characters once the commas and surrounding whitespace are taken out.

Bounds: where the caller gives none, numbers lie between -LIMIT and LIMIT (one thousand million million,
10^15 — above any count or amount the platform asks for, and within what a float holds to the penny)
and decimals have at most MAX_PLACES places. Callers' bounds are clamped to these.

Each parser returns the value or raises NumberError, a ValueError whose message is written for the
person who typed the number (GOV.UK style: "Enter a whole number, like 250") and whose `reason` says
which check failed, so a form can say it in its own words.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.wording import plural

__all__ = [
    "LIMIT",
    "JSONNumberError",
    "MAX_LENGTH",
    "MAX_PAGE",
    "MAX_PLACES",
    "NumberError",
    "format_bound",
    "finite_float",
    "json_safe",
    "loads_json",
    "parse_decimal",
    "parse_whole_number",
    "requested_page",
]

LIMIT = 10**15
MAX_PLACES = 6
MAX_LENGTH = 32
MAX_EXPONENT_DIGITS = 2
MAX_PAGE = 1_000_000

_WHOLE = re.compile(r"[+-]?[0-9]+(?:\.0*)?", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_SCIENTIFIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]{1,2}", re.ASCII)  # MAX_EXPONENT_DIGITS
_DIGITS_ONLY = re.compile(r"[+-]?[0-9.]+", re.ASCII)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)  # thousands separated by commas


class NumberError(ValueError):
    """A typed number that cannot be used: `message` for the person, `reason` for the form.

    `reason` is "form" (not a number written as the field allows), "whole" (a decimal where a whole
    number is needed), "places" (too many decimal places), "min" or "max" (out of range); `minimum`,
    `maximum` and `places` are the limits that applied, for a message in the form's own words.
    """

    def __init__(self, message: str, reason: str, *, minimum: Decimal, maximum: Decimal, places: int = 0) -> None:
        """Keep the message, which check failed, and the limits that applied."""
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.minimum = minimum
        self.maximum = maximum
        self.places = places

    def __str__(self) -> str:
        """The message for the person who typed the number."""
        return self.message


def format_bound(value: Decimal | int | float) -> str:
    """A limit as a person reads it: thousands separated, no exponent, no trailing zeros (1,000.5)."""
    number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _limits(minimum: Any, maximum: Any) -> tuple[Decimal, Decimal]:
    """The caller's bounds, clamped to ±LIMIT (a missing or non-finite bound is the default)."""

    def bound(value: Any, default: int) -> Decimal:
        if value is None or isinstance(value, bool):
            return Decimal(default)
        if isinstance(value, float):
            if not math.isfinite(value):
                return Decimal(default)
            value = Decimal(repr(value))
        value = Decimal(value)
        return min(max(value, Decimal(-LIMIT)), Decimal(LIMIT))

    return bound(minimum, -LIMIT), bound(maximum, LIMIT)


def _range_message(whole: bool, low: Decimal, high: Decimal) -> str:
    kind = "a whole number" if whole else "a number"
    return f"Enter {kind} between {format_bound(low)} and {format_bound(high)}"


def _places_message(places: int) -> str:
    if places == 0:
        return "Enter a whole number, like 250"
    return f"Enter a number with no more than {plural(places, 'decimal place')}"


def _clean(text: Any, thousands: bool) -> str:
    text = ("" if text is None else str(text)).strip()
    # Commas only as thousands separators ("12,500", "1,000,000.5"): "1,2,3" is not 123, so it stays as
    # typed and is refused as not a number.
    if thousands and "," in text and _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text


def _read(
    text: Any, *, whole: bool, minimum: Any, maximum: Any, places: int, thousands: bool, exponent: bool
) -> Decimal:
    low, high = _limits(minimum, maximum)
    places = 0 if whole else max(0, min(places, MAX_PLACES))

    def fail(message: str, reason: str) -> NumberError:
        return NumberError(message, reason, minimum=low, maximum=high, places=places)

    form_message = "Enter a whole number, like 250" if whole else "Enter a number, like 12.5"
    cleaned = _clean(text, thousands)
    if len(cleaned) > MAX_LENGTH:
        # Only now look at what it is, by its characters alone: a long run of digits is a number out of
        # range, or one with too many decimal places; anything else is not a number.
        if _DIGITS_ONLY.fullmatch(cleaned) and cleaned.count(".") <= 1 and any(c.isdigit() for c in cleaned):
            integer_part = cleaned.lstrip("+-").partition(".")[0].lstrip("0")
            if len(integer_part) > len(str(LIMIT)) or whole:
                raise fail(_range_message(whole, low, high), "min" if cleaned.startswith("-") else "max")
            raise fail(_places_message(places), "places")
        raise fail(form_message, "form")
    if _WHOLE.fullmatch(cleaned):
        number = Decimal(cleaned.split(".")[0])
    elif _DECIMAL.fullmatch(cleaned) or (exponent and not whole and _SCIENTIFIC.fullmatch(cleaned)):
        # At most MAX_LENGTH characters and a two-digit exponent: Decimal reads it in constant time.
        number = Decimal(cleaned)
        if whole:
            raise fail(form_message, "whole")
    elif _SCIENTIFIC.fullmatch(cleaned):
        raise fail(form_message, "whole" if whole else "form")
    else:
        raise fail(form_message, "form")
    if number < low:
        raise fail(_range_message(whole, low, high), "min")
    if number > high:
        raise fail(_range_message(whole, low, high), "max")
    if _decimal_places(number) > places:
        raise fail(_places_message(places), "whole" if whole else "places")
    if number == 0:
        number = Decimal(0)  # no negative zero
    return number


def _decimal_places(number: Decimal) -> int:
    """Decimal places once trailing zeros are dropped (42.50 has one), without rounding to a context."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite by construction
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def parse_whole_number(
    text: Any, *, minimum: int | Decimal | None = None, maximum: int | Decimal | None = None, thousands: bool = True
) -> int:
    """A whole number typed as ASCII digits (commas allowed when `thousands`), within the bounds.

    Raises NumberError for anything else: decimals, exponents, other digits, NaN, out of range.
    """
    number = _read(text, whole=True, minimum=minimum, maximum=maximum, places=0, thousands=thousands, exponent=False)
    return int(number)


def parse_decimal(
    text: Any,
    *,
    minimum: Decimal | float | int | None = None,
    maximum: Decimal | float | int | None = None,
    places: int = MAX_PLACES,
    thousands: bool = True,
    exponent: bool = True,
) -> Decimal:
    """A finite decimal within the bounds with at most `places` decimal places (at most MAX_PLACES).

    An exponent (`1.5e3`) is allowed when `exponent` is true, of at most two digits.
    Raises NumberError for anything else.
    """
    return _read(
        text,
        whole=False,
        minimum=minimum,
        maximum=maximum,
        places=places,
        thousands=thousands,
        exponent=exponent,
    )


def requested_page(args: Mapping[str, Any], name: str = "page") -> int:
    """The page number a list was asked for (`?page=`): 1 when missing or not a whole number from 1 to
    MAX_PAGE, so a hostile value shows the first page rather than an error."""
    try:
        return parse_whole_number(args.get(name) or "1", minimum=1, maximum=MAX_PAGE, thousands=False)
    except NumberError:
        return 1


def finite_float(value: Any) -> float | None:
    """A stored number as a finite float, or None for anything else: booleans, text, NaN, infinities, and
    ints beyond a float's range (answers stored before this parser could hold thousands of digits)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def json_safe(value: Any) -> Any:
    """A value with every NaN or infinite float, at any depth, replaced by None — so it can be written
    with `json.dumps(..., allow_nan=False)` even when it was stored before NaN was refused."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


class JSONNumberError(ValueError):
    """A JSON document holding a number the platform will not read (NaN, an infinity, or too long)."""


def _json_constant(name: str) -> Any:
    raise JSONNumberError(f"{name} is not a number this service accepts")


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_LENGTH:
        raise JSONNumberError(f"the number {text[:20]}… is too long")
    return int(text)


def _json_float(text: str) -> float:
    if len(text) > MAX_LENGTH:
        raise JSONNumberError(f"the number {text[:20]}… is too long")
    value = float(text)
    if not math.isfinite(value):
        raise JSONNumberError(f"the number {text} is too large")
    return value


def loads_json(text: str) -> Any:
    """Read an uploaded JSON document with every number checked before it is converted.

    NaN, Infinity, numbers of more than MAX_LENGTH characters and floats out of range are refused, and so is
    nesting too deep to read; each raises ValueError (json.JSONDecodeError for broken JSON) with a message
    that can be shown to the person who uploaded the file.
    """
    try:
        return json.loads(text, parse_constant=_json_constant, parse_int=_json_int, parse_float=_json_float)
    except RecursionError as exc:
        raise JSONNumberError("it is nested too deeply") from exc
