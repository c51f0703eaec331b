"""The app's log format, safe against log injection: what a visitor typed (a path, an address, a name)
can never start a line of its own or hide part of one."""

from __future__ import annotations

import logging
import re

# Line breaks and every other control character (C0, DEL, C1) and the Unicode line/paragraph separators.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def escape_for_log(text: str) -> str:
    """Text with every control character written as a visible escape (a newline becomes `\\n`)."""
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    """Formats a record as usual, then escapes control characters in the message (tracebacks keep their lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's method name
        record.message = escape_for_log(record.message)
        return super().formatMessage(record)


def configure_logging() -> None:
    """Log at INFO to standard error through SafeFormatter, unless logging is already set up (as basicConfig)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
