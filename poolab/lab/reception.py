"""Lab reception: tube barcodes scanned in as the tubes arrive, one per line."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import Connection

from poolab.barcodes import barcode_problems, normalise_codes, normalise_scan
from poolab.errors import Problem
from poolab.field.scans import Scan, ScanReport, StreamItem, run_stream
from poolab.i18n import _
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now, record_event, set_event_detail, stream_id
from poolab.store.scan_stage import can_stage, receive_staged, stage_barcodes
from poolab.store.tube_tally import Folding, fold_written
from poolab.store.tubes import (
    ReceiptState,
    ScanRecord,
    TubeState,
    insert_receipts,
    receipt_records,
    receipt_states,
)
from poolab.when import when

FLUSH_EVERY = 5_000
"""Good scans committed at least this often on SQLite, where a batch holds the store's
one write lock (other stations wait for it: 0.1-0.2 s for this many). Each commit writes
every page its batch touched, and a file's scans come in any order, so they touch tubes
all over the store: a district's 9,764 tubes in random order wrote 18,000 pages of
write-ahead log in batches of 500, and the receive took 0.42-0.55 s against 0.17-0.33 s
in batches of 5,000."""
FLUSH_EVERY_STAGED = 50_000
"""The same on PostgreSQL, where stations write side by side: a file's scans go in a few
big batches (each a fixed few round trips, and a commit). A scanner's or a pipe's scans
are still committed every second and whenever the input pauses."""
WRITERS = 2
"""Big batches written side by side on PostgreSQL (each on its own connection): the
server checks and stores one batch on one core, so two use two. More would not help a
server of two cores, and each holds a batch of scans in memory."""
STAGE_FROM = 2_000
"""Batches of at least this many scans are staged (PostgreSQL): smaller ones look their
tubes up with index probes, which no stale planner statistics can make slower."""


@pauses_gc
def receive(
    store: Store,
    campaign: str,
    scans: Iterable[StreamItem],
    *,
    source: str,
    operator: str,
    flush_every: int | None = None,
) -> ScanReport:
    """Reception scans, one barcode per line. Every good scan is kept: committed every
    ``flush_every`` scans (by default ``FLUSH_EVERY``, on PostgreSQL ``FLUSH_EVERY_STAGED``),
    every second while scans flow, and whenever the input pauses.
    Every bad one (wrong check character, unknown tube, tube of another campaign,
    scanned twice, here or at another station) is reported with its line."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        staged = can_stage(conn)
    if flush_every is None:
        flush_every = FLUSH_EVERY_STAGED if staged else FLUSH_EVERY
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    batch: list[tuple[int, str]] = []
    accepted = 0
    stream = stream_id()
    # PostgreSQL, big batches: each is written on a connection and thread of its own
    # while the next is read, and the next written beside it (the server checks and
    # stores two at once, on two cores); each commits only once the one before it has
    # (``_in_order``), so what is stored is always the file up to a line
    writers = WRITERS if staged and flush_every >= STAGE_FROM else 0
    ahead = ThreadPoolExecutor(writers, thread_name_prefix="poolab-receive") if writers else None
    writing: deque[Future[tuple[int, list[Problem]]]] = deque()
    last_turn: _GateTurn | None = None

    def take(scan: Scan) -> None:
        take_code(scan.line, normalise_scan(scan.text))

    def take_code(line: int, code: str) -> None:
        if code in first_line:
            why = _("tube scanned twice (first at line {line})").format(line=first_line[code])
            problems.append(Problem(source, line, code, why))
        else:
            first_line[code] = line
            batch.append((line, code))

    def take_block(first: int, texts: list[str]) -> None:
        # a file's lines a slice at a time: when no code of the slice was scanned before
        # (the usual file), taken with no Python step per line (a million lines 1.3 s
        # one by one, 0.55 s so, most of it the dict of codes seen); otherwise one by
        # one, each repeat reported
        codes = normalise_codes(texts)
        lines = range(first, first + len(codes))
        fresh = dict(zip(codes, lines, strict=True))
        if len(fresh) == len(codes) and first_line.keys().isdisjoint(fresh):
            first_line.update(fresh)
            batch.extend(zip(lines, codes, strict=True))
        else:
            for line, code in zip(lines, codes, strict=True):
                take_code(line, code)

    def flush() -> None:
        # check characters of the whole batch at once (numpy), before the store is asked
        whys = barcode_problems(list(map(itemgetter(1), batch)), pre_printed=info.field_binding)
        if whys.count(None) == len(whys):
            good = batch.copy()
        else:
            checked = list(zip(batch, whys, strict=True))
            problems.extend(Problem(source, line, code, why) for (line, code), why in checked if why is not None)
            good = [item for item, why in checked if why is None]
        batch.clear()

        nonlocal last_turn
        before = writing[-1] if writing else None
        turn = None if ahead is None else _GateTurn(last_turn.taken if last_turn else None, threading.Event())
        last_turn = turn

        # a deadlock or a lost race with another station runs the batch again
        def write() -> tuple[int, list[Problem]]:
            return store.write(
                lambda conn: _store_receipts(
                    conn, info, good, source=source, operator=operator, stream=stream, before=before, turn=turn
                )
            )

        if ahead is not None:
            writing.append(ahead.submit(write))
        else:
            done(write())

    def settle() -> None:
        if writing:
            # the oldest write's outcome (its StoreFault is raised here), taken off the
            # queue only once known: a Ctrl-C while waiting leaves it to the next settle
            result = writing[0].result()
            writing.popleft()
            done(result)

    def done(result: tuple[int, list[Problem]]) -> None:
        nonlocal accepted
        accepted += result[0]
        problems.extend(result[1])

    try:
        outcome = run_stream(
            scans,
            take=take,
            take_block=take_block,
            refuse=problems.append,
            flush=flush,
            settle=settle if ahead is not None else None,
            in_flight=max(writers, 1),
            pending=lambda: len(batch),
            source=source,
            max_pending=flush_every,
        )
    finally:
        if ahead is not None:
            ahead.shutdown()
    problems.sort(key=lambda p: p.line)
    return ScanReport(
        accepted=accepted,
        problems=tuple(problems),
        fault=outcome.fault,
        unsaved_from=outcome.unsaved_from,
        interrupted=outcome.interrupted,
        lost=outcome.lost,
    )


