"""Text that fits its box: shrunk down to a floor, then cut with an ellipsis."""

from __future__ import annotations

import functools
from typing import Any

MIN_SHRINK = 0.75  # never smaller than this share of the asked size
ELLIPSIS = "…"
BOLD_STROKE = 0.035  # outline stroke of faux bold, share of the font size
WIDEST_GLYPH = 1.05  # em; a string of n glyphs is at most n * this wide (CJK glyphs are 1 em)


@functools.lru_cache(maxsize=16384)  # slots, rooms, masked names repeat thousands of times
def fitted(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """(text, size) such that the text set in ``font`` at ``size`` fits ``width`` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    w = stringWidth(text, font, size)
    if w <= width:
        return text, size
    smaller = max(size * MIN_SHRINK, size * width / w)
    if stringWidth(text, font, smaller) <= width:
        return text, smaller
    while text and stringWidth(text + ELLIPSIS, font, smaller) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS, smaller


def draw_fitted(
    canvas: Any,
    text: str,
    *,
    font: str,
    size: float,
    x: float,
    y: float,
    width: float,
    align: str = "left",
    bold: bool = False,
) -> None:
    """Draw ``text`` on the baseline ``y``, within ``width`` from ``x`` (or centred on the
    box). ``bold`` strokes the outlines too: a heavier face from a font that has none."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    shown, s = fitted(text, font, size, width)
    if align != "left":
        w = stringWidth(shown, font, s)
        x += width - w if align == "right" else (width - w) / 2
    t = canvas.beginText(x, y)
    t.setFont(font, s)
    if bold:
        canvas.saveState()
        canvas.setLineWidth(s * BOLD_STROKE)
        t.setTextRenderMode(2)  # fill, then stroke
    t.textOut(shown)
    canvas.drawText(t)
    if bold:
        canvas.restoreState()


def place(
    text_object: Any, text: str, *, font: str, size: float, x: float, y: float, width: float, align: str = "left"
) -> None:
    """Put ``text`` into an open reportlab text object whose font is ``font`` at ``size``,
    fitted into ``width`` like ``draw_fitted``. One text object for many cells is several
    times faster than a ``drawString`` per cell (the district's sheet has 600,000 cells)."""
    if align == "left" and len(text) * size * WIDEST_GLYPH <= width:
        text_object.setTextOrigin(x, y)  # surely fits: no need to measure
        text_object.textOut(text)
        return
    from reportlab.pdfbase.pdfmetrics import stringWidth

    shown, s = fitted(text, font, size, width)
    if align != "left":
        w = stringWidth(shown, font, s)
        x += width - w if align == "right" else (width - w) / 2
    text_object.setTextOrigin(x, y)
    if s != size:
        text_object.setFont(font, s)
    text_object.textOut(shown)
    if s != size:
        text_object.setFont(font, size)
