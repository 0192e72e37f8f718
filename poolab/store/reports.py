"""Read-side queries: a campaign's tubes as arrays, manifest and report rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import numpy as np
from sqlalchemy import Connection, func, select

from poolab.calls import CALL_CODE, NO_CALL
from poolab.store.bulk import fetch_all_raw, fetch_blocks
from poolab.store.tables import Collection, Member, Receipt, Resident, Result, Tube

_T = Tube.__table__  # type: ignore[attr-defined]
_M = Member.__table__  # type: ignore[attr-defined]
_R = Resident.__table__  # type: ignore[attr-defined]
_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_RES = Result.__table__  # type: ignore[attr-defined]

KIND_POOL, KIND_INDIVIDUAL = 0, 1


@attrs.frozen(slots=True)
class TubeTable:
    """Every tube of a campaign as parallel arrays (one entry per tube)."""

    id: np.ndarray  # int64
    barcode: list[str]
    kind: np.ndarray  # int8: KIND_POOL or KIND_INDIVIDUAL
    position: np.ndarray  # int64
    parent: np.ndarray  # int64 parent pool tube id, -1 for none
    resident_pk: np.ndarray  # int64, -1 for pool tubes
    collected: np.ndarray  # bool
    received: np.ndarray  # bool
    call: np.ndarray  # int8 current call code, NO_CALL when none
    duplicate: np.ndarray  # bool: a second retest tube an older release's race issued (kept)

    def __len__(self) -> int:
        return len(self.barcode)


def campaign_tubes(conn: Connection, *, campaign_id: int) -> TubeTable:
    """Every tube of the campaign with its furthest step and current call (raw driver
    reads: a district's tubes are read by every report)."""
    rows = fetch_all_raw(
        conn,
        select(
            _T.c.id,
            _T.c.barcode,
            _T.c.kind,
            _T.c.position,
            _T.c.parent_tube_id,
            _T.c.resident_pk,
            _COL.c.id.is_not(None),
            _REC.c.id.is_not(None),
            _T.c.duplicate_of.is_not(None),
        )
        .select_from(_T.outerjoin(_COL, _COL.c.tube_id == _T.c.id).outerjoin(_REC, _REC.c.tube_id == _T.c.id))
        .where(_T.c.campaign_id == campaign_id)
        .order_by(_T.c.kind, _T.c.position, _T.c.id),
    )
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), np.int64, n)
    index = {int(t): i for i, t in enumerate(ids)}
    call = np.full(n, NO_CALL, np.int8)
    for tid, c in fetch_all_raw(
        conn,
        select(_RES.c.tube_id, _RES.c.call)
        .select_from(_RES.join(_T, _T.c.id == _RES.c.tube_id))
        .where(_T.c.campaign_id == campaign_id)
        .order_by(_RES.c.id),
    ):
        call[index[tid]] = CALL_CODE[c]
    return TubeTable(
        id=ids,
        barcode=[r[1] for r in rows],
        kind=np.fromiter((KIND_POOL if r[2] == "pool" else KIND_INDIVIDUAL for r in rows), np.int8, n),
        position=np.fromiter((r[3] for r in rows), np.int64, n),
        parent=np.fromiter((-1 if r[4] is None else r[4] for r in rows), np.int64, n),
        resident_pk=np.fromiter((-1 if r[5] is None else r[5] for r in rows), np.int64, n),
        collected=np.fromiter((bool(r[6]) for r in rows), np.bool_, n),
        received=np.fromiter((bool(r[7]) for r in rows), np.bool_, n),
        call=call,
        duplicate=np.fromiter((bool(r[8]) for r in rows), np.bool_, n),
    )


RESIDENT_REPORT_COLUMNS = ("resident_id", "name", "id_number", "compound", "building", "unit", "room", "household_id")


