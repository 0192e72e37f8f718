"""Drawings for the page as plain numbers (the templates turn them into inline SVG):
a turnaround histogram's bars, and a progress row's stacked bar."""

from __future__ import annotations

import attrs
import numpy as np

from poolab.i18n import _
from poolab.reports.timing import Turnaround

WIDTH, HEIGHT = 300.0, 100.0
"""The histogram's SVG viewBox."""
NICE_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 90, 120, 180, 240, 360, 720, 1440)
MAX_BARS = 24


@attrs.frozen(slots=True)
class Bar:
    """One histogram bar in viewBox units, and what it stands for."""

    x: float
    y: float
    width: float
    height: float
    start: int  # minutes
    end: int
    tubes: int


@attrs.frozen(slots=True)
class Label:
    """A text (or a marker line) at ``x`` in viewBox units."""

    x: float
    label: str
    anchor: str  # SVG text-anchor: start, middle, end


@attrs.frozen(slots=True)
class Histogram:
    """Bars over [0, ``end``) minutes, and the tubes beyond the last bar (the last bar holds them);
    axis ticks at round times, and the median and 90th percentile marked."""

    bars: tuple[Bar, ...]
    bin_minutes: int
    end: int
    peak: int
    beyond: int
    ticks: tuple[Label, ...] = ()
    marks: tuple[Label, ...] = ()


def histogram(turnaround: Turnaround) -> Histogram | None:
    """At most 24 bars of a round width (5 min, 15 min, 1 h ...) covering 99% of the
    tubes; the last bar also holds the slowest 1%. None when nothing was measured."""
    if not turnaround.histogram:
        return None
    pairs = np.asarray(turnaround.histogram, dtype=np.int64)
    minutes, counts = pairs[:, 0], pairs[:, 1]
    cum = np.cumsum(counts)
    reach = int(minutes[min(int(np.searchsorted(cum, 0.99 * cum[-1])), len(minutes) - 1)]) + 1
    width = next((w for w in NICE_MINUTES if reach / w <= MAX_BARS), NICE_MINUTES[-1])
    n = max(1, -(-reach // width))
    index = np.minimum(minutes // width, n - 1)
    per_bar = np.bincount(index, weights=counts, minlength=n).astype(np.int64)
    beyond = int(counts[minutes >= n * width].sum())
    peak = int(per_bar.max())
    step = WIDTH / n
    bars = tuple(
        Bar(
            x=round(i * step + 0.5, 2),
            y=round(HEIGHT - HEIGHT * c / peak, 2),
            width=round(step - 1.0, 2),
            height=round(HEIGHT * c / peak, 2),
            start=i * width,
            end=(i + 1) * width,
            tubes=int(c),
        )
        for i, c in enumerate(per_bar.tolist())
    )
    end = n * width
    return Histogram(
        bars=bars,
        bin_minutes=width,
        end=end,
        peak=peak,
        beyond=beyond,
        ticks=_ticks(end),
        marks=_marks(turnaround, end),
    )


def _anchor(x: float) -> str:
    return "start" if x < 30 else "end" if x > WIDTH - 30 else "middle"


def _ticks(end: int) -> tuple[Label, ...]:
    """0, then round times (every 15 min, 30 min, 1 h, 2 h ...) up to the end: at most 6 labels."""
    step = next((s for s in (5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440) if end / s <= 5), 2880)
    out = []
    for minutes in range(0, end + 1, step):
        x = round(WIDTH * minutes / end, 2)
        out.append(Label(x, tick_text(minutes), _anchor(x)))
    return tuple(out)


def tick_text(minutes: int) -> str:
    """Short axis labels: "0", "45 min", "2 h", "1 h 30"."""
    if minutes == 0:
        return "0"
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return _("{hours} h").format(hours=hours)
    return _("{hours} h {minutes}").format(hours=hours, minutes=f"{rest:02d}")


def _marks(turnaround: Turnaround, end: int) -> tuple[Label, ...]:
    out = []
    for name, value in ((_("median"), turnaround.median_minutes), ("90%", turnaround.p90_minutes)):
        if value is not None and value <= end:
            x = round(WIDTH * value / end, 2)
            out.append(Label(x, name, "end" if x > WIDTH - 40 else "start"))
    return tuple(out)


def share_text(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a whole percent for a person to read: rounded down, so it
    never says 100% while a tube is outstanding (9,725 of 9,764 is 99%, not 100%), and
    "<1%" rather than 0% once any is done."""
    if whole <= 0 or part <= 0:
        return "0%"
    if part >= whole:
        return "100%"
    whole_percent = 100 * part // whole
    return f"{whole_percent}%" if whole_percent else "<1%"


def percent(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, 0 when there is no whole (for bar widths)."""
    return round(100.0 * part / whole, 2) if whole else 0.0
