"""A batch of reception scans staged in a temporary table (PostgreSQL, psycopg 3).

The batch's barcodes stream in with one ``COPY``; the reception check and the receipts
are then one statement against that table, however big the batch: the check looks each
staged barcode up, the receipts go in from that look-up, and only the refused scans come
back (a city's million good scans are never sent back to the client). No IN list of a
few hundred barcodes per round trip, no parameter per row. The batch holds the running
counts' gate from its staging to its commit instead of locking its tubes, and its check
keeps the received tubes' rows in a second temporary table, from which the counts are
made (``poolab.store.tube_tally``). Both tables live in the
connection's own temporary schema and are emptied at every commit, so stations never see
each other's batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError

from poolab.store.bulk import column_writer, fetch_all_raw
from poolab.store.tables import Event, Receipt, Tube
from poolab.store.tube_tally import Folding, count_written, hold_gate, last_id
from poolab.store.tubes import ScanRecord

_T = Tube.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_EV = Event.__table__  # type: ignore[attr-defined]

# Not in the store's metadata: no migration creates them, every connection has its own.
_STAGE = Table("poolab_scan_stage", MetaData(), Column("barcode", String, nullable=False))
# the rows of the tubes a batch received, kept by its check for the running counts
_KEPT = Table(
    "poolab_scan_tube",
    MetaData(),
    Column("id", Integer),
    Column("campaign_id", Integer),
    Column("kind", String),
    Column("compound", String),
    Column("people", Integer),
)
_CREATE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS poolab_scan_stage (barcode text NOT NULL) ON COMMIT DELETE ROWS",
    "CREATE TEMPORARY TABLE IF NOT EXISTS poolab_scan_tube "
    "(id integer, campaign_id integer, kind text, compound text, people integer) ON COMMIT DELETE ROWS",
)


def can_stage(conn: Connection) -> bool:
    """Whether this store stages scan batches (PostgreSQL through psycopg 3)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def stage_barcodes(conn: Connection, barcodes: Sequence[str]) -> None:
    """Hold the running counts' gate (``hold_gate``: until the transaction ends), then put
    ``barcodes`` (distinct) into the connection's stage, in the open transaction. A
    rolled-back run of the same batch (a lost race) leaves the stage empty again."""
    hold_gate(conn)
    # IF NOT EXISTS: a pooled connection keeps its stage between batches; the notice it
    # raises then is the driver's to drop
    for create in _CREATE:
        conn.exec_driver_sql(create)
    with column_writer(conn, _STAGE, ["barcode"]) as write:
        write([sorted(barcodes)])  # the order the check finds the tubes and inserts their receipts in
    # a city's batch costs enough for the server to compile its joins, which takes longer
    # (a second at a hundred thousand scans) than running them
    conn.exec_driver_sql("SET LOCAL jit = off")
    # every look-up of the batch is an index probe: statistics taken when the receipts
    # were few (a new store, the first file of the day) make a scan of the table look
    # free, and it then runs once per scan while another batch fills the table (a
    # million scans written two batches at a time took 53 s instead of 10)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")


class StagedRefusal(NamedTuple):
    """A staged barcode that was not received: no such tube (``tube_id`` None), a tube of
    another campaign, or one received already (``received``: when and by whom, None when
    another station received it after this batch looked, which ``lost`` tells)."""

    barcode: str
    tube_id: int | None
    campaign_id: int | None
    received: ScanRecord | None
    lost: bool = False


def receive_staged(
    conn: Connection, *, campaign_id: int, event_id: int, at: datetime, folds: list[Folding] | None = None
) -> list[StagedRefusal]:
    """Receive the staged scans that are tubes of ``campaign_id`` not received yet, in one
    statement that checks them and inserts their receipts (in barcode order), and return the
    others. A tube another station received a moment ago (after the check, before the
    insert) is skipped by the receipt's unique key and returned with ``lost`` set: its
    receipt is the other station's, read with ``receipt_records``. Given ``folds``, a
    fold of the running counts that the batch makes due is put there, not done
    (``poolab.store.tube_tally.fold_written``)."""
    columns = ["tube_id", "event_id", "at"]
    after = last_id(conn, "receipt")
    # the usual case, none of the batch received before: the receipt's unique key is the
    # check (no probe of the receipts per scan); then, when some were, a check of each
    # and a plain insert of the rest; last, when another station received one of them
    # between that check and the insert, an insert that skips what it finds taken. A
    # plain insert is half the work of one that prepares for a conflict on every row.
    # The check keeps the rows of the tubes it receives for the count, which then reads
    # them in a statement of its own (under the gate held since the staging: see
    # ``poolab.store.tube_tally``).
    for checked in (False, True):
        found, good, refused = _found(campaign_id, checked=checked)
        try:
            with conn.begin_nested():
                receipts = insert(_REC).from_select(columns, _fresh(found, good, event_id, at))
                refusals = _refusals(conn, found, receipts, refused, kept=_kept(found, good))
            break
        except IntegrityError:
            pass  # a tube of the batch has a receipt: the savepoint undid the insert
    else:
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # not loaded for a SQLite store

        careful = (
            pg_insert(_REC)
            .from_select(columns, _fresh(found, good, event_id, at))
            .on_conflict_do_nothing(index_elements=["tube_id"])
            .returning(_REC.c.tube_id)
        )
        refusals = _refusals(conn, found, careful, refused, good=good)
    count_written(conn, table="receipt", event_id=event_id, after_id=after, at=at, folds=folds, tubes=_KEPT.name)
    return refusals


