"""Passages shown with their evidence marked: the text escaped, <mark> inserted by character offsets."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape


def merged_spans(spans: Iterable[Iterable[int]], length: int) -> list[tuple[int, int]]:
    """The spans clipped to the text and merged where they overlap or touch, in order."""
    clean = sorted(
        (max(0, int(start)), min(length, int(end)))
        for start, end in (tuple(span)[:2] for span in spans if len(tuple(span)) >= 2)
    )
    merged: list[tuple[int, int]] = []
    for start, end in clean:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(text: str, spans: Iterable[Iterable[int]] = ()) -> Markup:
    """`text`, HTML-escaped, with each span wrapped in <mark> (overlapping spans merged)."""
    pieces: list[str] = []
    position = 0
    for start, end in merged_spans(spans, len(text)):
        pieces.append(str(escape(text[position:start])))
        pieces.append(f'<mark class="app-evidence">{escape(text[start:end])}</mark>')
        position = end
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))  # noqa: S704 - every piece of text is escaped above
