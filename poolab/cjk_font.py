"""Where the Chinese text poolab draws gets its glyphs: one CJK TrueType font file, for the
PDFs (``poolab.paper``) and the planner's charts (``poolab.plan.curve``) alike.

WenQuanYi Micro Hei (Apache-2.0 or GPLv3 with the font exception), from Debian's
``fonts-wqy-microhei`` package (``.ci/run`` installs it); ``POOLAB_CJK_FONT`` names another
TrueType file (.ttf, .ttc) instead. Nothing is downloaded at run time.

May import: ``poolab.errors``, ``poolab.i18n``.
"""

from __future__ import annotations

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
