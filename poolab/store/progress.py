"""How far a campaign's tubes got, by compound, counted by the database.

One grouped query gives the tubes (and the people in them) by compound, kind, furthest
step and current call; a second one what the individual retests decided for their
residents. Both return a few rows per compound whatever the campaign's size.

Steps are those the store records: planned, collected, received, plated (the tube is in
a well of a plate map), resulted. The counts come from the campaign's running counts
(``poolab.store.tube_tally``).
"""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import Connection, case, func, select

from poolab.store.tables import STEP_CODES, TubeTally
from poolab.store.tube_tally import STEP
from poolab.store.tubesql import M, R, T, current_call, first_member_on, people_in, tube_step

TALLY = TubeTally.__table__  # type: ignore[attr-defined]

STEPS = STEP_CODES
"""A tube's steps in order; a tube is counted at the furthest one it reached."""


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

    Laid-out pool tubes (compound and head-count written by ``campaign new``) and
    individual tubes are read from the campaign's running counts (``tube_tally``): a few
    rows per batch written, whatever the campaign's size. Pool tubes bound in the field
    are counted apart, from their members and their rows."""
    return _tallied_steps(conn, campaign_id) + _field_steps(conn, campaign_id)


def _tallied_steps(conn: Connection, campaign_id: int) -> list[StepCount]:
    c = TALLY.c
    query = (
        select(c.kind, c.compound, c.step, c.call, func.sum(c.tubes), func.sum(c.people))
        .where(c.campaign_id == campaign_id, c.what == STEP)
        .group_by(c.kind, c.compound, c.step, c.call)
        .having(func.sum(c.tubes) != 0)
    )
    return [
        StepCount(str(cp or ""), str(k), STEPS[int(s)], call, int(n), int(p or 0))
        for k, cp, s, call, n, p in conn.execute(query)
    ]


def _field_steps(conn: Connection, campaign_id: int) -> list[StepCount]:
    t = T.alias("t")
    tube = (
        select(
            t.c.id,
            _first_compound(t).label("compound"),
            people_in(t).label("people"),
            tube_step(t.c.id).label("step"),
            current_call(t.c.id).label("call"),
        )
        .where(t.c.campaign_id == campaign_id, t.c.kind == "pool", t.c.compound.is_(None))
        .subquery("tube")
    )
    query = select(tube.c.compound, tube.c.step, tube.c.call, func.count(), func.sum(tube.c.people)).group_by(
        tube.c.compound, tube.c.step, tube.c.call
    )
    return [
        StepCount(str(cp or ""), "pool", STEPS[int(s)], call, int(n), int(p or 0))
        for cp, s, call, n, p in conn.execute(query)
    ]


def scans_collection(conn: Connection, *, campaign_id: int) -> bool:
    """Whether any tube of the campaign has a collection scan (then tubes are awaited in
    the field before the lab). A collected tube is counted either as waiting for its
    receipt or in the collection-to-receipt histogram: one sum of the running counts."""
    c = TALLY.c
    query = select(func.coalesce(func.sum(c.tubes), 0)).where(
        c.campaign_id == campaign_id, c.what.in_(["not_received", "collection_to_receipt"])
    )
    return int(conn.execute(query).scalar() or 0) > 0


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
    t = T.alias("t")  # the campaign's few individual tubes, by its (campaign, kind) index
    call = current_call(t.c.id)
    positive = func.max(case((call == "positive", 1), else_=0))
    negative = func.max(case((call == "negative", 1), else_=0))
    person = (
        select(t.c.resident_pk.label("pk"), positive.label("pos"), negative.label("neg"))
        .where(t.c.campaign_id == campaign_id, t.c.kind == "individual")
        .group_by(t.c.resident_pk)
        .subquery("person")
    )
    m, resident, pool = M.alias("m"), R.alias("resident"), T.alias("pool")
    pool_negative = case((current_call(pool.c.id) == "negative", 1), else_=0)
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
            .join(pool, pool.c.id == m.c.tube_id)
        )
        .group_by(resident.c.compound)
    )
    return [RetestOutcome(str(c), int(p or 0), int(n or 0), int(x or 0)) for c, p, n, x in conn.execute(query)]
