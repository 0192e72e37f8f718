"""Tube look-ups and the append-only scan rows: field collection and lab receipt."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import attrs
from sqlalchemy import Connection, String, bindparam, cast, select, text

from poolab.store.bulk import fetch_all_raw, insert_new_rows, insert_rows
from poolab.store.tables import Collection, Event, Receipt, Result, Tube
from poolab.store.tube_tally import FIRST_RESULTS, Folding, count_written, last_id
from poolab.store.tubesql import filter_only

_T = Tube.__table__  # type: ignore[attr-defined]
_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_RES = Result.__table__  # type: ignore[attr-defined]
_SCANS = {"collection": _COL, "receipt": _REC}
_EV = Event.__table__  # type: ignore[attr-defined]


class TubeState(NamedTuple):
    """What the lab needs to know about a scanned tube (a tuple: a file's worth at once)."""

    id: int
    barcode: str
    campaign_id: int
    kind: str
    received_at: str | None  # as stored, for messages (not parsed: thousands per file)
    current_result_id: int | None
    current_call: str | None
    current_ct: tuple[float | None, float | None]


def _states_where(conn: Connection, condition: Any) -> dict[str, TubeState]:
    # Raw driver reads: a whole campaign's tubes at once, no Row object per tube.
    rows = fetch_all_raw(
        conn,
        select(
            _T.c.id,
            _T.c.barcode,
            _T.c.campaign_id,
            _T.c.kind,
            cast(_REC.c.at, String),
        )  # fmt: skip
        .select_from(_T.outerjoin(_REC, _REC.c.tube_id == _T.c.id))
        .where(condition),
    )
    latest: dict[int, tuple[int, str, float | None, float | None]] = {}
    if rows:
        for tid, rid, call, c1, c2 in fetch_all_raw(
            conn,
            select(_RES.c.tube_id, _RES.c.id, _RES.c.call, _RES.c.ct_orf1ab, _RES.c.ct_n)
            .where(_RES.c.tube_id.in_(select(_T.c.id).where(condition)))
            .order_by(_RES.c.id),
        ):
            latest[tid] = (rid, call, c1, c2)
    out: dict[str, TubeState] = {}
    for tid, code, cid, kind, rec_at in rows:
        cur = latest.get(tid)
        out[code] = TubeState(
            id=tid,
            barcode=code,
            campaign_id=cid,
            kind=kind,
            received_at=None if rec_at is None else str(rec_at)[:19],
            current_result_id=cur[0] if cur else None,
            current_call=cur[1] if cur else None,
            current_ct=(cur[2], cur[3]) if cur else (None, None),
        )
    return out


def tube_states(conn: Connection, *, barcodes: Sequence[str]) -> dict[str, TubeState]:
    """barcode -> state for the tubes among ``barcodes`` that exist (any campaign). For a
    whole results file of one campaign, ``campaign_tube_index`` is the cheaper read."""
    wanted = list(dict.fromkeys(barcodes))
    out: dict[str, TubeState] = {}
    for start in range(0, len(wanted), 900):
        out.update(_states_where(conn, _T.c.barcode.in_(wanted[start : start + 900])))
    return out


class ReceiptState(NamedTuple):
    """What reception checks of a scanned tube."""

    id: int
    campaign_id: int
    received: bool


# One statement for every batch: SQLAlchemy compiles it once and expands the IN list at
# execution (a scan stream checks its tubes a few hundred at a time).
_RECEIPT_STATES = (
    select(_T.c.barcode, _T.c.id, _T.c.campaign_id, _REC.c.id)
    .select_from(_T.outerjoin(_REC, _REC.c.tube_id == _T.c.id))
    .where(_T.c.barcode.in_(bindparam("codes", expanding=True)))
)


# SQLite: the batch's barcodes as one JSON array, each looked up by the barcode index. An
# IN list of bound values costs SQLAlchemy a name and a placeholder per value at every
# execution: a district's file took 35 ms this way against 18 ms.
_RECEIPT_STATES_JSON = text(
    "SELECT t.barcode, t.id, t.campaign_id, r.id FROM tube t LEFT JOIN receipt r ON r.tube_id = t.id "
    "WHERE t.barcode IN (SELECT value FROM json_each(:codes))"
)


def receipt_states(conn: Connection, *, barcodes: Sequence[str]) -> dict[str, ReceiptState]:
    """barcode -> (tube id, campaign, received or not) for the tubes among ``barcodes``
    that exist, any campaign: the reception check, without the results ``tube_states`` reads."""
    wanted = list(dict.fromkeys(barcodes))
    out: dict[str, ReceiptState] = {}
    if conn.dialect.name == "sqlite":
        for code, tid, cid, rec in conn.execute(_RECEIPT_STATES_JSON, {"codes": json.dumps(wanted)}).all():
            out[code] = ReceiptState(tid, cid, rec is not None)
        return out
    for start in range(0, len(wanted), 900):
        # all rows at once (one fetchall), not a cursor step and a Row object at a time
        for code, tid, cid, rec in conn.execute(_RECEIPT_STATES, {"codes": wanted[start : start + 900]}).all():
            out[code] = ReceiptState(tid, cid, rec is not None)
    return out


class ScanRecord(NamedTuple):
    """Who scanned a tube, and when (for "already received at 09:12 by 王芳")."""

    at: datetime
    operator: str


def _scan_records(conn: Connection, table: Any, tube_ids: Sequence[int]) -> dict[int, ScanRecord]:
    wanted = sorted(set(tube_ids))
    out: dict[int, ScanRecord] = {}
    for start in range(0, len(wanted), 900):
        rows = conn.execute(
            select(table.c.tube_id, table.c.at, _EV.c.operator)
            .select_from(table.join(_EV, _EV.c.id == table.c.event_id))
            .where(table.c.tube_id.in_(wanted[start : start + 900]))
        )
        for tid, at, operator in rows:
            out[tid] = ScanRecord(at, operator)
    return out


def receipt_records(conn: Connection, *, tube_ids: Sequence[int]) -> dict[int, ScanRecord]:
    """tube id -> when and by whom it was received, for the tubes among ``tube_ids`` that were."""
    return _scan_records(conn, _REC, tube_ids)


def collection_records(conn: Connection, *, tube_ids: Sequence[int]) -> dict[int, ScanRecord]:
    """tube id -> when and by whom it was collected, for the tubes among ``tube_ids`` that were."""
    return _scan_records(conn, _COL, tube_ids)


def insert_receipts(
    conn: Connection, *, tube_ids: Sequence[int], at: datetime, event_id: int, folds: list[Folding] | None = None
) -> set[int]:
    """Lab reception scans; a tube already received (by another station a moment ago)
    is skipped by the store's unique key. Returns the tube ids this call received. Given
    ``folds``, a fold of the running counts the batch makes due is put there, not done
    (``poolab.store.tube_tally.fold_written``)."""
    # in tube order: stations whose batches overlap take the keys in one order (no deadlock)
    return _insert_scans(conn, "receipt", tube_ids, at, event_id, folds)


def insert_collections(conn: Connection, *, tube_ids: Sequence[int], at: datetime, event_id: int) -> set[int]:
    """Tubes closed in the field; one collection per tube, as for receipts. Returns the
    tube ids this call recorded."""
    return _insert_scans(conn, "collection", tube_ids, at, event_id)


def _insert_scans(
    conn: Connection,
    table: str,
    tube_ids: Sequence[int],
    at: datetime,
    event_id: int,
    folds: list[Folding] | None = None,
) -> set[int]:
    rows = [(t, event_id, at) for t in sorted(tube_ids)]
    after = last_id(conn, table)
    won = set(insert_new_rows(conn, _SCANS[table], ("tube_id", "event_id", "at"), rows, key="tube_id"))
    if won:
        count_written(conn, table=table, event_id=event_id, after_id=after, at=at, folds=folds)
    return won


class NewResult(NamedTuple):
    """A result row to append (a tuple: a file's worth are built at once)."""

    tube_id: int
    call: str
    ct_orf1ab: float | None
    ct_n: float | None
    source: str
    supersedes_id: int | None = None
    reason: str | None = None


def insert_results(
    conn: Connection, *, results: Sequence[NewResult | tuple[Any, ...]], event_id: int, at: datetime
) -> int:
    """Append result rows (never updates one): ``NewResult``s, or plain tuples in its field
    order. A row that would make a second current result of its tube (another station
    recorded it a moment ago) violates the result chain's unique indexes: the caller's
    transaction then fails and ``Store.write`` runs it again against the new state."""
    tail = (event_id, at)
    # in tube order: two imports that overlap lock the same keys in the same order (no deadlock)
    rows = sorted(((*r, *tail) for r in results), key=lambda r: r[0])  # NewResult is a tuple in column order
    cols = ("tube_id", "call", "ct_orf1ab", "ct_n", "source", "supersedes_id", "reason", "event_id", "at")
    after = last_id(conn, "result")
    written = insert_rows(conn, _RES, cols, rows)
    if written:
        # a file's first results: one row per tube, none superseding another
        first = all(r[5] is None for r in rows) and all(a[0] != b[0] for a, b in itertools.pairwise(rows))
        count_written(conn, table=FIRST_RESULTS if first else "result", event_id=event_id, after_id=after, at=at)
    return written


class ResultRecord(NamedTuple):
    """Who recorded a result, when, and from where (for "it is positive already")."""

    at: datetime
    operator: str
    source: str


def result_records(conn: Connection, *, result_ids: Sequence[int]) -> dict[int, ResultRecord]:
    """result id -> when, by whom and from which file line (or keyboard) it was recorded."""
    wanted = sorted(set(result_ids))
    out: dict[int, ResultRecord] = {}
    for start in range(0, len(wanted), 900):
        rows = conn.execute(
            select(_RES.c.id, _RES.c.at, _EV.c.operator, _RES.c.source)
            .select_from(_RES.join(_EV, _EV.c.id == _RES.c.event_id))
            .where(_RES.c.id.in_(wanted[start : start + 900]))
        )
        for rid, at, operator, source in rows:
            out[rid] = ResultRecord(at, operator, source)
    return out


@attrs.frozen(slots=True)
class CampaignTubeIndex:
    """A campaign's tubes as plain maps, for checking a results file line by line:
    barcode -> tube id, the received tube ids, tube id -> (result id, call, Ct, Ct) of
    its current result, and the individual (retest) tube ids. Set-based reads, no object
    per tube."""

    id_of: dict[str, int]
    received: set[int]
    current: dict[int, tuple[int, str, float | None, float | None]]
    individual: set[int] = attrs.Factory(set)


# A plate's worth of tubes: statements built once, so SQLAlchemy compiles them once and
# expands the IN list at execution (a district's day imports a hundred plates).
_FEW_TUBES = (
    select(_T.c.barcode, _T.c.id, _REC.c.tube_id, _T.c.kind)
    .select_from(_T.outerjoin(_REC, _REC.c.tube_id == _T.c.id))
    .where(filter_only(_T.c.campaign_id) == bindparam("campaign"), _T.c.barcode.in_(bindparam("codes", expanding=True)))
)
_FEW_RESULTS = (
    select(_RES.c.tube_id, _RES.c.id, _RES.c.call, _RES.c.ct_orf1ab, _RES.c.ct_n)
    .where(_RES.c.tube_id.in_(bindparam("ids", expanding=True)))
    .order_by(_RES.c.id)
)


def campaign_tube_index(
    conn: Connection, *, campaign_id: int, barcodes: Sequence[str] | None = None
) -> CampaignTubeIndex:
    """The maps of ``CampaignTubeIndex`` for one campaign; with ``barcodes`` (a few
    hundred at most), for those of its tubes only."""
    if barcodes is not None:
        rows: list[Any] = list(conn.execute(_FEW_TUBES, {"campaign": campaign_id, "codes": sorted(set(barcodes))}))
        results: list[Any] = list(conn.execute(_FEW_RESULTS, {"ids": [r[1] for r in rows]})) if rows else []
    else:
        in_campaign = select(_T.c.id).where(_T.c.campaign_id == campaign_id)
        rows = fetch_all_raw(
            conn,
            select(_T.c.barcode, _T.c.id, _REC.c.tube_id, _T.c.kind)
            .select_from(_T.outerjoin(_REC, _REC.c.tube_id == _T.c.id))
            .where(_T.c.campaign_id == campaign_id),
        )
        results = fetch_all_raw(
            conn,
            select(_RES.c.tube_id, _RES.c.id, _RES.c.call, _RES.c.ct_orf1ab, _RES.c.ct_n)
            .where(_RES.c.tube_id.in_(in_campaign))
            .order_by(_RES.c.id),
        )
    id_of = {code: tid for code, tid, _, _ in rows}
    received = {rec for _, _, rec, _ in rows}
    received.discard(None)
    individual = {tid for _, tid, _, kind in rows if kind == "individual"}
    current: dict[int, tuple[int, str, float | None, float | None]] = {}
    for tid, rid, call, c1, c2 in results:
        current[tid] = (rid, call, c1, c2)
    return CampaignTubeIndex(id_of=id_of, received=received, current=current, individual=individual)
