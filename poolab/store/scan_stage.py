"""A batch of reception scans staged in a temporary table (PostgreSQL, psycopg 3).

The batch's barcodes stream in with one ``COPY``; the reception check, the receipts and
the report of the tubes another station received first are then each one join against
that table, however big the batch: no IN list of a few hundred barcodes per round trip,
no parameter per row. The table lives in the connection's own temporary schema and is
emptied at every commit, so stations never see each other's batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, bindparam, exists, insert, literal, select
from sqlalchemy.exc import IntegrityError

from poolab.store.bulk import fetch_all_raw, row_writer
from poolab.store.tables import Event, Receipt, Tube
from poolab.store.tubes import ReceiptState, ScanRecord

_T = Tube.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_EV = Event.__table__  # type: ignore[attr-defined]

# Not in the store's metadata: no migration creates it, every connection has its own.
_STAGE = Table("poolab_scan_stage", MetaData(), Column("barcode", String, nullable=False))
_IDS = Table("poolab_tube_stage", MetaData(), Column("id", Integer, nullable=False))
_CREATE = "CREATE TEMPORARY TABLE IF NOT EXISTS poolab_scan_stage (barcode text NOT NULL) ON COMMIT DELETE ROWS"
# The good tubes' ids, not the staged barcodes joined again: a tube bound in the field
# between the check and the insert must not be received unchecked.
_CREATE_IDS = "CREATE TEMPORARY TABLE IF NOT EXISTS poolab_tube_stage (id integer NOT NULL) ON COMMIT DELETE ROWS"


def can_stage(conn: Connection) -> bool:
    """Whether this store stages scan batches (PostgreSQL through psycopg 3)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def stage_barcodes(conn: Connection, barcodes: Sequence[str]) -> None:
    """Put ``barcodes`` (distinct) into the connection's stage, in the open transaction.
    A rolled-back run of the same batch (a lost race) leaves the stage empty again."""
    # IF NOT EXISTS: a pooled connection keeps its stage between batches; the notice it
    # raises then is the driver's to drop
    conn.exec_driver_sql(_CREATE)
    with row_writer(conn, _STAGE, ["barcode"]) as write:
        write([(c,) for c in barcodes])
    # fresh statistics: a few thousand barcodes and a city's million want different joins
    conn.exec_driver_sql("ANALYZE poolab_scan_stage")
    # a city's batch costs enough for the server to compile its joins, which takes longer
    # (a second at a hundred thousand scans) than running them
    conn.exec_driver_sql("SET LOCAL jit = off")


def staged_receipt_states(conn: Connection) -> dict[str, ReceiptState]:
    """barcode -> (tube id, campaign, received or not) for the staged barcodes that are
    tubes (as ``tubes.receipt_states``)."""
    # EXISTS: one probe of the receipts' index per staged tube, never a scan of every
    # receipt the store has (all past rounds') for each batch
    received = exists().where(_REC.c.tube_id == _T.c.id)
    rows = fetch_all_raw(
        conn,
        select(_T.c.barcode, _T.c.id, _T.c.campaign_id, received).select_from(
            _STAGE.join(_T, _T.c.barcode == _STAGE.c.barcode)
        ),
    )
    return {code: ReceiptState(tid, cid, rec) for code, tid, cid, rec in rows}


def insert_staged_receipts(conn: Connection, *, tube_ids: Sequence[int], at: datetime, event_id: int) -> set[int]:
    """Receive the tubes ``tube_ids`` (the staged scans found good) in one ``INSERT ...
    SELECT`` from a stage of their ids; a tube another station received a moment ago is
    skipped by the receipt's unique key. Returns the tube ids this call received."""
    conn.exec_driver_sql(_CREATE_IDS)
    with row_writer(conn, _IDS, ["id"]) as write:
        write([(t,) for t in tube_ids])
    fresh = (
        select(_IDS.c.id, literal(event_id, Integer), bindparam("at", at, type_=_REC.c.at.type))
        # in tube order: stations whose batches overlap take the keys in one order (no deadlock)
        .order_by(_IDS.c.id)
    )
    columns = ["tube_id", "event_id", "at"]
    try:
        # the usual case, no tube taken since the check: a plain insert, half the work of
        # one that prepares for a conflict on every row
        with conn.begin_nested():
            conn.execute(insert(_REC).from_select(columns, fresh))
        return set(tube_ids)  # every one of them (distinct: one per distinct barcode)
    except IntegrityError:
        pass  # another station received one of them a moment ago: the savepoint undid it
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # not loaded for a SQLite store

    stmt = (
        pg_insert(_REC)
        .from_select(columns, fresh)
        .on_conflict_do_nothing(index_elements=["tube_id"])
        .returning(_REC.c.tube_id)
    )
    return set(conn.execute(stmt).scalars())


def staged_receipt_records(conn: Connection, *, besides_event: int | None) -> dict[int, ScanRecord]:
    """tube id -> when and by whom it was received, for the staged tubes received by
    another event than ``besides_event`` (this batch's own receipts are not read back)."""
    stmt = select(_REC.c.tube_id, _REC.c.at, _EV.c.operator).select_from(
        _STAGE.join(_T, _T.c.barcode == _STAGE.c.barcode)
        .join(_REC, _REC.c.tube_id == _T.c.id)
        .join(_EV, _EV.c.id == _REC.c.event_id)
    )
    if besides_event is not None:
        stmt = stmt.where(_REC.c.event_id != besides_event)
    return {tid: ScanRecord(at, operator) for tid, at, operator in fetch_all_raw(conn, stmt)}
