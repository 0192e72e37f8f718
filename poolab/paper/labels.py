"""Labels: any sequence of (code, text lines) onto label stock, one page at a time.

Each label: the first text line above the barcode (the one a person reads first), the
Code 128 barcode, the code in human-readable text under it, then the other lines as the
stock has room for. Labels are laid out in the order given (walk order), row by row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import attrs

from poolab.files.meter import Progress, no_progress
from poolab.i18n import _
from poolab.paper import fonts
from poolab.paper.barcode import draw_code128
from poolab.paper.pdf import PdfSummary, new_canvas, replacing, save
from poolab.paper.stocks import MM, LabelStock
from poolab.paper.text import draw_fitted

HEADING_GAP = 1.0  # mm between the heading's descenders and the bars
CODE_GAP = 1.0  # mm between the bars and the code's cap height
ASCENT, DESCENT, LEADING = 0.8, 0.2, 1.2  # share of the font size (WenQuanYi's are close to these)


@attrs.frozen(slots=True)
class Label:
    """One label: the code its barcode carries and the text printed with it."""

    code: str
    lines: tuple[str, ...] = ()


PROGRESS_STEP = "labels"


def render_labels(
    labels: Iterable[Label],
    output: str | os.PathLike[str],
    stock: LabelStock,
    *,
    title: str,
    total: int | None = None,
    progress: Progress = no_progress,
) -> PdfSummary:
    """Write ``labels`` to the PDF ``output`` on ``stock``; pages are emitted as they fill.
    ``progress`` hears how many are drawn (of ``total``, when known)."""
    fonts.register_fonts()
    count = 0
    pages = 0
    with replacing(output) as temp:
        canvas = new_canvas(
            temp, width=stock.page_width * MM, height=stock.page_height * MM, title=title, subject="labels"
        )
        for label in labels:
            if count and count % stock.per_page == 0:
                canvas.showPage()
            if count % stock.per_page == 0:
                pages += 1
            _draw_label(canvas, label, stock, count)
            count += 1
            progress(_("labels"), count / total if total else 0.0, count)  # the meter redraws a few times a second
        if count:
            canvas.showPage()
        save(canvas)
    progress(_("labels"), 1.0, count)
    return PdfSummary(path=os.fspath(output), pages=pages, items=count)


def _draw_label(canvas: Any, label: Label, stock: LabelStock, index: int) -> None:
    """One label, its content centred in the label's height."""
    x0, y0 = stock.origin(index)
    left = (x0 + stock.padding) * MM
    width = (stock.label_width - 2 * stock.padding) * MM
    heading, below = (label.lines[0], label.lines[1 : 1 + stock.lines_below]) if label.lines else ("", ())
    bars = stock.barcode_height * MM
    heading_h = stock.heading_pt * (ASCENT + DESCENT) + HEADING_GAP * MM if heading else 0.0
    code_h = CODE_GAP * MM + stock.code_pt * ASCENT
    lines_h = len(below) * stock.line_pt * LEADING
    content = heading_h + bars + code_h + lines_h + stock.line_pt * DESCENT
    top = (y0 + stock.label_height / 2) * MM + content / 2
    if heading:
        draw_fitted(
            canvas,
            heading,
            font=fonts.TEXT,
            size=stock.heading_pt,
            x=left,
            y=top - stock.heading_pt * ASCENT,
            width=width,
            align="centre",
            bold=True,
        )
    bars_bottom = top - heading_h - bars
    draw_code128(canvas, label.code, centre_x=left + width / 2, bottom=bars_bottom, width=width, height=bars)
    baseline = bars_bottom - code_h
    draw_fitted(
        canvas,
        label.code,
        font=fonts.CODE,
        size=stock.code_pt,
        x=left,
        y=baseline,
        width=width,
        align="centre",
        bold=True,
    )
    for line in below:
        baseline -= stock.line_pt * LEADING
        draw_fitted(canvas, line, font=fonts.TEXT, size=stock.line_pt, x=left, y=baseline, width=width, align="centre")
