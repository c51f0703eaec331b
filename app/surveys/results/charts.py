"""Server-rendered SVG charts. Each chart sits beside a table of the same figures, so the SVG is
marked as an image with a short description and the table carries the detail for screen readers.
Only presentation attributes are used (no style attributes), so the strict CSP holds."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#1d70b8"
BAR_ALT = "#d4351c"
TEXT = "#0b0c0c"
GRID = "#b1b4b6"


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


def bar_chart(
    items: list[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "%",
    maximum: float | None = None,
    chart_id: str = "chart",
) -> Markup:
    """Horizontal bars, one per (label, value). Values are percentages unless `unit` says otherwise."""
    values = [v for _label, v in items if v is not None]
    top = maximum if maximum is not None else (max(values) if values else 0) or 1
    label_width, bar_width, row_height = 230, 300, 34
    lines_per_item = [_wrap(label, 30) for label, _v in items]
    heights = [max(row_height, 16 * len(lines) + 12) for lines in lines_per_item]
    height = sum(heights) + 10
    width = label_width + bar_width + 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'class="app-chart" role="img" aria-labelledby="{escape(chart_id)}-title" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)} (the figures are in the table)</title>',
        f'<line x1="{label_width}" y1="0" x2="{label_width}" y2="{height - 5}" stroke="{GRID}" stroke-width="1"/>',
    ]
    y = 5
    for (_label, value), lines, h in zip(items, lines_per_item, heights, strict=True):
        for n, line in enumerate(lines):
            parts.append(
                f'<text x="{label_width - 8}" y="{y + 18 + 16 * n}" text-anchor="end" font-size="14" '
                f'font-family="Arial, sans-serif" fill="{TEXT}">{escape(line)}</text>'
            )
        if value is not None:
            length = max(0.0, min(1.0, value / top)) * bar_width
            parts.append(
                f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="{row_height - 12}" fill="{BAR}"/>'
            )
            # A counted unit ("passages") reads in the singular for exactly one.
            counted = unit[:-1] if unit == "passages" and round(value) == 1 else unit
            shown = f"{value:.0f}%" if unit == "%" else f"{value:,.0f}{(' ' + counted) if counted else ''}"
            parts.append(
                f'<text x="{label_width + length + 6:.1f}" y="{y + 22}" font-size="14" '
                f'font-family="Arial, sans-serif" fill="{TEXT}">{escape(shown)}</text>'
            )
        else:
            parts.append(
                f'<text x="{label_width + 6}" y="{y + 22}" font-size="14" font-family="Arial, sans-serif" '
                f'fill="{TEXT}">no answers</text>'
            )
        y += h
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece above is escaped


def interval_chart(
    items: list[tuple[str, float | None, float | None, float | None]], *, title: str, chart_id: str = "interval"
) -> Markup:
    """Percentages with 95% intervals: (label, percent, low %, high %) per row, on a 0-100 axis with 50% marked."""
    label_width, axis, row_height = 230, 300, 30
    height = row_height * len(items) + 40
    width = label_width + axis + 60
    x = lambda pct: label_width + axis * pct / 100  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" class="app-chart" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)} (the figures are in the table)</title>',
        f'<line x1="{x(50):.1f}" y1="0" x2="{x(50):.1f}" y2="{height - 30}" stroke="{BAR_ALT}" stroke-width="2" '
        f'stroke-dasharray="4 3"/>',
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 10}" text-anchor="middle" font-size="12" '
            f'font-family="Arial, sans-serif" fill="{TEXT}">{tick}%</text>'
        )
    for n, (label, pct, low, high) in enumerate(items):
        y = 5 + n * row_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'font-family="Arial, sans-serif" fill="{TEXT}">{escape(label[:34])}</text>'
        )
        if pct is None:
            continue
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{x(low):.1f}" y1="{y + 12}" x2="{x(high):.1f}" y2="{y + 12}" stroke="{TEXT}" '
                f'stroke-width="2"/>'
            )
        parts.append(f'<circle cx="{x(pct):.1f}" cy="{y + 12}" r="5" fill="{BAR}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece above is escaped
