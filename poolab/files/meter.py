"""Progress of a long step (a city's import, its pools, its manifest) for a person watching.

The library reports through a ``Progress`` callable that it is given (never printing on
its own): ``progress(step, fraction, rows)`` as work advances. ``TerminalMeter`` is the
one the command line passes when standard error is a terminal: it stays silent for the
first ``QUIET_SECONDS`` of a step (short steps show nothing), then redraws one line,
"step: 42.0%  1,234,567 rows  250,000 rows/s", a few times a second (a PDF counts its
labels or pages instead: the meter's ``unit``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from poolab.i18n import _

Progress = Callable[[str, float, int], None]
"""``progress(step, fraction done 0..1, rows done)``."""

QUIET_SECONDS = 2.0
REDRAW_SECONDS = 0.25


def no_progress(step: str, fraction: float, rows: int) -> None:
    """The default: report nothing."""


def _unit_word(unit: str) -> str:
    """What the meter counts, in the current language (the callers name it in English)."""
    words = {"rows": _("rows"), "labels": _("labels"), "pages": _("pages")}
    return words.get(unit, unit)


class TerminalMeter:
    """A one-line meter on a terminal stream (the caller checks that it is a terminal)."""

    def __init__(self, stream: TextIO, *, clock: Callable[[], float] = time.monotonic, unit: str = "rows") -> None:
        self.stream = stream
        self.clock = clock
        self.unit = unit
        self._step = ""
        self._started = 0.0
        self._drawn = 0.0
        self._width = 0

    def __call__(self, step: str, fraction: float, rows: int) -> None:
        now = self.clock()
        if step != self._step:
            self.finish()
            self._step, self._started, self._drawn = step, now, 0.0
        elapsed = now - self._started
        if elapsed < QUIET_SECONDS or (now - self._drawn < REDRAW_SECONDS and fraction < 1.0):
            return
        self._drawn = now
        rate = rows / elapsed if elapsed > 0 else 0.0
        line = _("{step}: {percent}%  {rows} {unit}  {rate} {unit}/s").format(
            step=step,
            percent=f"{100 * min(max(fraction, 0.0), 1.0):5.1f}",
            rows=f"{rows:,}",
            unit=_unit_word(self.unit),
            rate=f"{rate:,.0f}",
        )
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def finish(self) -> None:
        """End the meter's line, if it drew one (the next output starts on a line of its own)."""
        if self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
