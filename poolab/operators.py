"""Who is making a change: the name every event carries (``--operator``)."""

from __future__ import annotations

import unicodedata

from poolab.errors import PoolabError
from poolab.i18n import _

MAX_LENGTH = 200  # the event table's operator column


def check_operator(name: str) -> str:
    """``name`` without surrounding spaces; refused when blank, too long, or holding a
    control or invisible character (a two-line name would forge a second log line)."""
    clean = name.strip()
    if not clean:
        raise PoolabError(_("--operator is blank: give the name of the person making the changes"))
    bad = [ch for ch in clean if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
    if bad:
        shown = ", ".join(sorted({repr(ch) for ch in bad}))
        raise PoolabError(
            _("--operator holds control or invisible characters ({shown}): give a plain name").format(shown=shown)
        )
    if len(clean) > MAX_LENGTH:
        raise PoolabError(
            _("--operator is {length} characters long; at most {limit}").format(length=len(clean), limit=MAX_LENGTH)
        )
    return clean
