"""A campaign's tubes as sorted numpy arrays, for checking a city's results file: a
million tubes take about 40 bytes each here, where maps of Python objects took hundreds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from sqlalchemy import Connection, Select, select, true

from poolab.calls import CALL_CODE, CALLS, NO_CALL
from poolab.store.bulk import fetch_blocks
from poolab.store.tables import Receipt, Result, Tube
from poolab.store.tube_lookup import Gathered

_T = Tube.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_RES = Result.__table__  # type: ignore[attr-defined]

_BLOCK = 100_000  # rows read at a time: the campaign's rows are never all Python objects


@attrs.frozen(slots=True)
class TubeArrays:
    """A ``TubeLookup``: tubes sorted by barcode (UTF-8 bytes), with parallel arrays: tube id, received,
    individual (retest) tube, and the current result (id -1 and ``NO_CALL`` when none;
    Cts NaN when none)."""

    barcode: np.ndarray  # bytes (dtype S), sorted
    id: np.ndarray  # int64
    received: np.ndarray  # bool
    individual: np.ndarray  # bool
    result_id: np.ndarray  # int64
    call: np.ndarray  # int8
    ct1: np.ndarray  # float64
    ct2: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.id)

    def find(self, codes: Sequence[str]) -> np.ndarray:
        """The position of each code (int64), -1 for a code that is not a tube here."""
        if not len(self) or not codes:
            return np.full(len(codes), -1, np.int64)
        wanted = np.array([c.encode() for c in codes], dtype=np.bytes_)
        at = np.searchsorted(self.barcode, wanted)
        at[at == len(self)] = 0  # past the end: compared below, and found different
        return np.where(self.barcode[at] == wanted, at, -1).astype(np.int64)

    def gather(self, codes: Sequence[str]) -> Gathered:
        """``TubeLookup.gather``: the block's facts gathered by numpy, handed out as lists."""
        at = self.find(codes)
        safe = np.where(at >= 0, at, 0)
        return Gathered(
            at.tolist(),
            self.received[safe].tolist(),
            self.individual[safe].tolist(),
            self.result_id[safe].tolist(),
            [None if c == NO_CALL else CALLS[c] for c in self.call[safe].tolist()],
            [None if c != c else c for c in self.ct1[safe].tolist()],  # NaN: no Ct
            [None if c != c else c for c in self.ct2[safe].tolist()],
        )

    def tube_ids(self, positions: Sequence[int]) -> list[int]:
        return self.id[np.asarray(positions, np.int64)].tolist()

    def result_ids(self, positions: Sequence[int]) -> list[int]:
        return self.result_id[np.asarray(positions, np.int64)].tolist()

    def tube_order(self, positions: Sequence[int]) -> Sequence[int]:
        return np.argsort(self.id[np.asarray(positions, np.int64)], kind="stable").tolist()


def campaign_tube_arrays(conn: Connection, *, campaign_id: int) -> TubeArrays:
    """``TubeArrays`` of every tube of one campaign."""
    tube_blocks = fetch_blocks(
        conn,
        select(_T.c.barcode, _T.c.id, _REC.c.tube_id, _T.c.kind)
        .select_from(_T.outerjoin(_REC, _REC.c.tube_id == _T.c.id))
        .where(_T.c.campaign_id == campaign_id),
        _BLOCK,
    )
    codes, ids, received, individual = [], [], [], []
    for block in tube_blocks:
        n = len(block)
        codes.append(np.array([r[0].encode() for r in block], dtype=np.bytes_))
        ids.append(np.fromiter((r[1] for r in block), np.int64, n))
        received.append(np.fromiter((r[2] is not None for r in block), np.bool_, n))
        individual.append(np.fromiter((r[3] == "individual" for r in block), np.bool_, n))
        del block
    if not ids:
        empty = np.zeros(0, np.int64)
        nothing = np.zeros(0, np.bool_)
        return TubeArrays(
            np.zeros(0, "S1"), empty, nothing, nothing, empty, np.zeros(0, np.int8), np.zeros(0), np.zeros(0)
        )
    barcode = np.concatenate(codes)
    order = np.argsort(barcode, kind="stable")
    barcode = barcode[order]
    tube_id = np.concatenate(ids)[order]
    n = len(tube_id)
    arrays = TubeArrays(
        barcode,
        tube_id,
        np.concatenate(received)[order],
        np.concatenate(individual)[order],
        np.full(n, -1, np.int64),
        np.full(n, NO_CALL, np.int8),
        np.full(n, np.nan),
        np.full(n, np.nan),
    )
    _read_current(conn, arrays, campaign_id)
    return arrays


def _read_current(conn: Connection, arrays: TubeArrays, campaign_id: int) -> None:
    """Fill the current result of each tube: its results in id order, the last one kept
    (on PostgreSQL its newest alone)."""
    by_id = np.argsort(arrays.id)
    sorted_ids = arrays.id[by_id]
    for block in fetch_blocks(conn, current_results(conn, campaign_id), _BLOCK):
        if not block:
            continue
        n = len(block)
        tids = np.fromiter((r[0] for r in block), np.int64, n)
        # the last of a tube's results in this block (blocks come in result id order)
        _, last = np.unique(tids[::-1], return_index=True)
        keep = n - 1 - last
        at = by_id[np.searchsorted(sorted_ids, tids[keep])]
        arrays.result_id[at] = np.fromiter((block[i][1] for i in keep), np.int64, len(keep))
        arrays.call[at] = np.fromiter((CALL_CODE[block[i][2]] for i in keep), np.int8, len(keep))
        arrays.ct1[at] = np.fromiter((np.nan if block[i][3] is None else block[i][3] for i in keep), np.float64)
        arrays.ct2[at] = np.fromiter((np.nan if block[i][4] is None else block[i][4] for i in keep), np.float64)


def current_results(conn: Connection, campaign_id: int) -> Select[Any]:
    """The results of a campaign's tubes that ``_read_current`` reads: in id order (the
    last of each tube is its current one); on PostgreSQL each tube's newest alone."""
    columns = (_RES.c.tube_id, _RES.c.id, _RES.c.call, _RES.c.ct_orf1ab, _RES.c.ct_n)
    if conn.dialect.name == "postgresql":
        # each tube's newest result, found through the index on result.tube_id: a plan the
        # statistics cannot change. With the results of a minute ago not yet analysed,
        # the join of the campaign's tubes with the results in id order was planned as a
        # nested loop comparing every result with every tube: time as tubes times results
        # (a second station's results for a district's 9,764 tubes read in 0.74 s, not 3 ms)
        newest = select(*columns).where(_RES.c.tube_id == _T.c.id).order_by(_RES.c.id.desc()).limit(1).lateral("r")
        stmt = (
            select(*(newest.c[c.name] for c in columns))
            .select_from(_T.join(newest, true()))
            .where(_T.c.campaign_id == campaign_id)
        )
    else:
        in_campaign = select(_T.c.id).where(_T.c.campaign_id == campaign_id)
        stmt = select(*columns).where(_RES.c.tube_id.in_(in_campaign)).order_by(_RES.c.id)
    return stmt
