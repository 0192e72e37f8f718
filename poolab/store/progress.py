"""How far a campaign's tubes got, by compound, counted by the database.

One grouped query gives the tubes (and the people in them) by compound, kind, furthest
step and current call; a second one what the individual retests decided for their
residents. Both return a few rows per compound whatever the campaign's size.

Steps are those the store records: planned, collected, received, plated (the tube is in
a well of a plate map), resulted.
"""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import Connection, case, func, select

from poolab.store.tables import Collection, PlateWell, Receipt
from poolab.store.tubesql import RES, M, R, T, current_result_on, first_member_on, people_in, place_on

STEPS = ("planned", "collected", "received", "plated", "resulted")
"""A tube's steps in order; a tube is counted at the furthest one it reached."""

_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_PW = PlateWell.__table__  # type: ignore[attr-defined]


@attrs.frozen(slots=True)
class StepCount:
    """Tubes of one compound and kind at one furthest step with one current call."""

    compound: str
    kind: str  # "pool" or "individual"
    step: str  # one of STEPS
    call: str | None  # the current call; None before a result
    collected: bool  # the tubes have a collection scan (whatever step they reached since)
    tubes: int
    people: int  # residents in these tubes (pool tubes; 0 for individual tubes)


def step_counts(conn: Connection, *, campaign_id: int) -> list[StepCount]:
    """The campaign's tubes grouped by compound, kind, furthest step and current call."""
    t = T.alias("t")
    col, rec, res, well = _COL.alias("col"), _REC.alias("rec"), RES.alias("res"), _PW.alias("well")
    tube = (
        select(
            t.c.id,
            t.c.kind,
            t.c.resident_pk,
            _furthest_step(collected=col.c.id, received=rec.c.id, plated=well.c.id, resulted=res.c.id).label("step"),
            res.c.call,
            col.c.id.is_not(None).label("collected"),
            people_in(t).label("people"),
        )
        .select_from(
            t.outerjoin(col, col.c.tube_id == t.c.id)
            .outerjoin(rec, rec.c.tube_id == t.c.id)
            .outerjoin(well, (well.c.tube_id == t.c.id) & (well.c.run == 1))  # its first plate: one row a tube
            .outerjoin(res, current_result_on(res, t.c.id))
        )
        .where(t.c.campaign_id == campaign_id)
        .subquery("tube")
    )
    first, place = M.alias("first"), R.alias("place")
    compound = func.coalesce(place.c.compound, "")
    query = (
        select(compound, tube.c.kind, tube.c.step, tube.c.call, tube.c.collected, func.count(), func.sum(tube.c.people))
        .select_from(
            tube.outerjoin(first, first_member_on(first, tube.c.id)).outerjoin(
                place, place_on(place, tube.c.resident_pk, first)
            )
        )
        .group_by(compound, tube.c.kind, tube.c.step, tube.c.call, tube.c.collected)
    )
    rows = conn.execute(query)
    return [
        StepCount(str(c), str(k), str(s), call, bool(was), int(n), int(p or 0)) for c, k, s, call, was, n, p in rows
    ]


def _furthest_step(*, collected: Any, received: Any, plated: Any, resulted: Any) -> Any:
    """The furthest step a tube reached, from the ids of its rows at each step (NULL: none)."""
    return case(
        (resulted.is_not(None), "resulted"),
        (plated.is_not(None), "plated"),
        (received.is_not(None), "received"),
        (collected.is_not(None), "collected"),
        else_="planned",
    )


@attrs.frozen(slots=True)
class RetestOutcome:
    """What individual tubes decided for one compound's residents who have one."""

    compound: str
    positive: int  # residents with a positive individual tube (confirmed positives)
    cleared: int  # negative individually, none positive, their pool not negative
    positive_in_negative_pool: int  # confirmed positive although their pool is now negative


def retest_outcomes(conn: Connection, *, campaign_id: int) -> list[RetestOutcome]:
    """Per compound: residents the individual retests confirmed positive or cleared.
    Together with the pool tubes' calls this says who is still waiting."""
    t, res = T.alias("t"), RES.alias("res")
    positive = func.max(case((res.c.call == "positive", 1), else_=0))
    negative = func.max(case((res.c.call == "negative", 1), else_=0))
    person = (
        select(t.c.resident_pk.label("pk"), positive.label("pos"), negative.label("neg"))
        .select_from(t.outerjoin(res, current_result_on(res, t.c.id)))
        .where(t.c.campaign_id == campaign_id, t.c.kind == "individual")
        .group_by(t.c.resident_pk)
        .subquery("person")
    )
    m, resident, pool = M.alias("m"), R.alias("resident"), RES.alias("pool")
    pool_negative = case((pool.c.call == "negative", 1), else_=0)
    query = (
        select(
            resident.c.compound,
            func.sum(person.c.pos),
            func.sum(case(((person.c.pos == 0) & (person.c.neg == 1) & (pool_negative == 0), 1), else_=0)),
            func.sum(case(((person.c.pos == 1) & (pool_negative == 1), 1), else_=0)),
        )
        .select_from(
            person.join(resident, resident.c.id == person.c.pk)
            .join(m, (m.c.campaign_id == campaign_id) & (m.c.resident_pk == person.c.pk))
            .outerjoin(pool, current_result_on(pool, m.c.tube_id))
        )
        .group_by(resident.c.compound)
    )
    return [RetestOutcome(str(c), int(p or 0), int(n or 0), int(x or 0)) for c, p, n, x in conn.execute(query)]
