"""A simulated day with real time stamps: when each tube of a campaign was collected,
received and resulted, spread the way a district's day goes.

``poolab demo`` runs the real workflow, so all its scans carry the same few seconds;
the command post's turnaround times and late tubes need hours. This writes the same
append-only rows the workflow writes (one event per minute's batch of scans or
results, through the store's scan and result paths), with the time stamps of a day
that began ``hours`` ago: teams walk their compounds, tubes travel to the lab, the lab
calls them, positive pools are resampled one person per tube. What has not happened
by now is not written, so some tubes are still on the road or on the bench. Used by
the command post's tests, its benchmark and its screenshots.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
from sqlalchemy import Connection

from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import record_event
from poolab.store.reports import KIND_INDIVIDUAL, KIND_POOL, campaign_tubes
from poolab.store.tubes import NewResult, insert_collections, insert_receipts, insert_results

_NEVER = np.iinfo(np.int64).max // 4  # minutes: a tube that never gets there


@attrs.frozen(slots=True)
class DayPlan:
    """How the simulated day goes; every duration in hours."""

    hours: float = 8.0  # how long ago the day began
    walk: float = 3.0  # sampling teams take this long to walk the campaign's tubes
    transport: float = 1.5  # median swab-to-lab time (log-normal)
    lab: float = 2.0  # median lab time, receipt to call (log-normal)
    resample: float = 2.0  # median time from a positive pool's call to its members' tubes in the lab
    spread: float = 0.5  # sigma of the log-normal delays
    lost: float = 0.01  # share of collected tubes that never reach the lab
    positive: float = 0.003  # share of pool tubes called positive
    inconclusive: float = 0.001
    invalid: float = 0.002


@attrs.frozen(slots=True)
class DaySummary:
    """What the simulated day wrote."""

    start: datetime
    collected: int
    received: int
    resulted: int
    retest_tubes: int
    retest_received: int
    retest_resulted: int


def simulate_day(
    store: Store,
    campaign: str,
    *,
    plan: DayPlan | None = None,
    seed: int = 0,
    now: datetime | None = None,
    operator: str = "simulated",
) -> DaySummary:
    """Collect, receive and call the campaign's pool tubes over a day that began
    ``plan.hours`` before ``now``; issue the resample tubes of positive and
    inconclusive pools and receive and call those that are due. Each person in a
    positive pool's retest is negative but one."""
    from poolab.lab.resolve import write_retest

    p = plan or DayPlan()
    rng = np.random.default_rng(seed)
    end = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=round(p.hours * 60))
    limit = round(p.hours * 60)
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
    pools = np.flatnonzero((tubes.kind == KIND_POOL) & ~tubes.collected & ~tubes.received)
    n = pools.size
    order = np.argsort(tubes.position[pools], kind="stable")
    walk = np.empty(n, np.int64)
    walk[order] = (np.arange(n) * (p.walk * 60) / max(n, 1)).astype(np.int64)
    collected = walk + rng.integers(0, 5, n)
    received = collected + _delays(rng, p.transport, p.spread, n)
    received[rng.random(n) < p.lost] = _NEVER
    resulted = received + _delays(rng, p.lab, p.spread, n)
    edges = np.cumsum([p.positive, p.inconclusive, p.invalid])
    calls = np.array(["positive", "inconclusive", "invalid", "negative"])[np.searchsorted(edges, rng.random(n))]
    ids = tubes.id[pools]

    def first_day(conn: Connection) -> None:
        _write_scans(conn, info.id, start, ids, collected, limit, "collect", insert_collections, operator)
        _write_scans(conn, info.id, start, ids, received, limit, "receive", insert_receipts, operator)
        _write_calls(conn, info.id, start, ids, resulted, calls, limit, operator)

    store.write(first_day)
    write_retest(store, campaign, io.BytesIO(), operator=operator)
    with store.read() as conn:
        after = campaign_tubes(conn, campaign_id=info.id)
    call_minute = dict(zip(ids.tolist(), resulted.tolist(), strict=True))
    retests = np.flatnonzero((after.kind == KIND_INDIVIDUAL) & ~after.received)
    parents = after.parent[retests]
    due = np.fromiter((call_minute.get(int(t), _NEVER) for t in parents), np.int64, retests.size)
    r_received = due + _delays(rng, p.resample, p.spread, retests.size)
    r_resulted = r_received + _delays(rng, p.lab, p.spread, retests.size)
    r_calls = np.full(retests.size, "negative", dtype=object)
    positive_pool = {int(t) for t, c in zip(ids, calls, strict=True) if c == "positive"}
    seen: set[int] = set()
    for i in rng.permutation(retests.size):  # one positive person per positive pool
        parent = int(parents[i])
        if parent in positive_pool and parent not in seen:
            seen.add(parent)
            r_calls[i] = "positive"
    r_ids = after.id[retests]

    def resamples(conn: Connection) -> None:
        _write_scans(conn, info.id, start, r_ids, r_received, limit, "receive", insert_receipts, operator)
        _write_calls(conn, info.id, start, r_ids, r_resulted, r_calls, limit, operator)

    store.write(resamples)
    return DaySummary(
        start=start,
        collected=int(np.count_nonzero(collected <= limit)),
        received=int(np.count_nonzero(received <= limit)),
        resulted=int(np.count_nonzero((resulted <= limit) & (received <= limit))),
        retest_tubes=int(retests.size),
        retest_received=int(np.count_nonzero(r_received <= limit)),
        retest_resulted=int(np.count_nonzero((r_resulted <= limit) & (r_received <= limit))),
    )


