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
from sqlalchemy import Connection, case, exists, func, select

from poolab.store.tables import Collection, PlateWell, Receipt
from poolab.store.tubesql import RES, M, R, T, current_result_on, first_member_on, people_in

STEPS = ("planned", "collected", "received", "plated", "resulted")
"""A tube's steps in order; a tube is counted at the furthest one it reached."""

_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_PW = PlateWell.__table__  # type: ignore[attr-defined]


@attrs.frozen(slots=True)
class StepCount:
    """Tubes of one compound and kind at one furthest step with one current call."""

    compound: str  # a pool tube's compound; "" for individual tubes (counted per campaign)
    kind: str  # "pool" or "individual"
    step: str  # one of STEPS
    call: str | None  # the current call; None before a result
    tubes: int
    people: int  # residents in these tubes (pool tubes; 0 for individual tubes)


def step_counts(conn: Connection, *, campaign_id: int) -> list[StepCount]:
    """The campaign's tubes grouped by compound, kind, furthest step and current call.

    A pool tube's compound and head-count are read from the tube (written by ``campaign
    new``); the pool tubes bound in the field are counted apart, from their members. On
    SQLite each tube's steps are looked up only as far as needed (a resulted tube's scans
    are not read); on PostgreSQL every step table is hash-joined once, and the first
    grouping is made by the parallel workers (its keys are columns, no look-ups)."""
    return _step_counts(conn, campaign_id, laid_out=True) + _step_counts(conn, campaign_id, laid_out=False)


def _step_counts(conn: Connection, campaign_id: int, *, laid_out: bool) -> list[StepCount]:
    t, res = T.alias("t"), RES.alias("res")
    if conn.dialect.name == "sqlite":
        step = _furthest_step(
            resulted=res.c.id.is_not(None),
            plated=_any(_PW, t, run=1),  # its first plate
            received=_any(_REC, t),
            collected=_any(_COL, t),
        )
        source = t.outerjoin(res, current_result_on(res, t.c.id))
    else:
        col, rec, well = _COL.alias("col"), _REC.alias("rec"), _PW.alias("well")
        step = _furthest_step(
            resulted=res.c.id.is_not(None),
            plated=well.c.id.is_not(None),
            received=rec.c.id.is_not(None),
            collected=col.c.id.is_not(None),
        )
        source = (
            t.outerjoin(col, col.c.tube_id == t.c.id)
            .outerjoin(rec, rec.c.tube_id == t.c.id)
            .outerjoin(well, (well.c.tube_id == t.c.id) & (well.c.run == 1))  # its first plate: one row a tube
            .outerjoin(res, current_result_on(res, t.c.id))
        )
    if laid_out:  # and the individual tubes, counted per campaign: no compound, no members
        which = t.c.compound.is_not(None) | (t.c.kind != "pool")
        compound, people = func.coalesce(t.c.compound, ""), func.coalesce(t.c.people, 0)
    else:
        which = t.c.compound.is_(None) & (t.c.kind == "pool")
        compound, people = func.coalesce(_first_compound(t), ""), people_in(t)
    query = (
        select(compound, t.c.kind, step, res.c.call, func.count(), func.sum(people))
        .select_from(source)
        .where(t.c.campaign_id == campaign_id, which)
        .group_by(compound, t.c.kind, step, res.c.call)
    )
    return [StepCount(str(c), str(k), str(s), call, int(n), int(p or 0)) for c, k, s, call, n, p in conn.execute(query)]


def scans_collection(conn: Connection, *, campaign_id: int) -> bool:
    """Whether any tube of the campaign has a collection scan (then tubes are awaited in
    the field before the lab); stops at the first."""
    t, col = T.alias("t"), _COL.alias("col")
    scanned = exists().where(col.c.tube_id == t.c.id)
    return bool(conn.execute(select(exists().where((t.c.campaign_id == campaign_id) & scanned))).scalar())


def _any(table: Any, tube: Any, *, run: int | None = None) -> Any:
    """EXISTS a row of ``table`` for ``tube`` (of plate run ``run``): a correlated look-up,
    run only when the CASE reaches it."""
    row = table.alias()
    found = row.c.tube_id == tube.c.id
    return exists().where(found if run is None else found & (row.c.run == run))


def _first_compound(tube: Any) -> Any:
    """The compound of a pool tube's first member (a tube bound in the field; pools never
    cross a compound)."""
    first, place = M.alias("first"), R.alias("place")
    return (
        select(place.c.compound)
        .select_from(first.join(place, place.c.id == first.c.resident_pk))
        .where(first_member_on(first, tube.c.id))
        .scalar_subquery()
    )


def _furthest_step(*, collected: Any, received: Any, plated: Any, resulted: Any) -> Any:
    """The furthest step a tube reached, from a condition per step (tested from the last)."""
    return case(
        (resulted, "resulted"),
        (plated, "plated"),
        (received, "received"),
        (collected, "collected"),
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