def _store_receipts(
    conn: Connection,
    info: CampaignInfo,
    batch: list[tuple[int, str]],
    *,
    source: str,
    operator: str,
    stream: str | None = None,
    before: Future[tuple[int, list[Problem]]] | None = None,
    turn: _GateTurn | None = None,
) -> tuple[int, list[Problem]]:
    """Receive a batch of checked scans in the open transaction: how many were received,
    and the problems of the rest. A tube another station received first (before this
    batch was read, or a moment ago: the receipt's unique key decides) is reported with
    when and by whom. With ``before`` (the write of the batch before it), the
    transaction waits for that one's commit before its own, and is undone if it failed;
    ``turn`` then orders their taking of the counts' gate."""
    folds: list[Folding] = []
    # PostgreSQL: the batch goes into a temporary table with one COPY, and is checked and
    # received by one statement against it (a city's file is a few big batches, not IN
    # lists of 900)
    try:
        staged = len(batch) >= STAGE_FROM and can_stage(conn)
        if staged:
            if turn is not None:
                turn.wait()
            stage_barcodes(conn, list(map(itemgetter(1), batch)))  # and the gate, held from here on
    finally:
        if turn is not None:
            turn.taken.set()
    if staged:
        outcome = _store_staged(conn, info, batch, source=source, operator=operator, stream=stream, folds=folds)
    else:
        outcome = _store_checked(conn, info, batch, source=source, operator=operator, stream=stream, folds=folds)
    _in_order(conn, before, folds)
    return outcome


class _GateTurn(NamedTuple):
    """Batches written side by side take the counts' gate
    (``poolab.store.tube_tally.hold_gate``) in the order they were read. Were a batch to
    take it before the batch ahead of it, another station's write could queue for the
    gate behind it, and the batch ahead behind that write (the server grants no lock
    that conflicts with one waited for): the batch ahead waits for the write, the write
    for this batch, and this batch (``_in_order``) for the batch ahead's commit, a wait
    the server cannot see, until the lock timeout. ``taken`` is set once this batch holds
    the gate, or will not take it. (A batch run again after a lost race takes the gate
    again out of turn: that rare case is left to the lock timeout.)"""

    before: threading.Event | None
    taken: threading.Event

    def wait(self) -> None:
        if self.before is not None:
            self.before.wait()


def _in_order(conn: Connection, before: Future[tuple[int, list[Problem]]] | None, folds: list[Folding]) -> None:
    """The end of a batch's transaction: the batch before it committed (its fault, if it
    failed, undoes this one too: what is stored stays the file up to a line), then the
    folds of the running counts the batch made due. Those wait until now: a fold deletes
    rows the batch before may be folding too, and this transaction must not hold them
    while it waits for that one."""
    if before is not None:
        before.result()
    for folding in folds:
        fold_written(conn, folding)


