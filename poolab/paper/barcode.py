"""Code 128 barcodes (reportlab's encoder: it switches to code set C for digit runs).

The module (narrowest bar) is as wide as the space allows, up to ``MAX_MODULE``; a code
that would need modules narrower than ``MIN_MODULE`` to fit is refused rather than
printed unreadable. Quiet zones of 10 modules each side are part of the width.
"""

from __future__ import annotations

from typing import Any

from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.paper.stocks import MM

MIN_MODULE = 0.19 * MM  # 7.5 mil: what common handheld imagers read, 2+ dots at 300 dpi
MAX_MODULE = 0.40 * MM  # wider helps nobody and wastes the label
QUIET_MODULES = 10


def _symbol(code: str) -> tuple[Any, int]:
    """reportlab's symbol for ``code`` at a module of 1 point, and its modules (quiet zones excluded)."""
    from reportlab.graphics.barcode.code128 import Code128

    if not code or not code.isascii() or not code.isprintable():
        raise PoolabError(
            _("code {code}: Code 128 prints ASCII letters, digits and signs only").format(code=repr(code))
        )
    symbol = Code128(code, barWidth=1.0, quiet=0)
    return symbol, int(round(symbol.width))


def _module(code: str, modules: int, width: float) -> float:
    module = min(MAX_MODULE, width / (modules + 2 * QUIET_MODULES))
    if module < MIN_MODULE:
        raise PoolabError(
            _("code {code} is too long for a barcode {width} mm wide; choose a larger layout").format(
                code=repr(code), width=f"{width / MM:.0f}"
            )
        )
    return module


def fit_module(code: str, width: float) -> float:
    """The module width (points) that makes ``code`` and its quiet zones fit ``width``."""
    return _module(code, _symbol(code)[1], width)


def draw_code128(canvas: Any, code: str, *, centre_x: float, bottom: float, width: float, height: float) -> float:
    """Draw ``code`` centred on ``centre_x`` within ``width`` (points), bars ``height``
    high from ``bottom``; returns the width of the bars."""
    symbol, modules = _symbol(code)
    symbol.barWidth = _module(code, modules, width)
    symbol.barHeight = height
    bars = modules * symbol.barWidth
    symbol.drawOn(canvas, centre_x - bars / 2, bottom)
    return float(bars)
