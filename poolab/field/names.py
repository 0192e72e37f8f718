"""What a campaign may be called: one rule, checked here in the library so that every
store agrees (SQLite would keep 10,000 characters where PostgreSQL refuses 300).

A name is printed in lists, hints and file names, so it holds printable characters only
(no terminal escape such as ``\\x1b[2J``, no newline or tab) and at most
``MAX_CAMPAIGN_NAME`` characters.
"""

from __future__ import annotations

import unicodedata

from poolab.errors import PoolabError
from poolab.i18n import _

MAX_CAMPAIGN_NAME = 200


def _unprintable(ch: str) -> bool:
    # control, format, private-use, unassigned; line and paragraph separators
    return unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")


def campaign_name(raw: str) -> str:
    """``raw`` without surrounding spaces, or a ``PoolabError`` saying what is wrong."""
    name = raw.strip()
    if not name:
        raise PoolabError(_("a campaign needs a name"))
    if len(name) > MAX_CAMPAIGN_NAME:
        raise PoolabError(
            _("campaign name is {length} characters long; at most {limit} (it begins {start})").format(
                length=f"{len(name):,}", limit=MAX_CAMPAIGN_NAME, start=repr(name[:20])
            )
        )
    bad = [i for i, ch in enumerate(name) if _unprintable(ch)]
    if bad:
        shown = ascii(name[bad[0]]).strip("'")
        raise PoolabError(
            _(
                "campaign name has {count} control or invisible character(s) (the first, {shown}, at "
                "character {position}); use printable characters only"
            ).format(count=len(bad), shown=shown, position=bad[0] + 1)
        )
    return name
