"""Read-side queries for prevalence estimates: each pool's size and current call, who is
in it by compound and building, and the individual results of its members."""

from __future__ import annotations

import attrs
import numpy as np
from sqlalchemy import Connection, func, select

from poolab.store.bulk import fetch_all_raw
from poolab.store.tables import Member, Resident, Result, Tube

_T = Tube.__table__  # type: ignore[attr-defined]
_M = Member.__table__  # type: ignore[attr-defined]
_R = Resident.__table__  # type: ignore[attr-defined]
_RES = Result.__table__  # type: ignore[attr-defined]


@attrs.frozen(slots=True, eq=False)
class PoolCalls:
    """Every pool tube of a campaign, and every individual tube drawn from one.

    ``call`` is the current call (``poolab.calls.CALLS`` order) or ``None``.
    """

    pool_id: np.ndarray  # int64 per pool tube, walk order
    pool_size: np.ndarray  # int64: members
    pool_call: list[str | None]
    ind_pool: np.ndarray  # int64: index into pool_id of the individual tube's pool
    ind_resident: np.ndarray  # int64 resident pk
    ind_call: list[str | None]


def _current_calls(conn: Connection, campaign_id: int) -> dict[int, str]:
    """tube id -> its newest call (the current one: later rows amend earlier ones)."""
    rows = fetch_all_raw(
        conn,
        select(_RES.c.tube_id, _RES.c.call)
        .select_from(_RES.join(_T, _T.c.id == _RES.c.tube_id))
        .where(_T.c.campaign_id == campaign_id)
        .order_by(_RES.c.id),
    )
    return dict(rows)


def pool_calls(conn: Connection, *, campaign_id: int) -> PoolCalls:
    """Pool tubes with their sizes and calls; individual tubes with their pool and call."""
    sizes = dict(
        fetch_all_raw(
            conn, select(_M.c.tube_id, func.count()).where(_M.c.campaign_id == campaign_id).group_by(_M.c.tube_id)
        )
    )
    tubes = fetch_all_raw(
        conn,
        select(_T.c.id, _T.c.kind, _T.c.parent_tube_id, _T.c.resident_pk)
        .where(_T.c.campaign_id == campaign_id)
        .order_by(_T.c.position, _T.c.id),
    )
    calls = _current_calls(conn, campaign_id)
    pools = [t[0] for t in tubes if t[1] == "pool"]
    index = {tid: i for i, tid in enumerate(pools)}
    individual = [t for t in tubes if t[1] != "pool" and t[2] in index]
    return PoolCalls(
        pool_id=np.asarray(pools, dtype=np.int64),
        pool_size=np.asarray([sizes.get(t, 0) for t in pools], dtype=np.int64),
        pool_call=[calls.get(t) for t in pools],
        ind_pool=np.asarray([index[t[2]] for t in individual], dtype=np.int64),
        ind_resident=np.asarray([t[3] for t in individual], dtype=np.int64),
        ind_call=[calls.get(t[0]) for t in individual],
    )


def pool_places(conn: Connection, *, campaign_id: int) -> list[tuple[int, str, str, int]]:
    """(pool tube id, compound, building, members there) for every pool of the campaign."""
    return fetch_all_raw(
        conn,
        select(_M.c.tube_id, _R.c.compound, _R.c.building, func.count())
        .select_from(_M.join(_R, _R.c.id == _M.c.resident_pk))
        .where(_M.c.campaign_id == campaign_id)
        .group_by(_M.c.tube_id, _R.c.compound, _R.c.building),
    )


def resident_places(conn: Connection, *, pks: list[int]) -> dict[int, tuple[str, str]]:
    """resident pk -> (compound, building)."""
    out: dict[int, tuple[str, str]] = {}
    wanted = sorted(set(pks))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for pk, compound, building in conn.execute(
            select(_R.c.id, _R.c.compound, _R.c.building).where(_R.c.id.in_(chunk))
        ):
            out[int(pk)] = (compound, building)
    return out


def tube_barcodes(conn: Connection, *, ids: list[int]) -> dict[int, str]:
    """tube id -> its barcode."""
    out: dict[int, str] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for tid, code in conn.execute(select(_T.c.id, _T.c.barcode).where(_T.c.id.in_(chunk))):
            out[int(tid)] = str(code)
    return out
