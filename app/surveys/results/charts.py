"""Server-rendered SVG charts. Each chart sits beside a table of the same figures, so the SVG is
marked as an image with a short description and the table carries the detail for screen readers.
Only presentation attributes are used (no style attributes), so the strict CSP holds.

The SVGs have no viewBox: they are as wide as their column and lengths along the axis are percentages of
that width, so the text is drawn at its own size (16px) on a phone as on a desktop, never scaled down.
Each label, with its value, sits on its own line above its bar, so a narrow screen needs no room beside the bars."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#1d70b8"
BAR_ALT = "#d4351c"
TEXT = "#0b0c0c"
TRACK = "#f3f2f1"
FONT = 'font-family="Arial, sans-serif" font-size="16"'
LINE = 20  # px: one line of 16px text
LABEL_CHARACTERS = 34  # a line of label that fits a 320px phone at 16px


def _wrap(label: str, width: int) -> list[str]:
    words, lines, line = label.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines[:3]


def _svg_open(chart_id: str, title: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" class="app-chart" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)} (the figures are in the table)</title>',
    ]


def _text(x: str, y: float, text: str, extra: str = "") -> str:
    return f'<text x="{x}" y="{y:.0f}"{extra} {FONT} fill="{TEXT}">{escape(text)}</text>'


def bar_chart(
    items: list[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "%",
    maximum: float | None = None,
    chart_id: str = "chart",
) -> Markup:
    """Horizontal bars, one per (label, value), each under its label and its value (in bold, so the bar
    may take the whole width). Values are percentages unless `unit` says otherwise."""
    values = [v for _label, v in items if v is not None]
    top = maximum if maximum is not None else (max(values) if values else 0) or 1
    bar_height, gap = 22, 14
    rows = []
    for label, value in items:
        # A counted unit ("passages") reads in the singular for exactly one.
        counted = unit[:-1] if unit == "passages" and value is not None and round(value) == 1 else unit
        if value is None:
            shown = "no answers"
        else:
            shown = f"{value:.0f}%" if unit == "%" else f"{value:,.0f}{(' ' + counted) if counted else ''}"
        lines = _wrap(f"{label}:", LABEL_CHARACTERS)
        if len(lines[-1]) + 1 + len(shown) > LABEL_CHARACTERS:
            lines.append("")  # the value on a line of its own
        rows.append((value, lines, shown))
    height = sum(LINE * len(lines) + (6 + bar_height if value is not None else 0) + gap for value, lines, _ in rows)
    parts = _svg_open(chart_id, title, height)
    y = 0
    for value, lines, shown in rows:
        for n, line in enumerate(lines):
            y += LINE
            if n < len(lines) - 1:
                parts.append(_text("0", y - 4, line))
            else:
                value_text = f'<tspan font-weight="bold">{escape(shown)}</tspan>'
                label_text = f"{escape(line)} " if line else ""
                parts.append(f'<text x="0" y="{y - 4}" {FONT} fill="{TEXT}">{label_text}{value_text}</text>')
        if value is not None:
            share = max(0.0, min(1.0, value / top)) * 100
            # The whole width in light grey behind the bar, so its length reads against the scale.
            parts.append(f'<rect x="0" y="{y + 6}" width="100%" height="{bar_height}" fill="{TRACK}"/>')
            parts.append(f'<rect x="0" y="{y + 6}" width="{share:.1f}%" height="{bar_height}" fill="{BAR}"/>')
            y += 6 + bar_height
        y += gap
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece above is escaped


def interval_chart(
    items: list[tuple[str, float | None, float | None, float | None]], *, title: str, chart_id: str = "interval"
) -> Markup:
    """Percentages with 95% intervals: (label, percent, low %, high %) per row, each under its label, on a
    0-100 axis with 50% marked."""
    pad = 2  # % of the width either side of the axis, so the dots and intervals at 0% and 100% show whole
    x = lambda pct: f"{pad + (100 - 2 * pad) * pct / 100:.1f}%"  # noqa: E731
    row = LINE + 26
    height = row * len(items) + LINE + 14
    parts = _svg_open(chart_id, title, height)
    for tick in (0, 25, 50, 75, 100):
        anchor = "start" if tick == 0 else ("end" if tick == 100 else "middle")
        place = "0" if tick == 0 else ("100%" if tick == 100 else x(tick))
        parts.append(_text(place, height - 4, f"{tick}%", f' text-anchor="{anchor}"'))
    for n, (label, pct, low, high) in enumerate(items):
        y = n * row
        parts.append(_text("0", y + LINE - 4, label))
        # 50% marked under each label (never through it).
        parts.append(
            f'<line x1="{x(50)}" y1="{y + LINE + 1}" x2="{x(50)}" y2="{y + row - 1}" stroke="{BAR_ALT}" '
            f'stroke-width="2" stroke-dasharray="4 3"/>'
        )
        if pct is None:
            continue
        middle = y + LINE + 12
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{x(low)}" y1="{middle}" x2="{x(high)}" y2="{middle}" stroke="{TEXT}" stroke-width="2"/>'
            )
        parts.append(f'<circle cx="{x(pct)}" cy="{middle}" r="6" fill="{BAR}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece above is escaped
