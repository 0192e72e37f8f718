"""Time between a tube's steps, and tubes late at a step, counted by the database.

Turnaround comes back as a histogram of whole minutes (a few hundred rows for a day,
whatever the campaign's size); late tubes as a count and the oldest few, each with its
compound and building. Receipt to result is measured to the tube's first result (a
re-run or an amendment later does not stretch it).
"""

from __future__ import annotations

from datetime import datetime

import attrs
from sqlalchemy import Connection, Select, func, select

from poolab.store.tables import Collection, Receipt
from poolab.store.tubesql import RES, M, R, T, current_result_on, first_member_on, minutes_between, place_on

_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]

SPANS = ("collection_to_receipt", "receipt_to_result")


def turnaround_minutes(conn: Connection, *, campaign_id: int, span: str) -> list[tuple[int, int]]:
    """(whole minutes, tubes) for ``span``, one of ``SPANS``: from a tube's collection to
    its receipt, or from its receipt to its first result."""
    t = T.alias("t")
    if span == "collection_to_receipt":
        start, end = _COL.alias("start"), _REC.alias("end")
        on_end = end.c.tube_id == t.c.id
    elif span == "receipt_to_result":
        start, end, older = _REC.alias("start"), RES.alias("end"), RES.alias("older")
        if conn.dialect.name == "sqlite":  # the oldest row: one step into the tube's index entries
            on_end = end.c.id == select(func.min(older.c.id)).where(older.c.tube_id == t.c.id).scalar_subquery()
        else:  # the row superseding none, its chain's start (the same row): hash-joined once
            on_end = (end.c.tube_id == t.c.id) & end.c.supersedes_id.is_(None)
    else:
        raise ValueError(f"unknown span {span!r}; one of {', '.join(SPANS)}")
    minutes = minutes_between(conn.dialect.name, start.c.at, end.c.at)
    query = (
        select(minutes, func.count())
        .select_from(t.join(start, start.c.tube_id == t.c.id).join(end, on_end))
        .where(t.c.campaign_id == campaign_id)
        .group_by(minutes)
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


def _without_result(campaign_id: int, before: datetime) -> Select:
    t, rec, res = T.alias("t"), _REC.alias("rec"), RES.alias("res")
    source = t.join(rec, rec.c.tube_id == t.c.id).outerjoin(res, current_result_on(res, t.c.id))
    waiting = res.c.id.is_(None) | (res.c.call == "invalid")
    return (
        select(t.c.id, rec.c.at.label("since"))
        .select_from(source)
        .where((t.c.campaign_id == campaign_id) & (rec.c.at < before) & waiting)
    )


def _collected_not_received(campaign_id: int, before: datetime) -> Select:
    t, col, rec = T.alias("t"), _COL.alias("col"), _REC.alias("rec")
    source = t.join(col, col.c.tube_id == t.c.id).outerjoin(rec, rec.c.tube_id == t.c.id)
    return (
        select(t.c.id, col.c.at.label("since"))
        .select_from(source)
        .where((t.c.campaign_id == campaign_id) & (col.c.at < before) & rec.c.id.is_(None))
    )


LATE_STEPS = ("not_received", "without_result")
"""Collected and not received; received without a usable result (none, or invalid)."""
_LATE = {"not_received": _collected_not_received, "without_result": _without_result}


def late_tubes(
    conn: Connection, *, campaign_id: int, step: str, before: datetime, limit: int
) -> tuple[int, list[LateTube]]:
    """How many tubes wait at ``step`` (one of ``LATE_STEPS``) since before ``before``,
    and the ``limit`` that wait longest, each with its place."""
    waiting = _LATE[step](campaign_id, before)  # tube ids only: the index has them, not the rows
    late = waiting.add_columns(func.count().over().label("total")).order_by("since").limit(limit).subquery("late")
    tube, first, place = T.alias("tube"), M.alias("first"), R.alias("place")
    query = (
        select(late.c.total, tube.c.barcode, tube.c.kind, place.c.compound, place.c.building, late.c.since)
        .select_from(
            late.join(tube, tube.c.id == late.c.id)
            .outerjoin(first, first_member_on(first, late.c.id))
            .outerjoin(place, place_on(place, tube.c.resident_pk, first))
        )
        .order_by(late.c.since, tube.c.barcode)
    )
    rows = conn.execute(query).all()
    total = int(rows[0][0]) if rows else 0
    return total, [LateTube(b, k, c or "", bl or "", at) for _, b, k, c, bl, at in rows]
