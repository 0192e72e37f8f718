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

from poolab.store.tables import STEP_CODES
from poolab.store.tubesql import M, R, T, first_member_on, people_in

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

    Step and call are the tube's own columns (kept by the store's triggers), so this
    reads ``ix_tube_campaign_state`` alone: no tube is joined to its scans or results.
    A pool tube's compound and head-count are read from the tube (written by ``campaign
    new``); the pool tubes bound in the field are counted apart, from their members."""
    return _step_counts(conn, campaign_id, laid_out=True) + _step_counts(conn, campaign_id, laid_out=False)


def _step_counts(conn: Connection, campaign_id: int, *, laid_out: bool) -> list[StepCount]:
    t = T.alias("t")
    if laid_out:  # and the individual tubes, counted per campaign: no compound, no members
        which = t.c.compound.is_not(None) | (t.c.kind != "pool")
        compound, people = t.c.compound, func.coalesce(t.c.people, 0)
    else:
        which = t.c.compound.is_(None) & (t.c.kind == "pool")
        compound, people = _first_compound(t), people_in(t)
    # grouped in the index's column order: one pass over it, no sort
    query = (
        select(t.c.kind, compound, t.c.step, t.c.call, func.count(), func.sum(people))
        .where(t.c.campaign_id == campaign_id, which)
        .group_by(t.c.kind, compound, t.c.step, t.c.call)
    )
    return [
        StepCount(str(c or ""), str(k), STEPS[int(s)], call, int(n), int(p or 0))
        for k, c, s, call, n, p in conn.execute(query)
    ]


def scans_collection(conn: Connection, *, campaign_id: int) -> bool:
    """Whether any tube of the campaign has a collection scan (then tubes are awaited in
    the field before the lab). A collected tube is either still on its way (in the
    partial index of tubes not received) or has a collection-to-receipt span: two index
    probes, whatever the campaign's size."""
    t = T.alias("t")
    on_the_way = t.c.collected_at.is_not(None) & t.c.received_at.is_(None)
    measured = t.c.receipt_minutes.is_not(None)
    found = [exists().where((t.c.campaign_id == campaign_id) & which) for which in (on_the_way, measured)]
    return bool(conn.execute(select(found[0] | found[1])).scalar())


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
    t = T.alias("t")  # calls are the tubes' own (kept by the store's triggers)
    positive = func.max(case((t.c.call == "positive", 1), else_=0))
    negative = func.max(case((t.c.call == "negative", 1), else_=0))
    person = (
        select(t.c.resident_pk.label("pk"), positive.label("pos"), negative.label("neg"))
        .where(t.c.campaign_id == campaign_id, t.c.kind == "individual")
        .group_by(t.c.resident_pk)
        .subquery("person")
    )
    m, resident, pool = M.alias("m"), R.alias("resident"), T.alias("pool")
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
            .join(pool, pool.c.id == m.c.tube_id)
        )
        .group_by(resident.c.compound)
    )
    return [RetestOutcome(str(c), int(p or 0), int(n or 0), int(x or 0)) for c, p, n, x in conn.execute(query)]