def _store_checked(
    conn: Connection,
    info: CampaignInfo,
    batch: list[tuple[int, str]],
    *,
    source: str,
    operator: str,
    stream: str | None,
    folds: list[Folding],
) -> tuple[int, list[Problem]]:
    """``_store_receipts`` of a batch looked up tube by tube (SQLite, or a small batch)."""
    states = receipt_states(conn, barcodes=[c for _, c in batch])
    refused: list[Problem] = []
    good: list[tuple[int, str, int]] = []
    taken: list[tuple[int, str, int]] = []
    for line, code in batch:
        state = states.get(code)
        why = tube_problem(info, state)
        if why is not None:
            refused.append(Problem(source, line, code, why))
        elif state is not None:
            (taken if state.received else good).append((line, code, state.id))
    won: set[int] = set()
    if good:
        event_id = record_event(
            conn, operator=operator, action="receive", campaign_id=info.id, detail=_detail(source, len(good), stream)
        )
        won = insert_receipts(conn, tube_ids=[t for _, _, t in good], at=now(), event_id=event_id, folds=folds)
        if len(won) < len(good):
            taken += [g for g in good if g[2] not in won]
            set_event_detail(conn, event_id=event_id, detail=_detail(source, len(won), stream))
    return len(won), refused + _received_meanwhile(conn, taken, source=source)


def _store_staged(
    conn: Connection,
    info: CampaignInfo,
    batch: list[tuple[int, str]],
    *,
    source: str,
    operator: str,
    stream: str | None,
    folds: list[Folding],
) -> tuple[int, list[Problem]]:
    """``_store_receipts`` of a batch staged already: only its refused scans come back."""
    # the event first (its id is in every receipt), telling the whole batch: corrected
    # below in the same transaction when some were refused, undone when all were
    with conn.begin_nested() as undo:
        event_id = record_event(
            conn, operator=operator, action="receive", campaign_id=info.id, detail=_detail(source, len(batch), stream)
        )
        refusals = receive_staged(conn, campaign_id=info.id, event_id=event_id, at=now(), folds=folds)
        kept = len(batch) - len(refusals)
        if not kept:
            undo.rollback()
        elif refusals:
            set_event_detail(conn, event_id=event_id, detail=_detail(source, kept, stream))
    refused: list[Problem] = []
    lost: list[tuple[int, str, int]] = []
    line_of = {code: line for line, code in batch} if refusals else {}
    for r in refusals:
        line = line_of[r.barcode]
        if r.lost and r.tube_id is not None:
            lost.append((line, r.barcode, r.tube_id))
            continue
        received = r.received is not None
        state = None if r.tube_id is None or r.campaign_id is None else ReceiptState(r.tube_id, r.campaign_id, received)
        why = tube_problem(info, state)
        if why is None and r.received is not None:
            why = _already_received(r.received)
        assert why is not None, r  # the statement returns refused scans only
        refused.append(Problem(source, line, r.barcode, why))
    # received by another station a moment ago: read with a fresh snapshot
    return kept, refused + _received_meanwhile(conn, lost, source=source)


def _detail(source: str, tubes: int, stream: str | None) -> dict[str, object]:
    """A receive event's detail: the file or stream and how many tubes it received."""
    return {"source": source, "tubes": tubes, "stream": stream}


def _received_meanwhile(conn: Connection, scans: list[tuple[int, str, int]], *, source: str) -> list[Problem]:
    """The refusals of ``scans`` (line, barcode, tube id) whose tubes were already received,
    each saying when and by whom."""
    if not scans:
        return []
    records = receipt_records(conn, tube_ids=[t for _, _, t in scans])
    return [Problem(source, line, code, _already_received(records[tid])) for line, code, tid in scans]


def _already_received(record: ScanRecord) -> str:
    return _("tube scanned twice: already received at {when} by {operator}").format(
        when=when(record.at), operator=record.operator
    )


def tube_problem(info: CampaignInfo, state: ReceiptState | TubeState | None) -> str | None:
    """Why a scanned tube is not one of this campaign's (None when it is)."""
    if state is None:
        return _("unknown barcode: no such tube in the store")
    if state.campaign_id != info.id:
        return _("tube belongs to another campaign, not {campaign}").format(campaign=repr(info.name))
    return None
