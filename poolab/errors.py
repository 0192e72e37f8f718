"""Errors a person can act on: each names the file, the line and the value at fault."""

from __future__ import annotations

import attrs

from poolab.i18n import _
from poolab.masking import redact


@attrs.frozen(slots=True)
class Problem:
    """One bad line (or scan) of an input: where it is, what value, what is wrong.

    The value is echoed redacted (``masking.redact``): ID and phone numbers masked as in
    exports, at most 40 characters."""

    source: str
    line: int
    value: str
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        # redact already shows control characters as escapes: quoted, not repr'd, so a tab
        # reads \t and not \\t
        return _("{where}: {message} (value '{value}')").format(
            where=where, message=self.message, value=redact(self.value)
        )


class PoolabError(Exception):
    """Base class of errors meant for the person running poolab, not for a traceback."""


class StoreMissing(PoolabError):
    """The store does not exist yet (or is older than this poolab)."""


class StoreFault(PoolabError):
    """The store failed (full disk, read-only, locked, unreachable): one line saying what
    happened and what was kept."""


class StoreLost(StoreFault):
    """The store file was deleted or replaced while a command wrote to it: what was
    committed went with the old file (a stream's scans must all be scanned again)."""


class NotFound(PoolabError):
    """A named thing (campaign, tube, resident) is not in the store."""


class InputRejected(PoolabError):
    """A whole file was refused; nothing from it was written. ``problems`` lists every bad line."""

    def __init__(self, summary: str, problems: list[Problem]) -> None:
        self.summary = summary
        self.problems = problems
        super().__init__(summary)

    def __str__(self) -> str:
        shown = "\n".join(f"  {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        tail = "\n  " + _("... and {count} more").format(count=more) if more > 0 else ""
        return f"{self.summary}\n{shown}{tail}" if self.problems else self.summary

    def shown(self, limit: int) -> str:
        """The summary and the first ``limit`` problems, one a line."""
        lines = [self.summary, *(f"  {p}" for p in self.problems[:limit])]
        return "\n".join(lines)
