"""Time between a tube's steps, and tubes late at a step, counted by the database.

Turnaround comes back as a histogram of whole minutes (a few hundred rows for a day,
whatever the campaign's size); late tubes as a count and the oldest few, each with its
compound and building. Receipt to result is measured to the tube's first result (a
re-run or an amendment later does not stretch it). Both come from the campaign's
running counts (``poolab.store.tube_tally``): the histograms are kept there, and the
tubes waiting at a step are counted by the minute they began to wait, so the late ones
are read from the scans of the few minutes that hold them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from sqlalchemy import Connection, Integer, Select, exists, func, literal_column, select

from poolab.store.tables import TubeTally
from poolab.store.tube_tally import epoch_minute_sql
from poolab.store.tubesql import COL, REC, RES, M, R, T, filter_only, first_member_on, is_current, place_on

SPANS = ("collection_to_receipt", "receipt_to_result")
TALLY = TubeTally.__table__  # type: ignore[attr-defined]


def turnaround_minutes(conn: Connection, *, campaign_id: int, span: str) -> list[tuple[int, int]]:
    """(whole minutes, tubes) for ``span``, one of ``SPANS``: from a tube's collection to
    its receipt, or from its receipt to its first result, in minute order (the
    campaign's running counts of that span)."""
    if span not in SPANS:
        raise ValueError(f"unknown span {span!r}; one of {', '.join(SPANS)}")
    c = TALLY.c
    total = func.sum(c.tubes)
    query = (
        select(c.minute, total)
        .where(c.campaign_id == campaign_id, c.what == span)
        .group_by(c.minute)
        .having(total != 0)
        .order_by(c.minute)
    )
    return [(int(m), int(n)) for m, n in conn.execute(query)]


@attrs.frozen(slots=True)
class LateTube:
    """A tube waiting at a step since ``since``."""

    barcode: str
    kind: str
    compound: str
    building: str
    since: datetime


def _without_result(campaign_id: int, since: datetime, before: datetime) -> Select:
    """Tubes received in [since, before) with no usable result (none, or an invalid one
    that is still current)."""
    rec, t, res = REC.alias("rec"), T.alias("t"), RES.alias("res")
    usable = exists().where((res.c.tube_id == rec.c.tube_id) & (res.c.call != "invalid") & is_current(res))
    return (
        select(rec.c.tube_id.label("id"), rec.c.at.label("since"))
        .select_from(rec.join(t, t.c.id == rec.c.tube_id))
        # the scans by time, then their tubes: not the campaign's every tube
        .where(rec.c.at >= since, rec.c.at < before, filter_only(t.c.campaign_id) == campaign_id, ~usable)
    )


def _collected_not_received(campaign_id: int, since: datetime, before: datetime) -> Select:
    """Tubes collected in [since, before) and not received."""
    col, t, rec = COL.alias("col"), T.alias("t"), REC.alias("rec")
    return (
        select(col.c.tube_id.label("id"), col.c.at.label("since"))
        .select_from(col.join(t, t.c.id == col.c.tube_id))
        .where(
            col.c.at >= since,
            col.c.at < before,
            filter_only(t.c.campaign_id) == campaign_id,
            ~exists().where(rec.c.tube_id == col.c.tube_id),
        )
    )


LATE_STEPS = ("not_received", "without_result")
"""Collected and not received; received without a usable result (none, or invalid)."""
_LATE = {"not_received": _collected_not_received, "without_result": _without_result}


_ROUNDING = timedelta(milliseconds=1)


def _minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def _waiting_by_minute(conn: Connection, campaign_id: int, step: str, last: int) -> list[tuple[int, int]]:
    """(minute, tubes) still waiting at ``step`` that began to wait in that minute, up to
    minute ``last``, oldest first."""
    c = TALLY.c
    total = func.sum(c.tubes)
    query = (
        select(c.minute, total)
        .where(c.campaign_id == campaign_id, c.what == step, c.minute <= last)
        .group_by(c.minute)
        .having(total > 0)
        .order_by(c.minute)
    )
    return [(int(m), int(n)) for m, n in conn.execute(query)]


def late_tubes(
    conn: Connection, *, campaign_id: int, step: str, before: datetime, limit: int
) -> tuple[int, list[LateTube]]:
    """How many tubes wait at ``step`` (one of ``LATE_STEPS``) since before ``before``,
    and the ``limit`` that wait longest, each with its place."""
    scans = _LATE[step]
    edge = int(before.timestamp() // 60)  # the minute ``before`` falls in: counted from the scans
    # SQLite reads a time to the millisecond (rounded): one a fraction of one before a
    # minute is counted in that minute, so the minute after the edge may hold a tube
    # waiting since before ``before`` too
    minutes = _waiting_by_minute(conn, campaign_id, step, edge + 1)
    whole = [(m, n) for m, n in minutes if m < edge]
    # the scans counted in those two minutes that are before ``before``
    edge_scans = scans(campaign_id, _minute_start(edge) - _ROUNDING, before).subquery("edge")
    minute = literal_column(epoch_minute_sql(conn.dialect.name, "edge.since"), Integer)
    in_edge = select(func.count()).where(minute >= edge)
    in_edge = in_edge.select_from(edge_scans)
    waiting_in_edge = bool(minutes) and minutes[-1][0] >= edge
    total = sum(n for _, n in whole) + (int(conn.execute(in_edge).scalar_one()) if waiting_in_edge else 0)
    if total == 0 or limit <= 0:
        return total, []
    # the minutes that hold the ``limit`` oldest waiting tubes, read from their scans
    upto, seen = edge, 0
    for m, n in whole:
        seen += n
        if seen >= limit:
            upto = m
            break
    until = min(_minute_start(upto + 1), before)
    # any tube waiting since before ``before`` may be listed: a range a little wider than
    # those minutes (SQLite's rounding) only adds candidates
    since = _minute_start(minutes[0][0]) - _ROUNDING
    late = scans(campaign_id, since, until).order_by("since", "id").limit(limit).subquery("late")
    tube, first, place = T.alias("tube"), M.alias("first"), R.alias("place")
    query = (
        select(tube.c.barcode, tube.c.kind, place.c.compound, place.c.building, late.c.since)
        .select_from(
            late.join(tube, tube.c.id == late.c.id)
            .outerjoin(first, first_member_on(first, late.c.id))
            .outerjoin(place, place_on(place, tube.c.resident_pk, first))
        )
        .order_by(late.c.since, tube.c.barcode)
    )
    return total, [LateTube(b, k, c or "", bl or "", at) for b, k, c, bl, at in conn.execute(query)]