def _kept(found: Any, which: ColumnElement[bool]) -> Insert:
    """The rows of the tubes of ``found`` that ``which`` picks, into the batch's table of
    received tubes."""
    columns = ["id", "campaign_id", "kind", "compound", "people"]
    return insert(_KEPT).from_select(columns, select(*(found.c[c] for c in columns)).where(which))


def _found(campaign_id: int, *, checked: bool) -> tuple[Any, ColumnElement[bool], ColumnElement[bool]]:
    """The staged scans with their tubes (``found``), which of them to receive
    (``good``) and which are refused; ``checked``: whether each tube's receipt is looked
    for (otherwise every tube of the campaign is taken as not received yet)."""
    # the check and the insert are one statement: a tube bound in the field meanwhile is
    # judged by the same snapshot as the rest, never received unchecked
    # one probe of the barcode index per scan (LIMIT 1 keeps it a nested loop; barcodes
    # are unique): a join the planner may pick instead reads every tube for each batch,
    # O(store) where this is O(batch), and the tube table's statistics are often stale
    received = exists().where(_REC.c.tube_id == _T.c.id) if checked else literal(False, Boolean)
    tube = (
        select(_T.c.id, _T.c.campaign_id, _T.c.kind, _T.c.compound, _T.c.people, received.label("received"))
        .where(_T.c.barcode == _STAGE.c.barcode)
        .limit(1)
        .lateral("t")
    )
    found = (
        select(
            _STAGE.c.barcode,
            tube.c.id,
            tube.c.campaign_id,
            tube.c.kind,
            tube.c.compound,
            tube.c.people,
            func.coalesce(tube.c.received, False).label("received"),
        )
        .select_from(_STAGE.outerjoin(tube, true()))
        .cte("found")
    )
    good = and_(found.c.campaign_id == campaign_id, ~found.c.received)
    refused = or_(found.c.id.is_(None), found.c.campaign_id != campaign_id, found.c.received)
    return found, good, refused


def _fresh(found: Any, good: ColumnElement[bool], event_id: int, at: datetime) -> Any:
    """The receipts of the ``good`` scans of ``found``."""
    # in the stage's order, the barcodes': stations whose batches overlap take the
    # receipts' keys in one order (no deadlock), with no sort of the batch (20 ms of each
    # 50,000)
    return select(found.c.id, literal(event_id, Integer), bindparam("at", at, type_=_REC.c.at.type)).where(good)


def _refusals(
    conn: Connection,
    found: Any,
    receipts: Insert,
    refused: ColumnElement[bool],
    *,
    good: ColumnElement[bool] | None = None,
    kept: Insert | None = None,
) -> list[StagedRefusal]:
    """Run ``receipts`` (an insert from ``found``) and read back the ``refused`` scans,
    with, given ``good``, the good ones the insert skipped (``receipts`` then returns the
    tube ids it inserted). ``kept``: the insert of the received tubes' rows for the
    count (without it, the tubes ``receipts`` returns)."""
    inserted = receipts.cte("inserted")
    lost: ColumnElement[bool] = literal(False, Boolean)
    wanted = refused
    if good is not None:
        lost = and_(good, found.c.id.not_in(select(inserted.c.tube_id)))
        wanted = or_(refused, lost)
    if kept is None:
        kept = _kept(found, found.c.id.in_(select(inserted.c.tube_id)))
    # when and by whom, read for the refused rows only (one index probe each)
    at = select(_REC.c.at).where(_REC.c.tube_id == found.c.id).scalar_subquery()
    by = (
        select(_EV.c.operator)
        .select_from(_REC.join(_EV, _EV.c.id == _REC.c.event_id))
        .where(_REC.c.tube_id == found.c.id)
        .scalar_subquery()
    )
    stmt = (
        select(found.c.barcode, found.c.id, found.c.campaign_id, found.c.received, at, by, lost)
        .where(wanted)
        .add_cte(inserted)
        .add_cte(kept.cte("kept"))
    )
    return [
        StagedRefusal(code, tid, cid, ScanRecord(when, who) if rec else None, bool(gone))
        for code, tid, cid, rec, when, who, gone in fetch_all_raw(conn, stmt)
    ]
