"""Time between a tube's steps, and tubes late at a step, counted by the database.

Turnaround comes back as a histogram of whole minutes (a few hundred rows for a day,
whatever the campaign's size); late tubes as a count and the oldest few, each with its
compound and building. Receipt to result is measured to the tube's first result (a
re-run or an amendment later does not stretch it).
"""

from __future__ import annotations

import re
from datetime import datetime

import attrs
from sqlalchemy import Connection, Select, and_, func, select, text

from poolab.store.tables import WAITING_FOR_RESULT
from poolab.store.tubesql import M, R, T, first_member_on, place_on

SPANS = ("collection_to_receipt", "receipt_to_result")


def turnaround_minutes(conn: Connection, *, campaign_id: int, span: str) -> list[tuple[int, int]]:
    """(whole minutes, tubes) for ``span``, one of ``SPANS``: from a tube's collection to
    its receipt, or from its receipt to its first result. Each tube's minutes are kept on
    it (by the store's triggers, when the span's second scan or result is written): one
    pass over a partial index, in minute order."""
    t = T.alias("t")
    if span == "collection_to_receipt":
        minutes = t.c.receipt_minutes
    elif span == "receipt_to_result":
        minutes = t.c.result_minutes
    else:
        raise ValueError(f"unknown span {span!r}; one of {', '.join(SPANS)}")
    query = select(minutes, func.count()).where(t.c.campaign_id == campaign_id, minutes.is_not(None)).group_by(minutes)
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
    t = T.alias("t")
    # the partial index's own condition, as text (SQLite uses the index only for a query
    # that repeats its terms; a bound 'invalid' or a boolean "= 1" would not)
    waiting = text(re.sub(r"\b(received_at|call)\b", r"t.\1", WAITING_FOR_RESULT))
    return select(t.c.id, t.c.received_at.label("since")).where(
        and_(t.c.campaign_id == campaign_id, waiting, t.c.received_at < before)
    )


def _collected_not_received(campaign_id: int, before: datetime) -> Select:
    t = T.alias("t")
    return select(t.c.id, t.c.collected_at.label("since")).where(
        (t.c.campaign_id == campaign_id)
        & t.c.collected_at.is_not(None)
        & t.c.received_at.is_(None)
        & (t.c.collected_at < before)
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
