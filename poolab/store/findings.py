"""What the lab found: pools whose current call sends their members to a retest, with
how far those retests got, and the residents an individual tube confirmed positive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs
from sqlalchemy import Connection, func, select

from poolab.store.tables import Receipt
from poolab.store.tubesql import RES, M, R, T, current_call, current_result_on, first_member_on, people_in, place_on

_REC = Receipt.__table__  # type: ignore[attr-defined]


@attrs.frozen(slots=True)
class FlaggedPool:
    """A pool tube whose current call is positive or inconclusive, and its retests."""

    barcode: str
    call: str
    ct_orf1ab: float | None
    ct_n: float | None
    at: datetime
    compound: str
    building: str
    people: int
    retest_issued: int
    retest_received: int
    retest_resulted: int


def flagged_pools(
    conn: Connection, *, campaign_id: int, calls: Sequence[str], limit: int | None = None
) -> list[FlaggedPool]:
    """The pool tubes (walk order) whose current call is one of ``calls``; the first
    ``limit`` when given."""
    t, res = T.alias("t"), RES.alias("res")
    first, place = M.alias("first"), R.alias("place")
    kid, kid_rec, kid_res = T.alias("kid"), _REC.alias("kid_rec"), RES.alias("kid_res")
    issued = select(func.count()).where(kid.c.parent_tube_id == t.c.id).scalar_subquery()
    received = (
        select(func.count())
        .select_from(kid.join(kid_rec, kid_rec.c.tube_id == kid.c.id))
        .where(kid.c.parent_tube_id == t.c.id)
        .scalar_subquery()
    )
    resulted = (
        select(func.count())
        .select_from(kid.join(kid_res, current_result_on(kid_res, kid.c.id)))
        .where(kid.c.parent_tube_id == t.c.id)
        .scalar_subquery()
    )
    query = (
        select(
            t.c.barcode,
            res.c.call,
            res.c.ct_orf1ab,
            res.c.ct_n,
            res.c.at,
            place.c.compound,
            place.c.building,
            people_in(t),
            issued,
            received,
            resulted,
        )
        .select_from(
            t.join(res, current_result_on(res, t.c.id))
            .outerjoin(first, first_member_on(first, t.c.id))
            .outerjoin(place, place_on(place, t.c.resident_pk, first))
        )
        .where(t.c.campaign_id == campaign_id, t.c.kind == "pool", res.c.call.in_(list(calls)))
        # A campaign's pool tubes are stored in walk order (ids follow positions), so the
        # campaign's index gives them in order (and the first ``limit`` end the scan).
        .order_by(t.c.id)
        .limit(limit)
    )
    return [
        FlaggedPool(b, c, c1, c2, at, comp or "", bld or "", int(n), int(i), int(r), int(d))
        for b, c, c1, c2, at, comp, bld, n, i, r, d in conn.execute(query)
    ]


@attrs.frozen(slots=True)
class ConfirmedPositive:
    """A resident whose individual tube is positive, as the positives export shows them
    (the name as stored: the caller masks it)."""

    resident_id: str
    name: str
    compound: str
    building: str
    unit: str
    room: str
    barcode: str
    at: datetime
    household_id: str = ""


def confirmed_positives(conn: Connection, *, campaign_id: int, limit: int | None = None) -> list[ConfirmedPositive]:
    """Residents with a positive individual tube, by address (each once, at their first
    such tube); at most ``limit`` when given."""
    t, res, p = T.alias("t"), RES.alias("res"), R.alias("p")
    first_tube = (
        select(t.c.resident_pk, func.min(t.c.id).label("tube_id"))
        .select_from(t.join(res, current_result_on(res, t.c.id)))
        .where(t.c.campaign_id == campaign_id, t.c.kind == "individual", res.c.call == "positive")
        .group_by(t.c.resident_pk)
        .subquery("first_tube")
    )
    tube, result = T.alias("tube"), RES.alias("result")
    query = (
        select(
            p.c.resident_id,
            p.c.name,
            p.c.compound,
            p.c.building,
            p.c.unit,
            p.c.room,
            tube.c.barcode,
            result.c.at,
            p.c.household_id,
        )
        .select_from(
            first_tube.join(p, p.c.id == first_tube.c.resident_pk)
            .join(tube, tube.c.id == first_tube.c.tube_id)
            .join(result, current_result_on(result, tube.c.id))
        )
        .order_by(p.c.compound, p.c.building, p.c.unit, p.c.room, p.c.resident_id)
        .limit(limit)
    )
    return [ConfirmedPositive(*row) for row in conn.execute(query)]


def count_confirmed_positives(conn: Connection, *, campaign_id: int) -> int:
    """How many residents have a positive individual tube (each once): the count of
    ``confirmed_positives``, read from the campaign's few individual tubes."""
    t = T.alias("t")  # the campaign's few individual tubes, by its (campaign, kind) index
    query = select(func.count(func.distinct(t.c.resident_pk))).where(
        t.c.campaign_id == campaign_id, t.c.kind == "individual", current_call(t.c.id) == "positive"
    )
    return int(conn.execute(query).scalar() or 0)
