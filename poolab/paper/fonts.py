"""The fonts the PDFs use: a CJK font embedded (subset) in every file, Helvetica for codes.

The CJK font is the one ``poolab.cjk_font`` finds (WenQuanYi Micro Hei, or
``POOLAB_CJK_FONT``); its TrueType outlines are what reportlab embeds.
"""

from __future__ import annotations

import functools

from poolab.cjk_font import FontMissing, cjk_font_path
from poolab.i18n import _

TEXT = "poolab-cjk"  # registered name of the embedded font (CJK and Latin text)
# Human-readable codes: the monospaced face of the same collection (WenQuanYi Micro Hei
# Mono), whose narrow 0 and round O are told apart more easily than in Helvetica.
CODE = "poolab-code"


@functools.cache
def register_fonts() -> str:
    """Register the CJK font with reportlab once per process; returns the file used."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = cjk_font_path()
    try:
        pdfmetrics.registerFont(TTFont(TEXT, path, subfontIndex=0))
    except TTFError as exc:  # e.g. an OpenType font with PostScript (CFF) outlines
        raise FontMissing(
            _("{path}: cannot embed this font ({error}); use a TrueType font").format(path=path, error=exc)
        ) from None
    try:
        pdfmetrics.registerFont(TTFont(CODE, path, subfontIndex=1))
    except (TTFError, IndexError):  # a single font, not a collection: codes in the text face
        pdfmetrics.registerFont(TTFont(CODE, path, subfontIndex=0))
    return path