def _delays(rng: np.random.Generator, median_hours: float, sigma: float, n: int) -> np.ndarray:
    """Log-normal delays in whole minutes (at least one)."""
    minutes = median_hours * 60 * np.exp(rng.normal(0.0, sigma, n))
    return np.maximum(minutes.astype(np.int64), 1)


def _minute_groups(minutes: np.ndarray, limit: int) -> list[tuple[int, np.ndarray]]:
    """(minute, indices) of the entries due by ``limit``, one group per minute."""
    due = np.flatnonzero(minutes <= limit)
    if due.size == 0:
        return []
    order = due[np.argsort(minutes[due], kind="stable")]
    values, starts = np.unique(minutes[order], return_index=True)
    return list(zip(values.tolist(), np.split(order, starts[1:]), strict=True))


def _write_scans(
    conn: Connection,
    campaign_id: int,
    start: datetime,
    ids: np.ndarray,
    minutes: np.ndarray,
    limit: int,
    action: str,
    insert: object,
    operator: str,
) -> None:
    for minute, idx in _minute_groups(minutes, limit):
        at = start + timedelta(minutes=minute)
        event_id = record_event(
            conn, operator=operator, action=action, campaign_id=campaign_id, detail={"tubes": int(idx.size)}, at=at
        )
        insert(conn, tube_ids=ids[idx].tolist(), at=at, event_id=event_id)  # type: ignore[operator]


def _write_calls(
    conn: Connection,
    campaign_id: int,
    start: datetime,
    ids: np.ndarray,
    minutes: np.ndarray,
    calls: Sequence[str] | np.ndarray,
    limit: int,
    operator: str,
) -> None:
    for minute, idx in _minute_groups(minutes, limit):
        at = start + timedelta(minutes=minute)
        detail = {"rows": int(idx.size)}
        event_id = record_event(
            conn, operator=operator, action="results.import", campaign_id=campaign_id, detail=detail, at=at
        )
        rows = [NewResult(int(ids[i]), str(calls[i]), *_cts(str(calls[i])), source="simulated") for i in idx.tolist()]
        insert_results(conn, results=rows, event_id=event_id, at=at)


def _cts(call: str) -> tuple[float | None, float | None]:
    if call == "positive":
        return 31.5, 32.1
    if call == "inconclusive":
        return 37.8, None
    return None, None