def residents_by_pk(conn: Connection, *, pks: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """pk -> (resident_id, name, id_number, compound, building, unit, room, household_id)."""
    out: dict[int, tuple[str, ...]] = {}
    wanted = sorted(set(int(p) for p in pks))
    cols = [_R.c.id] + [_R.c[c] for c in RESIDENT_REPORT_COLUMNS]
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for row in conn.execute(select(*cols).where(_R.c.id.in_(chunk))):
            out[row[0]] = tuple(row[1:])
    return out


def manifest_rows(conn: Connection, *, campaign_id: int) -> list[tuple[object, ...]]:
    """(barcode, slot, resident_id, name, id_number, compound, building, unit, room,
    household_id) for every pool membership, in walk order (tube position, slot)."""
    cols = [_T.c.barcode, _M.c.slot] + [_R.c[c] for c in RESIDENT_REPORT_COLUMNS]
    return [
        tuple(r)
        for r in conn.execute(
            select(*cols)
            .select_from(_M.join(_T, _T.c.id == _M.c.tube_id).join(_R, _R.c.id == _M.c.resident_pk))
            .where(_M.c.campaign_id == campaign_id)
            .order_by(_T.c.position, _M.c.slot)
        )
    ]


def manifest_blocks(
    conn: Connection, *, campaign_id: int, size: int = 50_000, home_visit: bool | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """``manifest_rows`` a block at a time (a city's manifest is never all in memory);
    with ``home_visit``, only the tubes that are (True) or are not (False) home visits.

    Tube ids follow tube positions in a campaign made by ``campaign new`` (its tubes are
    inserted in walk order), and then ordering by tube id lets both stores walk the
    tube and member indexes in order instead of sorting every membership (at 2 million
    residents on SQLite, 5 s instead of 14 s). Otherwise the rows are sorted by position."""
    cols = [_T.c.barcode, _M.c.slot] + [_R.c[c] for c in RESIDENT_REPORT_COLUMNS]
    positions = select(_T.c.position).where(_T.c.campaign_id == campaign_id, _T.c.kind == "pool").order_by(_T.c.id)
    last = -1
    in_order = True
    for block in fetch_blocks(conn, positions, 500_000):
        column = np.fromiter((r[0] for r in block), np.int64, len(block))
        in_order = in_order and bool(column[0] > last) and bool(np.all(column[1:] > column[:-1]))
        last = int(column[-1])
    stmt = (
        select(*cols)
        .select_from(_T.join(_M, _M.c.tube_id == _T.c.id).join(_R, _R.c.id == _M.c.resident_pk))
        .where(_T.c.campaign_id == campaign_id, _T.c.kind == "pool")
        .order_by(_T.c.id if in_order else _T.c.position, _M.c.slot)
    )
    if home_visit is not None:
        stmt = stmt.where(_T.c.home_visit.is_(home_visit))
    yield from fetch_blocks(conn, stmt, size)


def pool_members(conn: Connection, *, campaign_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tube id, resident pk, slot) of every membership of the campaign."""
    rows = conn.execute(select(_M.c.tube_id, _M.c.resident_pk, _M.c.slot).where(_M.c.campaign_id == campaign_id)).all()
    if not rows:
        z = np.zeros(0, np.int64)
        return z, z.copy(), z.copy()
    arr = np.array([tuple(r) for r in rows], dtype=np.int64)  # Row objects are slow for numpy
    return arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()


def result_history(conn: Connection, *, tube_id: int) -> list[tuple[object, ...]]:
    """Every result row of a tube, oldest first: (id, call, ct_orf1ab, ct_n, source, reason)."""
    return [
        tuple(r)
        for r in conn.execute(
            select(_RES.c.id, _RES.c.call, _RES.c.ct_orf1ab, _RES.c.ct_n, _RES.c.source, _RES.c.reason)
            .where(_RES.c.tube_id == tube_id)
            .order_by(_RES.c.id)
        )
    ]


def count_campaign_residents(conn: Connection, *, campaign_id: int, home_visit: bool | None = None) -> int:
    """Residents placed in a pool tube of the campaign (with ``home_visit``, in the tubes
    that are, or are not, home visits)."""
    if home_visit is None:
        stmt = select(func.count()).select_from(_M).where(_M.c.campaign_id == campaign_id)
    else:
        stmt = (
            select(func.count())
            .select_from(_M.join(_T, _T.c.id == _M.c.tube_id))
            .where(_M.c.campaign_id == campaign_id, _T.c.home_visit.is_(home_visit))
        )
    return int(conn.execute(stmt).scalar() or 0)
