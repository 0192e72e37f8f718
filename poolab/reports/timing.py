"""Turnaround and late tubes: how long tubes take from swab to lab and from lab to
result, and which are overdue.

The database counts tubes per whole minute of each span (``poolab.store.timing``);
the median and 90th percentile come from that histogram, to the minute (within the
minute, tubes are taken as evenly spread). Late tubes are counted against ``now``:
collected and not received after ``receipt_hours``, received and without a usable
result (none, or invalid) after ``result_hours``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from datetime import UTC, datetime, timedelta

import attrs
from sqlalchemy import Connection

from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.store.timing import LATE_STEPS, SPANS, LateTube, late_tubes, turnaround_minutes

DEFAULT_RECEIPT_HOURS = 4.0
"""Swab to lab: tubes collected and not received after this many hours are late."""
DEFAULT_RESULT_HOURS = 6.0
"""Lab to result: received tubes without a result after this many hours are late."""
MAX_HOURS = 24.0 * 30


def _hours(value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and 0 < value <= MAX_HOURS):
        raise PoolabError(
            _("late-tube hours must be more than 0 and at most {most}, got {value}").format(
                most=f"{MAX_HOURS:g}", value=f"{value:g}"
            )
        )
    return value


@attrs.frozen(slots=True)
class LateRule:
    """When a tube counts as late at each step (hours)."""

    receipt_hours: float = attrs.field(default=DEFAULT_RECEIPT_HOURS, converter=_hours)
    result_hours: float = attrs.field(default=DEFAULT_RESULT_HOURS, converter=_hours)


@attrs.frozen(slots=True)
class Turnaround:
    """One span's times: tubes measured, median and 90th percentile (minutes), and the
    histogram they come from as (minute, tubes) pairs in minute order."""

    tubes: int
    median_minutes: float | None
    p90_minutes: float | None
    histogram: tuple[tuple[int, int], ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"tubes": self.tubes, "median_minutes": self.median_minutes, "p90_minutes": self.p90_minutes}


def turnaround_from(histogram: list[tuple[int, int]]) -> Turnaround:
    """Median and 90th percentile of a (minute, tubes) histogram; a negative span (clocks
    of two stations apart) counts as zero. A few hundred rows: plain Python (numpy would
    cost every ``poolab status`` its import, a sixth of the command)."""
    if not histogram:
        return Turnaround(0, None, None)
    merged: dict[int, int] = {}
    for minute, tubes in histogram:
        at = max(int(minute), 0)
        merged[at] = merged.get(at, 0) + int(tubes)
    minutes = sorted(merged)
    counts = [merged[m] for m in minutes]
    pairs = tuple(zip(minutes, counts, strict=True))
    return Turnaround(sum(counts), _quantile(minutes, counts, 0.5), _quantile(minutes, counts, 0.9), pairs)


def _quantile(minutes: list[int], counts: list[int], q: float) -> float:
    """The q-quantile (inverted CDF: the ceil(q n)-th smallest), inside its minute."""
    n = sum(counts)
    k = max(1, math.ceil(q * n))
    cum = list(itertools.accumulate(counts))
    i = bisect.bisect_left(cum, k)
    before = cum[i] - counts[i]
    return round(float(minutes[i]) + (k - before - 0.5) / float(counts[i]), 1)


@attrs.frozen(slots=True)
class LateList:
    """Tubes late at one step: how many, and the longest-waiting ones."""

    hours: float
    count: int
    tubes: tuple[LateTube, ...] = ()


@attrs.frozen(slots=True)
class CampaignTiming:
    """Turnaround per span (``SPANS``) and late tubes per step (``LATE_STEPS``), as of ``now``."""

    now: datetime
    rule: LateRule
    turnaround: dict[str, Turnaround]
    late: dict[str, LateList]

    def turnaround_json(self) -> dict[str, object]:
        return {span: self.turnaround[span].as_json() for span in SPANS}

    def late_json(self) -> dict[str, object]:
        return {
            "receipt_hours": self.rule.receipt_hours,
            "not_received": self.late["not_received"].count,
            "result_hours": self.rule.result_hours,
            "without_result": self.late["without_result"].count,
        }


def campaign_timing(
    conn: Connection, *, campaign_id: int, rule: LateRule, now: datetime | None = None, listed: int = 0
) -> CampaignTiming:
    """The campaign's turnaround and late tubes (the ``listed`` longest-waiting of each
    step with their place), read in the caller's snapshot."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    return CampaignTiming(
        now=at,
        rule=rule,
        turnaround={s: span_turnaround(conn, campaign_id=campaign_id, span=s) for s in SPANS},
        late={
            step: late_list(conn, campaign_id=campaign_id, step=step, rule=rule, now=at, listed=listed)
            for step in LATE_STEPS
        },
    )


def span_turnaround(conn: Connection, *, campaign_id: int, span: str) -> Turnaround:
    """One span's turnaround (``SPANS``): a part of ``campaign_timing`` a caller may read
    on a connection of its own."""
    return turnaround_from(turnaround_minutes(conn, campaign_id=campaign_id, span=span))


def late_list(conn: Connection, *, campaign_id: int, step: str, rule: LateRule, now: datetime, listed: int) -> LateList:
    """Tubes late at ``step`` (``LATE_STEPS``) as of ``now``: a part of ``campaign_timing``."""
    hours = rule.receipt_hours if step == "not_received" else rule.result_hours
    count, tubes = late_tubes(
        conn, campaign_id=campaign_id, step=step, before=now - timedelta(hours=hours), limit=max(listed, 1)
    )
    return LateList(hours, count, tuple(tubes[:listed]))


def duration_text(minutes: float | None) -> str:
    """A span as people read it: "-" (none measured), "45 min", "2 h 05 min", "1 d 3 h"."""
    if minutes is None:
        return "-"
    whole = int(round(minutes))
    if whole < 60:
        return _("{minutes} min").format(minutes=whole)
    hours, mins = divmod(whole, 60)
    if hours < 24:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=f"{mins:02d}")
    days, hours = divmod(hours, 24)
    return _("{days} d {hours} h").format(days=days, hours=hours)


def hours_text(hours: float) -> str:
    """4.0 -> "4 h", 1.5 -> "1.5 h"."""
    return _("{hours} h").format(hours=f"{hours:g}")
