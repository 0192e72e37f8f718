"""The fonts the PDFs use: a CJK font embedded (subset) in every file, Helvetica for codes.

The CJK font is WenQuanYi Micro Hei (Apache-2.0 or GPLv3 with the font exception), from
Debian's ``fonts-wqy-microhei`` package (``.ci/run`` installs it); its TrueType outlines
are what reportlab embeds. ``POOLAB_CJK_FONT`` names another TrueType file (.ttf, .ttc)
instead. Nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import os

from poolab.errors import PoolabError
from poolab.i18n import _

FONT_ENV = "POOLAB_CJK_FONT"
# Where distributions put WenQuanYi Micro Hei (Debian/Ubuntu first, then Fedora, Arch).
WQY_MICROHEI_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)
TEXT = "poolab-cjk"  # registered name of the embedded font (CJK and Latin text)
# Human-readable codes: the monospaced face of the same collection (WenQuanYi Micro Hei
# Mono), whose narrow 0 and round O are told apart more easily than in Helvetica.
CODE = "poolab-code"


class FontMissing(PoolabError):
    """No usable CJK font."""


def cjk_font_path() -> str:
    """The CJK font file: ``POOLAB_CJK_FONT`` when set, else WenQuanYi Micro Hei."""
    chosen = os.environ.get(FONT_ENV)
    if chosen:
        if not os.path.isfile(chosen):
            raise FontMissing(_("{setting}: no such font file").format(setting=f"{FONT_ENV}={chosen}"))
        return chosen
    for path in WQY_MICROHEI_PATHS:
        if os.path.isfile(path):
            return path
    raise FontMissing(
        _(
            "no CJK font for the PDFs: install Debian's fonts-wqy-microhei "
            "(apt-get install fonts-wqy-microhei) or set {variable} to a TrueType font file"
        ).format(variable=FONT_ENV)
    )


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
