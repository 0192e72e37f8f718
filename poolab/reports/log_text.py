"""``poolab log`` as a person reads it in a terminal: one line per event, its columns in
line when an operator's name is Chinese. The steps of a tube's life are in the reader's
words; the actions named after commands (``results.import``) and the details
(``source=...``) are shown as the store keeps them, as ``--json`` gives them."""

from __future__ import annotations

from collections.abc import Sequence

from poolab.i18n import _
from poolab.reports.columns import left
from poolab.reports.history import LogEntry


def action_word(action: str) -> str:
    """A step of a tube's or a resident's life in the reader's words; a command's action as it is."""
    words = {
        "created": _("created"),
        "collected": _("collected"),
        "received": _("received"),
        "plated": _("plated"),
        "result": _("result"),
        "result corrected": _("result corrected"),
        "pool tube": _("pool tube"),
        "retest tube": _("retest tube"),
        "home-visit tube": _("home-visit tube"),
    }
    return words.get(action, action)


def log_lines(entries: Sequence[LogEntry], subject: str) -> list[str]:
    """The lines of ``poolab log`` (``subject``: the campaign, tube or resident asked about)."""
    if not entries:
        return [_("no events yet for {subject}").format(subject=subject)]
    out = []
    for e in entries:
        details = "  ".join(f"{k}={v}" for k, v in e.details)
        out.append(
            f"{e.at:%Y-%m-%d %H:%M:%S}  {left(e.operator, 12)}  {left(action_word(e.action), 16)}  {details}".rstrip()
        )
    return out
